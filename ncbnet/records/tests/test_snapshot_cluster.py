"""A snapshot by the stream through real processes (`ncbnet bench snapshot` at small scale): a
real hub and a real FR node, each with its network worker, and nats-server. FR's worker is killed
(SIGKILL) while it stores the snapshot and started again: it carries on from its cursor, the hub
sends again at most what was in flight when the node died (its window of chunks), never from the
start, and `replica verify` then finds nothing to fix."""

import pytest

from ncbnet.bench import snapshot
from ncbnet.records.snapshot import WINDOW

pytestmark = pytest.mark.embedded

PERSONS, DOCUMENTS, CHUNK = 300, 3000, 200


def test_a_node_killed_midway_resumes_its_snapshot_from_its_cursor(tmp_path):
    result = snapshot.run(PERSONS, DOCUMENTS, tmp_path, kill_at=0.4, chunk_rows=CHUNK, timeout=900)
    assert result["rows"] == result["held"] == PERSONS + DOCUMENTS
    assert 0 < result["killed_at_rows"] < result["rows"]  # killed with the snapshot half stored
    # A resume from the cursor sends again what was in flight (the window), never from the start.
    assert result["rows_resent"] <= WINDOW * CHUNK
    assert result["rows_resent"] < result["killed_at_rows"]
    assert result["verify_ok"] and result["verify_differences"] == 0
    assert result["screening_cards"] == PERSONS  # every person indexed for screening
    # The stream's own time (first chunk stored to the last) is within the whole run's.
    assert result["first_chunk_s"] >= 0 and 0 < result["stream_s"] <= result["seconds"]
    assert result["indexes_s"] is not None  # a first load: its indexes deferred, then built
