"""`ncbnet up` (what `make run` starts): NATS, the hub and three NCB nodes answering on localhost.

A demo officer signs in to France's node with password and TOTP over real HTTP; Ctrl-C stops
everything cleanly; a second start reuses the data.
"""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

import pyotp
import pytest

from ncbnet.core.demo_credentials import DEMO_PASSWORD, DEMO_TOTP_SECRET
from ncbnet.testing.cluster import free_base_port, wait_for

pytestmark = pytest.mark.embedded


def start(data, base: int) -> tuple[subprocess.Popen, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCBNET_", "DATABASE_URL", "DJANGO_"))}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ncbnet.cli",
            "up",
            "--data",
            str(data),
            "--base-port",
            str(base),
            "--nats-port",
            str(base + 10),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in proc.stdout:
        lines.append(line.rstrip())
        if "authenticator key" in line or "ncbnet up:" in line:
            break
    for line in proc.stdout:  # the rest of the banner
        lines.append(line.rstrip())
        if not line.strip():
            break
    return proc, lines


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()
    assert proc.wait(timeout=60) == 0
    return rest


def sign_in(base_url: str, username: str) -> tuple[urllib.request.OpenerDirector, str]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, fields: dict[str, str]) -> str:
        page = opener.open(base_url + path).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        request = urllib.request.Request(base_url + path, data=body, headers={"Referer": base_url + path})
        return opener.open(request).read().decode()

    post("/login/", {"username": username, "password": DEMO_PASSWORD})
    return opener, post("/login/verify/", {"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})


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
        public = urllib.request.urlopen(f"http://127.0.0.1:{base}/public/").read().decode()
        assert "do not take requests" in public
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{base + 2}/api/v1/me")
        assert refused.value.code == 401
    finally:
        rest = stop(proc)
    assert "stopped" in rest

    # A second start reuses the data: same keys, same accounts.
    proc, lines = start(tmp_path, base)
    try:
        assert "ncbnet demo network is up" in "\n".join(lines)
        _opener, home = sign_in(f"http://127.0.0.1:{base + 3}", "ke-head")
        assert "NCB Kenya" in home
    finally:
        stop(proc)
