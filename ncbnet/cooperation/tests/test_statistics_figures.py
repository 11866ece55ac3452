"""Art. 18 statistics that match the requests made in the test: requests sent from this node (FR)
through the services, requests received from BR and KE as their envelopes arrive, each answered,
refused, paused or left open on a controlled clock; then the figures as JSON, CSV and a page."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, timedelta
from typing import Any

import pytest

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving, sign_in
from ncbnet.cooperation.models import Request
from ncbnet.cooperation.services import requests as services
from ncbnet.cooperation.services import statistics
from ncbnet.network import delivery
from ncbnet.network.envelope import new_id
from ncbnet.security import services as security

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)


def deliver(raw: bytes) -> None:
    assert delivery.accept_batch([(raw, next(_seq))]) == ["accepted"]


def incoming(
    peers: dict[str, Any], sender: str, title: str, *, urgent: bool = False, direct: bool = True
) -> str:
    """A request from `sender` arriving here; its id."""
    request_id = new_id()
    body = {
        "request_id": request_id,
        "requester": sender,
        "requested": "FR",
        "sender_name": f"{sender} duty officer",
        "kind": "information",
        "title": title,
        "details": "Who holds this passport?",
        "subjects": [{"type": "person", "name": "Ana Lima"}],
        "legal_basis": "Directive 2023/977",
        "purpose": "Fraud investigation",
        "urgent": urgent,
        "urgency_ground": "life" if urgent else "",
        "access": "direct" if direct else "indirect",
        "handling": "H1",
        "source_reliability": "B",
        "information_accuracy": "2",
        "created_at": clock.now().isoformat(),
    }
    deliver(arriving(peers, services.KIND, body, sender=sender))
    return request_id


def step(peers: dict[str, Any], sender: str, request_id: str, kind: str, **extra: Any) -> None:
    """A step of a request this node sent, taken by the requested bureau `sender`."""
    body = {"request_id": request_id, "event_id": new_id(), "kind": kind, "by": f"{sender} officer", **extra}
    deliver(arriving(peers, services.STEP, body, sender=sender))


def outgoing(officer: Any, to: str, title: str, *, urgent: bool = False) -> str:
    draft = services.Draft(
        to=[to],
        kind="information",
        title=title,
        details="Details of the case.",
        legal_basis="Directive 2023/977",
        purpose="Fraud investigation",
        urgent=urgent,
        urgency_ground="detention" if urgent else "",
    )
    return str(services.send(officer, draft)[0].pk)


@pytest.fixture
def officer(user_factory: Any) -> Any:
    return user_factory("ncb", "officer", username="fr-duty")


@pytest.fixture
def scenario(peers: dict[str, Any], officer: Any) -> dict[str, Any]:
    """Seven requests received and three sent, at t0; the statistics are read at t0 + 9 h."""
    t0 = clock.now()
    r1 = incoming(peers, "BR", "r1 urgent, answered in time", urgent=True)
    r2 = incoming(peers, "BR", "r2 answered late")
    r3 = incoming(peers, "BR", "r3 paused then answered in time")
    r4 = incoming(peers, "BR", "r4 urgent indirect, refused in time", urgent=True, direct=False)
    r5 = incoming(peers, "KE", "r5 refused late")
    incoming(peers, "KE", "r6 urgent, open and overdue", urgent=True)
    incoming(peers, "KE", "r7 open, not yet due")
    with clock.travel(timedelta(hours=1)):
        services.answer(officer, r1, "The passport belongs to Ana Lima.")
        services.pause(officer, r3, "The investigating judge must authorise it.", 48)
        services.refuse(officer, r4, "security", "An ongoing investigation.")
    with clock.travel(timedelta(days=8)):  # r3's deadline moved by its 48 hours: 9 days
        services.answer(officer, r2, "Late, but here.")
        services.answer(officer, r3, "Authorised and answered.")
        services.refuse(officer, r5, "not_available")
    s1 = outgoing(officer, "BR", "s1 urgent, refused by BR", urgent=True)
    s2 = outgoing(officer, "KE", "s2 open at KE")
    s3 = outgoing(officer, "BR", "s3 paused by BR")
    for request_id, to in ((s1, "BR"), (s2, "KE"), (s3, "BR")):
        step(peers, to, request_id, "received")
    step(peers, "BR", s1, "refused", ground="minor_offence", text="Not an offence here.")
    step(peers, "BR", s3, "paused", text="A judge decides.", expected_hours=24)
    return {"t0": t0, "from": (t0 - timedelta(days=1)).date(), "to": (t0 + timedelta(days=1)).date()}


def split(urgent: int, not_urgent: int) -> dict[str, int]:
    return {"urgent": urgent, "not_urgent": not_urgent, "total": urgent + not_urgent}


EXPECTED_TOTALS = {
    "sent": split(1, 2),
    "received": split(3, 4),
    "answered_in_time": split(2, 1),
    "answered_late": split(0, 2),
    "refused": split(1, 1),
}
EXPECTED_COUNTRIES = [
    {
        "country": "BR",
        "counts": {
            "sent": split(1, 1),
            "received": split(2, 2),
            "answered_in_time": split(2, 1),
            "answered_late": split(0, 1),
            "refused": split(1, 0),
        },
    },
    {
        "country": "KE",
        "counts": {
            "sent": split(0, 1),
            "received": split(1, 2),
            "answered_in_time": split(0, 0),
            "answered_late": split(0, 1),
            "refused": split(0, 1),
        },
    },
]


def api_get(client: Any, query: str) -> Any:
    """The statistics as FR's officer reads them at t0 + 9 h (signed in then: sessions expire)."""
    with clock.travel(timedelta(hours=9)):
        sign_in(client, "fr-duty")
        return client.get(f"/api/v1/cooperation/statistics?{query}")


def test_the_figures_match_the_requests_made(client, scenario, officer):
    response = api_get(client, f"from={scenario['from']}&to={scenario['to']}")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["node"] == "FR"
    assert (data["from"], data["to"]) == (str(scenario["from"]), str(scenario["to"]))
    assert data["totals"] == EXPECTED_TOTALS
    assert data["countries"] == EXPECTED_COUNTRIES
    refusals = {g["ground"]: (g["refused_by_us"], g["refused_to_us"]) for g in data["refusals"]}
    assert len(refusals) == 8  # every Art. 6 ground has its row, zero or not
    assert refusals["security"] == (1, 0)
    assert refusals["not_available"] == (1, 0)
    assert refusals["minor_offence"] == (0, 1)
    assert sum(by + to for by, to in refusals.values()) == 3
    assert data["judicial_pauses_received"] == {"requests": 1, "total_hours": 48.0, "average_hours": 48.0}
    assert data["judicial_pauses_sent"] == {"requests": 1, "total_hours": 24.0, "average_hours": 24.0}
    assert data["now"] == {
        "received_open": split(1, 1),  # r6 and r7
        "received_overdue": split(1, 0),  # r6: 8 hours for an urgent request on direct access
        "sent_open": split(0, 2),  # s2 and s3
        "sent_overdue": split(0, 0),
    }
    entry = AuditEntry.objects.filter(action="cooperation.statistics.read").get()
    assert entry.actor == "fr-duty"


def test_the_average_pause_is_the_mean_of_the_pauses(scenario, officer):
    r = Request.objects.get(title="r7 open, not yet due")
    services.pause(officer, r.pk, "Another judge.", 24)
    p = statistics.period(str(scenario["from"]), str(scenario["to"]))
    s = statistics.compute(officer, p)
    assert (s.pauses_received.requests, s.pauses_received.total) == (2, timedelta(hours=72))
    assert s.pauses_received.average == timedelta(hours=36)
    assert s.totals.in_time_percent == 60


def test_the_figures_as_csv(client, scenario):
    response = api_get(client, f"from={scenario['from']}&to={scenario['to']}&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert set(rows[0]) == {"section", "key", "measure", "urgent", "not_urgent", "total"}

    def row(section: str, key: str, measure: str) -> tuple[str, str, str]:
        found = [r for r in rows if (r["section"], r["key"], r["measure"]) == (section, key, measure)]
        assert len(found) == 1, (section, key, measure)
        return found[0]["urgent"], found[0]["not_urgent"], found[0]["total"]

    assert row("totals", "all", "received") == ("3", "4", "7")
    assert row("totals", "all", "answered_late") == ("0", "2", "2")
    assert row("country", "BR", "answered_in_time") == ("2", "1", "3")
    assert row("country", "KE", "refused") == ("0", "1", "1")
    assert row("refusals", "minor_offence", "refused_to_us")[2] == "1"
    assert row("judicial_pauses", "received", "total_hours")[2] == "48.00"
    assert row("now", "all", "received_overdue") == ("1", "0", "1")


def test_a_period_without_the_requests_counts_none_of_them(client, scenario):
    later = scenario["to"] + timedelta(days=1)
    data = api_get(client, f"from={later}&to={later + timedelta(days=30)}").json()
    assert data["totals"]["received"] == split(0, 0) and data["totals"]["sent"] == split(0, 0)
    assert data["countries"] == []
    assert data["now"]["received_overdue"] == split(1, 0)  # now is now, whatever the period


def test_the_default_period_is_the_current_calendar_year(client, officer):
    sign_in(client, "fr-duty")
    data = client.get("/api/v1/cooperation/statistics").json()
    year = clock.now().astimezone(UTC).year
    assert (data["from"], data["to"]) == (f"{year}-01-01", f"{year}-12-31")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-05-02&to=2026-05-01", "to"),
        ("from=1999-12-31", "from"),
    ],
)
def test_a_bad_period_is_refused_with_the_field_at_fault(client, officer, query, field):
    sign_in(client, "fr-duty")
    before = AuditEntry.objects.filter(action="cooperation.statistics.read").count()
    response = client.get(f"/api/v1/cooperation/statistics?{query}")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert AuditEntry.objects.filter(action="cooperation.statistics.read").count() == before


def test_an_unknown_format_is_refused(client, officer):
    sign_in(client, "fr-duty")
    assert client.get("/api/v1/cooperation/statistics?format=xlsx").status_code == 422


def test_a_token_needs_the_read_messages_scope(client, user_factory):
    system = user_factory("system", "system", username="fr-case-system")
    _t, without = security.create_token(None, system, "stats", scopes=["send_messages"])
    _t, with_scope = security.create_token(None, system, "stats2", scopes=["read_messages"])
    refused = client.get("/api/v1/cooperation/statistics", HTTP_AUTHORIZATION=f"Bearer {without}")
    assert refused.status_code == 403
    allowed = client.get("/api/v1/cooperation/statistics", HTTP_AUTHORIZATION=f"Bearer {with_scope}")
    assert allowed.status_code == 200


def test_an_agency_user_may_not_read_the_statistics(client, user_factory):
    user_factory("agency", "query", username="fr-police")
    sign_in(client, "fr-police")
    assert client.get("/api/v1/cooperation/statistics").status_code == 403
    assert client.get("/cooperation/statistics/").status_code == 403


def test_the_page_shows_headline_figures_and_tables(client, scenario):
    with clock.travel(timedelta(hours=9)):
        sign_in(client, "fr-duty")
        page = client.get(f"/cooperation/statistics/?from={scenario['from']}&to={scenario['to']}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Answered in time" in html and "60 %" in html
    assert "The information is not available" in html  # a refusal ground's row
    assert "2 d 0 h" in html  # the 48 hours of r3's pause
    assert "format=csv" in html


def test_the_page_explains_a_bad_period(client, officer):
    sign_in(client, "fr-duty")
    page = client.get("/cooperation/statistics/?from=2026-05-02&to=2026-05-01")
    assert page.status_code == 400
    assert "The end of the period comes before its start." in page.content.decode()
