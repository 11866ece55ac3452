"""A node's searches reach the GS's figures through real processes (nats-server; the hub, FR, BR
and KE, each with its server and network worker): FR's counted searches, sent by its job, are the
hub's figures for FR, and no other country's."""

import pytest

from ncbnet.testing.cluster import wait_for

pytestmark = pytest.mark.embedded

COUNT_AND_SEND = """
from datetime import timedelta
from django.db import transaction
from ncbnet.analytics import reported
from ncbnet.base import clock, tally
now, S = clock.now(), "screening.searched"
with transaction.atomic():
    tally.count(S, now, country="FR", database="persons", kind="name", outcome="hit", n=3)
    tally.count(S, now, country="FR", database="vehicles", kind="manifest", outcome="miss", n=40)
    tally.count(S, now - timedelta(days=2), country="FR", database="documents", kind="mrz", outcome="miss")
print(reported.send())
"""


def test_a_nodes_searches_reach_the_hub(cluster):
    assert cluster.python("FR", COUNT_AND_SEND).strip() == "3"

    def at_hub():
        rows = cluster.query(
            "hub",
            "SELECT node, database, kind, outcome, n FROM analytics_reportedfigure ORDER BY node, database",
        )
        return rows if len(rows) == 3 else None

    assert wait_for(at_hub, 90, "FR's figures at the hub") == [
        ("FR", "documents", "mrz", "miss", 1),
        ("FR", "persons", "name", "hit", 3),
        ("FR", "vehicles", "manifest", "miss", 40),
    ]
    # Every node's job reports its week when its worker starts: BR and KE had no search.
    wait_for(
        lambda: (
            {r[0] for r in cluster.query("hub", "SELECT DISTINCT node FROM analytics_reportedday")}
            == {"FR", "BR", "KE"}
        ),
        90,
        "every node's days at the hub",
    )
    assert cluster.count("hub", "analytics_reportedday", "node = 'FR'") == 7
    assert cluster.count("hub", "network_quarantine", "claimed_type = 'analytics.searches'") == 0
    # Sent again: the same figures, nothing doubled.
    arrived = "kind = 'analytics.searches' AND sender = 'FR'"
    before = cluster.count("hub", "network_inboxenvelope", arrived)
    assert (
        cluster.python("FR", "from ncbnet.analytics import reported; print(reported.send())").strip() == "3"
    )
    wait_for(
        lambda: cluster.count("hub", "network_inboxenvelope", arrived) > before,
        90,
        "FR's second report at the hub",
    )
    assert cluster.query("hub", "SELECT sum(n) FROM analytics_reportedfigure WHERE node = 'FR'") == [(44,)]
