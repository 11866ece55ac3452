"""While a request is examined, a member blocks the challenged record: it leaves every replica,
search and screening like a withdrawn record, its owner is told, and unblocking brings it back."""

import itertools
import uuid

import pytest
from django.http import Http404

from ncbnet.base import clock, holdings
from ncbnet.base.actor import Actor
from ncbnet.commission import consultations, services
from ncbnet.commission.models import OwnerConsultation
from ncbnet.commission.schemas import BLOCK, CONSULT
from ncbnet.commission.tests.conftest import csrf_client, filed, follow
from ncbnet.commission.tests.test_consultations import consult_body
from ncbnet.conftest import arriving
from ncbnet.network import delivery
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records import replication
from ncbnet.records import services as records
from ncbnet.records.models import OwnerAlert
from ncbnet.records.tests.test_records import PERSON
from ncbnet.screening import services as screening

pytestmark = pytest.mark.django_db(databases=["default", "commission"])
positions = itertools.count(1000)
KE = Actor("ke-officer", "KE")


@pytest.fixture
def consulted(commission, peers):
    record = records.contribute(Actor("br-officer", "BR"), "persons", PERSON)
    replication.send_changes()
    request, secret = filed()
    services.decide_admissibility(commission["secretariat"], request.pk, admissible=True, note="")
    consultation = consultations.consult(
        commission["member"], request.pk, database="records", subject=record.pk, question="Needed?"
    )
    return record, request, secret, consultation


def sent(kind):
    return list(OutboxEnvelope.objects.filter(kind=kind).order_by("pk"))


def test_a_blocked_record_leaves_every_replica_and_screening_until_unblocked(client, commission, consulted):
    record, request, secret, consultation = consulted
    assert records.read(KE, str(record.pk)).pk == record.pk
    removals, upserts = len(sent(replication.REMOVE)), len(sent(replication.UPSERT))

    client.force_login(commission["member"])
    path = f"/commission/requests/{request.pk}/consultations/{consultation.pk}/block/"
    assert client.post(path, {"blocked": "1"}).status_code == 302
    record.refresh_from_db()
    assert record.blocked_at is not None and record.status == "blocked"
    with pytest.raises(Http404):
        records.read(KE, str(record.pk))
    assert replication.audience(record) == set()
    replication.send_changes()
    removal = sent(replication.REMOVE)[removals:]
    assert removal and set(removal[0].recipients) == {"BR", "KE", "FR"}
    [flag] = sent(BLOCK)
    assert flag.recipients == ["BR"]
    assert "Blocked" in client.get(f"/commission/requests/{request.pk}/").content.decode()
    status = follow(csrf_client(), request.reference, secret).content.decode()
    assert "Access to the data blocked while the request is examined" in status

    assert client.post(path, {"blocked": "0"}).status_code == 302
    record.refresh_from_db()
    assert record.blocked_at is None and records.read(KE, str(record.pk)).pk == record.pk
    replication.send_changes()
    assert len(sent(replication.UPSERT)) > upserts
    assert len(sent(BLOCK)) == 2
    assert "Access to the data restored" in follow(csrf_client(), request.reference, secret).content.decode()


def test_a_blocked_record_is_out_of_the_hubs_search_and_screening(commission, consulted, user_factory):
    record, _request, _secret, consultation = consulted
    analyst = user_factory("gs", "analyst")
    assert str(record.pk) in {h.record for h in screening.person(analyst, "Aleksei Smirnov", "1984-03").hits}
    consultations.block(commission["member"], consultation.pk, blocked=True)
    assert str(record.pk) not in {
        h.record for h in screening.person(analyst, "Aleksei Smirnov", "1984-03").hits
    }
    assert record.pk not in set(holdings.here().candidates(analyst).values_list("pk", flat=True))


def test_only_members_block(client, commission, consulted):
    _record, request, _secret, consultation = consulted
    client.force_login(commission["secretariat"])
    path = f"/commission/requests/{request.pk}/consultations/{consultation.pk}/block/"
    assert client.post(path, {"blocked": "1"}).status_code == 403
    assert not sent(BLOCK)


# --- on the owner's node -----------------------------------------------------------------------------


def test_the_owner_is_told_of_the_block(peers, client, user_factory):
    body = consult_body()
    delivery.accept(arriving(peers, CONSULT, body, sender="hub"), next(positions))
    block = {
        "consultation": body["consultation"],
        "subject": body["subject"],
        "label": body["label"],
        "blocked": True,
        "at": clock.now().isoformat(),
    }
    assert delivery.accept(arriving(peers, BLOCK, block, sender="hub"), next(positions)) == "accepted"
    assert OwnerConsultation.objects.get().blocked_at is not None
    assert OwnerAlert.objects.get().event == "blocked"
    client.force_login(user_factory("ncb", "officer"))
    home = client.get("/").content.decode()
    assert "blocked by the Commission for the Control of Files" in home
    page = client.get(f"/commission/consultations/{body['consultation']}/").content.decode()
    assert "Blocked by the Commission while the request is examined" in page


def test_a_block_for_no_consultation_or_other_data_is_quarantined(peers):
    body = consult_body()
    delivery.accept(arriving(peers, CONSULT, body, sender="hub"), next(positions))
    block = {
        "consultation": str(uuid.uuid4()),
        "subject": body["subject"],
        "label": "x",
        "blocked": True,
        "at": clock.now().isoformat(),
    }
    assert delivery.accept(arriving(peers, BLOCK, block, sender="hub"), next(positions)) == "quarantined"
    other = block | {"consultation": body["consultation"], "subject": str(uuid.uuid4())}
    assert delivery.accept(arriving(peers, BLOCK, other, sender="hub"), next(positions)) == "quarantined"
    forged = block | {"consultation": body["consultation"]}
    assert delivery.accept(arriving(peers, BLOCK, forged, sender="BR"), next(positions)) == "quarantined"
    assert OwnerConsultation.objects.get().blocked_at is None and not OwnerAlert.objects.exists()
