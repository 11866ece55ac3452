"""Envelope handlers: a request arriving at the requested bureau, and each step of it arriving at
the other party. A party takes only its own steps: the requested bureau receives, acknowledges,
asks, pauses, answers or refuses; the requester clarifies and closes. Anything else, or a step its
state does not allow, is refused (and quarantined); nothing another node owns is overwritten."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError

from ncbnet.base import clock, tally
from ncbnet.base.node import node_id
from ncbnet.network import delivery as network
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, every, register

from ..models.requests import Request, RequestEvent
from ..schemas.requests import BY_REQUESTED, BY_REQUESTER, RequestBody, StepBody
from ..services import crosscheck, escalation, tallies
from ..services.requests import KIND, STEP, keep_files


@register(KIND, RequestBody)
def request_arrived(envelope: Arrived, body: RequestBody) -> None:
    """Keep a request another bureau sent here, start its deadline from now (its receipt), and send
    the requester the signed receipt with the deadline."""
    if body.requester != envelope.sender:
        raise Rejected("the request claims another requester than the envelope's sender")
    if body.requested != node_id():
        raise Rejected("a request addressed to another bureau")
    if Request.objects.filter(pk=body.request_id).exists():
        raise Rejected(f"a request {body.request_id} is already kept here")
    if body.urgent != bool(body.urgency_ground):
        raise Rejected("an urgent request states its ground, and only an urgent one")
    now = clock.now()
    r = Request(**body.request_fields(), direction=Request.Direction.IN, updated_at=now)
    r.state = "sent"
    r.receive(now)
    r.save(force_insert=True)
    RequestEvent.objects.create(
        id=uuid.UUID(new_id()),
        request=r,
        kind=RequestEvent.Kind.SENT,
        at=body.created_at,
        node=envelope.sender,
        by=body.sender_name,
    )
    receipt = RequestEvent.objects.create(
        id=uuid.UUID(new_id()),
        request=r,
        kind=RequestEvent.Kind.RECEIVED,
        at=now,
        node=node_id(),
        by=node_id(),
        detail={"due_at": r.due_at.isoformat() if r.due_at else None},
    )
    network.queue(
        STEP,
        [envelope.sender],
        {"request_id": str(r.pk), "event_id": str(receipt.pk), "kind": "received", "by": node_id()},
    )


@register(STEP, StepBody)
def step_arrived(envelope: Arrived, body: StepBody) -> None:
    r = Request.objects.select_for_update().filter(pk=body.request_id).first()
    if r is None:
        raise Rejected("a step of a request this node does not keep")
    if body.kind in BY_REQUESTED:
        if r.direction != Request.Direction.OUT or envelope.sender != r.requested:
            raise Rejected(f"only the requested bureau of {r.pk} takes the step {body.kind}")
    elif body.kind in BY_REQUESTER and (
        r.direction != Request.Direction.IN or envelope.sender != r.requester
    ):
        raise Rejected(f"only the requester of {r.pk} takes the step {body.kind}")
    if RequestEvent.objects.filter(pk=body.event_id).exists():
        raise Rejected(f"a step {body.event_id} is already kept here")
    at = envelope.created_at  # the time the other party's node signed it
    before = r.state
    detail: dict[str, object] = {}
    try:
        if body.kind == "received":
            r.receive(at)
            detail["due_at"] = r.due_at.isoformat() if r.due_at else None
        elif body.kind == "acknowledged":
            r.acknowledge(at)
        elif body.kind == "clarification_asked":
            r.ask_clarification(at)
        elif body.kind == "clarified":
            r.clarified(at)
        elif body.kind == "paused":
            r.pause(at, body.text, timedelta(hours=body.expected_hours))
            detail["expected_hours"] = body.expected_hours
        elif body.kind == "answered":
            r.answer(at)
            if body.handling:
                detail["handling"] = body.handling
        elif body.kind == "refused":
            r.refuse(at, body.ground, body.text)
            detail["ground"] = body.ground
        elif body.kind == "closed":
            r.close(at)
    except ValidationError as exc:
        raise Rejected(f"step {body.kind} refused: {exc.messages[0]}") from exc
    r.updated_at = clock.now()
    r.save()
    event = RequestEvent.objects.create(
        id=body.event_id,
        request=r,
        kind=body.kind,
        at=at,
        node=envelope.sender,
        by=body.by,
        text=body.text,
        detail=detail,
    )
    tally.count_all(tallies.step(r, body.kind, before, at))
    try:
        keep_files(event, [f.model_dump(mode="json") for f in body.files])
    except (ValidationError, ValueError) as exc:
        raise Rejected(f"a file of step {body.kind} is not what it claims: {exc}") from exc


@every(5, "cooperation.crosscheck")
def crosscheck_received() -> dict[str, int]:
    """What this node holds about the subjects of the requests received since the last run."""
    return crosscheck.run()


@every(60, "cooperation.escalate")
def escalate_overdue() -> dict[str, int]:
    """Overdue requests alert the bureau, then its head; the requester sees them late."""
    return escalation.escalate()
