"""`ncbnet up` heals: France's network worker and then its web server are killed (SIGKILL) while
France sends messages to Brazil through the API; both come back by themselves, the others went
on serving, the sends refused while the web server was down are retried until accepted, and every
message the API accepted arrives at Brazil exactly once. France's network page shows the restarts.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sqlite3
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ncbnet.embedded import DemoNetwork
from ncbnet.network import processes
from ncbnet.network.processes import ProcessEntry
from ncbnet.testing.cluster import free_base_port, wait_for
from ncbnet.testing.up import pids, running, sign_in, start, stop

pytestmark = pytest.mark.embedded

PREFIX = "heal check"


def query(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as con:
        return list(con.execute(sql, params).fetchall())


class Sender(threading.Thread):
    """France's border system sending messages to Brazil one after another through the API, each
    retried until the API accepted it. A send that failed without an answer (the server killed
    during the request) may have been committed all the same: France's database says whether it
    was, so a message is never sent twice."""

    def __init__(self, url: str, token: str, db: Path):
        super().__init__(daemon=True)
        self.url, self.token, self.db = url, token, db
        self.accepted: list[str] = []
        self.failures: list[str] = []
        self.error: BaseException | None = None
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            number = 0
            while not self.halt.is_set():
                number += 1
                subject = f"{PREFIX} {number:04d}"
                wait_for(lambda s=subject: self.attempt(s), 90, f"France's API to accept {subject!r}")
                self.accepted.append(subject)
                self.halt.wait(0.1)  # pacing: a few messages a second, not synchronisation
        except BaseException as exc:
            self.error = exc

    def attempt(self, subject: str) -> bool:
        payload = {"to": ["BR"], "subject": subject, "body": f"body of {subject}"}
        request = urllib.request.Request(
            f"{self.url}/api/v1/messages",
            data=json.dumps(payload).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return bool(response.status == 201)
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                raise AssertionError(f"{subject}: {exc.code} {exc.read().decode()}") from exc
            self.failures.append(f"{exc.code}")
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException) as exc:
            self.failures.append(type(getattr(exc, "reason", exc)).__name__)
        return self.committed(subject)

    def committed(self, subject: str) -> bool:
        sql = "SELECT count(*) FROM messaging_message WHERE direction='out' AND subject=?"
        return bool(query(self.db, sql, (subject,))[0][0])

    def sent(self, more_than: int) -> bool:
        if self.error is not None:
            raise AssertionError(f"the sender failed: {self.error}") from self.error
        return len(self.accepted) > more_than


def entry(data: Path, name: str) -> ProcessEntry:
    reading = processes.read(data / "fr" / processes.FILENAME)
    assert reading.status, reading.problem
    return next(p for p in reading.status.processes if p.name == name)


def received(db: Path, subject: str) -> bool:
    sql = "SELECT count(*) FROM messaging_message WHERE direction='in' AND subject=?"
    return bool(query(db, sql, (subject,))[0][0])


def killed_and_back(data: Path, name: str, sender: Sender) -> int:
    """Kill France's process `name` while messages are being sent; wait until it runs again and
    a message accepted after that has reached Brazil (through France's restarted worker, when it
    is the worker); return the killed pid."""
    before = entry(data, name)
    assert before.state == "running" and before.pid and before.restarts == 0
    sent = len(sender.accepted)
    wait_for(lambda: sender.sent(sent), 60, "a message accepted just before the kill")
    os.kill(before.pid, signal.SIGKILL)

    def back() -> bool:
        now = entry(data, name)
        return now.state == "running" and now.restarts == 1 and now.pid != before.pid

    wait_for(back, 30, f"France's {name} process started again")
    after = len(sender.accepted)
    wait_for(lambda: sender.sent(after + 2), 90, "messages accepted after the restart")
    last = sender.accepted[-1]
    wait_for(lambda: received(data / "br" / "db.sqlite3", last), 90, f"{last!r} at Brazil")
    return before.pid


def test_killed_node_processes_come_back_and_every_accepted_message_arrives_once(tmp_path):
    base = free_base_port(11)
    proc, lines = start(tmp_path, base)
    net = DemoNetwork(tmp_path, base, base + 10)  # its helpers only: the nodes' environment
    fr = net.nodes[1]
    fr_db, br_db = tmp_path / "fr" / "db.sqlite3", tmp_path / "br" / "db.sqlite3"
    sender = None
    try:
        assert "ncbnet demo network is up" in "\n".join(lines), lines
        token = net.ncbnet(
            fr,
            "token",
            "create",
            "--user",
            "fr-border-system",
            "--name",
            "heal",
            "--scope",
            "send_messages",
            "--scope",
            "read_messages",
        ).strip()

        def directories() -> bool:
            return all(query(db, "SELECT count(*) FROM network_nodekey")[0][0] == 4 for db in (fr_db, br_db))

        wait_for(directories, 60, "the key directory on France's and Brazil's nodes")
        sender = Sender(f"http://127.0.0.1:{fr.port}", token, fr_db)
        sender.start()

        worker = killed_and_back(tmp_path, "network", sender)
        refused_before = len(sender.failures)
        web = killed_and_back(tmp_path, "web", sender)
        sender.halt.set()
        sender.join(timeout=120)
        assert not sender.is_alive() and sender.error is None, sender.error
        assert len(sender.failures) > refused_before, "no send failed while the web server was down"

        accepted = sender.accepted
        assert len(set(accepted)) == len(accepted) > 10

        def arrived() -> dict[str, int] | None:
            rows = query(
                br_db,
                "SELECT subject, count(*) FROM messaging_message WHERE direction='in' AND subject LIKE ? "
                "GROUP BY subject",
                (f"{PREFIX} %",),
            )
            counts = {str(s): int(n) for s, n in rows}
            return counts if set(accepted) <= set(counts) else None

        counts = wait_for(arrived, 90, "every accepted message at Brazil")
        assert counts == dict.fromkeys(accepted, 1)
        assert [p.restarts for p in (entry(tmp_path, "jobs"), entry(tmp_path, "nats"))] == [0, 0]

        opener, _home = sign_in(f"http://127.0.0.1:{fr.port}", "fr-head")
        page = opener.open(f"http://127.0.0.1:{fr.port}/network/").read().decode()
        for name, label in (("network", "Network worker"), ("web", "Web server")):
            row = page.split(f'data-process="{name}"')[1].split("</tr>")[0]
            assert label in row and "Running" in row and "<td>1</td>" in row and "killed (SIGKILL)" in row
            assert f">{entry(tmp_path, name).pid}<" in row
        started = pids(tmp_path)
        assert len(started) == 13
    finally:
        if sender is not None:
            sender.halt.set()
        # The terminal `make run` runs in is closed: SIGHUP stops everything as Ctrl-C does.
        rest = stop(proc, signal.SIGHUP)
    assert not [pid for pid in started if running(pid)]
    assert f"ncbnet up: FR network worker (pid {worker}) was killed by SIGKILL" in rest, rest
    assert f"ncbnet up: FR web server (pid {web}) was killed by SIGKILL" in rest, rest
    up_log = (tmp_path / "logs" / "up.log").read_text()
    assert f"FR network worker (pid {worker}) was killed by SIGKILL" in up_log
    assert (
        "FR network worker starting again (restart 1)" in (tmp_path / "logs" / "fr-network.log").read_text()
    )
    assert "ncbnet demo network stopped." in rest
    assert not (tmp_path / "fr" / processes.FILENAME).exists()
