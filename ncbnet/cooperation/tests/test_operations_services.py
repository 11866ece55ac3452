"""Operations and results through the services, on one node: who may create and change them,
what is refused (with the field at fault and nothing written), what is sent to whom."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.cooperation.models import Operation, OperationResult
from ncbnet.cooperation.services import operations as ops
from ncbnet.network import envelope
from ncbnet.network.models import OutboxEnvelope

pytestmark = pytest.mark.django_db


def draft(**kw):
    base = {
        "code_name": "Lionfish",
        "target_crime": "Drug trafficking by sea",
        "period_start": "2026-05-01",
        "period_end": "2026-05-31",
        "participants": ["FR", "BR"],
        "series": "Lionfish",
        "agencies": [{"country": "BR", "agency": "Polícia Federal", "contact": "pf@example.br"}],
        "commodities": ["cocaine"],
        "tools": ["database searches"],
        "state": "active",
    }
    return ops.Draft(**{**base, **kw})


def arrest(**kw):
    return ops.ResultDraft(
        **{
            "kind": "arrest",
            "date": "2026-05-03",
            "person_name": "Marc Dupont",
            "date_of_birth": "1980-04-02",
            **kw,
        }
    )


def test_a_lead_bureau_creates_an_operation_sent_to_the_other_participants(peers, user_factory):
    officer = user_factory("ncb", "officer", username="fr-lead")
    op = ops.create(officer, draft())
    assert op.coordinator == "FR" and op.participants == ["BR", "FR"]
    e = envelope.decode(bytes(OutboxEnvelope.objects.get().payload))
    assert e["type"] == "cooperation.operation" and e["to"] == ["BR"]
    body = envelope.open_body(e, "BR", peers["BR"])
    assert body["code_name"] == "Lionfish" and body["coordinator"] == "FR"
    assert AuditEntry.objects.filter(action="cooperation.operation.create", actor="fr-lead").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"participants": ["FR", "XX"]}, "participants"),
        ({"participants": []}, "participants"),
        ({"code_name": " "}, "code_name"),
        ({"period_end": "2026-04-01"}, "period_end"),
        ({"period_start": "yesterday"}, "period_start"),
        ({"state": "maybe"}, "state"),
        ({"agencies": [{"country": "KE", "agency": "DCI"}]}, "agencies.0"),
        ({"group": "no-such-group"}, "group"),
    ],
)
def test_bad_operations_are_refused_with_the_field_and_nothing_is_written(
    peers, user_factory, changes, field
):
    with pytest.raises(ValidationError) as refused:
        ops.create(user_factory("ncb", "officer"), draft(**changes))
    assert field in refused.value.message_dict
    assert not Operation.objects.exists() and not OutboxEnvelope.objects.exists()


def test_an_agency_user_does_not_create_operations(peers, user_factory):
    with pytest.raises(PermissionDenied):
        ops.create(user_factory("agency", "query"), draft())


def test_only_the_coordinator_updates_and_only_forward(peers, user_factory):
    officer = user_factory("ncb", "officer")
    op = ops.create(officer, draft())
    finished = ops.update(officer, op.pk, ops.draft_of(op, state="finished"))
    assert finished.state == "finished" and finished.version == 2
    with pytest.raises(ValidationError) as refused:
        ops.update(officer, op.pk, ops.draft_of(finished, state="active"))
    assert "state" in refused.value.message_dict
    Operation.objects.filter(pk=op.pk).update(coordinator="hub")
    with pytest.raises(PermissionDenied):
        ops.update(officer, op.pk, ops.draft_of(finished, code_name="Mine now"))
    assert Operation.objects.get().code_name == "Lionfish"


def test_a_participant_reports_a_result_sent_to_the_coordinator_and_the_others(peers, user_factory):
    officer = user_factory("ncb", "officer")
    op = Operation.objects.create(
        id=envelope.new_id(),
        code_name="Pangea",
        coordinator="hub",
        participants=["BR", "FR", "KE"],
        period_start="2026-05-01",
        period_end="2026-05-31",
        target_crime="Medicines",
        state="active",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    r = ops.report(officer, op.pk, arrest(notice_subject=True, notice_id="2026/123", nationality="FR"))
    assert r.reported_by == "FR" and r.duplicate_of is None
    e = envelope.decode(bytes(OutboxEnvelope.objects.get().payload))
    assert e["type"] == "cooperation.operation.result" and e["to"] == ["BR", "KE", "hub"]
    assert envelope.open_body(e, "hub", peers["hub"])["person_name"] == "Marc Dupont"


def test_a_result_for_an_operation_the_bureau_is_not_in_is_refused(peers, user_factory):
    officer = user_factory("ncb", "officer")
    op = Operation.objects.create(
        id=envelope.new_id(),
        code_name="Pangea",
        coordinator="hub",
        participants=["BR", "KE"],
        period_start="2026-05-01",
        period_end="2026-05-31",
        target_crime="Medicines",
        state="active",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    with pytest.raises(PermissionDenied):
        ops.report(officer, op.pk, arrest())
    assert not OperationResult.objects.exists() and not OutboxEnvelope.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"person_name": ""}, "person_name"),
        ({"kind": "rumour"}, "kind"),
        ({"date": "2026-02-30"}, "date"),
        ({"date_of_birth": "2 April 1980"}, "date_of_birth"),
        ({"kind": "seizure", "commodity": "cocaine", "unit": "kg", "quantity": "-3"}, "quantity"),
        ({"kind": "seizure", "commodity": "cocaine", "unit": "kg", "quantity": "NaN"}, "quantity"),
        ({"kind": "seizure", "commodity": "cocaine"}, "commodity"),
    ],
)
def test_bad_results_are_refused_with_the_field(peers, user_factory, changes, field):
    officer = user_factory("ncb", "officer")
    op = ops.create(officer, draft())
    with pytest.raises(ValidationError) as refused:
        ops.report(officer, op.pk, arrest(**changes))
    assert field in refused.value.message_dict
    assert not OperationResult.objects.exists()


def test_totals_and_csv(peers, user_factory):
    officer = user_factory("ncb", "officer")
    op = ops.create(officer, draft())
    ops.report(officer, op.pk, arrest(notice_subject=True))
    ops.report(
        officer,
        op.pk,
        ops.ResultDraft(
            kind="seizure",
            date="2026-05-04",
            commodity="Cocaine",
            quantity="120.5",
            unit="kg",
            value_usd="3000000",
            place='=HYPERLINK("x")',
        ),
    )
    ops.report(officer, op.pk, ops.ResultDraft(kind="victim", date="2026-05-04", count=4))
    _op, _found, summary = ops.totals(officer, op.pk)
    assert (
        summary.overall.arrests == 1 and summary.overall.notice_subjects == 1 and summary.overall.victims == 4
    )
    assert [(s.commodity, s.unit, str(s.quantity)) for s in summary.by_commodity] == [
        ("cocaine", "kg", "120.500")
    ]
    assert summary.by_country["FR"].seizures == 1
    _op, text = ops.results_csv(officer, op.pk)
    lines = text.splitlines()
    assert lines[0].startswith("id,reported_by,kind") and len(lines) == 4
    assert "'=HYPERLINK" in text
