"""`ncbnet serve` loads the name data in gunicorn's master, before it forks its workers, so the
workers share it and a worker's first search does not load it (seconds, hundreds of MB, and a
worker timed out under load while it did). With NCBNET_WEB_PRELOAD=0 the master does not."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded  # a server of its own, on SQLite


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """`ncbnet serve` as a subprocess, its output collected line by line as it comes."""

    def __init__(self, data: Path, preload: str):
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("NCBNET_", "DATABASE_URL", "DJANGO_"))
        }
        env |= {
            "NCBNET_MODE": "demo",
            "NCBNET_ROLE": "ncb",
            "NCBNET_COUNTRY": "FR",
            "NCBNET_DATA_DIR": str(data),
            "NCBNET_ALLOWED_HOSTS": "127.0.0.1",
            "NCBNET_WEB_PRELOAD": preload,
        }
        cli = [sys.executable, "-m", "ncbnet.cli"]
        subprocess.run([*cli, "init"], env=env, check=True, capture_output=True)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [*cli, "serve", "--port", str(self.port), "--workers", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login/", timeout=5) as r:
                return r.status == 200
        except OSError:
            assert self.proc.poll() is None, self.lines
            return False

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [int(c) for c in children]

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


@pytest.fixture
def served(tmp_path: Path, request: pytest.FixtureRequest) -> Served:
    s = Served(tmp_path, request.param)
    request.addfinalizer(s.stop)
    wait_for(s.answers, 90, "the node's sign-in page")
    return s


@pytest.mark.parametrize("served", ["1"], indirect=True)
def test_the_master_loads_the_name_data_once_before_forking_its_workers(served):
    [line] = [line for line in served.lines if "name data loaded" in line]
    assert f"by the master (pid {served.proc.pid})" in line
    workers = wait_for(lambda: len(served.workers()) == 2 and served.workers(), 30, "two workers")
    assert served.proc.pid not in workers


@pytest.mark.parametrize("served", ["0"], indirect=True)
def test_without_preload_the_master_loads_no_name_data(served):
    assert not [line for line in served.lines if "name data loaded" in line]
