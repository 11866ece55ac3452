"""Envelope handlers: a case's header, entries, tasks and status arriving at a participant's node.

The sender must be a participant holding the permission the change needs in this node's own copy
(the owner's grant): manage for the header and the status, contribute for entries and tasks. Only a
newly added participant takes the header of a case it does not keep yet, and then only from a
manager the header itself names. An envelope never changes what another node authored: an entry id
already kept is refused; a task's title, assignee and due date change only by its author or a
manager. Anything else is refused (and quarantined)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid

from django.core.exceptions import ValidationError

from ncbnet.base import clock
from ncbnet.base.node import node_id
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register

from ..models.cases import (
    CASE_TRANSITIONS,
    MAX_ENTRY_FILE_BYTES,
    Case,
    CaseEntry,
    CaseParticipant,
    CaseTask,
    Permission,
    TaskState,
)
from ..schemas.cases import CaseBody, EntryBody, EntryFile, StatusBody, TaskBody
from ..services.cases import CASE, ENTRY, STATUS, TASK


def _kept(case_id: uuid.UUID) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case.permission_of(node_id()) is None:
        raise Rejected(f"case {case_id}: this node does not take part in it")
    return case


def _allowed(case: Case, sender: str, needed: str) -> None:
    if not case.allows(sender, needed):
        raise Rejected(f"case {case.pk}: {sender} does not hold the {needed} permission in it")


@register(CASE, CaseBody)
def case_arrived(envelope: Arrived, body: CaseBody) -> None:
    """A newly added participant creates its copy; the others update participants and status."""
    granted = {p.node: p.permission for p in body.participants}
    if len(granted) != len(body.participants):
        raise Rejected("a participant named twice")
    if granted.get(body.owner) != Permission.MANAGE:
        raise Rejected("the owner of a case is its manager")
    if node_id() not in granted:
        raise Rejected("a case header sent to a node it does not name as a participant")
    case = Case.objects.select_for_update().filter(pk=body.case_id).first()
    now = clock.now()
    if case is None:
        if granted.get(envelope.sender) != Permission.MANAGE:
            raise Rejected("a case shared by a bureau that does not manage it")
        case = Case(
            id=body.case_id,
            owner=body.owner,
            created_by=body.created_by,
            title=body.title,
            description=body.description,
            severity=body.severity,
            status=body.status,
            outcome=body.outcome,
            template=body.template,
            created_at=body.created_at,
            closed_at=body.closed_at,
            updated_at=now,
        )
        case.save(force_insert=True)
    else:
        _allowed(case, envelope.sender, Permission.MANAGE)
        if body.owner != case.owner or body.case_id != case.pk:
            raise Rejected(f"case {case.pk}: a header that changes its owner")
        if body.status != case.status:
            if body.status not in CASE_TRANSITIONS[case.status]:
                raise Rejected(f"case {case.pk}: {case.status} cannot become {body.status}")
            case.status, case.outcome, case.closed_at = body.status, body.outcome, body.closed_at
        case.title, case.description, case.severity = body.title, body.description, body.severity
        case.acknowledge(envelope.sender, envelope.created_at)
        case.updated_at = now
        case.save()
        CaseParticipant.objects.filter(case=case).delete()
    CaseParticipant.objects.bulk_create(
        CaseParticipant(
            case=case, node=p.node, permission=p.permission, added_at=p.added_at, added_by=p.added_by
        )
        for p in body.participants
    )


def _file(body: EntryFile | None) -> dict[str, object]:
    if body is None:
        return {}
    try:
        data = base64.b64decode(body.data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Rejected("an entry's file is not base64") from exc
    if len(data) > MAX_ENTRY_FILE_BYTES or hashlib.sha256(data).hexdigest() != body.sha256:
        raise Rejected("an entry's file is too large or does not match its checksum")
    return {
        "file_name": body.name,
        "file_type": body.content_type,
        "file_sha256": body.sha256,
        "file_size": len(data),
        "file_data": data,
    }


@register(ENTRY, EntryBody)
def entry_arrived(envelope: Arrived, body: EntryBody) -> None:
    case = _kept(body.case_id)
    _allowed(case, envelope.sender, Permission.CONTRIBUTE)
    if body.author_node != envelope.sender:
        # Only a manager brings a new participant the entries others wrote before it joined.
        _allowed(case, envelope.sender, Permission.MANAGE)
    if case.closed:
        raise Rejected(f"case {case.pk} is closed")
    if CaseEntry.objects.filter(pk=body.entry_id).exists():
        raise Rejected(f"an entry {body.entry_id} is already kept here")
    CaseEntry.objects.create(
        id=body.entry_id,
        case=case,
        kind=body.kind,
        text=body.text,
        ref=body.ref,
        author_name=body.author_name,
        author_node=body.author_node,
        at=body.at,
        **_file(body.file),
    )
    case.acknowledge(body.author_node, body.at)
    case.updated_at = clock.now()
    case.save()


@register(TASK, TaskBody)
def task_arrived(envelope: Arrived, body: TaskBody) -> None:
    case = _kept(body.case_id)
    _allowed(case, envelope.sender, Permission.CONTRIBUTE)
    if case.closed:
        raise Rejected(f"case {case.pk} is closed")
    if body.assignee_node and case.permission_of(body.assignee_node) is None:
        raise Rejected("a task assigned to a bureau outside the case")
    task = CaseTask.objects.select_for_update().filter(pk=body.task_id).first()
    at = envelope.created_at
    if body.op == "create":
        _create_task(case, envelope, body, task)
        return
    if task is None or task.case_id != case.pk:
        raise Rejected(f"an update of a task {body.task_id} this case does not hold")
    authored = task.created_by_node == envelope.sender or case.allows(envelope.sender, Permission.MANAGE)
    if not authored and (
        body.title != task.title
        or body.assignee_node != task.assignee_node
        or body.assignee_name != task.assignee_name
        or body.mandatory != task.mandatory
    ):
        raise Rejected(f"task {task.pk}: only its author or a manager changes what it asks")
    if body.created_by_node != task.created_by_node:
        raise Rejected(f"task {task.pk}: an update that changes its author")
    if body.state == TaskState.CANCELLED and task.mandatory and task.state != TaskState.CANCELLED:
        _allowed(case, envelope.sender, Permission.MANAGE)
    try:
        task.move(body.state)
    except ValidationError as exc:
        raise Rejected(f"task {task.pk}: {exc.messages[0]}") from exc
    task.title, task.assignee_node, task.assignee_name = body.title, body.assignee_node, body.assignee_name
    task.mandatory, task.due_at = body.mandatory, body.due_at
    task.note(at, body.by, envelope.sender, body.note or str(task.state))
    task.updated_at = clock.now()
    task.save()
    case.acknowledge(envelope.sender, at)
    case.updated_at = clock.now()
    case.save()


def _create_task(case: Case, envelope: Arrived, body: TaskBody, task: CaseTask | None) -> None:
    if task is not None:
        raise Rejected(f"a task {body.task_id} is already kept here")
    if body.created_by_node != envelope.sender:
        _allowed(case, envelope.sender, Permission.MANAGE)
    now = clock.now()
    task = CaseTask(
        id=body.task_id,
        case=case,
        title=body.title,
        assignee_node=body.assignee_node,
        assignee_name=body.assignee_name,
        due_at=body.due_at,
        mandatory=body.mandatory,
        state=body.state,
        created_by_node=body.created_by_node,
        created_at=body.created_at,
        updated_at=now,
    )
    task.note(envelope.created_at, body.by, envelope.sender, body.note or "created")
    task.save(force_insert=True)
    case.acknowledge(body.created_by_node, body.created_at)
    case.updated_at = now
    case.save()


@register(STATUS, StatusBody)
def status_arrived(envelope: Arrived, body: StatusBody) -> None:
    case = _kept(body.case_id)
    _allowed(case, envelope.sender, Permission.MANAGE)
    try:
        case.move(body.status, envelope.created_at, body.outcome)
    except ValidationError as exc:
        raise Rejected(f"case {case.pk}: {exc.messages[0]}") from exc
    case.acknowledge(envelope.sender, envelope.created_at)
    case.updated_at = clock.now()
    case.save()
