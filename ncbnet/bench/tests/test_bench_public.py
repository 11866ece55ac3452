"""`ncbnet bench public` runs end to end on a small hub of its own, served by `ncbnet serve`: one
JSON line with list and detail figures, so the figure can be measured again."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.embedded  # a process of its own, on SQLite


def test_the_public_bench_prints_list_and_detail_figures(bench_line):
    figures = bench_line("public", "--notices", "60", "--requests", "40")
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
