"""The supervisor of `ncbnet up`, on real processes: a process that dies is started again after a
pause that doubles with each exit in a row, the others keep running, one that keeps crashing is
reported with its log's last line, and what a dead process left in its group is ended.

The supervisor's clock is moved by the tests instead of waiting out its pauses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ncbnet.embedded import STABLE, DemoNetwork, Node, Supervised, Supervisor
from ncbnet.network import processes
from ncbnet.testing.cluster import wait_for
from ncbnet.testing.up import running

FR = Node("FR", 0)
SLEEPER = [sys.executable, "-c", "import time; time.sleep(300)"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def starter(argv: list[str], log: Path, cwd: Path | None = None) -> Callable[[], subprocess.Popen[bytes]]:
    def start() -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
            )

    return start


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[list[Supervised]]:
    """The processes a test supervises, all killed at its end."""
    procs: list[Supervised] = []
    yield procs
    for p in procs:
        if p.proc is not None and p.proc.poll() is None:
            os.killpg(p.proc.pid, signal.SIGKILL)
            p.proc.wait()


def exited(sup: Supervisor, p: Supervised) -> bool:
    sup.tick()
    return p.proc is None


def test_a_killed_process_starts_again_after_a_second_and_the_others_keep_running(tmp_path, supervised):
    clock, lines = Clock(), []
    worker = Supervised("network", FR, starter(SLEEPER, tmp_path / "w.log"), tmp_path / "w.log")
    web = Supervised("web", FR, starter(SLEEPER, tmp_path / "web.log"), tmp_path / "web.log")
    supervised += [worker, web]
    sup = Supervisor(supervised, lines.append, clock=clock)
    sup.launch(worker)
    sup.launch(web)
    assert worker.proc and web.proc
    killed, web_pid = worker.proc.pid, web.proc.pid

    worker.proc.send_signal(signal.SIGKILL)
    wait_for(lambda: exited(sup, worker), 10, "the supervisor to see the worker's exit")
    log = tmp_path / "w.log"
    assert lines == [
        f"FR network worker (pid {killed}) was killed by SIGKILL after 0 s; restarting it in 1 s (log {log})"
    ]
    entry = worker.entry()
    assert (entry.state, entry.pid, entry.last_exit_code, entry.exit_signal) == (
        "waiting",
        None,
        -9,
        "SIGKILL",
    )
    assert entry.next_start_at and entry.last_exit_at and entry.next_start_at > entry.last_exit_at

    clock.now += 0.9
    sup.tick()
    assert worker.proc is None  # the pause is not over
    clock.now += 0.1
    sup.tick()
    assert worker.proc is not None and worker.proc.pid != killed and worker.proc.poll() is None
    assert worker.entry().state == "running" and worker.restarts == 1
    assert web.proc.pid == web_pid and web.proc.poll() is None and web.restarts == 0
    text = log.read_text()
    assert "was killed by SIGKILL" in text and "FR network worker starting again (restart 1)" in text


def test_a_process_that_keeps_crashing_waits_longer_each_time_and_is_reported(tmp_path, supervised):
    clock, lines = Clock(), []
    log = tmp_path / "web.log"
    crashing = [sys.executable, "-c", "print('port 8001 is in use', flush=True); raise SystemExit(3)"]
    web = Supervised("web", FR, starter(crashing, log), log)
    nats = Supervised("nats", None, starter(SLEEPER, tmp_path / "nats.log"), tmp_path / "nats.log")
    supervised += [web, nats]
    sup = Supervisor(supervised, lines.append, clock=clock)
    sup.launch(web)
    sup.launch(nats)
    assert nats.proc
    pauses = []
    for _ in range(8):
        wait_for(lambda: exited(sup, web), 10, "the web server's exit")
        assert web.next_start is not None
        pauses.append(web.next_start - clock.now)
        clock.now = web.next_start
        sup.tick()
    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60]
    assert web.restarts == 8 and web.failing == 8 and web.entry().crashing
    assert "exited with code 3" in lines[0] and "keeps crashing" not in lines[1]
    assert lines[2].startswith("FR web server keeps crashing: FR web server (pid ")
    assert "its exit 3 in a row within 60 s of its start" in lines[2]
    assert lines[2].endswith("last line: port 8001 is in use")
    assert nats.proc.poll() is None and nats.restarts == 0  # the others go on


def test_a_process_crashing_for_days_is_still_tried_every_minute(tmp_path, supervised):
    clock, lines = Clock(), []
    log = tmp_path / "jobs.log"
    jobs = Supervised("jobs", FR, starter([sys.executable, "-c", "raise SystemExit(1)"], log), log)
    supervised.append(jobs)
    sup = Supervisor(supervised, lines.append, clock=clock)
    sup.launch(jobs)
    jobs.failing = 5000  # as after three and a half days of exits in a row
    wait_for(lambda: exited(sup, jobs), 10, "the job runner's exit")
    assert jobs.next_start == clock.now + 60 and jobs.failing == 5001
    assert "its exit 5001 in a row" in lines[0] and "next try in 60 s" in lines[0]


def test_a_process_that_stayed_up_a_while_starts_again_after_one_second(tmp_path, supervised):
    clock, lines = Clock(), []
    jobs = Supervised("jobs", FR, starter(SLEEPER, tmp_path / "j.log"), tmp_path / "j.log")
    supervised.append(jobs)
    sup = Supervisor(supervised, lines.append, clock=clock)
    sup.launch(jobs)
    for pause in (1, 2):
        assert jobs.proc
        jobs.proc.kill()
        wait_for(lambda: exited(sup, jobs), 10, "the job runner's exit")
        assert jobs.next_start == clock.now + pause
        clock.now += pause
        sup.tick()
    assert jobs.failing == 2
    clock.now += STABLE
    sup.tick()
    assert jobs.failing == 0 and not jobs.entry().crashing
    assert jobs.proc
    jobs.proc.kill()
    wait_for(lambda: exited(sup, jobs), 10, "the job runner's exit")
    assert jobs.next_start == clock.now + 1


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_what_a_dead_process_left_in_its_group_is_ended_before_it_starts_again(tmp_path, supervised):
    # As gunicorn's workers outlive a killed master and keep its port: the next start could not bind.
    clock = Clock()
    argv = ["sh", "-c", "sleep 300 & echo $! > child.pid; wait"]
    web = Supervised("web", FR, starter(argv, tmp_path / "web.log", cwd=tmp_path), tmp_path / "web.log")
    supervised.append(web)
    sup = Supervisor(supervised, lambda _: None, clock=clock)
    sup.launch(web)
    pid_file = tmp_path / "child.pid"
    child = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), 10, "the child's pid"))
    assert running(child)
    assert web.proc
    web.proc.kill()
    wait_for(lambda: exited(sup, web), 10, "the leader's exit")
    wait_for(lambda: not running(child), 10, "the orphan's end")


def test_each_node_s_status_file_holds_its_processes_and_the_network_s_nats(tmp_path):
    net = DemoNetwork(tmp_path, 40000, 40010)
    clock = Clock()
    net.supervised = [Supervised("nats", None, starter(SLEEPER, tmp_path / "n.log"), tmp_path / "n.log")]
    for node in net.nodes:
        (tmp_path / node.name.lower()).mkdir()
        net.supervised.append(
            Supervised("network", node, starter([], tmp_path / "x.log"), tmp_path / "x.log")
        )
    sup = Supervisor(net.supervised, lambda _: None, clock=clock)
    try:
        nats = sup.launch(net.supervised[0])
        net.supervised[2].restarts, net.supervised[2].last_exit_code = 2, -9
        net.write_status()
        for node in net.nodes:
            reading = processes.read(tmp_path / node.name.lower() / processes.FILENAME)
            assert reading.status and not reading.problem
            assert reading.status.node == node.name and reading.status.supervisor_pid == os.getpid()
            assert [(p.name, p.state, p.pid) for p in reading.status.processes] == [
                ("nats", "running", nats.pid),
                ("network", "waiting", None),
            ]
        fr = processes.read(tmp_path / "fr" / processes.FILENAME).status
        assert fr and fr.restarts == 2 and fr.processes[1].exit_signal == "SIGKILL"
    finally:
        nats.kill()
        nats.wait()
    net.shutdown()
    assert not list(tmp_path.glob("*/processes.json"))  # nothing runs under `ncbnet up` any more
