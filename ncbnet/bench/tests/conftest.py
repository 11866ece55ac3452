import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def bench_line() -> Callable[..., dict[str, Any]]:
    """`ncbnet bench ARGS…` in a process of its own on SQLite (no node settings, no DATABASE_URL):
    its last line, the figures, as JSON; a failure shows the end of its standard error."""

    def run(*argv: str) -> dict[str, Any]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
        result = subprocess.run(
            [sys.executable, "-m", "ncbnet.cli", "bench", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    return run
