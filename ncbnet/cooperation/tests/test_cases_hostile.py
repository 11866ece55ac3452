"""Cases on one node (FR), hostile first: what arrives about a case is taken only from a
participant holding the permission the change needs in this node's own copy; anything else
(a forged sender, a non-participant, a read-only participant's entry, a contributor's status
change, a step the status does not allow, an id already kept) is quarantined."""

import itertools
import uuid

import pytest

from ncbnet.base import clock
from ncbnet.conftest import arriving
from ncbnet.cooperation.models import Case, CaseEntry, CaseParticipant, CaseTask
from ncbnet.cooperation.services import cases as services
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine

pytestmark = pytest.mark.django_db
seq = itertools.count(1)


def accept(peers, kind, body, sender, signer=None):
    raw = arriving(peers, kind, body, sender=sender, signer=signer)
    return delivery.accept(raw, next(seq))


def reasons():
    return [q.reason for q in Quarantine.objects.order_by("id")]


@pytest.fixture
def officer(user_factory):
    return user_factory("ncb", "officer", username="fr-officer")


@pytest.fixture
def fr_case(peers, officer):
    """A case FR owns, shared with BR (contribute) and KE (read)."""
    return services.create(
        officer,
        services.Draft(
            title="Forged passports ring",
            description="Passports forged abroad, used at CDG.",
            severity="high",
            participants={"BR": "contribute", "KE": "read"},
        ),
    )


def entry(case_id, author="BR", **over):
    return {
        "case_id": str(case_id),
        "entry_id": envelope.new_id(),
        "kind": "note",
        "text": "The printer was seized in Santos.",
        "author_name": "Ana Souza",
        "author_node": author,
        "at": clock.now().isoformat(),
        **over,
    }


def task(case_id, by="BR", **over):
    return {
        "case_id": str(case_id),
        "task_id": envelope.new_id(),
        "op": "create",
        "title": "Hear the courier",
        "assignee_node": "BR",
        "mandatory": True,
        "state": "open",
        "created_by_node": by,
        "created_at": clock.now().isoformat(),
        "by": "Ana Souza",
        **over,
    }


def header(owner="BR", me_permission="contribute", **over):
    now = clock.now().isoformat()
    return {
        "case_id": envelope.new_id(),
        "owner": owner,
        "created_by": "Ana Souza",
        "title": "Cocaine in reefer containers",
        "severity": "critical",
        "status": "open",
        "created_at": now,
        "participants": [
            {"node": owner, "permission": "manage", "added_at": now, "added_by": "Ana Souza"},
            {"node": "FR", "permission": me_permission, "added_at": now, "added_by": "Ana Souza"},
        ],
        **over,
    }


def test_creating_seals_the_case_to_its_participants_only(fr_case, peers):
    out = OutboxEnvelope.objects.get()
    e = envelope.decode(bytes(out.payload))
    assert e["type"] == "cooperation.case" and sorted(e["to"]) == ["BR", "KE"]
    assert b"Forged passports ring" not in bytes(out.payload)
    body = envelope.open_body(e, "BR", peers["BR"])
    assert body["title"] == "Forged passports ring"
    assert {p["node"]: p["permission"] for p in body["participants"]} == {
        "FR": "manage",
        "BR": "contribute",
        "KE": "read",
    }
    with pytest.raises(envelope.Rejected):
        envelope.open_body(e, "hub", peers["hub"])


def test_a_contributors_entry_is_kept_and_acknowledges_the_case(fr_case, peers):
    assert accept(peers, services.ENTRY, entry(fr_case.pk), "BR") == "accepted"
    kept = CaseEntry.objects.get()
    assert kept.author_node == "BR" and kept.text == "The printer was seized in Santos."
    fr_case.refresh_from_db()
    assert fr_case.acknowledged_at is not None and fr_case.time_to_acknowledge is not None


def test_an_entry_from_a_bureau_outside_the_case_is_refused(peers, officer):
    case = services.create(officer, services.Draft(title="Only BR", participants={"BR": "contribute"}))
    assert accept(peers, services.ENTRY, entry(case.pk, author="KE"), "KE") == "quarantined"
    assert not CaseEntry.objects.exists()
    assert "does not hold the contribute permission" in reasons()[-1]


def test_a_read_only_participants_entry_is_refused(fr_case, peers):
    assert accept(peers, services.ENTRY, entry(fr_case.pk, author="KE"), "KE") == "quarantined"
    assert not CaseEntry.objects.exists()


def test_a_forged_sender_is_refused(fr_case, peers):
    assert accept(peers, services.ENTRY, entry(fr_case.pk), "BR", signer="KE") == "quarantined"
    assert not CaseEntry.objects.exists()


def test_an_entry_id_already_kept_is_refused_and_the_first_stays(fr_case, peers):
    first = entry(fr_case.pk)
    assert accept(peers, services.ENTRY, first, "BR") == "accepted"
    again = {**first, "text": "Rewritten by someone else."}
    assert accept(peers, services.ENTRY, again, "BR") == "quarantined"
    assert CaseEntry.objects.get().text == "The printer was seized in Santos."


def test_a_contributor_cannot_pass_off_an_entry_as_another_bureaus(fr_case, peers):
    assert accept(peers, services.ENTRY, entry(fr_case.pk, author="FR"), "BR") == "quarantined"
    assert not CaseEntry.objects.exists()


def test_a_status_change_by_a_contributor_is_refused(fr_case, peers):
    body = {"case_id": str(fr_case.pk), "status": "closed", "outcome": "Done.", "by": "Ana Souza"}
    assert accept(peers, services.STATUS, body, "BR") == "quarantined"
    fr_case.refresh_from_db()
    assert fr_case.status == "open"


def test_a_header_from_a_contributor_cannot_change_the_participants(fr_case, peers):
    body = services.CaseBody.of(fr_case) | {"title": "Taken over"}
    body["participants"] = [p for p in body["participants"] if p["node"] != "KE"]
    assert accept(peers, services.CASE, body, "BR") == "quarantined"
    assert CaseParticipant.objects.filter(case=fr_case).count() == 3
    assert Case.objects.get().title == "Forged passports ring"


def test_a_new_case_is_kept_from_its_manager_only(peers):
    assert accept(peers, services.CASE, header(), "KE") == "quarantined"  # KE not even named
    not_manager = header()
    not_manager["participants"].append(
        {"node": "KE", "permission": "contribute", "added_at": clock.now().isoformat(), "added_by": "x"}
    )
    assert accept(peers, services.CASE, not_manager, "KE") == "quarantined"
    assert not Case.objects.exists()
    good = header()
    assert accept(peers, services.CASE, good, "BR") == "accepted"
    case = Case.objects.get()
    assert case.owner == "BR" and case.permission_of("FR") == "contribute"
    assert accept(peers, services.CASE, header(owner="BR") | {"participants": []}, "BR") == "quarantined"


def test_a_case_header_for_a_node_it_does_not_name_is_refused(peers):
    body = header()
    body["participants"] = [body["participants"][0]]
    assert accept(peers, services.CASE, body, "BR") == "quarantined"
    assert not Case.objects.exists()


def test_a_step_the_status_does_not_allow_is_refused(peers):
    body = header(me_permission="read")
    accept(peers, services.CASE, body, "BR")
    closing = {"case_id": body["case_id"], "status": "closed", "outcome": "Ring dismantled.", "by": "Ana"}
    assert accept(peers, services.STATUS, closing, "BR") == "accepted"
    reopen = {"case_id": body["case_id"], "status": "active", "by": "Ana"}
    assert accept(peers, services.STATUS, reopen, "BR") == "quarantined"
    case = Case.objects.get()
    assert case.status == "closed" and case.outcome == "Ring dismantled." and case.time_to_resolve is not None


def test_tasks_arrive_from_contributors_and_only_a_manager_cancels_a_mandatory_one(fr_case, peers):
    created = task(fr_case.pk)
    assert accept(peers, services.TASK, created, "BR") == "accepted"
    assert accept(peers, services.TASK, created, "BR") == "quarantined"  # an id already kept
    assert accept(peers, services.TASK, task(fr_case.pk, by="KE"), "KE") == "quarantined"  # read only
    cancel = created | {"op": "update", "state": "cancelled", "note": "Not needed."}
    assert accept(peers, services.TASK, cancel, "BR") == "quarantined"
    retitle = created | {"op": "update", "state": "open", "created_by_node": "FR"}
    assert accept(peers, services.TASK, retitle, "BR") == "quarantined"
    done = created | {"op": "update", "state": "done", "note": "Heard on 3 May."}
    assert accept(peers, services.TASK, done, "BR") == "accepted"
    kept = CaseTask.objects.get()
    assert kept.state == "done" and kept.log[-1]["text"] == "Heard on 3 May."
    assert accept(peers, services.TASK, created | {"op": "update", "state": "open"}, "BR") == "quarantined"


def test_an_unknown_case_is_refused(peers):
    assert accept(peers, services.ENTRY, entry(uuid.uuid4()), "BR") == "quarantined"
    assert "does not take part" in reasons()[-1]
