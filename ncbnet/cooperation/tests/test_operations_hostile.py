"""Operations and results arriving from the network (hostile first): a forged coordinator, an
update from a node that is not the coordinator, a result from a bureau not in the operation, a
result before the operation starts, a result id already kept, an older version: all quarantined,
nothing kept changes."""

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving
from ncbnet.cooperation.models import Operation, OperationResult
from ncbnet.network import delivery, envelope
from ncbnet.network.models import Quarantine

pytestmark = pytest.mark.django_db


def operation(**over):
    return {
        "operation_id": envelope.new_id(),
        "version": 1,
        "code_name": "Trigger IX",
        "series": "Trigger",
        "coordinator": "hub",
        "coordinating_body": "GS Firearms Programme",
        "participants": ["BR", "FR"],
        "agencies": [{"country": "FR", "agency": "OCLCO", "contact": "oclco@example.fr"}],
        "period_start": "2026-05-01",
        "period_end": "2026-05-31",
        "operational_hub": "Lyon",
        "target_crime": "Firearms trafficking",
        "commodities": ["firearms"],
        "tools": ["database searches", "hits"],
        "state": "active",
        "created_at": clock.now().isoformat(),
        **over,
    }


def result(operation_id, reporter="BR", **over):
    return {
        "result_id": envelope.new_id(),
        "operation_id": operation_id,
        "reported_by": reporter,
        "reporter_name": "Ana Souza",
        "kind": "arrest",
        "person_name": "Marc Dupont",
        "date_of_birth": "1980-04-02",
        "nationality": "FR",
        "date": "2026-05-03",
        "reported_at": clock.now().isoformat(),
        **over,
    }


_seq = iter(range(1, 10_000))


def accept(peers, kind, body, sender, signer=None):
    return delivery.accept(arriving(peers, kind, body, sender=sender, signer=signer), stream_seq=next(_seq))


def kept_operation(peers, **over):
    body = operation(**over)
    assert accept(peers, "cooperation.operation", body, "hub") == "accepted"
    return body


def test_an_operation_from_its_coordinator_is_kept(peers):
    body = kept_operation(peers)
    op = Operation.objects.get()
    assert str(op.pk) == body["operation_id"] and op.coordinator == "hub" and op.participants == ["BR", "FR"]
    assert op.agencies[0]["agency"] == "OCLCO" and op.state == "active"


def test_an_operation_naming_another_coordinator_than_its_sender_is_quarantined(peers):
    assert accept(peers, "cooperation.operation", operation(coordinator="hub"), "BR") == "quarantined"
    assert not Operation.objects.exists() and Quarantine.objects.count() == 1


def test_a_forged_signature_is_quarantined(peers):
    assert accept(peers, "cooperation.operation", operation(), "hub", signer="BR") == "quarantined"
    assert not Operation.objects.exists()


def test_an_operation_this_bureau_is_not_in_is_quarantined(peers):
    assert (
        accept(peers, "cooperation.operation", operation(participants=["BR", "KE"]), "hub") == "quarantined"
    )
    assert not Operation.objects.exists()


def test_an_update_from_a_node_that_is_not_the_coordinator_is_quarantined(peers):
    body = kept_operation(peers)
    forged = operation(
        operation_id=body["operation_id"], version=2, coordinator="BR", code_name="Hijacked", state="finished"
    )
    assert accept(peers, "cooperation.operation", forged, "BR") == "quarantined"
    op = Operation.objects.get()
    assert op.code_name == "Trigger IX" and op.coordinator == "hub" and op.state == "active"


def test_an_update_from_the_coordinator_replaces_the_copy_but_not_with_an_older_version(peers):
    body = kept_operation(peers)
    update = operation(operation_id=body["operation_id"], version=2, state="finished", tools=["hits"])
    assert accept(peers, "cooperation.operation", update, "hub") == "accepted"
    stale = operation(operation_id=body["operation_id"], version=2, code_name="Replayed")
    assert accept(peers, "cooperation.operation", stale, "hub") == "quarantined"
    back = operation(operation_id=body["operation_id"], version=3, state="planned")
    assert accept(peers, "cooperation.operation", back, "hub") == "quarantined"
    op = Operation.objects.get()
    assert (
        op.state == "finished" and op.tools == ["hits"] and op.version == 2 and op.code_name == "Trigger IX"
    )


def test_a_result_from_a_participant_is_kept(peers):
    body = kept_operation(peers)
    r = result(body["operation_id"])
    assert accept(peers, "cooperation.operation.result", r, "BR") == "accepted"
    kept = OperationResult.objects.get()
    assert str(kept.pk) == r["result_id"] and kept.reported_by == "BR" and kept.duplicate_of is None


def test_a_result_from_a_bureau_not_in_the_operation_is_quarantined(peers):
    body = kept_operation(peers)
    assert (
        accept(peers, "cooperation.operation.result", result(body["operation_id"], "KE"), "KE")
        == "quarantined"
    )
    assert not OperationResult.objects.exists()


def test_a_result_claiming_another_reporter_is_quarantined(peers):
    body = kept_operation(peers)
    r = result(body["operation_id"], reporter="BR")
    assert accept(peers, "cooperation.operation.result", r, "KE") == "quarantined"
    assert not OperationResult.objects.exists()


def test_a_result_before_the_operation_starts_is_quarantined(peers):
    body = kept_operation(peers, state="planned")
    assert accept(peers, "cooperation.operation.result", result(body["operation_id"]), "BR") == "quarantined"
    assert not OperationResult.objects.exists()


def test_a_result_of_an_unknown_operation_is_quarantined(peers):
    assert accept(peers, "cooperation.operation.result", result(envelope.new_id()), "BR") == "quarantined"


def test_a_result_id_already_kept_is_quarantined_and_not_overwritten(peers):
    body = kept_operation(peers)
    r = result(body["operation_id"])
    assert accept(peers, "cooperation.operation.result", r, "BR") == "accepted"
    again = {**r, "person_name": "Someone Else"}
    assert accept(peers, "cooperation.operation.result", again, "BR") == "quarantined"
    assert OperationResult.objects.get().person_name == "Marc Dupont"


def test_the_same_arrest_from_two_countries_is_matched_on_arrival(peers):
    body = kept_operation(peers, participants=["BR", "FR", "KE"])
    first = result(body["operation_id"], "BR", person_name="DUPONT, Marc")
    second = result(body["operation_id"], "KE", person_name="marc dupont")
    assert accept(peers, "cooperation.operation.result", second, "KE") == "accepted"
    assert accept(peers, "cooperation.operation.result", first, "BR") == "accepted"
    counted = OperationResult.objects.get(duplicate_of__isnull=True)
    assert str(counted.pk) == min(first["result_id"], second["result_id"])
    assert OperationResult.objects.filter(duplicate_of=counted).count() == 1


@pytest.mark.parametrize(
    "code",
    ["9999", "06", "06011", "x" * 5000, 601, None],
    ids=["unknown", "section", "level-3", "huge", "number", "null"],
)
def test_a_result_with_a_crime_category_that_is_not_a_level_2_code_is_quarantined(peers, code):
    body = kept_operation(peers)
    held = Quarantine.objects.count()
    r = result(body["operation_id"], iccs=code)
    assert accept(peers, "cooperation.operation.result", r, "BR") == "quarantined"
    assert Quarantine.objects.count() == held + 1
    assert not OperationResult.objects.exists()


def test_a_result_keeps_its_crime_category(peers):
    body = kept_operation(peers)
    r = result(body["operation_id"], iccs="0901")
    assert accept(peers, "cooperation.operation.result", r, "BR") == "accepted"
    assert OperationResult.objects.get().iccs == "0901"
