"""Debian's Chromium for the browser tests (Playwright's own browser download is not used)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip where Chromium is missing, but fail under CI=true: there the browser tests must run."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"CI=true but {CHROMIUM} is missing: the browser tests must run in CI "
            "(install it with: apt-get install chromium)",
            pytrace=False,
        )
    pytest.skip("browser tests need Debian's chromium: apt-get install chromium")


def sign_in(page: Any, base: str, username: str) -> None:
    """Sign in to a demo node with the demo password and the demo authenticator's current code."""
    import re

    import pyotp

    from ncbnet.demo.credentials import DEMO_PASSWORD, DEMO_TOTP_SECRET

    page.goto(base + "/login/")  # (a hub's "/" is its public page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator").fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=re.compile("Welcome")).wait_for()
