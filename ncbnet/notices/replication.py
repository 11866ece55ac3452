"""Published notices reach every NCB node; cancellation and expiry take them off every replica."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from ncbnet.base import clock
from ncbnet.network import delivery
from ncbnet.network.handlers import Arrived, register, require_hub
from ncbnet.network.signals import node_joined
from ncbnet.records.models import Record

from . import search
from .models import Notice, ReplicaNotice, State
from .schemas import PublishedBody, WithdrawnBody

PUBLISHED = "replica.notice"
WITHDRAWN = "replica.notice_withdrawn"
STATUS = "notices.status"  # to the requesting bureau: each step of its notice
DIFFUSION_WITHDRAWN = "notices.diffusion_withdrawn"


def _nodes() -> list[str]:
    return [n for n in delivery.connected_nodes() if n != "hub"]


def published(notice: Notice) -> None:
    """Hub, in the publishing transaction."""
    if nodes := _nodes():
        delivery.queue(PUBLISHED, nodes, _body(notice))


def _body(notice: Notice) -> dict[str, Any]:
    return {
        "id": str(notice.pk),
        "kind": notice.kind,
        "owner": notice.owner,
        "title": notice.title,
        "data": as_seen(notice),
        "published_at": notice.published_at.isoformat() if notice.published_at else "",
    }


def as_seen(notice: Notice) -> dict[str, Any]:
    """The notice's data as every node sees it: with the subject's identity copied from the owner's
    record (a node may not hold that record), so the notice stands on its own."""
    data = dict(notice.data)
    subject = dict(data.get("subject") or {})
    if subject.get("record_id"):
        record = Record.objects.filter(pk=subject["record_id"]).first()
        if record is not None:
            for field in ("names", "date_of_birth", "sex", "nationalities", "distinguishing_marks"):
                if field in record.data:
                    subject[field] = record.data[field]
        data["subject"] = subject
    return data


@receiver(node_joined)
def send_published(sender: Any, node: str, **kwargs: Any) -> None:
    """A node joining the network gets every published notice."""
    if node == "hub":
        return
    for notice in Notice.objects.filter(state=State.PUBLISHED).order_by("published_at"):
        delivery.queue(PUBLISHED, [node], _body(notice))


def withdrawn(notice: Notice) -> None:
    """Hub, in the cancelling or expiring transaction."""
    if nodes := _nodes():
        delivery.queue(WITHDRAWN, nodes, {"id": str(notice.pk), "state": notice.state})


@register(PUBLISHED, PublishedBody)
def notice_published(envelope: Arrived, body: PublishedBody) -> None:
    require_hub(envelope, "notices")
    ReplicaNotice.objects.update_or_create(
        id=body.id,
        defaults={
            "kind": body.kind,
            "owner": body.owner,
            "title": body.title,
            "data": body.data,
            "published_at": body.published_at,
            "received_at": clock.now(),
            "source": "notice",
            **search.index(body.data),
        },
    )


@register(WITHDRAWN, WithdrawnBody)
def notice_withdrawn(envelope: Arrived, body: WithdrawnBody) -> None:
    require_hub(envelope, "notices")
    ReplicaNotice.objects.filter(pk=body.id).delete()


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
                "review_at": notice.periodic_review_at.isoformat() if notice.periodic_review_at else None,
            },
        )


def withdraw_diffusion(d: Any) -> None:
    """Hub: the GS withdrew a diffusion; its recipients take it off their lists."""
    nodes = [n for n in d.recipients if n in delivery.connected_nodes()]
    if nodes:
        delivery.queue(DIFFUSION_WITHDRAWN, nodes, {"id": str(d.pk)})
