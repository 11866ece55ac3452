"""The hit-confirmation path, each node's part with real keys and envelopes, on a clock the tests
move: the screening bureau reports every hit, the owner is told and answers (or asks for time),
the hub escalates what is overdue step by step, and answers and escalations come back."""

import uuid
from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving
from ncbnet.hits import services
from ncbnet.hits.models import HitReport
from ncbnet.hits.schemas import POSSIBLE_MATCH
from ncbnet.network import delivery, envelope
from ncbnet.network.models import NodeKey, OutboxEnvelope
from ncbnet.records.models import OwnerAlert
from ncbnet.screening import services as screening
from ncbnet.screening.tests.test_persons import person

pytestmark = pytest.mark.django_db
REPORT_ID = "019ac000-0000-7000-8000-0000000000a1"
RECORD_ID = "019ac000-0000-7000-8000-0000000000b2"


def sent(kind):
    return [
        envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.filter(kind=kind).order_by("id")
    ]


def report_body(urgent=True, found_by="FR"):
    return {
        "id": REPORT_ID,
        "record": RECORD_ID,
        "database": "persons",
        "label": "Daniel Otieno",
        "owner": "KE",
        "found_by": found_by,
        "officer": "fr-border-1",
        "context": {"reason": "border check", "place": "CDG terminal 2"},
        "query": {"name": "Otieno Daniel"},
        "score": 0.97,
        "explanation": ["name: Daniel Otieno (0.97)"],
        "urgent": urgent,
        "found_at": clock.now().isoformat(),
    }


def test_every_hit_is_reported_to_the_owner_and_the_gs_with_the_bureaus_context(peers, user_factory):
    officer = user_factory("agency", "query")
    held = person("KE", "Daniel Otieno")
    result = screening.person(
        officer, "Otieno Daniel", context={"reason": "border check", "place": "CDG", "urgent": True}
    )
    [hit] = result.hits
    report = HitReport.objects.get(pk=hit.report)
    assert hit.status == POSSIBLE_MATCH and "arrest" not in hit.status
    assert (report.record_id, report.owner, report.found_by, report.urgent) == (held.pk, "KE", "FR", True)
    assert report.due_at - report.found_at == timedelta(minutes=10) and report.sent_at is not None
    [e] = sent(services.REPORT)
    assert e["to"] == ["KE", "hub"]
    body = envelope.open_body(e, "KE", peers["KE"])
    assert body["context"] == {"reason": "border check", "place": "CDG"} and body["score"] == hit.score
    assert screening.person(officer, "Someone Else", context={}).hits == []
    assert HitReport.objects.count() == 1


def test_a_report_waits_here_until_the_owners_keys_are_known(peers, user_factory):
    NodeKey.objects.filter(node="KE").delete()
    person("KE", "Daniel Otieno")
    screening.person(user_factory("ncb", "officer"), "Daniel Otieno")
    report = HitReport.objects.get()
    assert report.sent_at is None and sent(services.REPORT) == []
    assert services.send_pending() == 0
    p = peers["KE"].public()
    NodeKey.objects.create(
        key_id=p.key_id,
        node="KE",
        signing_public=p.signing_public,
        encryption_public=p.encryption_public,
        valid_from=clock.now(),
    )
    assert services.send_pending() == 1
    assert [e["to"] for e in sent(services.REPORT)] == [["KE", "hub"]]


@pytest.fixture
def kenya(settings):
    """This test node is the owner, KE's bureau."""
    settings.NCBNET_COUNTRY = "KE"


def test_the_owner_is_told_and_answers_confirm_deny_or_more_time(peers, kenya, user_factory):
    assert delivery.accept(arriving(peers, services.REPORT, report_body(), sender="FR"), 1) == "accepted"
    report = HitReport.objects.get()
    assert report.due_at == report.received_at + timedelta(minutes=10)
    assert OwnerAlert.objects.get().event == "hit"
    officer = user_factory("ncb", "officer")
    assert list(services.to_answer(officer)) == [report]
    with pytest.raises(services.ValidationError) as refused:
        services.answer(officer, report.pk, "denied")
    assert "note" in refused.value.message_dict
    with pytest.raises(services.PermissionDenied):
        services.answer(user_factory("agency", "query"), report.pk, "confirmed")
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        services.answer(officer, report.pk, "more_time", "checking the file", minutes=30)
        report.refresh_from_db()
        assert report.awaiting and report.due_at == clock.now() + timedelta(minutes=30)
    services.answer(officer, report.pk, "confirmed", "the warrant is valid")
    report.refresh_from_db()
    assert (report.state, report.answered_by) == ("confirmed", officer.username)
    answers = sent(services.ANSWER)
    assert [e["to"] for e in answers] == [["FR", "hub"], ["FR", "hub"]]
    assert envelope.open_body(answers[0], "FR", peers["FR"])["minutes"] == 30
    with pytest.raises(services.ValidationError):
        services.answer(officer, report.pk, "denied", "changed my mind")


def test_a_report_from_anyone_but_the_finder_or_about_anothers_record_is_refused(peers, kenya):
    assert delivery.accept(arriving(peers, services.REPORT, report_body(), sender="BR"), 1) == "quarantined"
    other = {**report_body(), "owner": "BR"}
    assert delivery.accept(arriving(peers, services.REPORT, other, sender="FR"), 2) == "quarantined"
    assert not HitReport.objects.exists()


@pytest.mark.parametrize(("urgent", "step"), [(True, timedelta(minutes=10)), (False, timedelta(hours=1))])
def test_the_hub_escalates_an_overdue_hit_reminder_then_head_then_gs(peers, hub, urgent, step):
    delivery.accept(arriving(peers, services.REPORT, report_body(urgent), sender="FR"), 1)
    assert services.escalate() == 0
    with clock.travel(step - timedelta(seconds=1)):
        assert services.escalate() == 0
    levels = []
    for n in range(1, 5):
        with clock.travel(step * n + timedelta(seconds=n)):
            services.escalate()
            levels.append(HitReport.objects.get().escalation)
    assert levels == [1, 2, 3, 3]  # the GS holds it: no step beyond
    escalations = sent(services.ESCALATE)
    assert [e["to"] for e in escalations] == [["FR", "KE"]] * 3
    assert [envelope.open_body(e, "KE", peers["KE"])["level"] for e in escalations] == [1, 2, 3]


def test_at_the_hub_an_answer_stops_the_clock_and_only_the_owner_answers(peers, hub):
    delivery.accept(arriving(peers, services.REPORT, report_body(), sender="FR"), 1)
    answer = {"id": REPORT_ID, "outcome": "denied", "note": "other date of birth", "minutes": None}
    answer |= {"by": "ke-officer", "at": clock.now().isoformat()}
    assert delivery.accept(arriving(peers, services.ANSWER, answer, sender="BR"), 2) == "quarantined"
    assert delivery.accept(arriving(peers, services.ANSWER, answer, sender="KE"), 3) == "accepted"
    report = HitReport.objects.get()
    assert (report.state, report.answer) == ("denied", "other date of birth")
    with clock.travel(timedelta(days=1)):
        assert services.escalate() == 0


def test_the_screening_bureau_sees_escalations_and_the_answer(peers, user_factory):
    person("KE", "Daniel Otieno")
    screening.person(user_factory("ncb", "officer"), "Daniel Otieno", context={"urgent": True})
    report = HitReport.objects.get()
    level = {"id": str(report.pk), "level": 2, "at": clock.now().isoformat()}
    assert delivery.accept(arriving(peers, services.ESCALATE, level, sender="KE"), 1) == "quarantined"
    assert delivery.accept(arriving(peers, services.ESCALATE, level, sender="hub"), 2) == "accepted"
    report.refresh_from_db()
    assert report.get_escalation_display() == "Overdue: escalated to the owner's head of NCB"
    answer = {"id": str(report.pk), "outcome": "confirmed", "note": "", "minutes": None}
    answer |= {"by": "ke-officer", "at": clock.now().isoformat()}
    delivery.accept(arriving(peers, services.ANSWER, answer, sender="KE"), 3)
    report.refresh_from_db()
    assert report.get_state_display() == "Confirmed by the owner"


def test_an_agency_user_named_like_another_bureaus_officer_does_not_see_that_bureaus_hits(
    client, peers, kenya, user_factory
):
    """At the owner's node, the report FR's officer fr-border-1 wrote is kept; KE's agency user
    who happens to be called fr-border-1 too must not read it (it was matched by username)."""
    from ncbnet.conftest import sign_in

    assert delivery.accept(arriving(peers, services.REPORT, report_body(), sender="FR"), 1) == "accepted"
    theirs = HitReport.objects.get()
    namesake = user_factory("agency", "query", username="fr-border-1")
    assert list(services.visible(namesake)) == []
    with pytest.raises(services.Http404):
        services.read(namesake, theirs.pk)
    sign_in(client, "fr-border-1")
    assert client.get("/api/v1/hits").json()["results"] == []
    assert client.get(f"/api/v1/hits/{theirs.pk}").status_code == 404
    assert client.get(f"/hits/{theirs.pk}/").status_code == 404

    # Their own screenings' reports they still see.
    mine = HitReport.objects.create(
        **{
            **{f.attname: getattr(theirs, f.attname) for f in HitReport._meta.concrete_fields},
            "id": uuid.UUID("019ac000-0000-7000-8000-0000000000a9"),
            "found_by": "KE",
            "found_by_node": "KE",
        }
    )
    assert list(services.visible(namesake)) == [mine]
    assert services.read(namesake, mine.pk) == mine
