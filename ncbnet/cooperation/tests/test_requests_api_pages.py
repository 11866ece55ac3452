"""Requests through the API (a national case system's token) and the pages (an officer signed in):
send, list with filters, read with time left and matches, take steps, download a file; scopes and
policies refuse the rest."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ncbnet.conftest import sign_in
from ncbnet.cooperation.models import Request, RequestAttachment
from ncbnet.cooperation.services import crosscheck
from ncbnet.cooperation.services import requests as services
from ncbnet.security import services as security

from .conftest import request_body, step_body

pytestmark = pytest.mark.django_db
API = "/api/v1/cooperation/requests"


@pytest.fixture
def system(user_factory):
    return user_factory("system", "system", username="fr-case-system")


def token(system, *scopes: str) -> dict[str, str]:
    _t, raw = security.create_token(None, system, "cases", scopes=list(scopes))
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def incoming(deliver, **over) -> Request:
    body = request_body(**over)
    assert deliver(services.KIND, body) == "accepted"
    return Request.objects.get(pk=body["request_id"])


NEW = {
    "to": ["BR", "KE"],
    "kind": "action",
    "action": "locate",
    "title": "Locate the van",
    "details": "White van, plate AB-123-CD.",
    "legal_basis": "Art. 3",
    "purpose": "Robbery",
    "subjects": [{"type": "object", "name": "AB-123-CD"}],
    "urgent": True,
    "urgency_ground": "life",
}


def test_the_api_sends_lists_reads_and_takes_each_step(client, deliver, peers, system):
    auth = token(system, "read_messages", "send_messages")
    made = client.post(API, NEW, content_type="application/json", **auth)
    assert made.status_code == 201, made.content
    assert sorted(r["requested"] for r in made.json()) == ["BR", "KE"]
    r = incoming(deliver, subjects=[{"type": "person", "name": "Marc Dupont"}])
    listed = client.get(f"{API}?box=in&open=true&q=Dupont", **auth).json()["results"]
    assert [x["id"] for x in listed] == [str(r.pk)]
    assert listed[0]["time_left_hours"] == pytest.approx(7 * 24, abs=0.1) and not listed[0]["overdue"]
    assert client.get(f"{API}?box=out&country=KE", **auth).json()["results"][0]["requested"] == "KE"
    crosscheck.run()
    read = client.get(f"{API}/{r.pk}", **auth).json()
    assert [e["kind"] for e in read["events"]] == ["sent", "received"] and read["matches"] == []
    assert read["steps"] == ["acknowledge", "clarify", "pause", "answer", "refuse"]
    assert (
        client.post(f"{API}/{r.pk}/acknowledge", {}, content_type="application/json", **auth).json()["state"]
        == "acknowledged"
    )
    asked = client.post(
        f"{API}/{r.pk}/clarify", {"question": "Which one?"}, content_type="application/json", **auth
    )
    assert asked.json()["state"] == "clarification"
    assert deliver(services.STEP, step_body(r.pk, "clarified", text="The one born in 1980.")) == "accepted"
    paused = client.post(
        f"{API}/{r.pk}/pause",
        {"reason": "Judge", "expected_hours": 12},
        content_type="application/json",
        **auth,
    )
    assert paused.json()["state"] == "paused"
    file = {"name": "report.txt", "content_type": "text/plain", "data": base64.b64encode(b"in Lyon").decode()}
    answered = client.post(
        f"{API}/{r.pk}/answer",
        {"text": "Found.", "handling": "H1", "files": [file]},
        content_type="application/json",
        **auth,
    )
    assert answered.status_code == 200 and answered.json()["state"] == "answered"
    files = [f for e in client.get(f"{API}/{r.pk}", **auth).json()["events"] for f in e["files"]]
    got = client.get(f"{API}/{r.pk}/files/{files[0]['id']}", **auth)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"in Lyon"


def test_the_requester_answers_the_question_on_the_same_endpoint_and_closes(client, deliver, system):
    auth = token(system, "read_messages", "send_messages")
    [mine] = client.post(API, NEW | {"to": ["BR"]}, content_type="application/json", **auth).json()
    for kind, extra in (("received", {}), ("clarification_asked", {"text": "Colour?"})):
        assert deliver(services.STEP, step_body(mine["id"], kind, **extra)) == "accepted"
    out = client.post(
        f"{API}/{mine['id']}/clarify", {"answer": "White."}, content_type="application/json", **auth
    )
    assert out.json()["state"] == "acknowledged"
    assert deliver(services.STEP, step_body(mine["id"], "refused", ground="security")) == "accepted"
    assert (
        client.post(f"{API}/{mine['id']}/close", {}, content_type="application/json", **auth).json()["state"]
        == "closed"
    )


def test_bad_input_is_a_problem_and_scopes_are_held(client, deliver, system):
    r = incoming(deliver)
    reader = token(system, "read_messages")
    assert (
        client.post(f"{API}/{r.pk}/acknowledge", {}, content_type="application/json", **reader).status_code
        == 403
    )
    writer = token(system, "read_messages", "send_messages")
    bad = client.post(
        f"{API}/{r.pk}/refuse", {"ground": "", "reason": "no"}, content_type="application/json", **writer
    )
    assert bad.status_code == 422
    unknown = client.post(API, NEW | {"to": ["XX"]}, content_type="application/json", **writer)
    assert unknown.status_code == 422 and unknown["Content-Type"] == "application/problem+json"
    wrong_side = client.post(f"{API}/{r.pk}/close", {}, content_type="application/json", **writer)
    assert wrong_side.status_code == 403
    assert Request.objects.get(pk=r.pk).state == "received"


def test_an_agency_user_has_no_requests_api_nor_pages(client, user_factory):
    user = user_factory("agency", "query")
    sign_in(client, user.username)
    assert client.get(API).status_code == 403
    assert client.get("/cooperation/requests/").status_code == 403


def test_the_pages_list_show_and_take_steps(client, deliver, user_factory):
    officer = user_factory("ncb", "officer")
    sign_in(client, officer.username)
    r = incoming(deliver, title="Locate Marc Dupont")
    page = client.get("/cooperation/requests/?box=in&q=Dupont")
    assert page.status_code == 200 and b"Locate Marc Dupont" in page.content
    detail = client.get(f"/cooperation/requests/{r.pk}/")
    assert detail.status_code == 200 and b'action="/cooperation/requests/' in detail.content
    refused = client.post(f"/cooperation/requests/{r.pk}/refuse/", {"ground": "", "reason": "no"})
    assert refused.status_code == 400 and Request.objects.get(pk=r.pk).state == "received"
    done = client.post(f"/cooperation/requests/{r.pk}/pause/", {"reason": "Judge", "expected_hours": "24"})
    assert done.status_code == 302 and Request.objects.get(pk=r.pk).state == "paused"
    report = SimpleUploadedFile("report.txt", b"found in Lyon", content_type="text/plain")
    done = client.post(
        f"/cooperation/requests/{r.pk}/answer/", {"text": "Found.", "handling": "", "attachments": report}
    )
    assert done.status_code == 302 and Request.objects.get(pk=r.pk).state == "answered"
    kept = RequestAttachment.objects.get(event__request=r)
    got = client.get(f"/cooperation/requests/{r.pk}/files/{kept.pk}/")
    assert b"".join(got.streaming_content) == b"found in Lyon"
    assert client.get("/cooperation/requests/alerts/").status_code == 200


def test_the_new_request_form_sends_with_its_subject_rows(client, peers, user_factory):
    officer = user_factory("ncb", "officer")
    sign_in(client, officer.username)
    assert client.get("/cooperation/requests/new/").content.count(b"<fieldset>") == 3
    form = {
        "to": "BR",
        "kind": "information",
        "title": "Who is Ana Lima?",
        "details": "Seen at Lyon.",
        "legal_basis": "Art. 3",
        "purpose": "Fraud",
        "access": "direct",
        "handling": "H0",
        "source_reliability": "X",
        "information_accuracy": "4",
        "s0-type": "person",
        "s0-name": "Ana Lima",
        "s1-type": "object",
        "s1-description": "A red car",
        "s2-type": "person",
    }
    sent = client.post("/cooperation/requests/new/", form)
    assert sent.status_code == 302, sent.content.decode()[:2000]
    r = Request.objects.get()
    assert r.subjects == [
        {"type": "person", "name": "Ana Lima"},
        {"type": "object", "description": "A red car"},
    ]
    bad = client.post("/cooperation/requests/new/", form | {"to": "XX", "title": "Another"})
    assert bad.status_code == 400 and Request.objects.count() == 1
