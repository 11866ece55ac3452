"""Network figures arriving on a node (hostile first): only the hub publishes them, and only what the
small-count rule lets out is kept: a raw small count, an unrounded count, an unknown figure or
column, a label too long, a mean or a share out of range, a country that is not a member, a period
that is not one, too many rows, a publication already kept: each is quarantined with its audit
entry, and nothing is kept."""

import copy
from typing import Any

import pytest

from ncbnet.analytics import figures, schemas
from ncbnet.analytics.models import Publication
from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import Quarantine

pytestmark = pytest.mark.django_db

_seq = iter(range(1, 100_000))


def body(**over: Any) -> dict[str, Any]:
    return {
        "id": envelope.new_id(),
        "kind": "figures",
        "start": "2026-01-01",
        "end": "2026-06-30",
        "published_by": "gs-analyst",
        "published_at": clock.now().isoformat(),
        "figures": [
            {
                "key": "flows",
                "columns": ["from", "to", "hits"],
                "rows": [["DE", "FR", "< 5"], ["DE", "PL", 10], ["IT", "FR", 0]],
                "query": "Hits on stolen vehicles …\nSELECT …",
                "coverage": ["DE", "FR", "IT", "PL"],
            },
            {
                "key": "answers",
                "columns": figures.COLUMNS["answers"],
                "rows": [["urgent", 25, 20, 5, 0, 7.5, 5, 80], ["standard", "< 5", "< 5", 0, 0, "", 0, ""]],
                "query": "Hits answered …",
                "coverage": ["DE", "GS"],
            },
        ],
        **over,
    }


def accept(peers, payload, sender="hub", signer=None):
    raw = arriving(peers, "analytics.publication", payload, sender=sender, signer=signer)
    return delivery.accept(raw, stream_seq=next(_seq))


def quarantined_with_audit(reason_part: str = "") -> None:
    assert not Publication.objects.exists()
    q = Quarantine.objects.get()
    assert reason_part in q.reason
    assert AuditEntry.objects.filter(action="network.quarantine", target_id=str(q.pk)).exists()


def changed(path: list[Any], value: Any) -> dict[str, Any]:
    b = body()
    place: Any = b
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = value
    return b


HOSTILE = {
    "a raw small count": (["figures", 0, "rows", 1, 2], 3),
    "a count not rounded to 5": (["figures", 0, "rows", 1, 2], 7),
    "a negative count": (["figures", 0, "rows", 1, 2], -5),
    "true for a count": (["figures", 0, "rows", 1, 2], True),
    "a fraction for a count": (["figures", 0, "rows", 1, 2], 10.5),
    "other text for a count": (["figures", 0, "rows", 1, 2], "4"),
    "a negative mean": (["figures", 1, "rows", 0, 5], -1.5),
    "a huge mean": (["figures", 1, "rows", 0, 5], 1e12),
    "a share above 100": (["figures", 1, "rows", 0, 7], 101),
    "a label too long": (["figures", 0, "rows", 0, 0], "D" * 65),
    "a label with a control character": (["figures", 0, "rows", 0, 0], "DE\u202e"),
    "a number for a label": (["figures", 0, "rows", 0, 0], 12),
    "a row too short": (["figures", 0, "rows", 0], ["DE", "FR"]),
    "a row too long": (["figures", 0, "rows", 0], ["DE", "FR", 5, 5]),
    "an unknown figure": (["figures", 0, "key"], "persons_by_name"),
    "columns not the figure's": (["figures", 0, "columns"], ["to", "from", "hits"]),
    "a country not a member": (["figures", 0, "coverage"], ["DE", "XX"]),
    "a country twice": (["figures", 0, "coverage"], ["DE", "DE"]),
    "an unknown field": (["figures", 0, "chart"], {"mark": "bar"}),
    "a query too long": (["figures", 0, "query"], "x" * 8001),
    "an unknown kind": (["kind"], "secret"),
    "a period backwards": (["end"], "2025-12-31"),
    "a period of eleven years": (["end"], "2036-12-31"),
    "a day that is no day": (["start"], "2026-02-30"),
    "a report that is not a calendar year": (["kind"], "report"),
    "an id that is no id": (["id"], "not-an-id"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_body_is_quarantined_with_an_audit_entry(peers, case):
    path, value = HOSTILE[case]
    assert accept(peers, changed(path, value)) == "quarantined"
    quarantined_with_audit()


def test_a_figure_given_twice_is_quarantined(peers):
    b = body()
    b["figures"].append(copy.deepcopy(b["figures"][0]))
    assert accept(peers, b) == "quarantined"
    quarantined_with_audit("given twice")


def test_too_many_rows_are_quarantined(peers):
    b = body()
    b["figures"][0]["rows"] = [["DE", "FR", 0]] * (schemas.MAX_ROWS + 1)
    assert accept(peers, b) == "quarantined"
    quarantined_with_audit()


def test_too_many_figures_are_quarantined(peers):
    b = body()
    b["figures"] = [
        dict(b["figures"][0], key=key, columns=figures.COLUMNS[key], rows=[])
        for key in figures.PUBLISHED_KEYS
    ]
    b["figures"].append(dict(b["figures"][0], key="flows", rows=[]))
    assert accept(peers, b) == "quarantined"
    quarantined_with_audit()


def test_a_bureau_cannot_publish_network_figures(peers):
    assert accept(peers, body(), sender="BR") == "quarantined"
    quarantined_with_audit("only from the hub")


def test_a_forged_hub_signature_is_quarantined(peers):
    assert accept(peers, body(), sender="hub", signer="BR") == "quarantined"
    quarantined_with_audit()


def test_a_publication_from_the_hub_is_kept_once_and_never_replaced(peers):
    b = body()
    assert accept(peers, b) == "accepted"
    kept = Publication.objects.get()
    assert str(kept.pk) == b["id"] and kept.kind == "figures" and kept.received_at is not None
    assert kept.figures == b["figures"]
    assert AuditEntry.objects.filter(action="analytics.publication_received").count() == 1
    replaced = dict(body(id=b["id"]), published_by="someone else")
    assert accept(peers, replaced) == "quarantined"
    assert Publication.objects.get().published_by == "gs-analyst"
    assert Quarantine.objects.count() == 1


def test_a_yearly_report_is_kept(peers):
    assert accept(peers, body(kind="report", start="2026-01-01", end="2026-12-31")) == "accepted"
    assert Publication.objects.get().kind == "report"
