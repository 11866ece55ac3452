"""Contributing from an NCB node: the bureau's contribution travels to the hub, which checks it
(schema, national law, restriction) and, once it is a record, feeds it back to every node that
may see it, the owner's own included. A refusal comes back as an envelope too."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from ncbnet.audit import services as audit
from ncbnet.base.actor import Actor, Person
from ncbnet.core import clock
from ncbnet.core.node import node_id
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, register, require_hub

from . import parts, services
from .models import Contribution
from .schemas import SCHEMAS, ContributeBody, OutcomeBody

CONTRIBUTE = "records.contribute"
OUTCOME = "records.outcome"


def submit(
    actor: Person, database: str, data: dict[str, Any], restriction: dict[str, Any] | None = None
) -> Contribution:
    """An NCB officer or national system contributes a record; the hub decides."""
    if node_id() == "hub" or getattr(actor, "kind", None) not in ("ncb", "system"):
        raise PermissionDenied("Records are contributed by an NCB's staff or its national systems.")
    if database not in SCHEMAS:
        raise ValidationError({"database": f"unknown database {database!r}"})
    with transaction.atomic():
        c = Contribution.objects.create(
            id=new_id(), database=database, sent_by=actor.get_username(), sent_at=clock.now()
        )
        parts.send(
            CONTRIBUTE,
            ["hub"],
            {
                "contribution": str(c.id),
                "by": actor.get_username(),
                "database": database,
                "data": data,
                "restriction": restriction,
            },
        )
        audit.record("records.contribution_sent", actor=actor, target=c, detail={"database": database})
    return c


@register(CONTRIBUTE, ContributeBody)
def contribution_arrived(envelope: Arrived, body: ContributeBody) -> None:
    """Hub: the sending NCB owns what it contributes; the outcome goes back to it."""
    if node_id() != "hub":
        raise Rejected("contributions go to the hub")
    owner = envelope.sender
    if owner == "hub":
        raise Rejected("contributions come from an NCB")
    outcome: dict[str, Any] = {"contribution": str(body.contribution)}
    try:
        with transaction.atomic():
            record = services.contribute(
                Actor(body.by, owner), body.database, dict(body.data), body.restriction
            )
        outcome |= {"status": "accepted", "record": str(record.pk)}
    except ValidationError as exc:
        outcome |= {
            "status": "refused",
            "errors": exc.message_dict if hasattr(exc, "error_dict") else {"data": exc.messages},
        }
    delivery.queue(OUTCOME, [owner], outcome)


@register(OUTCOME, OutcomeBody)
def outcome_arrived(envelope: Arrived, body: OutcomeBody) -> None:
    require_hub(envelope, "outcomes")
    Contribution.objects.filter(pk=body.contribution).update(
        status=body.status, record_id=body.record, errors=body.errors
    )


def search_replica(actor: Person, database: str | None = None, q: str = "") -> Any:
    """Node: search this country's replica (what the hub sent because this country may see it)."""
    from .models import ReplicaRecord
    from .services import _normal

    qs = ReplicaRecord.objects.all()
    if database:
        qs = qs.filter(database=database)
    if q:
        qs = qs.filter(key__startswith=_normal(q)) | qs.filter(label__icontains=q)
    with transaction.atomic():
        audit.record("records.replica_search", actor=actor, detail={"database": database, "q": q})
    return qs.order_by("database", "label")


def read_replica(actor: Person, record_id: uuid.UUID, ip: str | None = None) -> Any:
    """Node: one record of this country's replica. The read is audited (a missing one too), and an
    owner who asked is told."""
    from .models import ReplicaRecord
    from .replication import tell_owner_viewed

    record = ReplicaRecord.objects.filter(pk=record_id).first()
    with transaction.atomic():
        if record is not None:
            tell_owner_viewed(record, str(actor.country_code))
        audit.record(
            "records.replica_read" if record else "records.replica_read_refused",
            actor=actor,
            target_type="records.record",
            target_id=str(record_id),
            ip=ip,
        )
    if record is None:
        raise Http404("No such record on this node.")
    return record
