"""With NCBNET_CACHE_URL naming a Redis server, the public API's rate limit holds across the web
server's processes: `ncbnet serve` with two workers, and one client on new connections (which
land on either worker), gets exactly the minute's allowance, not one allowance per worker."""

import http.client
import os
import socket
import subprocess
import sys
import time

import pytest
import redis

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

CACHE = "redis://127.0.0.1:6379/15"
LIMIT = 20


def status(port: int, path: str) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers={"Connection": "close"})
        return c.getresponse().status
    finally:
        c.close()


def answers(port: int) -> bool:
    try:
        return status(port, "/public/") == 200
    except OSError:
        return False


def test_the_limit_holds_across_the_servers_processes(tmp_path):
    redis.Redis.from_url(CACHE).flushdb()  # the bench's own Redis database
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
    env |= {
        "NCBNET_MODE": "demo",
        "NCBNET_ROLE": "hub",
        "NCBNET_DATA_DIR": str(tmp_path),
        "NCBNET_CACHE_URL": CACHE,
        "NCBNET_PUBLIC_API_PER_MINUTE": str(LIMIT),
        "NCBNET_WEB_PRELOAD": "0",
    }
    subprocess.run([sys.executable, "-m", "ncbnet.cli", "init"], env=env, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ncbnet.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: answers(port), 60, "ncbnet serve")
        for _ in range(2):  # again if a minute ended in the middle (the count starts again)
            minute = int(time.time() // 60)
            statuses = [status(port, "/notices/v1/red") for _ in range(3 * LIMIT)]
            if int(time.time() // 60) == minute:
                break
        assert statuses.count(200) == LIMIT and statuses.count(429) == 2 * LIMIT
        assert statuses[:LIMIT] == [200] * LIMIT
    finally:
        server.terminate()
        server.wait(timeout=30)
