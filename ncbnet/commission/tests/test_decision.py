"""The decision with its reasons, carried out on the records consulted on, and the year's figures."""

from datetime import UTC, datetime

import pytest
from django.http import Http404

from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.commission import consultations, services
from ncbnet.commission.models import IllegalStep
from ncbnet.commission.schemas import BLOCK
from ncbnet.commission.tests.conftest import csrf_client, filed, follow
from ncbnet.network.models import OutboxEnvelope
from ncbnet.records import lifecycle, replication
from ncbnet.records import services as records
from ncbnet.records.models import Record, RecordVersion
from ncbnet.records.tests.test_records import PERSON

pytestmark = pytest.mark.django_db(databases=["default", "commission"])
KE = Actor("ke-officer", "KE")


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
        assert found.decisions == {"answered": 0, "keep": 0, "delete": 1}
        assert (found.mean_days, found.longest_days) == (89.0, 89)
        client.force_login(commission["member"])
        page = client.get("/commission/figures/", {"year": "2026"}).content.decode()
        assert 'id="decided-delete">1<' in page and 'id="mean-days">89.0<' in page
        assert client.get("/commission/figures/", {"year": "nonsense"}).status_code == 200
    assert services.figures(commission["member"], 2025).filed == {"access": 0, "correction": 0, "deletion": 0}
