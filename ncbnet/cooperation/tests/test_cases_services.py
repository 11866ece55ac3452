"""Cases on one node (FR): what this bureau may do is the permission its node holds; closing waits
for the mandatory tasks; reads and searches are audited; bad input changes nothing."""

import itertools
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import arriving
from ncbnet.cooperation.models import Case, CaseEntry, CaseTask
from ncbnet.cooperation.services import cases as services
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope

pytestmark = pytest.mark.django_db
seq = itertools.count(1000)


@pytest.fixture
def officer(user_factory):
    return user_factory("ncb", "officer", username="fr-officer")


@pytest.fixture
def case(peers, officer):
    return services.create(
        officer, services.Draft(title="Forged passports ring", participants={"BR": "contribute"})
    )


def received_case(peers, permission):
    """A case BR owns and shares with FR at `permission`."""
    now = clock.now().isoformat()
    body = {
        "case_id": envelope.new_id(),
        "owner": "BR",
        "created_by": "Ana Souza",
        "title": "Reefer containers",
        "severity": "high",
        "status": "active",
        "created_at": now,
        "participants": [
            {"node": "BR", "permission": "manage", "added_at": now, "added_by": "Ana"},
            {"node": "FR", "permission": permission, "added_at": now, "added_by": "Ana"},
        ],
    }
    assert delivery.accept(arriving(peers, services.CASE, body, sender="BR"), next(seq)) == "accepted"
    return Case.objects.get(pk=body["case_id"])


def test_closing_with_an_open_mandatory_task_is_refused(case, officer):
    t = services.add_task(officer, case.pk, "Hear the courier", assignee_node="BR", mandatory=True)
    with pytest.raises(ValidationError) as refused:
        services.close(officer, case.pk, "Ring dismantled.")
    assert "tasks" in refused.value.message_dict
    assert Case.objects.get().status == "open"
    services.update_task(officer, case.pk, t.pk, state="done", note="Heard.")
    closed = services.close(officer, case.pk, "Ring dismantled.")
    assert closed.status == "closed" and closed.outcome == "Ring dismantled." and closed.time_to_resolve
    with pytest.raises(ValidationError):
        services.add_entry(officer, case.pk, "note", "too late")


def test_closing_needs_an_outcome(case, officer):
    with pytest.raises(ValidationError) as refused:
        services.close(officer, case.pk, " ")
    assert "outcome" in refused.value.message_dict


def test_status_moves_along_its_transitions(case, officer):
    assert services.change_status(officer, case.pk, "active").status == "active"
    assert services.change_status(officer, case.pk, "suspended").status == "suspended"
    assert services.change_status(officer, case.pk, "active").status == "active"
    with pytest.raises(ValidationError):
        services.change_status(officer, case.pk, "open")


def test_a_read_only_bureau_cannot_write_and_a_contributor_cannot_manage(peers, officer):
    read_only = received_case(peers, "read")
    with pytest.raises(PermissionDenied):
        services.add_entry(officer, read_only.pk, "note", "hello")
    contributor = received_case(peers, "contribute")
    services.add_entry(officer, contributor.pk, "note", "We hold a record on him.")
    with pytest.raises(PermissionDenied):
        services.close(officer, contributor.pk, "done")
    with pytest.raises(PermissionDenied):
        services.share(officer, contributor.pk, {"KE": "read"})
    contributor.refresh_from_db()
    assert contributor.acknowledged_at is not None  # FR is not the owner: its entry acknowledges it
    sent = envelope.decode(bytes(OutboxEnvelope.objects.get().payload))
    assert sent["to"] == ["BR"] and sent["type"] == services.ENTRY


def test_sharing_brings_a_new_participant_up_to_date(case, officer, peers):
    services.add_entry(officer, case.pk, "record", "Passport record", ref="KE-112233")
    services.add_task(officer, case.pk, "Check the printer", assignee_node="BR")
    OutboxEnvelope.objects.all().delete()
    services.share(officer, case.pk, {"KE": "read"})
    sent = [envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.order_by("pk")]
    assert [(e["type"], sorted(e["to"])) for e in sent] == [
        (services.CASE, ["BR", "KE"]),
        (services.ENTRY, ["KE"]),
        (services.TASK, ["KE"]),
    ]
    services.share(officer, case.pk, {"KE": ""})
    assert services.others(Case.objects.get()) == ["BR"]
    with pytest.raises(ValidationError):
        services.share(officer, case.pk, {"FR": "read"})


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda o: services.create(o, services.Draft(title=" ")), "title"),
        (lambda o: services.create(o, services.Draft(title="x", severity="extreme")), "severity"),
        (
            lambda o: services.create(o, services.Draft(title="x", participants={"XX": "read"})),
            "participants",
        ),
        (lambda o: services.create(o, services.Draft(title="x", participants={"BR": "own"})), "participants"),
    ],
)
def test_bad_cases_are_refused_with_the_field_and_nothing_is_written(peers, officer, call, field):
    with pytest.raises(ValidationError) as refused:
        call(officer)
    assert field in refused.value.message_dict
    assert not Case.objects.exists() and not OutboxEnvelope.objects.exists()


def test_bad_entries_and_tasks_are_refused(case, officer):
    with pytest.raises(ValidationError) as refused:
        services.add_entry(officer, case.pk, "hit", "A hit")
    assert "ref" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.add_entry(officer, case.pk, "attachment", "no file")
    with pytest.raises(ValidationError) as refused:
        services.add_entry(
            officer,
            case.pk,
            "attachment",
            upload=services.Upload("big.bin", "x", b"\0" * (2 * 1024 * 1024 + 1)),
        )
    assert "file" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.add_task(officer, case.pk, "Late", due_at=clock.now() - timedelta(hours=1))
    assert "due_at" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.add_task(officer, case.pk, "Elsewhere", assignee_node="KE")
    assert "assignee_node" in refused.value.message_dict
    assert not CaseEntry.objects.exists() and not CaseTask.objects.exists()


def test_a_bureau_outside_a_case_sees_nothing_of_it(peers, officer):
    with pytest.raises(Http404):
        services.read(officer, envelope.new_id())


def test_reads_and_searches_are_audited_and_filtered(case, officer):
    services.create(officer, services.Draft(title="Stolen art", severity="low"))
    found = services.search(officer, services.Filters(q="passports"))
    assert [c.title for c in found] == ["Forged passports ring"]
    assert [c.title for c in services.search(officer, services.Filters(severity="low"))] == ["Stolen art"]
    services.read(officer, case.pk)
    assert AuditEntry.objects.filter(action="cooperation.case.search").count() == 2
    assert AuditEntry.objects.filter(action="cooperation.case.read", target_id=str(case.pk)).exists()


def test_new_entries_show_until_the_case_page_is_read(case, officer, peers):
    assert services.with_new_entries(officer) == []
    body = {
        "case_id": str(case.pk),
        "entry_id": envelope.new_id(),
        "kind": "note",
        "text": "Marc Dupont flew to Lyon.",
        "author_name": "Ana Souza",
        "author_node": "BR",
        "at": (clock.now() + timedelta(seconds=1)).isoformat(),
    }
    assert delivery.accept(arriving(peers, services.ENTRY, body, sender="BR"), next(seq)) == "accepted"
    assert services.with_new_entries(officer) == [case]
    with clock.travel(timedelta(minutes=1)):
        services.read(officer, case.pk)
    assert services.with_new_entries(officer) == []
    assert services.open_cases_matching("marc dupont") == [case]
    assert services.open_cases_matching("passports") == [case]
    assert services.open_cases_matching("Nobody") == []
