"""A real network for tests: nats-server, the hub and NCB nodes as separate processes with their
own SQLite databases and keys, driven through each node's HTTP API with a system token.

Tests kill and restart single processes (a node's worker, nats-server) to show nothing is lost.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ncbnet.embedded import DemoNetwork, Node, StartupFailed

T = TypeVar("T")


def free_base_port(size: int) -> int:
    """A base port with `size` free ports after it."""
    for base in range(30000, 60000, 53):
        ok = True
        for port in range(base, base + size):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free block of ports")


def wait_for(check: Callable[[], T], timeout: float = 30, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy (the tests' only way of waiting)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def files_holding(root: Path, needle: bytes) -> tuple[list[Path], list[Path]]:
    """Every file under `root`, and those of them whose bytes hold `needle`.

    A running server removes files while we read (NATS drops a stream's spent blocks, SQLite its
    journals): a file gone between listing and reading holds nothing on disk, so it is skipped.
    """
    seen: list[Path] = []
    holding: list[Path] = []
    for path in root.rglob("*"):
        try:
            if not path.is_file():
                continue
            data = path.read_bytes()
        except FileNotFoundError:
            continue
        seen.append(path)
        if needle in data:
            holding.append(path)
    return seen, holding


# The tests drive each node as its national systems would, with every scope a token can have.
SCOPES = ("read_messages", "send_messages", "screening", "contributions", "restricted")


# The migrated databases of a node of each role ("hub", "ncb"), made once a test session
_TEMPLATES: dict[str, dict[str, Path]] = {}
_TEMPLATES_LOCK = threading.Lock()
_DATABASES = ("db.sqlite3", "commission.sqlite3")
_MIGRATE = "import django; django.setup(); import ncbnet.node_commands as n; n.migrate_databases()"


def _migrated(cluster: DemoNetwork, node: Node) -> dict[str, Path]:
    """The databases of a node of `node`'s role, migrated as `ncbnet init` migrates them, in a
    folder of their own that is removed when the session ends. A node's schema and the rows its
    migrations write depend on its role alone (the screening index's migrations ask whether it is
    the hub)."""
    with _TEMPLATES_LOCK:
        if node.role not in _TEMPLATES:
            root = Path(tempfile.mkdtemp(prefix=f"ncbnet-migrated-{node.role}-"))
            atexit.register(shutil.rmtree, root, ignore_errors=True)
            # the migrations `ncbnet init` runs, and nothing else of it (no keys: the hub's init
            # registers its own key in its database, and a copy must hold none)
            env = cluster.env(node) | {
                "NCBNET_DATA_DIR": str(root),
                "NCBNET_SECRET_KEY": secrets.token_urlsafe(50),
            }
            done = subprocess.run([sys.executable, "-c", _MIGRATE], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise StartupFailed(f"migrating a {node.role} template failed: {done.stderr.strip()}")
            _TEMPLATES[node.role] = {name: root / name for name in _DATABASES}
        return _TEMPLATES[node.role]


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database (its journal included), by SQLite's backup."""
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as t:
        src.backup(t)


class Cluster(DemoNetwork):
    def __init__(self, data: Path, *, preload: bool = False):
        base = free_base_port(12)
        super().__init__(data, base, base + 10)
        # A web server loads the name data before forking unless told not to (`make run` does):
        # most tests never compare a name, so their clusters start without it and a worker loads
        # it on its first search, as it did before the preload.
        self.preload = preload
        self.by_name = {n.name: n for n in self.nodes}
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.servers: dict[str, subprocess.Popen[bytes]] = {}
        self.tokens: dict[str, str] = {}

    def env(self, node: Node) -> dict[str, str]:
        return super().env(node) | {"NCBNET_WEB_PRELOAD": "1" if self.preload else "0"}

    def prepare(self, node: Node) -> list[dict[str, str]]:
        """The node's databases start as copies of a migrated node's of its role (`_migrated`): the
        migrations run once a test session for each role rather than for every node of every
        cluster (9 s of CPU each on a 2-core machine). `init` then makes the node's own keys, finds
        nothing left to migrate, and the seed is the node's own as before. An NCB node's token for
        the tests' calls to its API is made here too."""
        folder = self.data / node.name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        for name, template in _migrated(self, node).items():
            _copy_database(template, folder / name)
        logins = super().prepare(node)
        if node.name != "hub":  # made before the node's processes start, rather than beside them
            scopes = [a for s in SCOPES for a in ("--scope", s)]
            user = f"{node.name.lower()}-border-system"
            made = self.ncbnet(node, "token", "create", "--user", user, "--name", "tests", *scopes)
            self.tokens[node.name] = made.strip()
        return logins

    def start(self) -> Cluster:
        """Everything up, or, when anything fails to come up, everything started stopped again
        (a failed start left a whole network running behind the test session)."""
        try:
            return self._start()
        except BaseException:
            self.shutdown()
            raise

    def _start(self) -> Cluster:
        self.setup_quietly()
        for node in self.nodes:
            self.servers[node.name] = self.start_server(node)
            self.workers[node.name] = self.start_worker(node)
            self.start_jobs(node)
        for node in self.nodes:
            self.wait_until_up(f"http://127.0.0.1:{node.port}/login/", self.servers[node.name])
        # The hub has pushed the directory to every node once each holds every node's keys.
        for node in self.nodes[1:]:

            def has_directory(name: str = node.name) -> bool:
                return self.count(name, "network_nodekey") == len(self.nodes)

            wait_for(has_directory, 60, f"the key directory on {node.name}")
        return self

    def setup_quietly(self) -> None:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            self.setup()

    def kill_nats(self) -> None:
        assert self.nats is not None
        self.nats.kill()
        self.nats.wait()

    def restart_nats(self) -> None:
        self.kill_nats()
        self.start_nats()

    def kill_worker(self, name: str) -> None:
        proc = self.workers.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def restart_worker(self, name: str) -> None:
        if name in self.workers:
            self.kill_worker(name)
        self.workers[name] = self.start_worker(self.by_name[name])

    def stop_node(self, name: str) -> None:
        """The node is down: its web server and its network worker are killed."""
        self.kill_worker(name)
        server = self.servers.pop(name)
        server.kill()
        server.wait()

    def start_node(self, name: str) -> None:
        node = self.by_name[name]
        self.servers[name] = self.start_server(node)
        self.workers[name] = self.start_worker(node)
        self.wait_until_up(f"http://127.0.0.1:{node.port}/login/", self.servers[name])

    def python(self, name: str, code: str) -> str:
        """Run Python in the node's own environment, Django set up: the node's services, as its
        operator would call them; returns what the code prints."""
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()\n" + code],
            env=self.env(self.by_name[name]),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            raise AssertionError(f"on {name}: {result.stderr.strip()}")
        return result.stdout

    # --- looking at a node ------------------------------------------------------------------------

    def db(self, name: str) -> Path:
        return self.data / name.lower() / "db.sqlite3"

    def query(self, name: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db(name)}?mode=ro", uri=True, timeout=10) as con:
            return list(con.execute(sql, params).fetchall())

    def count(self, name: str, table: str, where: str = "1=1", params: tuple[Any, ...] = ()) -> int:
        return int(self.query(name, f"SELECT count(*) FROM {table} WHERE {where}", params)[0][0])  # noqa: S608

    def api(self, name: str, method: str, path: str, payload: Any = None) -> Any:
        node: Node = self.by_name[name]
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{node.port}/api/v1{path}",
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.tokens[name]}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our own node
                body = response.read()
                if response.headers.get_content_type() != "application/json":
                    return body
                return json.loads(body or b"null")
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path} on {name}: {exc.code} {exc.read().decode()}") from exc

    def upload(self, name: str, path: str, filename: str, content: bytes, fields: dict[str, str]) -> Any:
        """POST a file and form fields (multipart/form-data) to the node's API."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.by_name[name].port}/api/v1{path}",
            data=b"".join(parts),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.tokens[name]}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - our own node
            return json.loads(response.read())

    def send(self, sender: str, to: list[str], subject: str, **extra: Any) -> dict[str, Any]:
        payload = {"to": to, "subject": subject, "body": extra.pop("body", f"body of {subject}"), **extra}
        return dict(self.api(sender, "POST", "/messages", payload))

    def inbox_subjects(self, name: str) -> list[str]:
        rows = self.query(
            name, "SELECT subject FROM messaging_message WHERE direction='in' ORDER BY created_at"
        )
        return [r[0] for r in rows]
