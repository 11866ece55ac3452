"""`ncbnet up` (what `make run` starts): NATS, the hub and three NCB nodes answering on localhost.

A demo officer signs in to France's node with password and TOTP over real HTTP; Ctrl-C stops
everything cleanly; a second start reuses the data.
"""

import signal
import urllib.error
import urllib.request

import pytest

from ncbnet.demo.credentials import DEMO_PASSWORD, DEMO_TOTP_SECRET
from ncbnet.network import processes
from ncbnet.testing.cluster import free_base_port, wait_for
from ncbnet.testing.up import pids, running, sign_in, start, stop

pytestmark = pytest.mark.embedded


def test_demo_network_starts_serves_and_stops(tmp_path):
    base = free_base_port(11)
    proc, lines = start(tmp_path, base)
    try:
        text = "\n".join(lines)
        assert "ncbnet demo network is up" in text, text
        for port in range(base, base + 4):
            assert f"http://localhost:{port}/" in text
        assert "fr-officer (officer)" in text and "gs-reviewer (reviewer)" in text
        assert DEMO_PASSWORD in text and DEMO_TOTP_SECRET in text

        opener, home = sign_in(f"http://127.0.0.1:{base + 1}", "fr-officer")
        assert "Welcome, Claire Martin" in home and "NCB France" in home

        def notices_on_france() -> bool:
            page = opener.open(f"http://127.0.0.1:{base + 1}/notices/").read().decode()
            return page.count('class="badge notice-') >= 7

        wait_for(notices_on_france, 60, "the demo's published notices on France's node")
        # Run under `ncbnet up`: each node's status file lists its processes and the shared NATS.
        reading = processes.read(tmp_path / "fr" / processes.FILENAME)
        assert reading.status and reading.status.node == "FR"
        assert [(p.name, p.state, p.restarts) for p in reading.status.processes] == [
            ("nats", "running", 0),
            ("web", "running", 0),
            ("network", "running", 0),
            ("jobs", "running", 0),
        ]
        public = urllib.request.urlopen(f"http://127.0.0.1:{base}/public/").read().decode()
        assert "do not take requests" in public
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{base + 2}/api/v1/me")
        assert refused.value.code == 401
    finally:
        rest = stop(proc)
    assert "stopped" in rest
    assert not (tmp_path / "fr" / processes.FILENAME).exists()

    # A second start reuses the data: same keys, same accounts. SIGTERM stops it all as Ctrl-C does.
    proc, lines = start(tmp_path, base)
    try:
        assert "ncbnet demo network is up" in "\n".join(lines)
        _opener, home = sign_in(f"http://127.0.0.1:{base + 3}", "ke-head")
        assert "NCB Kenya" in home
        started = pids(tmp_path)
        assert len(started) == 13  # NATS, and each node's web server, network worker and job runner
    finally:
        rest = stop(proc, signal.SIGTERM)
    assert "stopped" in rest
    assert not [pid for pid in started if running(pid)]
