"""`ncbnet bench feed` runs end to end on a small hub of its own: every record written reaches
every node's share of the outbox, so the figure can be measured again."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.embedded  # a process of its own, on SQLite


def test_the_feed_bench_feeds_every_record_to_every_node():
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", "bench", "feed", "--documents", "450", "--nodes", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["records_fed"] == 900 and figures["envelopes"] == 6
    assert figures["records_fed_per_second"] > 0
