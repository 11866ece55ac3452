"""Notices requested from an NCB node: the request travels to the hub, which drafts and submits
it for the bureau (the automatic checks run there) and tells the bureau of every step after:
in review, changes requested, published, rejected, cancelled, expired, with the written reason."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from ncbnet.base import audit, clock, holdings
from ncbnet.base.actor import Actor, Person
from ncbnet.base.node import HUB, node_id
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, register, require_hub
from ncbnet.records import national_law
from ncbnet.records.schemas import checked

from . import checks, extracts, replication, search, services
from .models import PUBLIC_KINDS, Diffusion, Notice, NoticeRequest, ReplicaNotice
from .replication import DIFFUSION_WITHDRAWN, STATUS
from .schemas import (
    EXTRACT_SCHEMAS,
    CancelBody,
    DiffusionBody,
    ExtendBody,
    ExtractBody,
    IdBody,
    RequestBody,
    ReviseBody,
    StatusBody,
)

REQUEST = "notices.request"
CANCEL = "notices.cancel"
REVISE = "notices.revise"
EXTEND = "notices.extend"
EXTRACT = "notices.extract"


def request(
    actor: Person, kind: str, data: dict[str, Any], title: str = "", extract: dict[str, Any] | None = None
) -> NoticeRequest:
    """Node: an NCB officer asks the GS to publish a notice (and, with `extract`, its public
    extract). The required fields and thresholds are checked here too, so the officer hears at
    once what the GS's automatic checks would refuse."""
    if holdings.here().keeps_originals or getattr(actor, "kind", None) != "ncb":
        raise PermissionDenied("Notices are requested by an NCB's staff.")
    checks.thresholds(kind, checks.validate(kind, data))
    if extract is not None:
        _check_extract(kind, extract)
    with transaction.atomic():
        r = NoticeRequest.objects.create(
            id=uuid.UUID(new_id()),
            kind=kind,
            title=title[:300],
            requested_by=actor.get_username(),
            requested_at=clock.now(),
            data=data,
        )
        delivery.queue(
            REQUEST, ["hub"], {"id": str(r.id), "by": actor.get_username(), "kind": kind, "data": data}
        )
        audit.record("notices.request_sent", actor=actor, target=r, detail={"kind": kind})
        if extract is not None:
            _send_extract(actor, r, extract)
    return r


def _check_extract(kind: str, details: dict[str, Any]) -> dict[str, Any]:
    """What the hub will check of a public extract, checked here first: the kind, this bureau's
    national-law policy, and the details."""
    if kind not in PUBLIC_KINDS:
        raise ValidationError(
            {"kind": "only Red, Yellow and UN Security Council notices have public extracts"}
        )
    if not national_law.policy(node_id()).public_extracts:
        raise ValidationError(
            {"public_extract": f"{node_id()}'s national policy (rule: public_extracts) forbids them"}
        )
    return checked(EXTRACT_SCHEMAS[kind], details)


def _send_extract(actor: Person, r: NoticeRequest, details: dict[str, Any]) -> None:
    delivery.queue(EXTRACT, ["hub"], {"id": str(r.id), "by": actor.get_username(), "details": details})
    audit.record("notices.extract_sent", actor=actor, target=r, detail={"kind": r.kind})


def request_extract(actor: Person, request_id: str, details: dict[str, Any]) -> NoticeRequest:
    """Node: the bureau asks for the public extract of a notice it requested earlier."""
    if holdings.here().keeps_originals or getattr(actor, "kind", None) != "ncb":
        raise PermissionDenied("Public extracts are asked for by the requesting NCB's staff.")
    with transaction.atomic():
        r = _own_request(request_id)
        if r.closed:
            raise ValidationError({"state": "this notice is closed"})
        _check_extract(r.kind, details)
        _send_extract(actor, r, details)
    return r


def cancel(actor: Person, request_id: str, reason: str) -> NoticeRequest:
    """Node: the bureau withdraws its request or its published notice, with a reason."""
    if getattr(actor, "kind", None) != "ncb":
        raise PermissionDenied("Notices are cancelled by the requesting NCB's staff.")
    if not reason.strip():
        raise ValidationError({"reason": "a written reason is required"})
    with transaction.atomic():
        r = NoticeRequest.objects.select_for_update().filter(pk=request_id).first()
        if r is None:
            raise ValidationError({"id": "no such request from this bureau"})
        delivery.queue(CANCEL, ["hub"], {"id": str(r.id), "by": actor.get_username(), "reason": reason})
        audit.record("notices.cancel_sent", actor=actor, target=r, detail={"reason": reason})
    return r


def _own_request(request_id: str) -> NoticeRequest:
    try:
        pk = uuid.UUID(str(request_id))
    except ValueError as exc:
        raise ValidationError({"id": "no such request from this bureau"}) from exc
    r = NoticeRequest.objects.select_for_update().filter(pk=pk).first()
    if r is None:
        raise ValidationError({"id": "no such request from this bureau"})
    return r


def revise(actor: Person, request_id: str, data: dict[str, Any], title: str = "") -> NoticeRequest:
    """Node: the officer edits a request the GS sent back for changes (or the hub's checks refused)
    and submits it again; the hub checks and queues it for review as it did the first time."""
    if holdings.here().keeps_originals or getattr(actor, "kind", None) != "ncb":
        raise PermissionDenied("Notices are edited by the requesting NCB's staff.")
    with transaction.atomic():
        r = _own_request(request_id)
        if not r.editable:
            raise ValidationError({"state": "only a request sent back for changes, or refused, is edited"})
        checks.thresholds(r.kind, checks.validate(r.kind, data))
        r.data, r.state, r.errors, r.updated_at = data, "sent", {}, clock.now()
        if title:
            r.title = title[:300]
        r.save(update_fields=["data", "state", "errors", "updated_at", "title"])
        delivery.queue(REVISE, ["hub"], {"id": str(r.id), "by": actor.get_username(), "data": data})
        audit.record("notices.revise_sent", actor=actor, target=r, detail={"kind": r.kind})
    return r


def due_for_review(within: timedelta = services.WARN_BEFORE) -> QuerySet[NoticeRequest]:
    """Node: this bureau's published notices whose periodic review falls within six months (the hub
    warns the owner then), soonest first."""
    return NoticeRequest.objects.filter(
        state="published", periodic_review_at__isnull=False, periodic_review_at__lte=clock.now() + within
    ).order_by("periodic_review_at")


def extend(actor: Person, request_id: str, reason: str) -> NoticeRequest:
    """Node: at the periodic review the bureau keeps its published notice five more years, with a
    reason; the hub extends it and says until when."""
    if holdings.here().keeps_originals or getattr(actor, "kind", None) != "ncb":
        raise PermissionDenied("Notices are extended by the requesting NCB's staff.")
    if not reason.strip():
        raise ValidationError({"reason": "a written reason is required"})
    with transaction.atomic():
        r = _own_request(request_id)
        if r.state != "published" or r.periodic_review_at is None:
            raise ValidationError({"state": "only a published notice is extended"})
        delivery.queue(
            EXTEND,
            ["hub"],
            {
                "id": str(r.id),
                "by": actor.get_username(),
                "review_at": r.periodic_review_at.isoformat(),
                "reason": reason.strip(),
            },
        )
        r.extension_sent_at = clock.now()
        r.save(update_fields=["extension_sent_at"])
        audit.record("notices.extend_sent", actor=actor, target=r, detail={"reason": reason.strip()})
    return r


@register(
    REQUEST,
    RequestBody,
    to_hub="notice requests go to the hub",
    from_bureau="notices are requested by an NCB",
)
def request_arrived(envelope: Arrived, body: RequestBody) -> None:
    """Hub: draft and submit the notice for the bureau; a refusal goes back with its reasons.
    The request's id is the bureau's choice: one the hub already keeps is refused."""
    if Notice.objects.filter(pk=body.id).exists():
        raise Rejected(f"a notice {body.id} is already kept here")
    owner = Actor(body.by, envelope.sender)
    notice = services.draft(owner, body.kind, dict(body.data), notice_id=str(body.id))
    try:
        with transaction.atomic():
            services.submit(owner, str(notice.pk))
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"data": exc.messages}
        delivery.queue(
            STATUS,
            [notice.owner],
            {"id": str(notice.pk), "state": "refused", "title": notice.title, "reason": "", "errors": errors},
        )


@register(CANCEL, CancelBody, to_hub="cancellations go to the hub")
def cancel_arrived(envelope: Arrived, body: CancelBody) -> None:
    owner = Actor(body.by, envelope.sender)
    try:
        with transaction.atomic():
            services.cancel(owner, str(body.id), body.reason)
    except (ValidationError, PermissionDenied, Http404) as exc:
        raise Rejected(f"cancellation refused: {exc}") from exc


@register(
    REVISE,
    ReviseBody,
    to_hub="revised notices go to the hub",
    from_bureau="notices are revised by the NCB that requested them",
)
def revise_arrived(envelope: Arrived, body: ReviseBody) -> None:
    """Hub: the owner's edit of a notice sent back for changes, submitted again for the owner. Only
    the owner's node may; a notice not waiting for changes (a replay) is left as it is."""
    owner = Actor(body.by, envelope.sender)
    try:
        with transaction.atomic():
            notice = services.edit(owner, str(body.id), dict(body.data))
    except (ValidationError, PermissionDenied, Http404) as exc:
        raise Rejected(f"revision refused: {exc}") from exc
    try:
        with transaction.atomic():
            services.submit(owner, str(notice.pk))
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"data": exc.messages}
        delivery.queue(
            STATUS,
            [notice.owner],
            {"id": str(notice.pk), "state": "refused", "title": notice.title, "reason": "", "errors": errors},
        )


@register(
    EXTEND,
    ExtendBody,
    to_hub="extensions go to the hub",
    from_bureau="notices are extended by the NCB that requested them",
)
def extend_arrived(envelope: Arrived, body: ExtendBody) -> None:
    """Hub: the owner keeps its published notice past the periodic review it names."""
    owner = Actor(body.by, envelope.sender)
    try:
        with transaction.atomic():
            services.extend(owner, str(body.id), body.reason, review_at=body.review_at)
    except (ValidationError, PermissionDenied, Http404) as exc:
        raise Rejected(f"extension refused: {exc}") from exc


@register(
    EXTRACT,
    ExtractBody,
    to_hub="public extracts are asked for at the hub",
    from_bureau="public extracts are asked for by the NCB that requested the notice",
)
def extract_arrived(envelope: Arrived, body: ExtractBody) -> None:
    """Hub: the owner asks for the public extract of its notice; a refusal goes back as the
    notice's status with the reason."""
    owner = Actor(body.by, envelope.sender)
    try:
        with transaction.atomic():
            extracts.request(owner, str(body.id), dict(body.details))
    except (PermissionDenied, Http404) as exc:
        raise Rejected(f"public extract refused: {exc}") from exc
    except ValidationError as exc:
        notice = Notice.objects.filter(pk=body.id).first()
        if notice is None:
            raise Rejected(f"public extract refused: {exc}") from exc
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"data": exc.messages}
        replication.tell_owner(notice, "public extract refused", errors)


@register(STATUS, StatusBody)
def status_arrived(envelope: Arrived, body: StatusBody) -> None:
    require_hub(envelope, "notice states")
    NoticeRequest.objects.filter(pk=body.id).update(
        state=body.state,
        title=body.title,
        reason=body.reason,
        errors=body.errors,
        updated_at=clock.now(),
        periodic_review_at=body.review_at,
    )


DIFFUSION = "notices.diffusion"


def diffuse(actor: Person, kind: str, recipients: list[str], data: dict[str, Any]) -> str:
    """Node: send a diffusion straight to chosen countries, the GS in copy to check it afterwards.
    Its fields are checked here; it is not approved beforehand."""
    if holdings.here().keeps_originals or getattr(actor, "kind", None) != "ncb":
        raise PermissionDenied("Diffusions are sent by an NCB's staff.")
    clean = checks.validate(kind, data)
    checks.thresholds(kind, clean)
    to = sorted({r.strip().upper() for r in recipients} - {node_id()})
    diffusion_id = new_id()
    with transaction.atomic():
        delivery.queue(
            DIFFUSION,
            [*to, "hub"],
            {
                "id": diffusion_id,
                "by": actor.get_username(),
                "kind": kind,
                "recipients": to,
                "data": clean,
                "title": services.subject_title(kind, clean, node_id()),
            },
        )
        audit.record(
            "diffusions.sent",
            actor=actor,
            target_type="notices.diffusion",
            target_id=diffusion_id,
            detail={"to": to, "kind": kind},
        )
    return diffusion_id


@register(DIFFUSION, DiffusionBody, from_bureau="diffusions are sent by an NCB")
def diffusion_arrived(envelope: Arrived, body: DiffusionBody) -> None:
    """Hub: record it for the GS's check. A recipient node: show it with the notices.

    A diffusion is its sender's own alert: it arrives once, from an NCB, addressed to the
    countries it names and to the GS (which checks it afterwards), and it is checked here as at
    the hub. It never replaces anything this node keeps: not a notice the GS published, not
    another bureau's diffusion, not an earlier copy of itself."""
    sender = envelope.sender
    if HUB not in envelope.to:
        raise Rejected("a diffusion is sent with the GS in copy")
    if set(envelope.to) != {*body.recipients, HUB}:
        raise Rejected("the diffusion names other recipients than its envelope")
    if holdings.here().keeps_originals:
        if Diffusion.objects.filter(pk=body.id).exists():
            raise Rejected(f"a diffusion {body.id} is already kept here")
        services.diffuse(
            Actor(body.by, sender),
            body.kind,
            list(body.recipients),
            dict(body.data),
            diffusion_id=str(body.id),
        )
        return
    if ReplicaNotice.objects.filter(pk=body.id).exists():
        raise Rejected(f"a notice or diffusion {body.id} is already kept here: a diffusion arrives once")
    try:
        clean = checks.validate(body.kind, dict(body.data))
        checks.thresholds(body.kind, clean)
    except ValidationError as exc:
        raise Rejected(f"the diffusion does not pass the checks: {exc}") from exc
    ReplicaNotice.objects.create(
        id=body.id,
        kind=body.kind,
        owner=sender,
        title=services.subject_title(body.kind, clean, sender),
        data=clean,
        published_at=clock.now(),
        received_at=clock.now(),
        source="diffusion",
        **search.index(clean),
    )


@register(DIFFUSION_WITHDRAWN, IdBody)
def diffusion_withdrawn(envelope: Arrived, body: IdBody) -> None:
    require_hub(envelope, "withdrawals")
    ReplicaNotice.objects.filter(pk=body.id, source="diffusion").delete()
