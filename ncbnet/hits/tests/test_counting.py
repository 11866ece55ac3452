"""Hits count where they are seen (`hits.tallies`): a report at the finder and, on receipt, at the
owner and the hub (restricted when the hub's record is); an answer where it is given and where it
arrives, with its time from the report and whether it missed its deadline."""

import uuid
from datetime import timedelta

import pytest

from ncbnet.analytics.tests.figures import rows
from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.conftest import arriving
from ncbnet.hits import services
from ncbnet.hits.models import HitReport
from ncbnet.hits.tests.test_confirmation import report_body
from ncbnet.network import delivery
from ncbnet.records import services as records

pytestmark = pytest.mark.django_db
seq = iter(range(1, 1_000_000))


def accept(peers, kind, body, sender):
    return delivery.accept(arriving(peers, kind, body, sender=sender), next(seq))


def answer_body(report_id, outcome, at):
    return {
        "id": str(report_id),
        "outcome": outcome,
        "note": "",
        "minutes": None,
        "by": "ke-officer",
        "at": at,
    }


@pytest.fixture
def kenya(settings):
    """This test node is the owner, KE's bureau."""
    settings.NCBNET_COUNTRY = "KE"


def test_the_owner_counts_a_report_received_and_answers_on_time_and_late(peers, kenya, user_factory):
    officer = user_factory("ncb", "officer")
    urgent = {**report_body(urgent=True), "iccs": "0502"}
    routine = {**report_body(urgent=False), "id": str(uuid.uuid4())}
    assert accept(peers, services.REPORT, urgent, "FR") == "accepted"
    assert accept(peers, services.REPORT, routine, "FR") == "accepted"
    [on_time] = [r for r in rows("hit.reported") if r["kind"] == "urgent"]
    assert (on_time["country"], on_time["owner"], on_time["database"], on_time["iccs"]) == (
        "FR",
        "KE",
        "persons",
        "0502",
    )
    with clock.travel(timedelta(minutes=5)):
        services.answer(officer, uuid.UUID(urgent["id"]), "confirmed")
    with clock.travel(timedelta(minutes=90)):
        services.answer(officer, uuid.UUID(routine["id"]), "more_time", minutes=60)
    answered = {r["outcome"]: r for r in rows("hit.answered")}
    assert set(answered) == {"confirmed", "more-time"}
    assert (answered["confirmed"]["kind"], answered["confirmed"]["late"]) == ("urgent", 0)
    assert 5 * 60 <= answered["confirmed"]["seconds"] < 5 * 60 + 5
    assert (answered["more-time"]["kind"], answered["more-time"]["late"]) == ("", 1)
    assert all((r["country"], r["owner"]) == ("FR", "KE") for r in answered.values())


def test_the_finder_counts_the_answer_it_receives_once(peers, user_factory):
    from ncbnet.screening import services as screening
    from ncbnet.screening.tests.test_persons import person

    person("KE", "Daniel Otieno")
    screening.person(user_factory("ncb", "officer"), "Daniel Otieno")
    report = HitReport.objects.get()
    later = (report.found_at + timedelta(minutes=70)).isoformat()
    with clock.travel(timedelta(minutes=70)):
        assert accept(peers, services.ANSWER, answer_body(report.pk, "denied", later), "KE") == "accepted"
        assert accept(peers, services.ANSWER, answer_body(report.pk, "confirmed", later), "KE") == "accepted"
    [answered] = rows("hit.answered")
    assert (answered["outcome"], answered["n"], answered["late"], answered["seconds"]) == (
        "denied",
        1,
        1,
        4200.0,
    )


def test_the_hub_counts_a_report_on_a_restricted_record_as_restricted(peers, hub):
    record = records.contribute(
        Actor("ke-officer", "KE"),
        "documents",
        {
            "number": "KE7654321",
            "type": "passport",
            "issuing_country": "KE",
            "status": "stolen",
            "date": "2026-01-01",
        },
        {"access": "allow", "countries": ["FR"]},
    )
    body = {**report_body(), "record": str(record.pk), "database": "documents"}
    assert accept(peers, services.REPORT, body, "FR") == "accepted"
    assert accept(peers, services.REPORT, body, "FR") == "accepted"  # sent again: kept and counted once
    [reported] = rows("hit.reported")
    assert (reported["country"], reported["owner"], reported["restricted"], reported["n"]) == (
        "FR",
        "KE",
        True,
        1,
    )
    assert HitReport.objects.get().restricted
