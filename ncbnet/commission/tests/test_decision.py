"""The decision with its reasons, carried out on the records and notices consulted on (deleted,
corrected, kept), told to each owner bureau, and the year's figures."""

import itertools
import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.commission import consultations, services
from ncbnet.commission.models import IllegalStep, OwnerConsultation
from ncbnet.commission.schemas import BLOCK, CONSULT, DECISION
from ncbnet.commission.tests.conftest import csrf_client, filed, follow
from ncbnet.commission.tests.test_consultations import consult_body
from ncbnet.conftest import arriving
from ncbnet.network import delivery
from ncbnet.network.models import OutboxEnvelope
from ncbnet.notices.models import ExtractState
from ncbnet.notices.tests.test_notices import red
from ncbnet.public.tests.conftest import publish
from ncbnet.records import lifecycle, replication
from ncbnet.records import services as records
from ncbnet.records.models import OwnerAlert, Record, RecordVersion
from ncbnet.records.tests.test_records import PERSON

pytestmark = pytest.mark.django_db(databases=["default", "commission"])
KE = Actor("ke-officer", "KE")
positions = itertools.count(2000)
CORRECTED = PERSON | {"date_of_birth": {"year": 1986, "month": 3, "day": 9}}


def examined(commission, kind="deletion", at=datetime(2026, 2, 1, tzinfo=UTC)):
    record = records.contribute(Actor("br-officer", "BR"), "persons", PERSON)
    with clock.frozen(at):
        request, secret = filed(kind)
        services.decide_admissibility(commission["secretariat"], request.pk, admissible=True, note="")
        consultation = consultations.consult(
            commission["member"], request.pk, database="records", subject=record.pk, question="Needed?"
        )
        consultations.block(commission["member"], consultation.pk, blocked=True)
    return record, request, secret


def test_a_deletion_erases_the_record_from_the_hub_and_every_replica(client, commission, peers):
    record, request, secret = examined(commission)
    client.force_login(commission["member"])
    response = client.post(
        f"/commission/requests/{request.pk}/decision/",
        {"decision": "delete", "reasons": "The data is no longer needed for its purpose."},
    )
    assert response.status_code == 302
    assert not Record.objects.filter(pk=record.pk).exists()
    assert not RecordVersion.objects.filter(record_id=record.pk).exists()
    purged = OutboxEnvelope.objects.get(kind=lifecycle.PURGED)
    assert set(purged.recipients) == {"BR", "KE", "FR"}
    with pytest.raises(Http404):
        records.read(KE, str(record.pk))
    request.refresh_from_db()
    assert (request.state, request.decision) == ("decided", "delete")
    page = follow(csrf_client(), request.reference, secret).content.decode()
    assert "The data is deleted" in page and "The data is no longer needed for its purpose." in page
    assert "Decision due by" not in page  # the clock stopped


def test_keeping_the_data_unblocks_it_and_tells_the_owner(commission, peers):
    record, request, _ = examined(commission)
    consultations.decide(commission["member"], request.pk, decision="keep", reasons="Accurate and needed.")
    record.refresh_from_db()
    assert record.blocked_at is None and records.read(KE, str(record.pk)).pk == record.pk
    assert OutboxEnvelope.objects.filter(kind=BLOCK).count() == 2  # blocked, then unblocked
    upserts = OutboxEnvelope.objects.filter(kind=replication.UPSERT).count()
    replication.send_changes()
    assert OutboxEnvelope.objects.filter(kind=replication.UPSERT).count() > upserts  # back to the nodes


def test_a_correction_replaces_the_records_data_unblocks_it_and_tells_the_owner(client, commission, peers):
    record, request, secret = examined(commission, kind="correction")
    client.force_login(commission["member"])
    page = client.get(f"/commission/requests/{request.pk}/").content.decode()
    field = f"correction_{request.consultations.get().pk}"
    assert f'name="{field}"' in page and "Smirnov" in page  # the current data, to start from
    response = client.post(
        f"/commission/requests/{request.pk}/decision/",
        {"decision": "correct", "reasons": "The date of birth was wrong.", field: json.dumps(CORRECTED)},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.data["date_of_birth"] == {"year": 1986, "month": 3, "day": 9}
    assert record.blocked_at is None and record.version == 3  # contributed, blocked, corrected
    version = RecordVersion.objects.get(record=record, version=3)
    assert (version.changed_by_country, version.reason) == ("CCF", f"corrected: CCF {request.reference}")
    assert records.read(KE, str(record.pk)).data["date_of_birth"]["year"] == 1986
    told = OutboxEnvelope.objects.get(kind=DECISION)
    assert told.recipients == ["BR"]
    page = follow(csrf_client(), request.reference, secret).content.decode()
    assert "The data is corrected" in page and "The date of birth was wrong." in page


def test_a_correction_states_valid_data_for_every_record_or_nothing_changes(client, commission, peers):
    record, request, _ = examined(commission, kind="correction")
    record.refresh_from_db()
    kept = (record.data, record.version)
    client.force_login(commission["member"])
    path = f"/commission/requests/{request.pk}/decision/"
    field = f"correction_{request.consultations.get().pk}"
    bad = [
        {field: "{not json"},
        {field: "[1, 2]"},
        {},  # no corrected data at all
        {field: json.dumps(PERSON | {"names": []})},  # refused by the database's own schema
        {field: json.dumps(PERSON | {"date_of_birth": {"year": 1984, "month": 13}})},
    ]
    for fields in bad:
        response = client.post(path, {"decision": "correct", "reasons": "Wrong.", **fields})
        assert response.status_code == 400, fields
    request.refresh_from_db()
    record.refresh_from_db()
    assert request.state == "admissible" and (record.data, record.version) == kept
    assert record.blocked_at is not None
    assert not OutboxEnvelope.objects.filter(kind=DECISION).exists()
    with pytest.raises(ValidationError):
        consultations.decide(
            commission["member"], request.pk, decision="correct", reasons="x", corrections={}
        )


def test_deleting_a_notices_data_cancels_it_and_its_public_extract(commission, peers):
    notice, extract = publish("red", red(), {})
    request, _ = filed()
    services.decide_admissibility(commission["secretariat"], request.pk, admissible=True, note="")
    consultations.consult(
        commission["member"], request.pk, database="notices", subject=notice.pk, question="Needed?"
    )
    with pytest.raises(IllegalStep):  # a notice is corrected by its owner, not by the Commission
        consultations.decide(
            commission["member"], request.pk, decision="correct", reasons="x", corrections={}
        )
    consultations.decide(commission["member"], request.pk, decision="delete", reasons="Unlawful.")
    notice.refresh_from_db()
    extract.refresh_from_db()
    assert notice.state == "cancelled" and extract.state == ExtractState.WITHDRAWN
    assert notice.events.last().actor_country == "CCF"
    assert OutboxEnvelope.objects.get(kind=DECISION).recipients == [notice.owner]


def test_the_owner_reads_the_decision_on_its_node(peers, client, user_factory):
    body = consult_body()
    delivery.accept(arriving(peers, CONSULT, body, sender="hub"), next(positions))
    decision = {
        "consultation": body["consultation"],
        "subject": body["subject"],
        "label": body["label"],
        "decision": "correct",
        "reasons": "The date of birth was wrong.",
        "at": clock.now().isoformat(),
    }
    assert delivery.accept(arriving(peers, DECISION, decision, sender="BR"), next(positions)) == "quarantined"
    other = decision | {"subject": body["consultation"]}
    assert delivery.accept(arriving(peers, DECISION, other, sender="hub"), next(positions)) == "quarantined"
    assert delivery.accept(arriving(peers, DECISION, decision, sender="hub"), next(positions)) == "accepted"
    found = OwnerConsultation.objects.get()
    assert (found.decision, found.decision_reasons) == ("correct", "The date of birth was wrong.")
    assert OwnerAlert.objects.get().event == "corrected"
    client.force_login(user_factory("ncb", "officer"))
    assert "corrected by decision of the Commission" in client.get("/").content.decode()
    page = client.get(f"/commission/consultations/{body['consultation']}/").content.decode()
    assert "The data is corrected" in page and "The date of birth was wrong." in page


def test_only_members_decide_once_with_reasons(client, commission, peers):
    _record, request, _ = examined(commission)
    client.force_login(commission["secretariat"])
    path = f"/commission/requests/{request.pk}/decision/"
    assert client.post(path, {"decision": "keep", "reasons": "x"}).status_code == 403
    client.force_login(commission["member"])
    assert client.post(path, {"decision": "keep", "reasons": ""}).status_code == 400
    assert client.post(path, {"decision": "keep", "reasons": "Accurate."}).status_code == 302
    with pytest.raises(IllegalStep):
        consultations.decide(commission["member"], request.pk, decision="delete", reasons="again")
    pending, _ = filed()
    with pytest.raises(IllegalStep):
        consultations.decide(commission["member"], pending.pk, decision="keep", reasons="not admissible")


def test_the_years_figures(client, commission, peers):
    _r, deleted, _ = examined(commission, at=datetime(2026, 2, 1, tzinfo=UTC))
    with clock.frozen(datetime(2026, 5, 1, tzinfo=UTC)):
        consultations.decide(commission["member"], deleted.pk, decision="delete", reasons="Unneeded.")
    with clock.frozen(datetime(2026, 3, 1, tzinfo=UTC)):
        refused, _ = filed("access")
        services.decide_admissibility(commission["secretariat"], refused.pk, admissible=False, note="No ID.")
    with clock.frozen(datetime(2026, 6, 1, tzinfo=UTC)):
        found = services.figures(commission["member"], 2026)
        assert found.filed == {"access": 1, "correction": 0, "deletion": 1}
        assert (found.admissible, found.inadmissible) == (1, 1)
        assert found.decisions == {"answered": 0, "keep": 0, "correct": 0, "delete": 1}
        assert (found.mean_days, found.longest_days) == (89.0, 89)
        client.force_login(commission["member"])
        page = client.get("/commission/figures/", {"year": "2026"}).content.decode()
        assert 'id="decided-delete">1<' in page and 'id="mean-days">89.0<' in page
        assert client.get("/commission/figures/", {"year": "nonsense"}).status_code == 200
    assert services.figures(commission["member"], 2025).filed == {"access": 0, "correction": 0, "deletion": 0}
