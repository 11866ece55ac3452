"""`ncbnet up` as `make run` starts it, a real subprocess, for the tests: start it and read its
banner, stop it with Ctrl-C, sign in to a node over HTTP with a demo login."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pyotp

from ncbnet.demo.credentials import DEMO_PASSWORD, DEMO_TOTP_SECRET


def start(data: Path, base: int) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `ncbnet up` and return once it printed its banner (or its error)."""
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
    assert proc.stdout is not None
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


def stop(proc: subprocess.Popen[str], sig: signal.Signals = signal.SIGINT) -> str:
    """Ctrl-C (or `sig`); what it printed since the banner."""
    assert proc.stdout is not None
    proc.send_signal(sig)
    rest = proc.stdout.read()
    assert proc.wait(timeout=60) == 0, rest
    return rest


def sign_in(base_url: str, username: str) -> tuple[urllib.request.OpenerDirector, str]:
    """Both steps of the sign-in with a demo login; the opener keeps the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, fields: dict[str, str]) -> str:
        page = opener.open(base_url + path).read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, page
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": found.group(1), **fields}).encode()
        headers = {"Referer": base_url + path}
        request = urllib.request.Request(base_url + path, data=body, headers=headers)  # noqa: S310 - localhost
        return str(opener.open(request).read().decode())

    post("/login/", {"username": username, "password": DEMO_PASSWORD})
    return opener, post("/login/verify/", {"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})


def pids(data: Path) -> set[int]:
    """The pids of every process `ncbnet up` runs, from the nodes' status files."""
    from ncbnet.network import processes

    found = set()
    for path in data.glob(f"*/{processes.FILENAME}"):
        reading = processes.read(path)
        assert reading.status, reading.problem
        found |= {p.pid for p in reading.status.processes if p.pid}
    return found


def running(pid: int) -> bool:
    """Whether a process runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
