"""Notices requested from an NCB node: the request travels to the hub, which drafts and submits
it for the bureau (the automatic checks run there) and tells the bureau of every step after:
in review, changes requested, published, rejected, cancelled, expired, with the written reason."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from ncbnet.audit import services as audit
from ncbnet.core import clock
from ncbnet.core.node import node_id
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import register, require_hub
from ncbnet.records.services import Actor

from . import checks, services
from .models import Notice, NoticeRequest, ReplicaNotice

REQUEST = "notices.request"
CANCEL = "notices.cancel"
STATUS = "notices.status"


def request(actor: Any, kind: str, data: dict[str, Any], title: str = "") -> NoticeRequest:
    """Node: an NCB officer asks the GS to publish a notice. The required fields and thresholds are
    checked here too, so the officer hears at once what the GS's automatic checks would refuse."""
    if node_id() == "hub" or getattr(actor, "kind", None) != "ncb":
        raise PermissionDenied("Notices are requested by an NCB's staff.")
    checks.thresholds(kind, checks.validate(kind, data))
    with transaction.atomic():
        r = NoticeRequest.objects.create(
            id=uuid.UUID(new_id()),
            kind=kind,
            title=title[:300],
            requested_by=actor.get_username(),
            requested_at=clock.now(),
        )
        delivery.queue(
            REQUEST, ["hub"], {"id": str(r.id), "by": actor.get_username(), "kind": kind, "data": data}
        )
        audit.record("notices.request_sent", actor=actor, target=r, detail={"kind": kind})
    return r


def cancel(actor: Any, request_id: str, reason: str) -> NoticeRequest:
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


def tell_owner(notice: Notice, reason: str = "", errors: dict[str, Any] | None = None) -> None:
    """Hub: the requesting bureau hears of every step of its notice."""
    if notice.owner in delivery.connected_nodes():
        delivery.queue(
            STATUS,
            [notice.owner],
            {
                "id": str(notice.pk),
                "state": notice.state,
                "title": notice.title,
                "reason": reason,
                "errors": errors or {},
            },
        )


@register(REQUEST)
def request_arrived(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    """Hub: draft and submit the notice for the bureau; a refusal goes back with its reasons."""
    if node_id() != "hub":
        raise Rejected("notice requests go to the hub")
    owner = Actor(str(body["by"]), str(envelope["from"]))
    notice = services.draft(owner, str(body["kind"]), dict(body["data"]), notice_id=str(body["id"]))
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


@register(CANCEL)
def cancel_arrived(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    if node_id() != "hub":
        raise Rejected("cancellations go to the hub")
    owner = Actor(str(body["by"]), str(envelope["from"]))
    try:
        with transaction.atomic():
            services.cancel(owner, str(body["id"]), str(body["reason"]))
    except (ValidationError, PermissionDenied) as exc:
        raise Rejected(f"cancellation refused: {exc}") from exc


@register(STATUS)
def status_arrived(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    require_hub(envelope, "notice states")
    NoticeRequest.objects.filter(pk=body["id"]).update(
        state=body["state"],
        title=body.get("title") or "",
        reason=body.get("reason", ""),
        errors=body.get("errors", {}),
        updated_at=clock.now(),
    )


DIFFUSION = "notices.diffusion"
DIFFUSION_WITHDRAWN = "notices.diffusion_withdrawn"


def diffuse(actor: Any, kind: str, recipients: list[str], data: dict[str, Any]) -> str:
    """Node: send a diffusion straight to chosen countries, the GS in copy to check it afterwards.
    Its fields are checked here; it is not approved beforehand."""
    if node_id() == "hub" or getattr(actor, "kind", None) != "ncb":
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
                "title": services.subject_title(kind, clean),
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


@register(DIFFUSION)
def diffusion_arrived(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    """Hub: record it for the GS's check. A recipient node: show it with the notices."""
    sender = str(envelope["from"])
    if node_id() == "hub":
        services.diffuse(
            Actor(str(body["by"]), sender),
            str(body["kind"]),
            list(body["recipients"]),
            dict(body["data"]),
            diffusion_id=str(body["id"]),
        )
        return
    ReplicaNotice.objects.update_or_create(
        id=uuid.UUID(str(body["id"])),
        defaults={
            "kind": body["kind"],
            "owner": sender,
            "title": str(body.get("title", ""))[:300],
            "data": body["data"],
            "published_at": clock.now(),
            "received_at": clock.now(),
            "source": "diffusion",
        },
    )


def withdraw_diffusion(d: Any) -> None:
    """Hub: the GS withdrew a diffusion; its recipients take it off their lists."""
    nodes = [n for n in d.recipients if n in delivery.connected_nodes()]
    if nodes:
        delivery.queue(DIFFUSION_WITHDRAWN, nodes, {"id": str(d.pk)})


@register(DIFFUSION_WITHDRAWN)
def diffusion_withdrawn(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    require_hub(envelope, "withdrawals")
    ReplicaNotice.objects.filter(pk=uuid.UUID(str(body["id"])), source="diffusion").delete()
