"""`ncbnet bench public` runs end to end on a small hub of its own, served by `ncbnet serve`: one
JSON line with list and detail figures, so the figure can be measured again."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.embedded  # a process of its own, on SQLite


def test_the_public_bench_prints_list_and_detail_figures():
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "bench", "public", "--notices", "60", "--requests", "40"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["bench"] == "public" and figures["notices"] == 60
    assert figures["list_rps"] > 0 and figures["detail_rps"] > 0
    assert figures["list_p95_ms"] > 0 and figures["detail_p95_ms"] > 0


def test_the_public_bench_refuses_bad_arguments():
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "bench", "public", "--notices", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "--notices" in result.stderr
