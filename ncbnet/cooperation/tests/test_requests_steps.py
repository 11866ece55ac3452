"""Every step of a request on one node, both ways: as the requested bureau (the request arrives,
FR acknowledges, asks, pauses, answers or refuses, and tells BR) and as the requester (FR sends,
BR's steps arrive, FR clarifies and closes). Each step audited; the Art. 5 deadlines on the clock."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cooperation.models import RefusalGround, Request, RequestAttachment, TransitionRefused
from ncbnet.cooperation.services import requests as services
from ncbnet.network.envelope import new_id
from ncbnet.network.models import OutboxEnvelope

from .conftest import request_body, sent_to, step_body

pytestmark = pytest.mark.django_db
KIND, STEP = services.KIND, services.STEP


@pytest.fixture
def officer(user_factory):
    return user_factory("ncb", "officer", username="fr-officer")


def draft(**over):
    base = {
        "to": ["BR"],
        "kind": "information",
        "title": "Who owns ABC1D23?",
        "details": "A car seen at Lyon.",
        "legal_basis": "Art. 3",
        "purpose": "Theft",
    }
    return services.Draft(**{**base, **over})


def incoming(deliver, **over) -> Request:
    body = request_body(**over)
    assert deliver(KIND, body) == "accepted"
    return Request.objects.get(pk=body["request_id"])


def steps_told(peers, node="BR"):
    return [(b["kind"], b.get("text", "")) for kind, b in sent_to(peers, node) if kind == STEP]


# --- the requested bureau's side ----------------------------------------------------------------


def test_a_request_arriving_is_kept_with_its_deadline_and_a_signed_receipt_goes_back(deliver, peers):
    r = incoming(deliver)
    assert (r.direction, r.state, r.requester) == ("in", "received", "BR")
    assert r.due_at == r.received_at + timedelta(days=7)
    assert [e.kind for e in r.events.all()] == ["sent", "received"]
    [(kind, receipt)] = sent_to(peers, "BR")
    assert kind == STEP and receipt["kind"] == "received"


def test_the_requested_bureau_acknowledges_asks_pauses_and_answers_with_a_file(deliver, peers, officer):
    r = incoming(deliver)
    services.acknowledge(officer, r.pk, "On it.")
    services.clarification(officer, r.pk, "Which Marc Dupont: the one born in Lyon?")
    assert Request.objects.get(pk=r.pk).state == "clarification"
    assert deliver(STEP, step_body(r.pk, "clarified", text="Born in Lyon, 1980.")) == "accepted"
    assert Request.objects.get(pk=r.pk).state == "acknowledged"
    services.pause(officer, r.pk, "The judge must authorise the phone records.", 48)
    report = b"%PDF-1.7 located"
    services.answer(
        officer, r.pk, "Located in Lyon.", [services.Upload("report.pdf", "application/pdf", report)], "H2"
    )
    r = Request.objects.get(pk=r.pk)
    assert r.state == "answered" and r.answered_at is not None
    told = steps_told(peers)
    assert [k for k, _t in told] == ["received", "acknowledged", "clarification_asked", "paused", "answered"]
    [(_k, answered)] = [(k, b) for k, b in sent_to(peers, "BR") if b.get("kind") == "answered"]
    assert answered["handling"] == "H2"
    assert base64.b64decode(answered["files"][0]["data"]) == report
    assert answered["files"][0]["sha256"] == hashlib.sha256(report).hexdigest()
    actions = set(AuditEntry.objects.filter(target_id=str(r.pk)).values_list("action", flat=True))
    assert {
        "cooperation.request.acknowledged",
        "cooperation.request.clarification_asked",
        "cooperation.request.paused",
        "cooperation.request.answered",
    } <= actions
    assert deliver(STEP, step_body(r.pk, "closed")) == "accepted"
    assert Request.objects.get(pk=r.pk).state == "closed"


@pytest.mark.parametrize("ground", RefusalGround.values)
def test_a_refusal_on_each_ground_of_art_6(deliver, peers, officer, ground):
    r = incoming(deliver)
    services.refuse(officer, r.pk, ground, "See the ground.")
    r = Request.objects.get(pk=r.pk)
    assert (r.state, r.refusal_ground) == ("refused", ground)
    [(_k, told)] = [(k, b) for k, b in sent_to(peers, "BR") if b.get("kind") == "refused"]
    assert told["ground"] == ground


@pytest.mark.parametrize("ground", ["", "we do not feel like it"])
def test_a_refusal_without_a_ground_of_art_6_is_refused(deliver, officer, ground):
    r = incoming(deliver)
    outbox = OutboxEnvelope.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.refuse(officer, r.pk, ground, "No.")
    assert "ground" in refused.value.message_dict
    assert Request.objects.get(pk=r.pk).state == "received" and OutboxEnvelope.objects.count() == outbox


def test_the_requested_bureau_cannot_close_and_the_requester_cannot_answer(deliver, officer):
    r = incoming(deliver)
    with pytest.raises(PermissionDenied):
        services.close(officer, r.pk)
    mine = services.send(officer, draft())[0]
    with pytest.raises(PermissionDenied):
        services.answer(officer, mine.pk, "I answer myself")


def test_a_step_the_state_does_not_allow_is_refused_and_nothing_is_sent(deliver, officer):
    r = incoming(deliver)
    services.answer(officer, r.pk, "Done.")
    outbox = OutboxEnvelope.objects.count()
    with pytest.raises(TransitionRefused):
        services.pause(officer, r.pk, "judge", 24)
    assert OutboxEnvelope.objects.count() == outbox


def test_an_agency_user_cannot_take_a_step(deliver, user_factory):
    r = incoming(deliver)
    with pytest.raises(PermissionDenied):
        services.acknowledge(user_factory("agency", "query"), r.pk)


# --- the requester's side -----------------------------------------------------------------------


def test_the_requester_sends_sees_each_step_clarifies_and_closes(deliver, peers, officer):
    r = services.send(officer, draft(subjects=[{"type": "object", "name": "ABC1D23"}]))[0]
    [(kind, body)] = sent_to(peers, "BR")
    assert (
        kind == KIND
        and body["requested"] == "BR"
        and body["subjects"] == [{"type": "object", "name": "ABC1D23"}]
    )
    assert deliver(STEP, step_body(r.pk, "received")) == "accepted"
    r = Request.objects.get(pk=r.pk)
    assert r.state == "received" and r.due_at is not None
    assert deliver(STEP, step_body(r.pk, "acknowledged")) == "accepted"
    assert deliver(STEP, step_body(r.pk, "clarification_asked", text="Which colour?")) == "accepted"
    services.clarification(officer, r.pk, "Red.")
    assert Request.objects.get(pk=r.pk).state == "acknowledged"
    assert deliver(STEP, step_body(r.pk, "paused", text="Judge", expected_hours=24)) == "accepted"
    assert Request.objects.get(pk=r.pk).pause_reason == "Judge"
    data = b"owner: J. Silva"
    file = {
        "id": new_id(),
        "name": "owner.txt",
        "content_type": "text/plain",
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": base64.b64encode(data).decode(),
    }
    assert deliver(STEP, step_body(r.pk, "answered", text="Owner found.", files=[file])) == "accepted"
    assert bytes(RequestAttachment.objects.get(event__request=r).data) == data
    services.close(officer, r.pk, "Thank you.")
    r = Request.objects.get(pk=r.pk)
    assert r.state == "closed"
    assert [e.kind for e in r.events.all()] == [
        "sent",
        "received",
        "acknowledged",
        "clarification_asked",
        "clarified",
        "paused",
        "answered",
        "closed",
    ]
    assert [k for k, _t in steps_told(peers)] == ["clarified", "closed"]


def test_a_request_to_an_unknown_country_is_refused_and_nothing_is_written(officer):
    for to in (["XX"], ["JP"], []):
        with pytest.raises(ValidationError) as refused:
            services.send(officer, draft(to=to))
        assert "to" in refused.value.message_dict
    assert not Request.objects.exists() and not OutboxEnvelope.objects.exists()


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"urgent": True}, "urgency_ground"),
        ({"urgency_ground": "life"}, "urgency_ground"),
        ({"kind": "action"}, "action"),
        ({"title": " "}, "title"),
        ({"handling": "H3"}, "handling_note"),
        ({"subjects": [{"type": "person"}]}, "subjects.0"),
    ],
)
def test_a_bad_request_is_refused_with_its_field(officer, over, field):
    with pytest.raises(ValidationError) as refused:
        services.send(officer, draft(**over))
    assert field in refused.value.message_dict
    assert not Request.objects.exists()


# --- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urgent", "access", "window"),
    [
        (True, "direct", timedelta(hours=8)),
        (True, "indirect", timedelta(days=3)),
        (False, "direct", timedelta(days=7)),
        (False, "indirect", timedelta(days=7)),
    ],
)
def test_the_deadline_of_each_urgency_runs_from_receipt(deliver, urgent, access, window):
    r = incoming(deliver, urgent=urgent, urgency_ground="life" if urgent else "", access=access)
    assert r.due_at == r.received_at + window
    with clock.travel(window - timedelta(minutes=1)):
        assert not Request.objects.get(pk=r.pk).overdue(clock.now())
    with clock.travel(window + timedelta(minutes=1)):
        assert Request.objects.get(pk=r.pk).overdue(clock.now())


def test_a_pause_adds_its_time_to_the_deadline(deliver, officer):
    r = incoming(deliver, urgent=True, urgency_ground="detention")
    due = r.due_at
    with clock.travel(timedelta(hours=2)):
        services.pause(officer, r.pk, "Waiting for the investigating judge.", 36)
    r = Request.objects.get(pk=r.pk)
    assert r.due_at == due + timedelta(hours=36) and r.judicial_delay == timedelta(hours=36)
    with clock.travel(timedelta(hours=8 + 35)):
        assert not r.overdue(clock.now())
    with clock.travel(timedelta(hours=8 + 37)):
        assert r.overdue(clock.now())
