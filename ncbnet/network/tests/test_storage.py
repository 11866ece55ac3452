"""The network worker checkpoints a node's SQLite write-ahead log, so that requests do not."""

import pytest
from django.db import connection

from ncbnet.network import handlers, storage


@pytest.mark.django_db(transaction=True)
def test_the_worker_checkpoints_sqlite_and_leaves_postgresql_alone():
    assert ("storage.checkpoint", 5, storage.checkpoint) in handlers.periodic()
    answer = storage.checkpoint()
    if connection.vendor == "sqlite":
        busy, logged, copied = answer
        assert busy in (0, 1) and copied <= logged
    else:
        assert answer is None
