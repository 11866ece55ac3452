"""A node sends the hub its own search figures of the last 7 days, every hour: counts only, of its
own country, in whole days, bounded per envelope."""

import json
from datetime import UTC, date, timedelta

import pytest
from django.db import transaction

from ncbnet.analytics import reported
from ncbnet.base import clock, tally
from ncbnet.network import envelope, handlers
from ncbnet.network.models import OutboxEnvelope

pytestmark = pytest.mark.django_db


def today():
    return clock.now().astimezone(UTC).date()


def searched(at, n=1, country="FR", **values):
    with transaction.atomic():
        tally.count(reported.SEARCHED, at, country=country, n=n, **values)


def sent_bodies(peers):
    """What the node put in its outbox for the hub, opened with the hub's key."""
    bodies = []
    for out in OutboxEnvelope.objects.filter(kind=reported.KIND).order_by("pk"):
        assert out.recipients == ["hub"]
        e = envelope.decode(bytes(out.payload))
        assert "body" not in e, "search figures travel sealed"
        bodies.append(envelope.open_body(e, "hub", peers["hub"]))
    return bodies


def test_the_job_is_registered_hourly():
    assert ("analytics.searches", 3600) in [(name, s) for name, s, _fn in handlers.periodic()]


def test_a_node_sends_its_own_figures_of_the_last_seven_days(peers):
    now = clock.now()
    searched(now, n=3, database="persons", kind="name", outcome="hit")
    searched(now, n=2, database="persons", kind="name", outcome="hit")
    searched(now - timedelta(days=6), n=4, database="vehicles", kind="manifest", outcome="miss")
    searched(now - timedelta(days=7), n=50, database="vehicles", kind="manifest", outcome="miss")  # too old
    searched(now, n=9, country="GS", database="persons", kind="name", outcome="miss")  # not this node's
    searched(now, n=8, database="persons", kind="name", outcome="miss", restricted=True)  # never counted so

    assert reported.send() == 2
    [body] = sent_bodies(peers)
    days = [(today() - timedelta(days=back)).isoformat() for back in range(6, -1, -1)]
    assert body == {
        "days": days,
        "figures": [
            {"day": days[0], "database": "vehicles", "kind": "manifest", "outcome": "miss", "n": 4},
            {"day": days[-1], "database": "persons", "kind": "name", "outcome": "hit", "n": 5},
        ],
    }
    assert reported.SearchesBody.model_validate(body)  # what the hub's schema takes


def test_only_counts_leave_the_node(peers):
    """Whatever the figures table holds beside them, the envelope carries days, the contract's
    values and numbers: nothing else to leak."""
    searched(clock.now(), n=1, database="documents", kind="mrz", outcome="hit", owner="KE", iccs="0502")
    reported.send()
    [body] = sent_bodies(peers)
    assert set(body) == {"days", "figures"}
    assert all(set(f) == {"day", "database", "kind", "outcome", "n"} for f in body["figures"])
    assert "KE" not in json.dumps(body) and "0502" not in json.dumps(body)


def test_figures_outside_the_contract_stay_on_the_node(peers, caplog):
    searched(clock.now(), n=1, database="passports", kind="name", outcome="hit")
    searched(clock.now(), n=1, database="persons", kind="name", outcome="hit")
    assert reported.send() == 1
    [body] = sent_bodies(peers)
    assert [f["database"] for f in body["figures"]] == ["persons"]
    assert "1 search figures are outside the event contract" in caplog.text


def test_a_week_without_searches_says_so(peers):
    """Seven days named, none with a figure: the hub learns the node had no search."""
    assert reported.send() == 0
    [body] = sent_bodies(peers)
    assert len(body["days"]) == 7 and body["figures"] == []


def test_the_hub_sends_nothing(peers, hub):
    searched(clock.now(), country="GS", database="persons", kind="name", outcome="hit")
    assert reported.send() is None
    assert not OutboxEnvelope.objects.exists()


def test_a_node_not_yet_on_the_network_waits(db):
    searched(clock.now(), database="persons", kind="name", outcome="hit")
    assert reported.send() is None
    assert not OutboxEnvelope.objects.exists()


def test_a_report_too_big_for_one_envelope_is_split_by_whole_days():
    days = [date(2026, 5, d) for d in range(1, 8)]
    figures = [
        {"day": d, "database": db, "kind": "name", "outcome": "miss", "n": 1}
        for d in days
        for db in reported.DATABASES[: d.day % 4 + 1]
    ]
    bodies = reported.envelopes(days, figures, limit=5)
    assert all(len(b["figures"]) <= 5 for b in bodies)
    assert [d for b in bodies for d in b["days"]] == [d.isoformat() for d in days]
    for b in bodies:
        assert {f["day"] for f in b["figures"]} <= set(b["days"])
    assert sum(len(b["figures"]) for b in bodies) == len(figures)
    with pytest.raises(ValueError, match="more than one envelope carries"):
        reported.envelopes(days, figures, limit=3)
