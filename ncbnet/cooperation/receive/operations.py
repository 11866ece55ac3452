"""Envelope handlers: an operation arriving from its coordinator, and a result arriving from a
participant. Only the coordinator named in the operation creates or updates it (and an existing
copy keeps its coordinator); only a bureau in the operation reports results, its own; nothing
already kept is overwritten by a replay or an older version."""

from __future__ import annotations

from ncbnet.base import clock, tally
from ncbnet.base.node import node_id
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register

from ..models.operations import OPERATION_STEPS, Operation, OperationResult
from ..schemas.operations import OperationBody, ResultBody
from ..services import groups, requests, tallies
from ..services.operations import KIND, RESULT, recount

# A request to "group:<code>" goes to each member of the group on the network.
requests.use_groups(groups.on_network)


@register(KIND, OperationBody)
def operation_arrived(envelope: Arrived, body: OperationBody) -> None:
    if body.coordinator != envelope.sender:
        raise Rejected("the operation names another coordinator than the envelope's sender")
    if body.period_end < body.period_start:
        raise Rejected("the operation's period ends before it starts")
    kept = Operation.objects.select_for_update().filter(pk=body.operation_id).first()
    me = node_id()
    if kept is None:
        if me not in body.participants:
            raise Rejected("an operation this bureau does not take part in")
        Operation.objects.create(id=body.operation_id, updated_at=clock.now(), **body.fields())
        return
    if kept.coordinator != envelope.sender:
        raise Rejected(f"only {kept.coordinator}, the coordinator of {kept.pk}, updates it")
    if body.version <= kept.version:
        raise Rejected(f"version {body.version} of {kept.pk} is not newer than the one kept ({kept.version})")
    if OPERATION_STEPS[str(body.state)] < OPERATION_STEPS[kept.state]:
        raise Rejected(f"the operation {kept.pk} does not go back from {kept.state} to {body.state}")
    fields = body.fields()
    fields.pop("created_at")
    for name, value in fields.items():
        setattr(kept, name, value)
    kept.updated_at = clock.now()
    kept.save()


@register(RESULT, ResultBody)
def result_arrived(envelope: Arrived, body: ResultBody) -> None:
    if body.reported_by != envelope.sender:
        raise Rejected("a result claims another reporter than the envelope's sender")
    op = Operation.objects.select_for_update().filter(pk=body.operation_id).first()
    if op is None:
        raise Rejected("a result of an operation this node does not keep")
    if not op.takes_part(envelope.sender):
        raise Rejected(f"{envelope.sender} is not in the operation {op.pk}")
    if not op.reporting:
        raise Rejected(f"the operation {op.pk} has not started: no results yet")
    if OperationResult.objects.filter(pk=body.result_id).exists():
        raise Rejected(f"a result {body.result_id} is already kept here")
    if body.kind == "arrest" and not body.person_name.strip():
        raise Rejected("an arrest names the person")
    if body.kind == "seizure" and not (body.commodity and body.unit and body.quantity):
        raise Rejected("a seizure gives the commodity, the quantity and its unit")
    kept = OperationResult.objects.create(id=body.result_id, operation=op, **body.fields())
    tally.count_all([tallies.result(kept)])
    recount(op)
