"""A record through its life from its owner's node: edit, restriction, withdrawal (gone from the
replicas and screening at once), and retention on the clock: the owner warned six months before,
once; an extension; the purge at the end, with an audit entry that keeps no personal data."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from ncbnet.audit.models import AuditEntry
from ncbnet.base import clock
from ncbnet.base.actor import Actor
from ncbnet.base.dates import add_years
from ncbnet.conftest import arriving
from ncbnet.hits.models import HitReport
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope, Quarantine
from ncbnet.records import lifecycle, packing, replication, services
from ncbnet.records.models import OwnerAlert, Record, RecordChange, RecordVersion, ReplicaRecord
from ncbnet.screening import services as screening
from ncbnet.screening.models import Card

pytestmark = pytest.mark.django_db
FR, KE = Actor("fr-officer", "FR"), Actor("ke-officer", "KE")
NAME = "Aurelien Vasseur-Lemoine"
PERSON = {"names": [{"value": NAME}], "sex": "M", "date_of_birth": {"year": 1979}, "nationalities": ["FR"]}
DOC = {
    "number": "FR-551177",
    "type": "passport",
    "issuing_country": "FR",
    "status": "lost",
    "date": "2026-06-01",
}


def sent(kind):
    """What the hub's outbox holds of `kind`, once the worker's `records.changes` job has run."""
    replication.send_changes()
    return [
        envelope.decode(bytes(o.payload)) for o in OutboxEnvelope.objects.filter(kind=kind).order_by("id")
    ]


def hub_receives(peers, kind, body, seq, sender="FR"):
    # In these tests the hub's private keys are this test node's own (peers["FR"] is keys()).
    return delivery.accept(arriving(peers, kind, body, sender=sender), seq)


def node_receives(peers, kind, body, seq):
    return delivery.accept(arriving(peers, kind, body, sender="hub"), seq)


def change_body(record, action="edit", **extra):
    return {
        "change": envelope.new_id(),
        "by": "fr-officer",
        "record": str(record.pk),
        "action": action,
        "data": None,
        "restriction": None,
        "reason": "",
        **extra,
    }


# --- at the hub ---------------------------------------------------------------------------------


def test_the_owner_edits_its_record_through_the_hub_and_hears_back(peers, hub):
    record = services.contribute(FR, "documents", DOC)
    body = change_body(record, data={**DOC, "status": "stolen"}, reason="stolen, not lost")
    assert hub_receives(peers, lifecycle.CHANGE, body, 1) == "accepted"
    record.refresh_from_db()
    assert record.version == 2 and record.data["status"] == "stolen"
    v2 = RecordVersion.objects.get(record=record, version=2)
    assert (v2.changed_by, v2.changed_by_country, v2.reason) == ("fr-officer", "FR", "stolen, not lost")
    [outcome] = sent(lifecycle.CHANGE_OUTCOME)
    assert outcome["to"] == ["FR"]
    assert envelope.open_body(outcome, "FR", peers["FR"]) == {
        "change": body["change"],
        "status": "accepted",
        "version": 2,
    }
    # The replicas follow: every node that may see it gets version 2.
    assert (
        packing.records_of(envelope.open_body(sent(replication.UPSERT)[-1], "KE", peers["KE"]))[0]["version"]
        == 2
    )


def test_a_bureau_changing_another_bureaus_record_is_quarantined_and_nothing_changes(peers, hub):
    record = services.contribute(FR, "documents", DOC)
    forged = change_body(record, data={**DOC, "status": "revoked"}, by="br-officer")
    assert hub_receives(peers, lifecycle.CHANGE, forged, 1, sender="BR") == "quarantined"
    withdraw = change_body(record, "withdraw", reason="not ours")
    assert hub_receives(peers, lifecycle.CHANGE, withdraw, 2, sender="BR") == "quarantined"
    record.refresh_from_db()
    assert record.version == 1 and record.data["status"] == "lost" and record.deleted_at is None
    assert Quarantine.objects.count() == 2
    assert not sent(lifecycle.CHANGE_OUTCOME)


def test_a_refused_change_is_answered_with_the_fields_at_fault(peers, hub):
    record = services.contribute(FR, "documents", DOC)
    bad = change_body(record, data={**DOC, "type": "scroll"})
    assert hub_receives(peers, lifecycle.CHANGE, bad, 1) == "accepted"
    answer = envelope.open_body(sent(lifecycle.CHANGE_OUTCOME)[-1], "FR", peers["FR"])
    assert answer["status"] == "refused" and "type" in answer["errors"]
    no_reason = change_body(record, "extend")
    hub_receives(peers, lifecycle.CHANGE, no_reason, 2)
    answer = envelope.open_body(sent(lifecycle.CHANGE_OUTCOME)[-1], "FR", peers["FR"])
    assert answer == {
        "change": no_reason["change"],
        "status": "refused",
        "errors": {"reason": ["An extension needs a reason."]},
    }
    record.refresh_from_db()
    assert record.version == 1


def test_a_new_restriction_reaches_the_newly_admitted_and_removes_it_from_the_denied(peers, hub):
    record = services.contribute(FR, "documents", DOC, {"access": "deny", "countries": ["BR"]})
    body = change_body(record, "restrict", restriction={"access": "allow", "countries": ["BR"]}, reason="")
    hub_receives(peers, lifecycle.CHANGE, body, 1)
    assert sent(replication.UPSERT)[-1]["to"] == ["BR", "FR"]
    assert sent(replication.REMOVE)[-1]["to"] == ["KE"]


def test_a_withdrawn_record_leaves_every_replica_and_screening_and_stays_at_the_hub(peers, hub, user_factory):
    record = services.contribute(FR, "persons", PERSON)
    analyst = user_factory("gs", "analyst", username="gs-analyst")
    assert screening.person(analyst, NAME).hits
    hub_receives(peers, lifecycle.CHANGE, change_body(record, "withdraw", reason="identified"), 1)
    removal = sent(replication.REMOVE)[-1]
    assert removal["to"] == ["BR", "FR", "KE"]
    assert envelope.open_body(removal, "KE", peers["KE"]) == {"ids": [str(record.pk)]}
    record.refresh_from_db()
    assert record.status == "withdrawn" and record.deleted_at is not None
    assert not screening.person(analyst, NAME).hits
    assert not Card.objects.filter(record_id=record.pk).exists()
    assert not services.search(FR).filter(pk=record.pk).exists()
    assert services.read(Actor("gs", gs=True, user=analyst), str(record.pk)).status == "withdrawn"
    with pytest.raises(Http404):
        services.read(FR, str(record.pk))


def test_the_owner_is_warned_six_months_before_once_extends_and_otherwise_is_purged(peers, hub):
    record = services.contribute(FR, "persons", PERSON)
    lifecycle.retention()
    assert not sent(lifecycle.RETENTION_DUE)
    with clock.travel(record.retain_until - clock.now() - timedelta(days=180)):
        assert lifecycle.retention() == {"warned": 1, "purged": 0}
        assert lifecycle.retention() == {"warned": 0, "purged": 0}  # once
        [due] = sent(lifecycle.RETENTION_DUE)
        assert due["to"] == ["FR"]
        assert envelope.open_body(due, "FR", peers["FR"])["id"] == str(record.pk)
        hub_receives(peers, lifecycle.CHANGE, change_body(record, "extend", reason="case still open"), 1)
        record.refresh_from_db()
        assert record.retain_until.date() == add_years(clock.now(), 5).date()  # the Rules' five years
        extended_until = record.retain_until
    with clock.travel(extended_until - clock.now() - timedelta(days=1)):
        assert lifecycle.retention() == {"warned": 1, "purged": 0}  # warned again for the new end
    with clock.travel(extended_until - clock.now() + timedelta(seconds=1)):
        assert lifecycle.retention() == {"warned": 0, "purged": 1}
    assert not Record.objects.filter(pk=record.pk).exists()
    assert not RecordVersion.objects.filter(record_id=record.pk).exists()
    assert not Card.objects.filter(record_id=record.pk).exists()
    [purged] = sent(lifecycle.PURGED)
    assert purged["to"] == ["BR", "FR", "KE"]
    assert envelope.open_body(purged, "KE", peers["KE"]) == {"ids": [str(record.pk)]}
    entry = AuditEntry.objects.get(action="records.purge")
    assert entry.target_id == str(record.pk)
    assert entry.detail["owner"] == "FR" and entry.detail["why"] == "retention"
    assert NAME.split()[0] not in str(entry.detail)


def test_a_withdrawn_record_is_purged_when_its_retention_ends(peers, hub):
    record = services.contribute(FR, "documents", DOC)
    services.withdraw(FR, str(record.pk), "found")
    with clock.travel(record.retain_until - clock.now() - timedelta(days=100)):
        assert lifecycle.retention() == {"warned": 0, "purged": 0}  # no warning for a withdrawn one
    with clock.travel(record.retain_until - clock.now() + timedelta(minutes=1)):
        assert lifecycle.retention() == {"warned": 0, "purged": 1}
    assert AuditEntry.objects.get(action="records.purge").detail["why"] == "withdrawn"


def test_only_the_owner_withdraws_or_extends_and_the_gs_corrects_with_a_reason(hub):
    record = services.contribute(FR, "documents", DOC)
    with pytest.raises(PermissionDenied):
        services.withdraw(KE, str(record.pk), "not ours")
    with pytest.raises(PermissionDenied):
        services.extend(KE, str(record.pk), "not ours")
    gs = Actor("gs-reviewer", gs=True)
    with pytest.raises(PermissionDenied):
        services.change(gs, str(record.pk), data={**DOC, "status": "stolen"})
    assert (
        services.change(gs, str(record.pk), data={**DOC, "status": "stolen"}, reason="owner's letter").version
        == 2
    )


def test_searches_are_audited_without_their_terms(hub):
    services.contribute(FR, "persons", PERSON)
    assert services.search(FR, q="Vasseur").count() == 1
    entry = AuditEntry.objects.filter(action="records.search").latest("seq")
    assert "Vasseur" not in str(entry.detail)
    assert entry.detail["q"] == services.searched_for("vasseur")


def test_the_hubs_list_filters_by_owner_date_and_status(hub):
    a = services.contribute(FR, "documents", DOC)
    with clock.travel(timedelta(days=10)):
        b = services.contribute(KE, "documents", {**DOC, "number": "KE-000111", "issuing_country": "KE"})
        services.withdraw(KE, str(b.pk), "found")
    gs = Actor("gs", gs=True)
    from ncbnet.records.schemas import Filters

    assert list(services.search(gs, filters=Filters(owner="FR"))) == [a]
    assert list(services.search(gs, filters=Filters(status="withdrawn"))) == [b]
    assert set(services.search(gs, filters=Filters(status="any"))) == {a, b}
    later = clock.now() + timedelta(days=5)
    assert list(services.search(gs, filters=Filters(status="any", since=later))) == [b]
    assert list(services.search(gs, filters=Filters(until=later))) == [a]
    assert list(services.search(FR, filters=Filters(status="withdrawn"))) == []  # a bureau sees live ones


# --- on the owner's node -------------------------------------------------------------------------


def replica_body(version=1, owner="FR", rid="019ac000-0000-7000-8000-0000000000a1", data=None):
    now = clock.now().isoformat()
    return {
        "id": rid,
        "database": "persons",
        "owner": owner,
        "label": NAME,
        "key": NAME.casefold(),
        "data": data or PERSON,
        "version": version,
        "handling": "H0",
        "handling_note": "",
        "notify_on_view": False,
        "updated_at": now,
        "retain_until": now,
    }


def test_the_owners_node_sends_its_change_and_keeps_the_hubs_answer(peers, user_factory):
    node_receives(peers, replication.UPSERT, {"records": [replica_body()]}, 1)
    officer = user_factory("ncb", "officer", username="fr-officer")
    change = lifecycle.submit(
        officer, replica_body()["id"], "edit", data={**PERSON, "sex": "U"}, reason="sex not known"
    )
    [out] = sent(lifecycle.CHANGE)
    assert out["to"] == ["hub"]
    body = envelope.open_body(out, "hub", peers["hub"])
    assert body["action"] == "edit" and body["data"]["sex"] == "U" and body["reason"] == "sex not known"
    node_receives(
        peers, lifecycle.CHANGE_OUTCOME, {"change": str(change.pk), "status": "accepted", "version": 2}, 2
    )
    change.refresh_from_db()
    assert (change.status, change.version) == ("accepted", 2)


def test_a_node_changes_only_its_own_records_by_its_officers(peers, user_factory):
    node_receives(peers, replication.UPSERT, {"records": [replica_body(owner="KE")]}, 1)
    with pytest.raises(Http404):
        lifecycle.submit(user_factory("ncb", "officer"), replica_body()["id"], "withdraw", reason="x")
    node_receives(
        peers,
        replication.UPSERT,
        {"records": [replica_body(2, rid="019ac000-0000-7000-8000-0000000000a2")]},
        2,
    )
    with pytest.raises(PermissionDenied):
        lifecycle.submit(
            user_factory("agency", "contribute"),
            "019ac000-0000-7000-8000-0000000000a2",
            "withdraw",
            reason="x",
        )
    with pytest.raises(ValidationError):
        lifecycle.submit(
            user_factory("ncb", "officer", username="o2"), "019ac000-0000-7000-8000-0000000000a2", "extend"
        )
    assert not RecordChange.objects.exists()


def test_the_retention_alert_reaches_the_owner_once_and_an_extension_answers_it(peers, user_factory):
    node_receives(peers, replication.UPSERT, {"records": [replica_body()]}, 1)
    due = {
        "id": replica_body()["id"],
        "label": NAME,
        "retain_until": (clock.now() + timedelta(days=180)).isoformat(),
    }
    node_receives(peers, lifecycle.RETENTION_DUE, due, 2)
    node_receives(peers, lifecycle.RETENTION_DUE, {**due}, 3)  # a second sending of the same
    [alert] = OwnerAlert.objects.all()
    assert alert.event == "retention"
    change = lifecycle.submit(
        user_factory("ncb", "officer"), replica_body()["id"], "extend", reason="trial pending"
    )
    node_receives(
        peers, lifecycle.CHANGE_OUTCOME, {"change": str(change.pk), "status": "accepted", "version": 2}, 4
    )
    assert not OwnerAlert.objects.exists()


def test_a_purge_drops_every_copy_on_the_node(peers, user_factory):
    node_receives(peers, replication.UPSERT, {"records": [replica_body()]}, 1)
    rid = replica_body()["id"]
    officer = user_factory("ncb", "officer")
    assert screening.person(officer, NAME).hits  # a hit report on this node, with the label
    assert HitReport.objects.filter(record_id=rid).exists()
    node_receives(
        peers, lifecycle.RETENTION_DUE, {"id": rid, "label": NAME, "retain_until": clock.now().isoformat()}, 2
    )
    lifecycle.submit(officer, rid, "extend", reason="x")
    node_receives(peers, lifecycle.PURGED, {"ids": [rid]}, 3)
    assert not ReplicaRecord.objects.exists()
    assert not HitReport.objects.exists() and not OwnerAlert.objects.exists()
    assert not RecordChange.objects.exists() and not Card.objects.exists()
    assert not screening.person(officer, NAME).hits


def test_purges_retention_alerts_and_outcomes_come_only_from_the_hub(peers):
    rid = replica_body()["id"]
    node_receives(peers, replication.UPSERT, {"records": [replica_body()]}, 1)
    assert delivery.accept(arriving(peers, lifecycle.PURGED, {"ids": [rid]}, sender="BR"), 2) == "quarantined"
    assert ReplicaRecord.objects.exists()


def test_a_warning_overtaken_by_its_purge_leaves_no_alert(peers):
    """The hub warns and purges in one run when a record's end has already passed; if the purge
    reaches the node first, the late warning must not bring the record's label back."""
    node_receives(peers, replication.UPSERT, {"records": [replica_body()]}, 1)
    rid = replica_body()["id"]
    node_receives(peers, lifecycle.PURGED, {"ids": [rid]}, 2)
    late = {"id": rid, "label": NAME, "retain_until": clock.now().isoformat()}
    node_receives(peers, lifecycle.RETENTION_DUE, late, 3)
    assert not OwnerAlert.objects.exists()


def test_a_record_past_its_end_is_purged_not_warned(peers, hub):
    record = services.contribute(FR, "documents", DOC)
    with clock.travel(record.retain_until - clock.now() + timedelta(minutes=1)):
        assert lifecycle.retention() == {"warned": 0, "purged": 1}
    assert not sent(lifecycle.RETENTION_DUE)
