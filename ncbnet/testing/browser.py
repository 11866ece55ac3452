"""Debian's Chromium for the browser tests (Playwright's own browser download is not used)."""

from __future__ import annotations

import os
from pathlib import Path

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
