"""National tasking: an officer turns a request, a hit or a case into tasks for the bureau's own
national agencies; the agency's users acknowledge, report progress, answer with evidence or decline
with a reason. A task is due, unless the officer says otherwise, after a set share of the time its
parent has left; a task due after its parent's deadline is allowed and flagged. Everything stays on
this node: each step is one transaction with its audit entry."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.core import services as core
from ncbnet.core.models import Agency
from ncbnet.hits.models import HitReport
from ncbnet.network.envelope import new_id

from ..models.requests import Alert, Request, State
from ..models.tasks import Task, TaskEvent, TaskFile
from ..policies import acts_on_tasks, cooperates
from .files import Upload as Upload  # the callers name it through this module

# A task is due, by default, after this share of the time its parent has left.
TASK_SHARE = 0.5
# A case has no deadline of its own: its tasks are due a week from now unless the officer says.
CASE_DEFAULT = timedelta(days=7)
MAX_FILES = 10
MAX_FILES_BYTES = 10 * 1024 * 1024
MAX_TEXT = 100_000


@dataclass
class Draft:
    parent_kind: str
    parent_id: str
    agency_id: int
    action: str
    legal_basis: str
    details: str
    due_at: datetime | None = None


@dataclass(frozen=True)
class Parent:
    kind: str
    id: uuid.UUID
    title: str
    due_at: datetime | None


def _name(actor: Person) -> str:
    return actor.get_full_name() or actor.get_username()


def _uuid(value: Any, field: str, message: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValidationError({field: message}) from exc


def _case(pk: uuid.UUID) -> Parent:
    """A case kept on this node (the cases part's model, when it is installed)."""
    try:
        model = apps.get_model("cooperation", "Case")
    except LookupError as exc:
        raise ValidationError({"parent_id": _("Cases are not kept on this node.")}) from exc
    case = model.objects.filter(pk=pk).first()
    if case is None:
        raise ValidationError({"parent_id": _("No such case on this node.")})
    return Parent(Task.Parent.CASE, pk, str(case.title), None)


def parent(kind: str, parent_id: Any) -> Parent:
    """What a task is given for, with its deadline (none for a case)."""
    if kind not in Task.Parent.values:
        raise ValidationError({"parent_kind": _("A request, a hit or a case.")})
    pk = _uuid(parent_id, "parent_id", _("Not the id of a request, a hit or a case."))
    if kind == Task.Parent.REQUEST:
        r = Request.objects.filter(pk=pk).first()
        if r is None:
            raise ValidationError({"parent_id": _("No such request on this node.")})
        if r.state in (State.CLOSED, State.REFUSED):
            raise ValidationError({"parent_id": _("This request is closed: no more tasks for it.")})
        return Parent(kind, pk, r.title, r.due_at)
    if kind == Task.Parent.HIT:
        hit = HitReport.objects.filter(pk=pk).first()
        if hit is None:
            raise ValidationError({"parent_id": _("No such hit on this node.")})
        return Parent(kind, pk, hit.label, hit.due_at)
    return _case(pk)


def default_due(p: Parent, now: datetime) -> datetime:
    """`TASK_SHARE` of the time the parent has left; a week for a parent without a deadline."""
    if p.due_at is None:
        return now + CASE_DEFAULT
    left = p.due_at - now
    if left <= timedelta(0):
        raise ValidationError(
            {"due_at": _("The deadline of what this task is for has passed: set the task's due date.")}
        )
    return now + left * TASK_SHARE


def _agency(agency_id: Any) -> Agency:
    """One of this node's NCB's own agencies; any other (another country's) is refused."""
    try:
        agency = Agency.objects.select_related("ncb").filter(pk=int(agency_id)).first()
    except (TypeError, ValueError):
        agency = None
    if agency is None:
        raise ValidationError({"agency": _("No such national agency.")})
    ncb = core.local_ncb()
    if ncb is None or agency.ncb_id != ncb.pk:
        raise ValidationError(
            {
                "agency": _("%(agency)s is not an agency of this bureau's country: task it through its NCB.")
                % {"agency": agency.name}
            }
        )
    return agency


def _validate(d: Draft) -> None:
    errors: dict[str, str] = {}
    if not d.action.strip() or len(d.action) > 300:
        errors["action"] = _("Say what the agency is to do (1 to 300 characters).")
    if not d.legal_basis.strip() or len(d.legal_basis) > 500:
        errors["legal_basis"] = _("State the legal basis (at most 500 characters).")
    if not d.details.strip() or len(d.details) > MAX_TEXT:
        errors["details"] = _("Details of 1 to %(n)s characters.") % {"n": MAX_TEXT}
    if d.due_at is not None and d.due_at.tzinfo is None:
        errors["due_at"] = _("A due date with its time zone.")
    if errors:
        raise ValidationError(errors)


def _files(uploads: list[Upload], task: Task | None = None) -> None:
    kept = list(task.files.values_list("size", flat=True)) if task is not None else []
    if len(kept) + len(uploads) > MAX_FILES or any(not u.name.strip() or len(u.name) > 255 for u in uploads):
        raise ValidationError(
            {"files": _("At most 10 files for a task, each with a name of at most 255 characters.")}
        )
    if sum(kept) + sum(len(u.data) for u in uploads) > MAX_FILES_BYTES:
        raise ValidationError({"files": _("The files of a task are limited to 10 MB in all.")})


def _keep(task: Task, event: TaskEvent, uploads: list[Upload]) -> None:
    for u in uploads:
        TaskFile.objects.create(
            id=uuid.UUID(new_id()),
            task=task,
            event=event,
            name=u.name.strip(),
            content_type=(u.content_type or "application/octet-stream")[:100],
            size=len(u.data),
            sha256=hashlib.sha256(u.data).hexdigest(),
            data=u.data,
        )


def _event(task: Task, kind: str, actor: Person, at: datetime, text: str = "") -> TaskEvent:
    return TaskEvent.objects.create(
        id=uuid.UUID(new_id()), task=task, kind=kind, at=at, by_id=actor.pk, by_name=_name(actor), text=text
    )


def create(actor: Person, draft: Draft, files: list[Upload] | None = None, ip: str | None = None) -> Task:
    """A task for one of this bureau's agencies, due by `draft.due_at` or by default a share of
    the parent's remaining time; never in the past, flagged when after the parent's deadline."""
    if not cooperates(actor):
        raise PermissionDenied(_("Only the bureau's staff task national agencies."))
    _validate(draft)
    uploads = files or []
    _files(uploads)
    agency = _agency(draft.agency_id)
    p = parent(draft.parent_kind, draft.parent_id)
    now = clock.now()
    due = draft.due_at if draft.due_at is not None else default_due(p, now)
    if due <= now:
        raise ValidationError({"due_at": _("A due date in the past: give the agency time to act.")})
    late = p.due_at is not None and due > p.due_at
    with transaction.atomic():
        task = Task.objects.create(
            id=uuid.UUID(new_id()),
            parent_kind=p.kind,
            parent_id=p.id,
            parent_title=p.title[:300],
            parent_due_at=p.due_at,
            agency=agency,
            action=draft.action.strip(),
            legal_basis=draft.legal_basis.strip(),
            details=draft.details.strip(),
            due_at=due,
            late_for_parent=late,
            created_by_id=actor.pk,
            created_at=now,
            updated_at=now,
        )
        event = _event(task, TaskEvent.Kind.ASSIGNED, actor, now, task.action)
        _keep(task, event, uploads)
        audit.record(
            "cooperation.task.create",
            actor=actor,
            target=task,
            ip=ip,
            detail={
                "parent": f"{p.kind}:{p.id}",
                "agency": agency.pk,
                "due_at": due.isoformat(),
                "late_for_parent": late,
            },
        )
    return task


def visible(actor: Person) -> QuerySet[Task]:
    """The tasks an account may see: an agency user, their own agency's; the bureau, all."""
    qs = Task.objects.select_related("agency")
    if actor.kind == "agency":
        return qs.filter(agency_id=actor.agency_id) if actor.agency_id is not None else qs.none()
    if actor.kind in ("ncb", "system", "gs"):
        return qs
    return qs.none()


def _get(actor: Person, task_id: Any, *, lock: bool = False) -> Task:
    try:
        pk = uuid.UUID(str(task_id))
    except ValueError as exc:
        raise Http404(_("No such task.")) from exc
    qs = visible(actor)
    if lock:
        qs = qs.select_for_update()
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such task."))
    return found


@dataclass(frozen=True)
class Filters:
    q: str = ""
    state: str = ""
    agency: str = ""
    parent_kind: str = ""
    open_only: bool = False
    overdue: bool = False
    late_for_parent: bool = False


def search(actor: Person, f: Filters, ip: str | None = None) -> QuerySet[Task]:
    """The tasks the account may see, filtered; the search is audited."""
    qs = visible(actor)
    if f.q:
        qs = qs.filter(
            Q(action__icontains=f.q)
            | Q(details__icontains=f.q)
            | Q(parent_title__icontains=f.q)
            | Q(result__icontains=f.q)
        )
    if f.state in Task.State.values:
        qs = qs.filter(state=f.state)
    if f.agency.isdigit():
        qs = qs.filter(agency_id=int(f.agency))
    if f.parent_kind in Task.Parent.values:
        qs = qs.filter(parent_kind=f.parent_kind)
    if f.open_only or f.overdue:
        qs = qs.filter(state__in=Task.OPEN)
    if f.overdue:
        qs = qs.filter(due_at__lt=clock.now())
    if f.late_for_parent:
        qs = qs.filter(late_for_parent=True)
    with transaction.atomic():
        audit.record(
            "cooperation.task.search",
            actor=actor,
            ip=ip,
            detail={"q": f.q, "state": f.state, "agency": f.agency, "parent_kind": f.parent_kind},
        )
    return qs.order_by("due_at")


def read(actor: Person, task_id: Any, ip: str | None = None) -> Task:
    """One task with its log and files (an agency user: only their agency's); audited."""
    task = _get(actor, task_id)
    with transaction.atomic():
        audit.record("cooperation.task.read", actor=actor, target=task, ip=ip)
    return task


def read_file(actor: Person, task_id: Any, file_id: Any, ip: str | None = None) -> TaskFile:
    task = _get(actor, task_id)
    try:
        found = task.files.filter(pk=uuid.UUID(str(file_id))).first()
    except ValueError:
        found = None
    if found is None:
        raise Http404(_("No such file."))
    with transaction.atomic():
        audit.record("cooperation.task.file", actor=actor, target=task, ip=ip, detail={"file": str(found.pk)})
    return found


def of_parent(kind: str, parent_id: Any) -> list[Task]:
    """The tasks given for a request, a hit or a case, for its page (whoever may see the parent
    sees its tasks' states)."""
    try:
        pk = uuid.UUID(str(parent_id))
    except ValueError:
        return []
    return list(
        Task.objects.select_related("agency").filter(parent_kind=kind, parent_id=pk).order_by("due_at")
    )


def _step(
    actor: Person,
    task_id: Any,
    to: str,
    kind: str,
    text: str = "",
    files: list[Upload] | None = None,
    ip: str | None = None,
) -> Task:
    """One step by the agency (or the bureau's national system) on its own task."""
    if not acts_on_tasks(actor):
        raise PermissionDenied(_("Only the tasked agency acts on a task."))
    uploads = files or []
    with transaction.atomic():
        task = _get(actor, task_id, lock=True)
        _files(uploads, task)
        now = clock.now()
        before = task.move(to)
        task.acknowledged_at = task.acknowledged_at or now  # any step acknowledges the task
        if to == Task.State.ANSWERED:
            task.result, task.answered_by_id, task.answered_at = text, actor.pk, now
        if to == Task.State.DECLINED:
            task.decline_reason, task.answered_by_id, task.answered_at = text, actor.pk, now
        task.updated_at = now
        task.save()
        event = _event(task, kind, actor, now, text)
        _keep(task, event, uploads)
        audit.record(
            f"cooperation.task.{kind}",
            actor=actor,
            target=task,
            ip=ip,
            detail={"from": before, "to": task.state, "files": len(uploads)},
        )
    return task


def _text(text: str, field: str, message: str) -> str:
    if not text.strip():
        raise ValidationError({field: message})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("At most %(n)s characters.") % {"n": MAX_TEXT}})
    return text.strip()


def acknowledge(actor: Person, task_id: Any, text: str = "", ip: str | None = None) -> Task:
    if len(text) > MAX_TEXT:
        raise ValidationError({"text": _("At most %(n)s characters.") % {"n": MAX_TEXT}})
    return _step(actor, task_id, Task.State.ACKNOWLEDGED, TaskEvent.Kind.ACKNOWLEDGED, text.strip(), ip=ip)


def report(
    actor: Person, task_id: Any, text: str, files: list[Upload] | None = None, ip: str | None = None
) -> Task:
    text = _text(text, "text", _("Say how the task is progressing."))
    return _step(actor, task_id, Task.State.IN_PROGRESS, TaskEvent.Kind.PROGRESS, text, files, ip)


def answer(
    actor: Person, task_id: Any, text: str, files: list[Upload] | None = None, ip: str | None = None
) -> Task:
    text = _text(text, "text", _("Write the results."))
    return _step(actor, task_id, Task.State.ANSWERED, TaskEvent.Kind.ANSWERED, text, files, ip)


def decline(actor: Person, task_id: Any, reason: str, ip: str | None = None) -> Task:
    reason = _text(reason, "reason", _("Say why the task cannot be done."))
    return _step(actor, task_id, Task.State.DECLINED, TaskEvent.Kind.DECLINED, reason, ip=ip)


def alert_overdue() -> int:
    """One alert for the bureau's officers per open task past its due date (never a second)."""
    now = clock.now()
    raised = 0
    with transaction.atomic():
        for task in (
            Task.objects.select_for_update()
            .select_related("agency")
            .filter(state__in=Task.OPEN, due_at__lt=now, alerted_at__isnull=True)
        ):
            task.alerted_at = now
            task.save(update_fields=["alerted_at"])
            if not Alert.objects.filter(what="task", ref=task.pk).exists():
                Alert.objects.create(
                    at=now,
                    audience=Alert.Audience.BUREAU,
                    what="task",
                    ref=task.pk,
                    text=(
                        _("Task overdue: %(action)s (%(agency)s)")
                        % {"action": task.action, "agency": task.agency.name}
                    )[:500],
                )
            audit.record("cooperation.task.overdue", target=task, detail={"due_at": task.due_at.isoformat()})
            raised += 1
    return raised
