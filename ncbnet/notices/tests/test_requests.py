"""A bureau requests a notice from its node; the hub checks and reviews it and reports every step."""

import json

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope
from ncbnet.notices import requests, services
from ncbnet.notices.models import Notice, NoticeRequest, State
from ncbnet.notices.tests.test_notices import GS, red

pytestmark = pytest.mark.django_db


def latest(kind):
    return envelope.decode(bytes(OutboxEnvelope.objects.filter(kind=kind).latest("id").payload))


def to_self(peers, kind, body, seq, sender):
    """An envelope from `sender` opened by this test node (whose keys stand for the hub's or FR's)."""
    return delivery.accept(arriving(peers, kind, body, sender=sender), seq)


def test_an_officer_requests_a_red_notice_through_the_api(client, peers, user_factory):
    client.force_login(user_factory("ncb", "officer", username="fr-officer"))
    response = client.post(
        "/api/v1/notices/requests", {"kind": "red", "data": red()}, content_type="application/json"
    )
    assert response.status_code == 202 and response.json()["state"] == "sent"
    e = latest(requests.REQUEST)
    assert e["to"] == ["hub"] and envelope.open_body(e, "hub", peers["hub"])["data"] == red()
    bad = client.post(
        "/api/v1/notices/requests", {"kind": "pink", "data": {}}, content_type="application/json"
    )
    assert bad.status_code == 422


def test_the_hub_submits_it_for_the_bureau_and_reports_each_step(peers, hub):
    body = {"id": "019ac000-0000-7000-8000-0000000000b1", "by": "fr-officer", "kind": "red", "data": red()}
    assert to_self(peers, requests.REQUEST, body, 1, "FR") == "accepted"
    notice = Notice.objects.get()
    assert str(notice.pk) == body["id"] and notice.owner == "FR" and notice.state == State.IN_REVIEW
    assert envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])["state"] == "in_review"
    services.review(GS, str(notice.pk), "changes", "Add the issuing court.")
    status = envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])
    assert status["state"] == "changes" and status["reason"] == "Add the issuing court."
    refused = {**body, "id": "019ac000-0000-7000-8000-0000000000b2", "data": red(max_penalty_years=1)}
    to_self(peers, requests.REQUEST, refused, 2, "FR")
    status = envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])
    assert status["state"] == "refused" and "max_penalty_years" in status["errors"]


def test_the_node_follows_its_request(peers, user_factory):
    officer = user_factory("ncb", "officer")
    r = requests.request(officer, "red", red())
    to_self(
        peers,
        requests.STATUS,
        {
            "id": str(r.pk),
            "state": "published",
            "title": "Marc Dupont",
            "reason": "Meets the Rules.",
            "errors": {},
        },
        1,
        "hub",
    )
    r = NoticeRequest.objects.get()
    assert (r.state, r.title, r.reason) == ("published", "Marc Dupont", "Meets the Rules.")
    requests.cancel(officer, str(r.pk), "Arrested in Spain.")
    assert envelope.open_body(latest(requests.CANCEL), "hub", peers["hub"])["reason"] == "Arrested in Spain."


def test_the_owner_is_warned_six_months_before_the_periodic_review(peers, hub):
    from datetime import timedelta

    from ncbnet.notices.tests.test_notices import submitted

    n = submitted()
    services.review(GS, str(n.pk), "approve", "ok")
    with clock.travel(timedelta(days=365 * 5 - 150)):
        services.tick()
    warning = envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])
    assert warning["state"] == "published" and "periodic review due" in warning["reason"]


def test_a_refused_request_does_not_tell_the_bureau_another_countrys_record(peers, hub):
    """Finding 5: the title of a notice request named any record by its id, without a visibility
    check, and went back in the refusal."""
    from ncbnet.records import services as records

    secret = records.contribute(
        records.Actor("br-officer", "BR"),
        "persons",
        {"names": [{"value": "Segredo Restrito"}], "sex": "M"},
        {"access": "allow", "countries": ["BR"]},
    )
    body = {
        "id": envelope.new_id(),
        "by": "fr-officer",
        "kind": "red",
        "data": red(subject={"record_id": str(secret.pk)}),
    }
    assert to_self(peers, requests.REQUEST, body, 1, "FR") == "accepted"
    status = envelope.open_body(latest(requests.STATUS), "FR", peers["FR"])
    assert status["state"] == "refused" and "subject.record_id" in status["errors"]
    assert "Segredo" not in json.dumps(status) and "Segredo" not in Notice.objects.get().title
