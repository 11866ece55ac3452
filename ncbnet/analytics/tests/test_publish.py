"""The GS publishes network figures: frozen as published (no restricted row, no small count), kept
at the hub, audited, sent to every node; a node keeps the very figures the hub sent. Only a GS
analyst publishes, and a yearly report covers one calendar year."""

import json
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings

from ncbnet.analytics import figures, services
from ncbnet.analytics.models import Publication
from ncbnet.base import tally
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving
from ncbnet.network import delivery
from ncbnet.network.models import NodeKey, OutboxEnvelope

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 10, 12, tzinfo=UTC)


@pytest.fixture
def hits():
    tally.count("hit.reported", AT, country="FR", owner="DE", database="vehicles", n=3)
    tally.count("hit.reported", AT, country="PL", owner="DE", database="vehicles", n=12)
    tally.count("hit.reported", AT, country="PL", owner="DE", database="vehicles", n=40, restricted=True)


def test_the_gs_publishes_the_suppressed_figures_to_every_node(hub, peers, user_factory, hits):
    analyst = user_factory("gs", "analyst")
    p = services.publish(analyst, "figures", date(2026, 1, 1), date(2026, 6, 30))
    kept = Publication.objects.get()
    assert kept.pk == p.pk and kept.published_by == analyst.username and kept.received_at is None
    flows = next(f for f in kept.figures if f["key"] == "flows")
    assert flows["rows"] == [["DE", "FR", "< 5"], ["DE", "PL", 10]]
    assert [f["key"] for f in kept.figures] == list(figures.PUBLISHED_KEYS)
    assert AuditEntry.objects.filter(action="analytics.publish", target_id=str(p.pk)).count() == 1
    nodes = sorted(n for n in NodeKey.objects.values_list("node", flat=True) if n != "hub")
    sent = OutboxEnvelope.objects.get(kind=services.PUBLICATION)
    assert sorted(sent.recipients) == nodes


def test_a_node_keeps_the_figures_the_hub_sent(peers, user_factory, hits, settings):
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    p = services.publish(user_factory("gs", "analyst"), "report", date(2026, 1, 1), date(2026, 12, 31))
    sent = json.loads(json.dumps(services._body(p)))
    Publication.objects.all().delete()
    with override_settings(NCBNET_ROLE="ncb", NCBNET_COUNTRY="FR"):
        raw = arriving(peers, services.PUBLICATION, sent, sender="hub")
        assert delivery.accept(raw, stream_seq=1) == "accepted"
    kept = Publication.objects.get()
    assert kept.kind == "report" and kept.figures == sent["figures"] and kept.received_at is not None
    shown = services.published_figures(kept)
    assert [f.key for f in shown] == list(figures.PUBLISHED_KEYS)
    assert figures.one(shown, "flows").chart is not None


@pytest.mark.parametrize(("kind", "role"), [("gs", "reviewer"), ("ncb", "head"), ("ncb", "officer")])
def test_only_a_gs_analyst_publishes(user_factory, settings, kind, role):
    if kind == "gs":  # each account where it may exist: the GS's at the hub, a bureau's on its node
        settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    user = user_factory(kind, role)
    settings.NCBNET_ROLE, settings.NCBNET_COUNTRY = "hub", None
    with pytest.raises(PermissionDenied):
        services.publish(user, "figures", date(2026, 1, 1), date(2026, 6, 30))
    assert not Publication.objects.exists()


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("report", date(2026, 1, 1), date(2026, 6, 30)),
        ("figures", date(2026, 6, 30), date(2026, 1, 1)),
        ("yearly", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_a_period_that_is_not_one_is_refused(hub, user_factory, kind, start, end):
    with pytest.raises(ValueError):
        services.publish(user_factory("gs", "analyst"), kind, start, end)
    assert not Publication.objects.exists()
