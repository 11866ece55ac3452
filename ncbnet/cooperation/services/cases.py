"""Cases: cross-border investigations shared by the participating bureaus. Every change is one
transaction with its audit entry and the envelope that tells the other participants, sealed to
exactly them (the hub relays ciphertext; it reads a case only when it is a participant). What this
bureau may do in a case is the permission its node holds in its copy."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.base.node import node_id
from ncbnet.messaging import services as messaging
from ncbnet.network import delivery as network
from ncbnet.network.envelope import new_id

from ..models.cases import (
    LINKING,
    MAX_ENTRY_FILE_BYTES,
    Case,
    CaseEntry,
    CaseParticipant,
    CaseStatus,
    CaseTask,
    EntryKind,
    Permission,
    Severity,
    TaskState,
)
from ..policies import cooperates
from ..schemas.cases import CaseBody, EntryBody, StatusBody, TaskBody
from .files import Upload as Upload  # the callers name it through this module

CASE = "cooperation.case"
ENTRY = "cooperation.case.entry"
TASK = "cooperation.case.task"
STATUS = "cooperation.case.status"
MAX_TEXT = 100_000


@dataclass
class Draft:
    title: str
    description: str = ""
    severity: str = Severity.MEDIUM
    template: str = ""
    # Other bureaus and their permission: {"BR": "contribute"}.
    participants: dict[str, str] = field(default_factory=dict)


def _require(actor: Person) -> None:
    if not cooperates(actor):
        raise PermissionDenied(_("Cases are worked by the bureau's staff."))


def _name(actor: Person) -> str:
    return actor.get_full_name() or actor.get_username()


def _get(case_id: Any, *, lock: bool = True) -> Case:
    try:
        pk = uuid.UUID(str(case_id))
    except ValueError as exc:
        raise Http404(_("No such case on this node.")) from exc
    qs = Case.objects.select_for_update() if lock else Case.objects
    found = qs.filter(pk=pk).first()
    if found is None or found.permission_of(node_id()) is None:
        raise Http404(_("No such case on this node."))
    return found


def _need(case: Case, permission: str) -> None:
    if not case.allows(node_id(), permission):
        raise PermissionDenied(
            _("Your bureau's permission in this case does not allow this (%(needed)s needed).")
            % {"needed": Permission(permission).label.lower()}
        )


def _not_closed(case: Case) -> None:
    if case.closed:
        raise ValidationError({"status": _("The case is closed.")})


def others(case: Case) -> list[str]:
    """The participants' nodes other than this one: every envelope about the case goes to them."""
    me = node_id()
    return [p.node for p in case.participants.all() if p.node != me]


def _tell(kind: str, case: Case, body: dict[str, Any]) -> str | None:
    nodes = others(case)
    return network.queue(kind, nodes, body) if nodes else None


def _participants(raw: dict[str, str], *, removals: bool = False) -> dict[str, str]:
    """Bureaus named by node (country code or "hub") with a permission ("" removes, when allowed)."""
    out: dict[str, str] = {}
    me = node_id()
    for key, permission in raw.items():
        code = key.strip()
        code = "hub" if code.lower() in ("hub", "gs") else code.upper()
        if permission == "" and removals:
            out[code] = ""
            continue
        if permission not in Permission.values:
            raise ValidationError({"participants": _("Read, contribute or manage, for %(n)s.") % {"n": code}})
        if code == me:
            raise ValidationError({"participants": _("Your own bureau takes part already.")})
        out[code] = permission
    added = [n for n, p in out.items() if p]
    if added:
        messaging.expand_recipients(added)  # unknown or off the network: a ValidationError on "to"
    return out


def _validate(d: Draft) -> None:
    errors: dict[str, str] = {}
    if not d.title.strip() or len(d.title) > 300:
        errors["title"] = _("A title of 1 to 300 characters.")
    if len(d.description) > MAX_TEXT:
        errors["description"] = _("A description of at most %(n)s characters.") % {"n": MAX_TEXT}
    if d.severity not in Severity.values:
        errors["severity"] = _("Low, medium, high or critical.")
    if len(d.template) > 100:
        errors["template"] = _("A template name of at most 100 characters.")
    if errors:
        raise ValidationError(errors)


def _renamed(exc: ValidationError) -> ValidationError:
    """Recipient errors from messaging name the field "to"; here it is "participants"."""
    return ValidationError({"participants": exc.messages})


def create(actor: Person, draft: Draft, ip: str | None = None) -> Case:
    """A new case owned by this bureau, shared at once with the bureaus named."""
    _require(actor)
    _validate(draft)
    try:
        chosen = _participants(draft.participants)
    except ValidationError as exc:
        raise _renamed(exc) from exc
    now, me, name = clock.now(), node_id(), _name(actor)
    with transaction.atomic():
        case = Case.objects.create(
            id=uuid.UUID(new_id()),
            owner=me,
            created_by=name,
            title=draft.title.strip(),
            description=draft.description.strip(),
            severity=draft.severity,
            template=draft.template.strip(),
            created_at=now,
            updated_at=now,
            seen_at=now,
        )
        CaseParticipant.objects.create(
            case=case, node=me, permission=Permission.MANAGE, added_at=now, added_by=name
        )
        for node, permission in sorted(chosen.items()):
            CaseParticipant.objects.create(
                case=case, node=node, permission=permission, added_at=now, added_by=name
            )
        envelope_id = _tell(CASE, case, CaseBody.of(case))
        audit.record(
            "cooperation.case.create",
            actor=actor,
            target=case,
            ip=ip,
            detail={"participants": chosen, "envelope": envelope_id},
        )
    return case


def _entry_file(entry: CaseEntry) -> dict[str, Any] | None:
    if not entry.file_name:
        return None
    return {
        "name": entry.file_name,
        "content_type": entry.file_type,
        "sha256": entry.file_sha256,
        "data": base64.b64encode(bytes(entry.file_data or b"")).decode("ascii"),
    }


def _catch_up(case: Case, nodes: list[str]) -> None:
    """Bring newly added participants up to date: every entry and task this copy holds."""
    for entry in case.entries.all():
        network.queue(ENTRY, nodes, EntryBody.of(entry, _entry_file(entry)))
    for task in case.tasks.all():
        network.queue(TASK, nodes, TaskBody.of(task, "create", task.created_by_node, ""))


def share(actor: Person, case_id: Any, changes: dict[str, str], ip: str | None = None) -> Case:
    """Add participants, change their permissions or remove them ("" as the permission); manage
    only. The owner stays a manager; a removed bureau receives nothing more of the case."""
    _require(actor)
    try:
        wanted = _participants(changes, removals=True)
    except ValidationError as exc:
        raise _renamed(exc) from exc
    if not wanted:
        raise ValidationError({"participants": _("Name at least one bureau.")})
    now, name = clock.now(), _name(actor)
    with transaction.atomic():
        case = _get(case_id)
        _need(case, Permission.MANAGE)
        _not_closed(case)
        if case.owner in wanted:
            raise ValidationError({"participants": _("The owner of the case stays its manager.")})
        before = set(others(case))
        for node, permission in wanted.items():
            if not permission:
                CaseParticipant.objects.filter(case=case, node=node).delete()
            else:
                CaseParticipant.objects.update_or_create(
                    case=case,
                    node=node,
                    defaults={"permission": permission, "added_at": now, "added_by": name},
                )
        case.updated_at = now
        case.save()
        envelope_id = _tell(CASE, case, CaseBody.of(case))
        added = sorted(set(others(case)) - before)
        if added:
            _catch_up(case, added)
        audit.record(
            "cooperation.case.share",
            actor=actor,
            target=case,
            ip=ip,
            detail={"changes": wanted, "added": added, "envelope": envelope_id},
        )
    return case


def _upload(upload: Upload | None) -> dict[str, Any]:
    if upload is None:
        return {}
    if len(upload.data) > MAX_ENTRY_FILE_BYTES:
        raise ValidationError(
            {"file": _("A file in a case is limited to 2 MB; send larger ones as a message.")}
        )
    if not upload.name.strip() or len(upload.name) > 255:
        raise ValidationError({"file": _("A file name of 1 to 255 characters.")})
    return {
        "file_name": upload.name.strip(),
        "file_type": upload.content_type[:100],
        "file_sha256": hashlib.sha256(upload.data).hexdigest(),
        "file_size": len(upload.data),
        "file_data": upload.data,
    }


def _check_entry(kind: str, text: str, ref: str, upload: Upload | None) -> None:
    errors: dict[str, str] = {}
    if kind not in EntryKind.values:
        errors["kind"] = _("Note, message, request, hit, record, notice or attachment.")
    elif kind in LINKING and not ref.strip():
        errors["ref"] = _("Give the id of the %(kind)s it links.") % {"kind": EntryKind(kind).label.lower()}
    elif kind == EntryKind.ATTACHMENT and upload is None:
        errors["file"] = _("Attach the file.")
    elif kind in (EntryKind.NOTE, EntryKind.MESSAGE) and not text.strip():
        errors["text"] = _("Write the entry.")
    if len(text) > MAX_TEXT:
        errors["text"] = _("At most %(n)s characters.") % {"n": MAX_TEXT}
    if len(ref) > 64:
        errors["ref"] = _("An id of at most 64 characters.")
    if errors:
        raise ValidationError(errors)


def add_entry(
    actor: Person,
    case_id: Any,
    kind: str,
    text: str = "",
    ref: str = "",
    upload: Upload | None = None,
    ip: str | None = None,
) -> CaseEntry:
    """An entry in the case's timeline (contribute or manage); request, hit, record and notice
    entries name the id of what they link."""
    _require(actor)
    _check_entry(kind, text, ref, upload)
    stored = _upload(upload)
    now, me = clock.now(), node_id()
    with transaction.atomic():
        case = _get(case_id)
        _need(case, Permission.CONTRIBUTE)
        _not_closed(case)
        entry = CaseEntry.objects.create(
            id=uuid.UUID(new_id()),
            case=case,
            kind=kind,
            text=text.strip(),
            ref=ref.strip(),
            author_name=_name(actor),
            author_node=me,
            at=now,
            **stored,
        )
        case.acknowledge(me, now)
        case.updated_at = now
        case.seen_at = now
        case.save()
        envelope_id = _tell(ENTRY, case, EntryBody.of(entry, _entry_file(entry)))
        audit.record(
            "cooperation.case.entry",
            actor=actor,
            target=case,
            ip=ip,
            detail={"entry": str(entry.pk), "kind": kind, "ref": entry.ref, "envelope": envelope_id},
        )
    return entry


def _assignee_node(value: str) -> str:
    code = value.strip()
    if not code:
        return ""
    code = "hub" if code.lower() in ("hub", "gs") else code.upper()
    return code


def add_task(
    actor: Person,
    case_id: Any,
    title: str,
    *,
    assignee_node: str = "",
    assignee_name: str = "",
    due_at: datetime | None = None,
    mandatory: bool = False,
    ip: str | None = None,
) -> CaseTask:
    """A task in the case (contribute or manage), for a participant bureau and/or a person."""
    _require(actor)
    if not title.strip() or len(title) > 300:
        raise ValidationError({"title": _("A title of 1 to 300 characters.")})
    if len(assignee_name) > 200:
        raise ValidationError({"assignee_name": _("A name of at most 200 characters.")})
    now, me, name = clock.now(), node_id(), _name(actor)
    if due_at is not None and due_at <= now:
        raise ValidationError({"due_at": _("A due date in the future.")})
    node = _assignee_node(assignee_node)
    with transaction.atomic():
        case = _get(case_id)
        _need(case, Permission.CONTRIBUTE)
        _not_closed(case)
        if node and case.permission_of(node) is None:
            raise ValidationError({"assignee_node": _("Assign tasks to a bureau taking part in the case.")})
        task = CaseTask(
            id=uuid.UUID(new_id()),
            case=case,
            title=title.strip(),
            assignee_node=node,
            assignee_name=assignee_name.strip(),
            due_at=due_at,
            mandatory=mandatory,
            created_by_node=me,
            created_at=now,
            updated_at=now,
        )
        task.note(now, name, me, _("Task created."))
        task.save(force_insert=True)
        case.acknowledge(me, now)
        case.updated_at = now
        case.save()
        envelope_id = _tell(TASK, case, TaskBody.of(task, "create", name, ""))
        audit.record(
            "cooperation.case.task.create",
            actor=actor,
            target=case,
            ip=ip,
            detail={"task": str(task.pk), "mandatory": mandatory, "envelope": envelope_id},
        )
    return task


def update_task(
    actor: Person,
    case_id: Any,
    task_id: Any,
    *,
    state: str = "",
    note: str = "",
    due_at: datetime | None = None,
    ip: str | None = None,
) -> CaseTask:
    """Mark a task done or cancelled, move its due date, or log progress (contribute or manage);
    cancelling a mandatory task is for a manager."""
    _require(actor)
    if state and state not in TaskState.values:
        raise ValidationError({"state": _("Open, done or cancelled.")})
    if len(note) > 10_000:
        raise ValidationError({"note": _("At most 10,000 characters.")})
    if not (state or note.strip() or due_at):
        raise ValidationError({"note": _("Say what changed: a state, a due date or a note.")})
    now, me, name = clock.now(), node_id(), _name(actor)
    if due_at is not None and due_at <= now:
        raise ValidationError({"due_at": _("A due date in the future.")})
    with transaction.atomic():
        case = _get(case_id)
        _need(case, Permission.CONTRIBUTE)
        _not_closed(case)
        task = _task(case, task_id)
        if state == TaskState.CANCELLED and task.mandatory:
            _need(case, Permission.MANAGE)
        if state:
            task.move(state)
        if due_at is not None:
            task.due_at = due_at
        task.note(now, name, me, note.strip() or _("State: %(s)s.") % {"s": TaskState(task.state).label})
        task.updated_at = now
        task.save()
        case.acknowledge(me, now)
        case.updated_at = now
        case.save()
        envelope_id = _tell(TASK, case, TaskBody.of(task, "update", name, note.strip()))
        audit.record(
            "cooperation.case.task.update",
            actor=actor,
            target=case,
            ip=ip,
            detail={"task": str(task.pk), "state": task.state, "envelope": envelope_id},
        )
    return task


def _task(case: Case, task_id: Any) -> CaseTask:
    try:
        pk = uuid.UUID(str(task_id))
    except ValueError as exc:
        raise Http404(_("No such task in this case.")) from exc
    found = CaseTask.objects.select_for_update().filter(case=case, pk=pk).first()
    if found is None:
        raise Http404(_("No such task in this case."))
    return found


def change_status(actor: Person, case_id: Any, status: str, outcome: str = "", ip: str | None = None) -> Case:
    """Activate, suspend, resume or close the case (manage only); closing needs an outcome and
    every mandatory task done or cancelled."""
    _require(actor)
    if status not in CaseStatus.values:
        raise ValidationError({"status": _("Open, active, suspended or closed.")})
    if len(outcome) > MAX_TEXT:
        raise ValidationError({"outcome": _("At most %(n)s characters.") % {"n": MAX_TEXT}})
    now, me = clock.now(), node_id()
    with transaction.atomic():
        case = _get(case_id)
        _need(case, Permission.MANAGE)
        if status == CaseStatus.CLOSED:
            waiting = case.open_mandatory_tasks()
            if waiting:
                raise ValidationError(
                    {
                        "tasks": _("Mandatory tasks are still open: %(t)s.")
                        % {"t": ", ".join(t.title for t in waiting)}
                    }
                )
        before = case.move(status, now, outcome)
        case.acknowledge(me, now)
        case.updated_at = now
        case.save()
        body = {"case_id": str(case.pk), "status": status, "outcome": case.outcome, "by": _name(actor)}
        envelope_id = _tell(STATUS, case, StatusBody.model_validate(body).model_dump(mode="json"))
        audit.record(
            "cooperation.case.status",
            actor=actor,
            target=case,
            ip=ip,
            detail={"from": before, "to": status, "envelope": envelope_id},
        )
    return case


def close(actor: Person, case_id: Any, outcome: str, ip: str | None = None) -> Case:
    return change_status(actor, case_id, CaseStatus.CLOSED, outcome, ip)


@dataclass(frozen=True)
class Filters:
    q: str = ""
    status: str = ""
    severity: str = ""


def search(actor: Person, f: Filters, ip: str | None = None) -> QuerySet[Case]:
    """The cases this node takes part in, filtered; the search is audited."""
    _require(actor)
    qs = Case.objects.filter(participants__node=node_id())
    if f.q:
        qs = qs.filter(title__icontains=f.q)
    if f.status in CaseStatus.values:
        qs = qs.filter(status=f.status)
    if f.severity in Severity.values:
        qs = qs.filter(severity=f.severity)
    with transaction.atomic():
        audit.record(
            "cooperation.case.search",
            actor=actor,
            ip=ip,
            detail={"q": f.q, "status": f.status, "severity": f.severity},
        )
    return qs.order_by("-updated_at")


def read(actor: Person, case_id: Any, ip: str | None = None) -> Case:
    """One case with its timeline, tasks and participants; the read is audited and marks what
    this bureau has seen."""
    _require(actor)
    with transaction.atomic():
        case = _get(case_id)
        case.seen_at = clock.now()
        case.save(update_fields=["seen_at"])
        audit.record("cooperation.case.read", actor=actor, target=case, ip=ip)
    return case


def entries(actor: Person, case_id: Any, ip: str | None = None) -> QuerySet[CaseEntry]:
    """The case's timeline; the read is audited."""
    _require(actor)
    case = _get(case_id, lock=False)
    with transaction.atomic():
        audit.record("cooperation.case.entries", actor=actor, target=case, ip=ip)
    return case.entries.all()


def entry_file(actor: Person, case_id: Any, entry_id: Any, ip: str | None = None) -> CaseEntry:
    """An entry's file, for download; audited."""
    _require(actor)
    case = _get(case_id, lock=False)
    try:
        pk = uuid.UUID(str(entry_id))
    except ValueError as exc:
        raise Http404(_("No such file in this case.")) from exc
    entry = case.entries.filter(pk=pk).exclude(file_name="").first()
    if entry is None:
        raise Http404(_("No such file in this case."))
    with transaction.atomic():
        audit.record(
            "cooperation.case.file", actor=actor, target=case, ip=ip, detail={"entry": str(entry.pk)}
        )
    return entry


def with_new_entries(actor: Person, since: datetime | None = None, limit: int = 20) -> list[Case]:
    """Cases with entries from other bureaus this bureau has not seen (after its last read of the
    case page, or after `since` when given), the most recent first."""
    _require(actor)
    me = node_id()
    newer = CaseEntry.objects.filter(case=OuterRef("pk")).exclude(author_node=me)
    newer = (
        newer.filter(at__gt=since)
        if since is not None
        else newer.filter(Q(case__seen_at__isnull=True) | Q(at__gt=OuterRef("seen_at")))
    )
    return list(
        Case.objects.filter(participants__node=me)
        .exclude(status=CaseStatus.CLOSED)
        .filter(Exists(newer))
        .order_by("-updated_at")[:limit]
    )


def open_cases_matching(name: str, limit: int = 20) -> list[Case]:
    """Open cases (not closed) whose title or entries mention the name: for the cross-check of
    an incoming request."""
    name = name.strip()
    if len(name) < 3:
        return []
    mentioned = CaseEntry.objects.filter(case=OuterRef("pk"), text__icontains=name)
    return list(
        Case.objects.exclude(status=CaseStatus.CLOSED)
        .filter(participants__node=node_id())
        .filter(Q(title__icontains=name) | Q(description__icontains=name) | Exists(mentioned))
        .order_by("-updated_at")[:limit]
    )
