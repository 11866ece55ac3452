"""Contributing from an NCB node: the bureau's contribution travels to the hub, which checks it
(schema, national law, restriction) and, once it is a record, feeds it back to every node that
may see it, the owner's own included. A refusal comes back as an envelope too."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ncbnet.base import audit, clock, holdings, iccs, tally
from ncbnet.base.actor import Actor, Person
from ncbnet.base.node import node_id
from ncbnet.network import delivery
from ncbnet.network.envelope import new_id
from ncbnet.network.handlers import Arrived, register, require_hub

from . import parts, services, tallies
from .models import Contribution
from .schemas import SCHEMAS, ContributeBody, OutcomeBody, check_iccs

CONTRIBUTE = "records.contribute"
OUTCOME = "records.outcome"


def submit(
    actor: Person,
    database: str,
    data: dict[str, Any],
    restriction: dict[str, Any] | None = None,
    *,
    contributed_by: str | None = None,
) -> Contribution:
    """An NCB officer or national system contributes a record; the hub decides. `contributed_by`
    names the agency's user whose submission the officer approved (`approval.approve`): the record
    is the bureau's, and its first version says who contributed it and who approved it."""
    if holdings.here().keeps_originals or getattr(actor, "kind", None) not in ("ncb", "system"):
        raise PermissionDenied("Records are contributed by an NCB's staff or its national systems.")
    if database not in SCHEMAS:
        raise ValidationError({"database": f"unknown database {database!r}"})
    check_iccs(data)
    with transaction.atomic():
        c = Contribution.objects.create(
            id=new_id(),
            database=database,
            sent_by=actor.get_username(),
            sent_at=clock.now(),
            iccs=iccs.of(data),
            access=(restriction or {}).get("access") or "all",
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
            }
            | ({"contributed_by": contributed_by} if contributed_by else {}),
        )
        audit.record(
            "records.contribution_sent",
            actor=actor,
            target=c,
            detail={"database": database} | ({"contributed_by": contributed_by} if contributed_by else {}),
        )
    return c


@register(
    CONTRIBUTE,
    ContributeBody,
    to_hub="contributions go to the hub",
    from_bureau="contributions come from an NCB",
)
def contribution_arrived(envelope: Arrived, body: ContributeBody) -> None:
    """Hub: the sending NCB owns what it contributes; the outcome goes back to it."""
    owner = envelope.sender
    outcome: dict[str, Any] = {"contribution": str(body.contribution)}
    try:
        with transaction.atomic():
            record = services.contribute(
                Actor(body.by, owner),
                body.database,
                dict(body.data),
                body.restriction,
                reason=(
                    f"contributed by {body.contributed_by}, approved by {body.by}"
                    if body.contributed_by
                    else "contributed"
                ),
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
    now = clock.now()
    first = Contribution.objects.filter(pk=body.contribution, status="sent").update(
        status=body.status, record_id=body.record, errors=body.errors, answered_at=now
    )
    if not first:  # an answer given again keeps what it says, counted once
        Contribution.objects.filter(pk=body.contribution).update(
            status=body.status, record_id=body.record, errors=body.errors
        )
    elif body.status == "accepted":
        c = Contribution.objects.get(pk=body.contribution)
        tally.count_all([tallies.contributed(node_id(), c.database, {"iccs": c.iccs}, c.access, now)])
