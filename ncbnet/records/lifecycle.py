"""A record through its life, from its owner's node: edited, restricted anew, withdrawn, kept for
another retention period, and purged at the end of it.

The owner's node sends its change to the hub (`records.change`); the hub applies it as the sender
(a bureau changes only what its country owns: anything else is quarantined), answers
(`records.change_outcome`), and the replicas follow through the change feed. On the hub's clock,
the owner is told six months before its record's retention ends (`records.retention_due`); at the
end the hub purges the record and tells every node (`records.purged`) to drop whatever copies it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from ncbnet.base import audit, clock, holdings, policies
from ncbnet.base.actor import Actor, Person
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, every, register, require_hub

from . import parts, services
from .models import OwnerAlert, Record, RecordChange, ReplicaRecord
from .schemas import ChangeBody, ChangeOutcomeBody, PurgedBody, RetentionDueBody, check_iccs

CHANGE = "records.change"
CHANGE_OUTCOME = "records.change_outcome"
RETENTION_DUE = "records.retention_due"
PURGED = "records.purged"
PURGE_BATCH = 200  # records purged in one transaction


# --- on the owner's node -------------------------------------------------------------------------


def submit(
    actor: Person,
    record_id: uuid.UUID,
    action: str,
    *,
    data: dict[str, Any] | None = None,
    restriction: dict[str, Any] | None = None,
    reason: str = "",
) -> RecordChange:
    """An officer of the owner's bureau changes one of its records: the hub decides and answers.
    The record must be one of this bureau's own, as this node's replica holds it."""
    held = holdings.here()
    if held.keeps_originals or getattr(actor, "kind", None) not in ("ncb", "system"):
        raise PermissionDenied("A record is changed from its owner's node, by the bureau's staff.")
    if action not in RecordChange.Action.values:
        raise ValidationError({"action": f"unknown change {action!r}"})
    record = ReplicaRecord.objects.filter(pk=record_id, owner=held.bureau).first()
    if record is None:
        raise Http404("No such record of this bureau on this node.")
    reason = reason.strip()
    if action in ("extend", "withdraw") and not reason:
        raise ValidationError({"reason": "Say why."})
    if len(reason) > 2000:
        raise ValidationError({"reason": "At most 2000 characters."})
    if action == "edit" and data is None:
        raise ValidationError({"data": "An edit needs the record's data."})
    check_iccs(data)
    if action == "restrict" and restriction is None:
        raise ValidationError({"restriction": "A new restriction is needed."})
    with transaction.atomic():
        change = RecordChange.objects.create(
            id=new_id(),
            record_id=record.pk,
            action=action,
            sent_by=actor.get_username(),
            sent_at=clock.now(),
        )
        parts.send(  # an edit carries the record's photos: it may need parts
            CHANGE,
            ["hub"],
            {
                "change": str(change.pk),
                "by": actor.get_username(),
                "record": str(record.pk),
                "action": action,
                "data": data if action == "edit" else None,
                "restriction": restriction if action in ("edit", "restrict") else None,
                "reason": reason,
            },
        )
        audit.record(
            f"records.{action}_sent",
            actor=actor,
            target_type="records.record",
            target_id=str(record.pk),
            detail={"change": str(change.pk)},
        )
    return change


@register(CHANGE_OUTCOME, ChangeOutcomeBody)
def outcome_arrived(envelope: Arrived, body: ChangeOutcomeBody) -> None:
    require_hub(envelope, "outcomes")
    change = RecordChange.objects.select_for_update().filter(pk=body.change).first()
    if change is None:
        raise Rejected("an outcome of a change this node did not send")
    RecordChange.objects.filter(pk=change.pk).update(
        status=body.status, version=body.version, errors=body.errors
    )
    if body.status == "accepted" and change.action == RecordChange.Action.EXTEND:
        OwnerAlert.objects.filter(record_id=change.record_id, event="retention").delete()  # answered


@register(RETENTION_DUE, RetentionDueBody)
def retention_due_arrived(envelope: Arrived, body: RetentionDueBody) -> None:
    """On the owner's node: one alert, listed with the others on the home page."""
    require_hub(envelope, "retention alerts")
    if not ReplicaRecord.objects.filter(pk=body.id).exists():
        return  # purged meanwhile (its purge may overtake the warning): nothing left to warn about
    if not OwnerAlert.objects.filter(record_id=body.id, event="retention", at=body.retain_until).exists():
        OwnerAlert.objects.create(
            record_id=body.id, label=body.label, event="retention", by="GS", at=body.retain_until
        )


@register(PURGED, PurgedBody)
def purged_arrived(envelope: Arrived, body: PurgedBody) -> None:
    require_hub(envelope, "purges")
    services.drop_replica_copies(list(body.ids))
    audit.record("records.purged", detail={"ids": [str(i) for i in body.ids]})


# --- at the hub ----------------------------------------------------------------------------------


@register(CHANGE, ChangeBody, to_hub="changes go to the hub", from_bureau="changes come from an NCB")
def change_arrived(envelope: Arrived, body: ChangeBody) -> None:
    """Hub: the sender changes its own record, or the envelope is refused (and quarantined)."""
    owner = Record.objects.filter(pk=body.record).values_list("owner", flat=True).first()
    if owner is not None and owner != envelope.sender:
        raise Rejected(f"{envelope.sender} may not change a record {owner} owns")
    outcome: dict[str, Any] = {"change": str(body.change)}
    actor = Actor(body.by, envelope.sender)
    try:
        with transaction.atomic():
            if owner is None:
                raise Http404("No such record.")
            if body.action == "edit":
                record = services.change(
                    actor,
                    str(body.record),
                    data=dict(body.data or {}),
                    restriction=dict(body.restriction) if body.restriction is not None else None,
                    reason=body.reason,
                )
            elif body.action == "restrict":
                record = services.change(
                    actor, str(body.record), restriction=dict(body.restriction or {}), reason=body.reason
                )
            elif body.action == "withdraw":
                record = services.withdraw(actor, str(body.record), body.reason)
            else:
                record = services.extend(actor, str(body.record), body.reason)
        outcome |= {"status": "accepted", "version": record.version}
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"data": exc.messages}
        outcome |= {"status": "refused", "errors": errors}
    except Http404:
        outcome |= {"status": "refused", "errors": {"record": ["No such record (withdrawn or purged)."]}}
    delivery.queue(CHANGE_OUTCOME, [envelope.sender], outcome)


@every(3600, "records.retention")
def retention_at_the_hub() -> dict[str, int] | None:
    return retention() if holdings.here().keeps_originals else None


def retention() -> dict[str, int]:
    """At the hub, on its clock: tell each owner once, six months before, that its record reaches
    the end of its retention; purge the records (live or withdrawn) whose retention has ended."""
    connected = set(delivery.connected_nodes())
    with transaction.atomic():
        due = services.retention_due()
        for record in due:
            if record.owner in connected:
                delivery.queue(
                    RETENTION_DUE,
                    [record.owner],
                    {
                        "id": str(record.pk),
                        "label": record.label,
                        "retain_until": record.retain_until.isoformat(),
                    },
                )
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(services.expired().select_for_update()[:PURGE_BATCH])
            if not batch:
                break
            ids = [str(r.pk) for r in batch]
            for record in batch:
                services.purge(record, "withdrawn" if record.deleted_at else "retention")
            nodes = sorted(connected - {"hub"})
            if nodes:
                delivery.queue(PURGED, nodes, {"ids": ids})
            purged += len(batch)
    return {"warned": len(due), "purged": purged}


def erase(user: Person, record_id: Any, why: str) -> None:
    """At the hub, in the caller's transaction: the record erased at once, by the decision of the
    Commission for the Control of Files (`user` one of its accounts): the purge path of the end of
    retention (`services.purge`), with `records.purged` to every connected node, so that it leaves
    the hub and every replica and everything that copies its data."""
    if not policies.is_commission(user):
        raise PermissionDenied("Only the Commission for the Control of Files erases a record at once.")
    record = Record.objects.select_for_update().filter(pk=record_id).first()
    if record is None:
        raise Http404("No such record.")
    services.purge(record, why)
    audit.record(
        "records.erased",
        actor=user,
        subject="CCF",
        target_type="records.record",
        target_id=str(record_id),
        detail={"why": why},
    )
    nodes = sorted(set(delivery.connected_nodes()) - {"hub"})
    if nodes:
        delivery.queue(PURGED, nodes, {"ids": [str(record_id)]})
