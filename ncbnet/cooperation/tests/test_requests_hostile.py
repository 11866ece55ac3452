"""Hostile steps and requests on one node: a forged sender, a non-party, the wrong side, a step the
state does not allow, an id already kept. Each is quarantined and nothing else changes."""

from __future__ import annotations

import pytest

from ncbnet.conftest import database_state
from ncbnet.cooperation.models import Request, RequestEvent
from ncbnet.cooperation.services import requests as services
from ncbnet.network.models import Quarantine

from .conftest import request_body, step_body

pytestmark = pytest.mark.django_db

KIND, STEP = services.KIND, services.STEP


def received(deliver) -> Request:
    body = request_body()
    assert deliver(KIND, body) == "accepted"
    return Request.objects.get(pk=body["request_id"])


def sent(user_factory) -> Request:
    officer = user_factory("ncb", "officer", username="fr-officer")
    draft = services.Draft(
        to=["BR"],
        kind="information",
        title="Who owns ABC1D23?",
        details="A car seen at Lyon.",
        legal_basis="Art. 3",
        purpose="Theft",
    )
    return services.send(officer, draft)[0]


def refused(deliver, kind, body, **kw) -> None:
    """The envelope is quarantined and nothing but the quarantine and the audit trail changed."""
    before = database_state(exclude=(*EXCLUDE, "network.quarantine", "network.inboxenvelope"))
    held = Quarantine.objects.count()
    assert deliver(kind, body, **kw) == "quarantined"
    assert Quarantine.objects.count() == held + 1
    assert database_state(exclude=(*EXCLUDE, "network.quarantine", "network.inboxenvelope")) == before


EXCLUDE = ("audit.auditentry", "audit.chainhead", "sessions.session", "security.clientthrottle")


def test_a_request_whose_requester_is_not_its_sender_is_quarantined(deliver):
    refused(deliver, KIND, request_body(requester="KE"))


def test_a_request_signed_by_another_node_than_its_sender_is_quarantined(deliver):
    refused(deliver, KIND, request_body(), sender="BR", signer="KE")


def test_a_request_addressed_to_another_bureau_is_quarantined(deliver):
    refused(deliver, KIND, request_body(requested="KE"))


def test_a_request_already_kept_is_quarantined(deliver):
    body = request_body()
    assert deliver(KIND, body) == "accepted"
    refused(deliver, KIND, body | {"title": "Another title"})
    assert Request.objects.get(pk=body["request_id"]).title == "Locate Marc Dupont"


def test_an_urgent_request_without_its_ground_is_quarantined(deliver):
    refused(deliver, KIND, request_body(urgent=True, urgency_ground=""))


def test_a_step_from_a_non_party_is_quarantined(deliver, user_factory):
    r = sent(user_factory)
    refused(deliver, STEP, step_body(r.pk, "received"), sender="KE")


def test_a_step_forged_in_the_requested_bureaus_name_is_quarantined(deliver, user_factory):
    r = sent(user_factory)
    refused(deliver, STEP, step_body(r.pk, "received"), sender="BR", signer="KE")


def test_the_requester_cannot_take_the_requested_bureaus_steps(deliver):
    r = received(deliver)
    for kind in ("acknowledged", "answered", "received"):
        refused(deliver, STEP, step_body(r.pk, kind, text="I answer myself"))
    assert Request.objects.get(pk=r.pk).state == "received"


def test_the_requested_bureau_cannot_close_or_clarify_for_the_requester(deliver, user_factory):
    r = sent(user_factory)
    assert deliver(STEP, step_body(r.pk, "received")) == "accepted"
    refused(deliver, STEP, step_body(r.pk, "closed"))
    refused(deliver, STEP, step_body(r.pk, "clarified", text="my own clarification"))


def test_a_step_the_state_does_not_allow_is_quarantined(deliver, user_factory):
    r = sent(user_factory)
    # Not yet received: it cannot be answered.
    refused(deliver, STEP, step_body(r.pk, "answered", text="too early"))
    assert deliver(STEP, step_body(r.pk, "received")) == "accepted"
    # No clarification was asked: the requester's node has nothing to clarify; a close needs an answer.
    refused(deliver, STEP, step_body(r.pk, "received"))


def test_a_clarification_not_asked_for_is_quarantined(deliver):
    r = received(deliver)
    refused(deliver, STEP, step_body(r.pk, "clarified", text="nobody asked"))
    refused(deliver, STEP, step_body(r.pk, "closed"))


def test_a_step_already_kept_is_quarantined(deliver, user_factory):
    r = sent(user_factory)
    body = step_body(r.pk, "received")
    assert deliver(STEP, body) == "accepted"
    refused(deliver, STEP, body | {"kind": "acknowledged"})
    assert RequestEvent.objects.filter(pk=body["event_id"], kind="received").exists()


def test_a_step_of_a_request_not_kept_here_is_quarantined(deliver):
    refused(deliver, STEP, step_body("0193a000-0000-7000-8000-000000000001", "acknowledged"))


def test_a_refusal_without_a_ground_is_quarantined(deliver, user_factory):
    r = sent(user_factory)
    assert deliver(STEP, step_body(r.pk, "received")) == "accepted"
    refused(deliver, STEP, step_body(r.pk, "refused", text="no"))
    assert Request.objects.get(pk=r.pk).state == "received"


def test_a_pause_without_a_reason_is_quarantined(deliver, user_factory):
    r = sent(user_factory)
    assert deliver(STEP, step_body(r.pk, "received")) == "accepted"
    refused(deliver, STEP, step_body(r.pk, "paused", text=" ", expected_hours=24))
    refused(deliver, STEP, step_body(r.pk, "paused", text="judge", expected_hours=0))


def test_a_file_that_does_not_match_its_checksum_is_quarantined(deliver, user_factory):
    r = sent(user_factory)
    assert deliver(STEP, step_body(r.pk, "received")) == "accepted"
    bad = {
        "id": "0193a000-0000-7000-8000-000000000002",
        "name": "a.txt",
        "content_type": "text/plain",
        "sha256": "0" * 64,
        "data": "aGVsbG8=",
    }
    refused(deliver, STEP, step_body(r.pk, "answered", text="see file", files=[bad]))
    assert Request.objects.get(pk=r.pk).state == "received"


@pytest.mark.parametrize(
    "code",
    ["9999", "05", "05021", "x" * 5000, 502, ["0502"], None],
    ids=["unknown", "section", "level-3", "huge", "number", "list", "null"],
)
def test_a_request_with_a_crime_category_that_is_not_a_level_2_code_is_quarantined(deliver, code):
    refused(deliver, KIND, request_body(iccs=code))


def test_a_request_keeps_its_crime_category_and_one_without_has_none(deliver):
    body = request_body(iccs="0502")
    assert deliver(KIND, body) == "accepted"
    assert Request.objects.get(pk=body["request_id"]).iccs == "0502"
    older = request_body()
    older.pop("iccs", None)
    assert deliver(KIND, older) == "accepted"
    assert Request.objects.get(pk=older["request_id"]).iccs == ""
