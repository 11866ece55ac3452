"""The Commission consults the owner bureau over the network; the bureau answers on its node."""

import itertools
import json
import uuid
from datetime import timedelta

import pytest

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.commission import consultations, services
from ncbnet.commission.models import Consultation, IllegalStep, OwnerConsultation
from ncbnet.commission.schemas import CONSULT, POSITION
from ncbnet.commission.tests.conftest import csrf_client, filed, follow
from ncbnet.conftest import arriving
from ncbnet.network import delivery
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records import services as records
from ncbnet.records.tests.test_records import PERSON

pytestmark = pytest.mark.django_db(databases=["default", "commission"])
positions = itertools.count(1)


def admissible(commission):
    request, secret = filed()
    services.decide_admissibility(commission["secretariat"], request.pk, admissible=True, note="")
    return request, secret


def position(consultation_id, **overrides):
    return {
        "consultation": str(consultation_id),
        "position": "delete",
        "note": "The case was closed.",
        "by": "br-officer",
        "at": clock.now().isoformat(),
    } | overrides


# --- at the hub -------------------------------------------------------------------------------------


def test_the_commission_consults_the_owner_and_its_answer_joins_the_request(client, commission, peers):
    record = records.contribute(Actor("br-officer", "BR"), "persons", PERSON)
    request, secret = admissible(commission)
    client.force_login(commission["member"])
    response = client.post(
        f"/commission/requests/{request.pk}/consult/",
        {"database": "records", "subject": str(record.pk), "question": "Is the record still needed?"},
    )
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    assert (consultation.owner, consultation.subject, consultation.label) == ("BR", record.pk, record.label)
    assert consultation.due_at - consultation.asked_at == timedelta(days=30)
    sent = OutboxEnvelope.objects.get(kind=CONSULT)
    assert sent.recipients == ["BR"]
    assert b"still needed" not in bytes(sent.payload)  # sealed to the owner

    raw = arriving(peers, POSITION, position(consultation.pk), sender="BR", to="hub")
    assert delivery.accept(raw, next(positions)) == "accepted"
    consultation.refresh_from_db()
    assert (consultation.position, consultation.note) == ("delete", "The case was closed.")
    page = client.get(f"/commission/requests/{request.pk}/").content.decode()
    assert "Delete the data" in page and "BR: br-officer" in page
    status = follow(csrf_client(), request.reference, secret).content.decode()
    assert "The data&#x27;s owner consulted" in status and "The data&#x27;s owner answered" in status
    assert "The case was closed." not in status  # the bureau's reasons are for the Commission

    again = arriving(peers, POSITION, position(consultation.pk, position="keep"), sender="BR", to="hub")
    assert delivery.accept(again, next(positions)) == "accepted"
    consultation.refresh_from_db()
    assert consultation.position == "delete"  # the first answer stands


def test_a_position_not_from_the_owner_or_on_no_consultation_is_quarantined(commission, peers):
    record = records.contribute(Actor("br-officer", "BR"), "persons", PERSON)
    request, _ = admissible(commission)
    consultation = consultations.consult(
        commission["member"], request.pk, database="records", subject=record.pk, question="Needed?"
    )
    forged = arriving(peers, POSITION, position(consultation.pk), sender="KE", to="hub")
    assert delivery.accept(forged, next(positions)) == "quarantined"
    unknown = arriving(peers, POSITION, position(uuid.uuid4()), sender="BR", to="hub")
    assert delivery.accept(unknown, next(positions)) == "quarantined"
    consultation.refresh_from_db()
    assert consultation.answered_at is None


def test_only_an_admissible_request_about_data_the_hub_keeps_is_consulted_on(client, commission, peers):
    record = records.contribute(Actor("br-officer", "BR"), "persons", PERSON)
    pending, _ = filed()
    with pytest.raises(IllegalStep):
        consultations.consult(
            commission["member"], pending.pk, database="records", subject=record.pk, question="?"
        )
    request, _ = admissible(commission)
    client.force_login(commission["member"])
    response = client.post(
        f"/commission/requests/{request.pk}/consult/",
        {"database": "notices", "subject": str(record.pk), "question": "Needed?"},
    )
    assert (
        response.status_code == 400 and "The hub keeps no such record or notice." in response.content.decode()
    )
    assert not Consultation.objects.exists() and not OutboxEnvelope.objects.filter(kind=CONSULT).exists()


# --- on the owner's node -----------------------------------------------------------------------------


def consult_body(**overrides):
    now = clock.now()
    return {
        "consultation": str(uuid.uuid4()),
        "database": "records",
        "subject": str(uuid.uuid4()),
        "label": "OTIENO Daniel",
        "kind": "deletion",
        "question": "Is the record still needed?",
        "asked_at": now.isoformat(),
        "due_at": (now + timedelta(days=30)).isoformat(),
    } | overrides


def test_the_owner_bureau_answers_on_its_node_before_its_deadline(client, peers, user_factory):
    body = consult_body()
    assert delivery.accept(arriving(peers, CONSULT, body, sender="hub"), next(positions)) == "accepted"
    assert delivery.accept(arriving(peers, CONSULT, body, sender="hub"), next(positions)) == "accepted"
    assert OwnerConsultation.objects.count() == 1

    client.force_login(user_factory("ncb", "officer"))
    listing = client.get("/commission/consultations/").content.decode()
    assert "OTIENO Daniel" in listing and "Waiting" in listing
    with clock.travel(timedelta(days=31)):
        client.force_login(user_factory("ncb", "officer"))
        assert "overdue" in client.get("/commission/consultations/").content.decode()
    path = f"/commission/consultations/{body['consultation']}/"
    page = client.get(path).content.decode()
    assert "Is the record still needed?" in page
    assert client.post(path, {"position": "keep", "note": "The warrant is in force."}).status_code == 302
    sent = OutboxEnvelope.objects.get(kind=POSITION)
    assert sent.recipients == ["hub"]
    assert "Keep: the data is accurate" in client.get(path).content.decode()
    assert client.post(path, {"position": "delete"}).status_code == 400  # answered once
    assert OutboxEnvelope.objects.filter(kind=POSITION).count() == 1


def test_a_consultation_comes_only_from_the_hub(peers):
    raw = arriving(peers, CONSULT, consult_body(), sender="BR")
    assert delivery.accept(raw, next(positions)) == "quarantined"
    assert not OwnerConsultation.objects.exists()


def test_only_the_bureaus_staff_see_the_consultations(client, peers, user_factory):
    body = consult_body()
    delivery.accept(arriving(peers, CONSULT, body, sender="hub"), next(positions))
    client.force_login(user_factory("agency", "query"))
    assert client.get("/commission/consultations/").status_code == 403
    assert client.get(f"/commission/consultations/{body['consultation']}/").status_code == 403


def test_the_consultation_lives_in_the_nodes_own_database(peers):
    from django.db import connections

    delivery.accept(arriving(peers, CONSULT, consult_body(), sender="hub"), next(positions))
    assert "commission_ownerconsultation" in connections["default"].introspection.table_names()
    assert "commission_ownerconsultation" not in connections["commission"].introspection.table_names()
    assert (
        json.loads(json.dumps(OwnerConsultation.objects.values_list("label", flat=True)[0]))
        == "OTIENO Daniel"
    )
