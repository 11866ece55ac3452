"""Agencies' requests for international help on one node: refused inputs and accounts first, then
a help request reviewed and sent to BR (sealed to BR's keys), the answer arriving from BR shown to
the agency under H1 and withheld under H2, and a help request returned with its reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving, database_state, sign_in
from ncbnet.cooperation.models import HelpRequest, Request
from ncbnet.cooperation.services import help
from ncbnet.network import delivery, envelope
from ncbnet.network.envelope import new_id
from ncbnet.network.models import OutboxEnvelope

pytestmark = pytest.mark.django_db


def draft(**kw) -> help.Draft:
    base = {
        "title": "Stolen lorry seen heading to Brazil",
        "details": "Lorry AB-123-CD stolen in Le Havre, loaded on a ship to Santos.",
        "purpose": "Recover the lorry and identify the thieves",
        "legal_basis": "Code de procédure pénale, art. 694",
        "countries": ["BR"],
        "subjects": [{"type": "object", "name": "Lorry AB-123-CD", "description": "white Renault"}],
    }
    return help.Draft(**{**base, **kw})


@pytest.fixture
def police(agency_factory):
    return agency_factory("Police nationale", "police")


@pytest.fixture
def agent(user_factory, police):
    return user_factory("agency", "query", username="fr-police-1", agency=police)


@pytest.fixture
def officer(user_factory):
    return user_factory("ncb", "officer", username="fr-officer")


def step(peers, r: Request, kind: str, seq: int, **extra) -> str:
    body = {"request_id": str(r.pk), "event_id": new_id(), "kind": kind, "by": "Ana Souza", **extra}
    return delivery.accept_batch([(arriving(peers, "cooperation.request.step", body, sender="BR"), seq)])[0]


def test_bad_input_is_refused_and_nothing_is_written(peers, agent):
    before = database_state()
    for bad, field in (
        (draft(countries=["ZZ"]), "countries"),
        (draft(countries=[]), "countries"),
        (draft(title=" "), "title"),
        (draft(urgent=True), "urgency_ground"),
        (draft(urgency_ground="life"), "urgency_ground"),
        (draft(kind="gossip"), "kind"),
        (draft(subjects=[{"type": "person"}]), "subjects.0"),
    ):
        with pytest.raises(ValidationError) as exc:
            help.submit(agent, bad)
        assert field in exc.value.message_dict, field
    assert database_state() == before


def test_only_agency_users_submit_and_only_staff_send_or_return(peers, agent, officer):
    with pytest.raises(PermissionDenied):
        help.submit(officer, draft())
    h = help.submit(agent, draft())
    with pytest.raises(PermissionDenied):
        help.send(agent, h.pk, help.Review())
    with pytest.raises(PermissionDenied):
        help.return_to_agency(agent, h.pk, "no")
    assert HelpRequest.objects.get().state == HelpRequest.State.SUBMITTED


def test_another_agencys_user_does_not_see_the_help_request(peers, agent, user_factory, agency_factory):
    douanier = user_factory(
        "agency", "query", username="fr-customs-1", agency=agency_factory("Douane", "customs")
    )
    h = help.submit(agent, draft())
    assert list(help.search(douanier, help.Filters())) == []
    with pytest.raises(Http404):
        help.read(douanier, h.pk)


def test_a_help_request_sent_abroad_and_its_answer_shown_under_h1(peers, agent, officer):
    h = help.submit(agent, draft())
    sent = help.send(
        officer,
        h.pk,
        help.Review(request_kind="information", handling="H1", title="Stolen lorry AB-123-CD to Santos"),
    )
    assert sent.state == HelpRequest.State.SENT and sent.reviewed_by == officer
    (r,) = sent.requests.all()
    assert r.direction == "out" and r.requested == "BR" and r.title == "Stolen lorry AB-123-CD to Santos"
    assert r.purpose == "Recover the lorry and identify the thieves"
    out = OutboxEnvelope.objects.get()
    e = envelope.decode(bytes(out.payload))
    assert e["to"] == ["BR"] and b"AB-123-CD" not in bytes(out.payload)
    assert envelope.open_body(e, "BR", peers["BR"])["title"] == "Stolen lorry AB-123-CD to Santos"
    assert AuditEntry.objects.filter(action="cooperation.help.send", actor="fr-officer").exists()

    assert step(peers, r, "received", 1) == "accepted"
    assert step(peers, r, "answered", 2, text="The lorry is in the port of Santos.") == "accepted"
    (outcome,) = help.outcomes(agent, help.read(agent, h.pk))
    assert outcome.country == "BR" and outcome.state == "answered"
    (answer,) = outcome.answers
    assert not answer.withheld and answer.handling == "H1"
    assert answer.text == "The lorry is in the port of Santos."
    with pytest.raises(ValidationError):  # sent once only
        help.send(officer, h.pk, help.Review())


def test_an_answer_under_h2_is_withheld_from_the_agency_but_not_from_the_bureau(
    peers, agent, officer, client
):
    h = help.submit(agent, draft())
    (r,) = help.send(officer, h.pk, help.Review(handling="H1")).requests.all()
    step(peers, r, "received", 1)
    assert step(peers, r, "answered", 2, text="Owner is an informant.", handling="H2") == "accepted"
    (outcome,) = help.outcomes(agent, h)
    (answer,) = outcome.answers
    assert answer.withheld and answer.handling == "H2" and answer.text == ""
    assert help.outcomes(officer, h)[0].answers[0].text == "Owner is an informant."

    sign_in(client, agent.username)
    got = client.get(f"/api/v1/cooperation/help-requests/{h.pk}").json()
    assert got["requests"][0]["answers"][0]["withheld"] is True
    assert "informant" not in str(got)
    page = client.get(f"/cooperation/help/{h.pk}/")
    assert page.status_code == 200
    assert "informant" not in page.content.decode()


def test_a_help_request_returned_with_a_reason(peers, agent, officer):
    h = help.submit(agent, draft())
    with pytest.raises(ValidationError):
        help.return_to_agency(officer, h.pk, "  ")
    returned = help.return_to_agency(officer, h.pk, "Name the Brazilian port and the date.")
    assert returned.state == HelpRequest.State.RETURNED
    assert help.read(agent, h.pk).return_reason == "Name the Brazilian port and the date."
    with pytest.raises(ValidationError):
        help.send(officer, h.pk, help.Review())
    assert not Request.objects.exists()


def test_the_api_submits_lists_for_review_and_sends(peers, agent, officer, client):
    sign_in(client, agent.username)
    made = client.post(
        "/api/v1/cooperation/help-requests",
        {
            "kind": "public_information",
            "title": "A caller saw the fugitive in Recife",
            "details": "Call received at 02:10.",
            "purpose": "Locate the fugitive",
            "legal_basis": "CPP",
            "countries": ["BR"],
            "urgent": True,
            "urgency_ground": "detention",
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    help_id = made.json()["id"]
    bad = client.post(
        "/api/v1/cooperation/help-requests",
        {"title": "x", "details": "y", "purpose": "z", "legal_basis": "w", "countries": ["ZZ"]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert (
        client.post(
            f"/api/v1/cooperation/help-requests/{help_id}/send", {}, content_type="application/json"
        ).status_code
        == 403
    )
    client.logout()

    sign_in(client, officer.username)
    review = client.get("/api/v1/cooperation/help-requests?state=submitted").json()["results"]
    assert [x["id"] for x in review] == [help_id]
    sent = client.post(
        f"/api/v1/cooperation/help-requests/{help_id}/send",
        {"request_kind": "information", "handling": "H1"},
        content_type="application/json",
    )
    assert sent.status_code == 200, sent.content
    assert sent.json()["state"] == "sent" and sent.json()["requests"][0]["country"] == "BR"
    assert Request.objects.get().urgent and Request.objects.get().urgency_ground == "detention"
