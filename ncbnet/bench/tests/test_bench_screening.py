"""`ncbnet bench screening` runs end to end on a small hub of its own: every part of it (name
searches, document lookups through the API, the batch API, a manifest) answers, so the figures
the README reports can be measured again."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.embedded  # a process of its own, on SQLite


def test_the_screening_bench_measures_every_part_on_a_small_hub(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCBNET_") and k != "DATABASE_URL"}
    hub = str(tmp_path / "hub")
    command = ["bench", "screening", "--persons", "300", "--documents", "300", "--data", hub]
    result = subprocess.run(
        [sys.executable, "-m", "ncbnet.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["name_search_found_share"] > 0.5
    assert figures["document_hit_share"] > 0  # the API answered the bench's account, with hits
    assert figures["document_lookups_per_s_batched"] > 0
    assert figures["manifest_rows_with_hits"] > 0
