"""Requests between bureaus: send, take each step of the workflow, list and read. Every step is
one transaction with its audit entry and the sealed envelope that tells the other party; the hub
relays without reading unless the GS is a party."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock, iccs, tally
from ncbnet.base.actor import Person
from ncbnet.base.node import node_id
from ncbnet.messaging import services as messaging
from ncbnet.messaging.models import Handling, InformationAccuracy, SourceReliability
from ncbnet.network import delivery as network
from ncbnet.network.envelope import new_id

from .. import deadlines
from ..models.requests import (
    OPEN_STATES,
    TRANSITIONS,
    Access,
    Action,
    Kind,
    RefusalGround,
    Request,
    RequestAttachment,
    RequestEvent,
    State,
    UrgencyGround,
)
from ..policies import cooperates
from ..schemas.requests import MAX_STEP_FILES_BYTES, MAX_SUBJECTS, RequestBody, Subject
from . import escalation, tallies
from .files import Upload as Upload  # the callers name it through this module

KIND = "cooperation.request"
STEP = "cooperation.request.step"
MAX_DETAILS = 100_000
# The steps after which an overdue request's alerts are done (its deadline is met or moved).
SETTLING = frozenset({RequestEvent.Kind.ANSWERED, RequestEvent.Kind.REFUSED, RequestEvent.Kind.PAUSED})


@dataclass
class Draft:
    to: list[str]  # country codes, "hub", "region:<code>", "group:<code>"
    kind: str
    title: str
    details: str
    legal_basis: str
    purpose: str
    action: str = ""
    subjects: list[dict[str, Any]] = field(default_factory=list)
    urgent: bool = False
    urgency_ground: str = ""
    access: str = Access.DIRECT
    handling: str = Handling.H0
    handling_note: str = ""
    source_reliability: str = SourceReliability.X
    information_accuracy: str = InformationAccuracy.FOUR
    iccs: str = ""  # the crime category: a level-2 ICCS code, or "" for none


def _require(actor: Person) -> None:
    if not cooperates(actor):
        raise PermissionDenied(_("Requests abroad go through your NCB."))


def _name(actor: Person) -> str:
    return actor.get_full_name() or actor.get_username()


def clean_subjects(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The subjects of a request as given (bounded, each a valid `Subject` named or described)."""
    if len(raw) > MAX_SUBJECTS:
        raise ValidationError({"subjects": _("At most %(n)s subjects.") % {"n": MAX_SUBJECTS}})
    out = []
    for i, s in enumerate(raw):
        try:
            subject = Subject.model_validate(s)
        except Exception as exc:
            raise ValidationError({f"subjects.{i}": _("Not a valid subject: %(e)s") % {"e": exc}}) from exc
        if not (subject.name.strip() or subject.description.strip()):
            raise ValidationError({f"subjects.{i}": _("Name or describe each subject.")})
        out.append(subject.model_dump(mode="json", exclude_defaults=True))
    return out


class WhatAndWhy(Protocol):
    """What a request (or an agency's request for help) asks, and why."""

    title: str
    details: str
    legal_basis: str
    purpose: str
    urgent: bool
    urgency_ground: str


def what_and_why_errors(d: WhatAndWhy) -> dict[str, str]:
    """The title, details, legal basis, purpose and urgency of a request, checked."""
    errors: dict[str, str] = {}
    if not d.title.strip() or len(d.title) > 300:
        errors["title"] = _("A title of 1 to 300 characters.")
    if not d.details.strip() or len(d.details) > MAX_DETAILS:
        errors["details"] = _("Details of 1 to %(n)s characters.") % {"n": MAX_DETAILS}
    if not d.legal_basis.strip() or len(d.legal_basis) > 500:
        errors["legal_basis"] = _("State the legal basis (at most 500 characters).")
    if not d.purpose.strip() or len(d.purpose) > 1000:
        errors["purpose"] = _("State the purpose (at most 1,000 characters).")
    if d.urgent and d.urgency_ground not in UrgencyGround.values:
        errors["urgency_ground"] = _("An urgent request states its ground (Art. 4).")
    if not d.urgent and d.urgency_ground:
        errors["urgency_ground"] = _("Only an urgent request has an urgency ground.")
    return errors


def category_errors(code: str) -> dict[str, str]:
    """A crime category as given, checked: a level-2 ICCS code or none (`base.iccs.check`'s
    message, which names the code to give instead, as the records' schemas give it)."""
    try:
        iccs.check(code)
    except ValueError as exc:
        return {"iccs": str(exc)}
    return {}


def _validate(d: Draft) -> None:
    errors: dict[str, str] = {}
    if d.kind not in Kind.values:
        errors["kind"] = _("Information, action or assistance.")
    if d.kind == Kind.ACTION and d.action not in Action.values:
        errors["action"] = _("Say which action: locate, verify an identity, hear a witness, seize, other.")
    if d.kind != Kind.ACTION and d.action:
        errors["action"] = _("Only a request for action names an action.")
    errors |= what_and_why_errors(d)
    errors |= category_errors(d.iccs)
    if d.access not in Access.values:
        errors["access"] = _("Direct or indirect access.")
    errors |= messaging.handling_errors(
        d.handling, d.handling_note, d.source_reliability, d.information_accuracy
    )
    if errors:
        raise ValidationError(errors)


# How a "group:<code>" recipient is expanded to countries (the groups part registers it).
_groups: list[Any] = []


def use_groups(expand: Any) -> None:
    """Register the function that turns a group's code into its member countries."""
    _groups[:] = [expand]


def recipients(to: Iterable[str]) -> tuple[list[str], str]:
    """The nodes a request goes to (each gets its own request) and the group it went to, if one."""
    plain, group = [], ""
    for item in (t.strip() for t in to):
        if item.lower().startswith("group:"):
            if not _groups:
                raise ValidationError({"to": _("Groups are not available on this node.")})
            group = item.split(":", 1)[1]
            plain += list(_groups[0](group))
        elif item:
            plain.append(item)
    return messaging.expand_recipients(plain), group


def _event(
    r: Request,
    kind: str,
    by: str,
    node: str,
    at: datetime,
    text: str = "",
    detail: dict[str, Any] | None = None,
) -> RequestEvent:
    return RequestEvent.objects.create(
        id=uuid.UUID(new_id()), request=r, kind=kind, at=at, node=node, by=by, text=text, detail=detail or {}
    )


def send(actor: Person, draft: Draft, ip: str | None = None) -> list[Request]:
    """One request to each recipient, each with its own deadline, sealed to that recipient only."""
    _require(actor)
    _validate(draft)
    subjects = clean_subjects(draft.subjects)
    nodes, group = recipients(draft.to)
    now, me, name = clock.now(), node_id(), _name(actor)
    made = []
    with transaction.atomic():
        for target in nodes:
            r = Request.objects.create(
                id=uuid.UUID(new_id()),
                direction=Request.Direction.OUT,
                requester=me,
                requested=target,
                sender_name=name,
                created_by_id=actor.pk,
                kind=draft.kind,
                action=draft.action,
                title=draft.title.strip(),
                details=draft.details,
                subjects=subjects,
                legal_basis=draft.legal_basis.strip(),
                purpose=draft.purpose.strip(),
                urgent=draft.urgent,
                urgency_ground=draft.urgency_ground,
                access=draft.access,
                handling=draft.handling,
                handling_note=draft.handling_note.strip(),
                source_reliability=draft.source_reliability,
                information_accuracy=draft.information_accuracy,
                group=group,
                iccs=draft.iccs.strip(),
                created_at=now,
                updated_at=now,
            )
            _event(r, RequestEvent.Kind.SENT, name, me, now)
            tally.count_all([tallies.sent(r)])
            envelope_id = network.queue(KIND, [target], RequestBody.of(r))
            audit.record(
                "cooperation.request.send",
                actor=actor,
                target=r,
                ip=ip,
                detail={"to": target, "urgent": r.urgent, "envelope": envelope_id},
            )
            made.append(r)
    return made


def _get(request_id: Any, *, lock: bool = True) -> Request:
    try:
        pk = uuid.UUID(str(request_id))
    except ValueError as exc:
        raise Http404(_("No such request on this node.")) from exc
    qs = Request.objects.select_for_update() if lock else Request.objects
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such request on this node."))
    return found


def _files(uploads: list[Upload]) -> list[dict[str, Any]]:
    if sum(len(u.data) for u in uploads) > MAX_STEP_FILES_BYTES:
        raise ValidationError(
            {"files": _("Files with an answer are limited to 2 MB in all; send larger ones as a message.")}
        )
    if len(uploads) > 10 or any(not u.name.strip() or len(u.name) > 255 for u in uploads):
        raise ValidationError({"files": _("At most 10 files, each with a name of at most 255 characters.")})
    return [
        {
            "id": new_id(),
            "name": u.name.strip(),
            "content_type": u.content_type[:100],
            "sha256": hashlib.sha256(u.data).hexdigest(),
            "data": base64.b64encode(u.data).decode("ascii"),
        }
        for u in uploads
    ]


def keep_files(event: RequestEvent, files: list[dict[str, Any]]) -> None:
    for f in files:
        data = base64.b64decode(f["data"], validate=True)
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            raise ValidationError({"files": f"{f['name']} does not match its checksum"})
        RequestAttachment.objects.create(
            id=f["id"],
            event=event,
            name=f["name"],
            content_type=f["content_type"],
            size=len(data),
            sha256=f["sha256"],
            data=data,
        )


def _step(
    actor: Person,
    request_id: Any,
    kind: str,
    change: Any,
    *,
    text: str = "",
    detail: dict[str, Any] | None = None,
    files: list[Upload] | None = None,
    ip: str | None = None,
) -> Request:
    """One step taken here: `change(request, now)` moves the request (refused if its state or this
    side may not), then the event, the audit entry and the envelope to the other party."""
    _require(actor)
    sent_files = _files(files or [])
    with transaction.atomic():
        r = _get(request_id)
        side = RequestEvent.Kind
        by_requested = kind in (
            side.ACKNOWLEDGED,
            side.CLARIFICATION_ASKED,
            side.PAUSED,
            side.ANSWERED,
            side.REFUSED,
        )
        if by_requested and r.direction != Request.Direction.IN:
            raise PermissionDenied(_("Only the requested bureau takes this step."))
        if not by_requested and r.direction != Request.Direction.OUT:
            raise PermissionDenied(_("Only the requesting bureau takes this step."))
        now = clock.now()
        before = change(r, now)
        r.updated_at = now
        r.save()
        if kind in SETTLING:
            escalation.settle(r, now)
        name, me = _name(actor), node_id()
        event = _event(r, kind, name, me, now, text, detail)
        keep_files(event, sent_files)
        tally.count_all(tallies.step(r, kind, before, now))
        other = r.requester if r.direction == Request.Direction.IN else r.requested
        body = {
            "request_id": str(r.pk),
            "event_id": str(event.pk),
            "kind": kind,
            "by": name,
            "text": text,
            **(detail or {}),
            "files": sent_files,
        }
        envelope_id = network.queue(STEP, [other], body)
        audit.record(
            f"cooperation.request.{kind}",
            actor=actor,
            target=r,
            ip=ip,
            detail={"from": before, "to": r.state, "envelope": envelope_id, **(detail or {})},
        )
    return r


def acknowledge(actor: Person, request_id: Any, text: str = "", ip: str | None = None) -> Request:
    return _step(
        actor, request_id, RequestEvent.Kind.ACKNOWLEDGED, lambda r, now: r.acknowledge(now), text=text, ip=ip
    )


def _required_text(text: str, field_name: str, message: str) -> str:
    if not text.strip():
        raise ValidationError({field_name: message})
    return text.strip()


def ask_clarification(actor: Person, request_id: Any, question: str, ip: str | None = None) -> Request:
    question = _required_text(question, "text", _("Say what needs clarifying."))
    return _step(
        actor,
        request_id,
        RequestEvent.Kind.CLARIFICATION_ASKED,
        lambda r, now: r.ask_clarification(now),
        text=question,
        ip=ip,
    )


def clarify(actor: Person, request_id: Any, text: str, ip: str | None = None) -> Request:
    text = _required_text(text, "text", _("Give the clarification asked for."))
    return _step(
        actor, request_id, RequestEvent.Kind.CLARIFIED, lambda r, now: r.clarified(now), text=text, ip=ip
    )


def pause(actor: Person, request_id: Any, reason: str, expected_hours: int, ip: str | None = None) -> Request:
    """Paused while a judicial authorisation is obtained; the requester is told at once how long
    and why, and the deadline moves by that long."""
    if not 1 <= int(expected_hours) <= 90 * 24:
        raise ValidationError({"expected_hours": _("An expected duration between one hour and 90 days.")})
    expected = timedelta(hours=int(expected_hours))
    return _step(
        actor,
        request_id,
        RequestEvent.Kind.PAUSED,
        lambda r, now: r.pause(now, reason, expected),
        text=reason.strip(),
        detail={"expected_hours": int(expected_hours)},
        ip=ip,
    )


def answer(
    actor: Person,
    request_id: Any,
    text: str,
    files: list[Upload] | None = None,
    handling: str = "",
    ip: str | None = None,
) -> Request:
    """The information or the result of the action, with its files, under the request's handling
    code unless a stricter or another one is given."""
    text = _required_text(text, "text", _("Write the answer."))
    if handling and handling not in Handling.values:
        raise ValidationError({"handling": _("H0, H1, H2 or H3.")})

    def change(r: Request, now: datetime) -> str:
        return r.answer(now)

    return _step(
        actor,
        request_id,
        RequestEvent.Kind.ANSWERED,
        change,
        text=text,
        detail={"handling": handling} if handling else {},
        files=files,
        ip=ip,
    )


def refuse(actor: Person, request_id: Any, ground: str, reason: str = "", ip: str | None = None) -> Request:
    if ground not in RefusalGround.values:
        raise ValidationError({"ground": _("A refusal needs one of the grounds of Art. 6.")})
    return _step(
        actor,
        request_id,
        RequestEvent.Kind.REFUSED,
        lambda r, now: r.refuse(now, ground, reason),
        text=reason.strip(),
        detail={"ground": ground},
        ip=ip,
    )


def clarification(actor: Person, request_id: Any, text: str, ip: str | None = None) -> Request:
    """The clarification step this side may take: the requested bureau asks, the requester answers."""
    _require(actor)
    r = _get(request_id, lock=False)
    if r.direction == Request.Direction.IN:
        return ask_clarification(actor, request_id, text, ip)
    return clarify(actor, request_id, text, ip)


def close(actor: Person, request_id: Any, text: str = "", ip: str | None = None) -> Request:
    return _step(actor, request_id, RequestEvent.Kind.CLOSED, lambda r, now: r.close(now), text=text, ip=ip)


@dataclass(frozen=True)
class Filters:
    box: str = "in"  # in | out | all
    q: str = ""
    state: str = ""
    urgent: bool = False
    country: str = ""
    open_only: bool = False


def search(actor: Person, f: Filters, ip: str | None = None) -> QuerySet[Request]:
    """The requests this node keeps, filtered; the search is audited."""
    _require(actor)
    qs = Request.objects.all()
    if f.box in ("in", "out"):
        qs = qs.filter(direction=f.box)
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(details__icontains=f.q) | Q(sender_name__icontains=f.q))
    if f.state in State.values:
        qs = qs.filter(state=f.state)
    if f.open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if f.urgent:
        qs = qs.filter(urgent=True)
    if f.country:
        code = f.country.strip()
        qs = qs.filter(Q(requester__iexact=code) | Q(requested__iexact=code))
    with transaction.atomic():
        audit.record(
            "cooperation.request.search",
            actor=actor,
            ip=ip,
            detail={"box": f.box, "q": f.q, "state": f.state, "country": f.country},
        )
    return qs.order_by("-created_at")


def read(actor: Person, request_id: Any, ip: str | None = None) -> Request:
    """One request with its timeline; the read is audited."""
    _require(actor)
    r = _get(request_id, lock=False)
    with transaction.atomic():
        audit.record("cooperation.request.read", actor=actor, target=r, ip=ip)
    return r


def due_soonest(limit: int = 20) -> list[Request]:
    """Received requests waiting for this bureau's answer, the soonest due first."""
    return list(
        Request.objects.filter(
            direction=Request.Direction.IN, state__in=OPEN_STATES, due_at__isnull=False
        ).order_by("due_at")[:limit]
    )


def attachment(actor: Person, request_id: Any, file_id: Any, ip: str | None = None) -> RequestAttachment:
    """One file of a request's steps; the download is audited (a missing one raises Http404)."""
    _require(actor)
    r = _get(request_id, lock=False)
    try:
        pk = uuid.UUID(str(file_id))
    except ValueError as exc:
        raise Http404(_("No such file with this request.")) from exc
    found = RequestAttachment.objects.filter(pk=pk, event__request=r).first()
    if found is None:
        raise Http404(_("No such file with this request."))
    with transaction.atomic():
        audit.record(
            "cooperation.request.download",
            actor=actor,
            target=r,
            ip=ip,
            detail={"file": str(found.pk), "name": found.name},
        )
    return found


def seen_overdue(r: Request, now: datetime) -> bool:
    """Overdue as this side sees it: the requested bureau from its deadline on, the requester only
    once the request escalated to it (its node's clock and the other's may differ a little)."""
    if r.direction == Request.Direction.IN:
        return r.overdue(now)
    return r.state in OPEN_STATES and r.escalation >= deadlines.REQUESTER


def steps_open(r: Request) -> list[str]:
    """The steps this side may take now (the pages show their forms, the API allows them)."""
    allowed = TRANSITIONS[r.state]
    if r.direction == Request.Direction.IN:
        steps = [
            (State.ACKNOWLEDGED, "acknowledge"),
            (State.CLARIFICATION, "clarify"),
            (State.PAUSED, "pause"),
            (State.ANSWERED, "answer"),
            (State.REFUSED, "refuse"),
        ]
        return [name for to, name in steps if to in allowed]
    out = []
    if r.state == State.CLARIFICATION:
        out.append("clarify")
    if State.CLOSED in allowed:
        out.append("close")
    return out
