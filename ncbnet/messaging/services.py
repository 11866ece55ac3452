"""Send, list, search and read messages; every search and read is audited."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.audit import services as audit
from ncbnet.config import member_codes
from ncbnet.core import clock
from ncbnet.core.models import Country
from ncbnet.core.node import node_id
from ncbnet.network import delivery as network
from ncbnet.network.envelope import new_id

from .models import (
    Attachment,
    AttachmentChunk,
    Delivery,
    Handling,
    InformationAccuracy,
    Message,
    Priority,
    SourceReliability,
)
from .policies import can_message

KIND = "message"
RECEIPT = "message.receipt"
CHUNK = "message.chunk"
CHUNK_BYTES = 1024 * 1024
MAX_ATTACHMENTS_BYTES = 50 * 1024 * 1024
REFERENCE_KINDS = ("record", "notice", "case")
MAX_BODY = 100_000


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    data: bytes


@dataclass
class Draft:
    to: list[str]  # country codes, "region:<code>", "all", or "hub"
    subject: str
    body: str
    gs_copy: bool = False
    priority: str = Priority.ROUTINE
    handling: str = Handling.H0
    handling_note: str = ""
    source_reliability: str = SourceReliability.X
    information_accuracy: str = InformationAccuracy.FOUR
    references: list[dict[str, str]] = field(default_factory=list)
    in_reply_to: str | None = None
    attachments: list[Upload] = field(default_factory=list)


def _require(actor: Any) -> None:
    if not can_message(actor):
        raise PermissionDenied(_("Your account does not use international messaging."))


def expand_recipients(to: Iterable[str]) -> list[str]:
    """Country codes, regions and "all" → the connected nodes to send to (never this node)."""
    me = node_id()
    connected = set(network.connected_nodes())
    chosen: set[str] = set()
    unknown, offline = [], []
    for item in (t.strip() for t in to):
        if not item:
            continue
        if item.lower() == "all":
            chosen |= {n for n in connected if n not in ("hub", me)}
        elif item.lower().startswith("region:"):
            code = item.split(":", 1)[1].upper()
            members = set(Country.objects.filter(region_id=code).values_list("code", flat=True))
            if not members:
                unknown.append(item)
            chosen |= members & connected
        elif item.lower() in ("hub", "gs"):
            chosen.add("hub")
        elif item.upper() in member_codes():
            if item.upper() in connected:
                chosen.add(item.upper())
            else:
                offline.append(item.upper())
        else:
            unknown.append(item)
    errors = []
    if unknown:
        errors.append(_("Unknown recipients: %(r)s.") % {"r": ", ".join(unknown)})
    if offline:
        errors.append(_("Not on the network yet: %(r)s.") % {"r": ", ".join(offline)})
    chosen.discard(me)
    if not errors and not chosen:
        errors.append(_("Choose at least one recipient."))
    if errors:
        raise ValidationError({"to": " ".join(errors)})
    return sorted(chosen)


def _validate(d: Draft) -> None:
    errors: dict[str, str] = {}
    if not d.subject.strip() or len(d.subject) > 300:
        errors["subject"] = _("A subject of 1 to 300 characters.")
    if not d.body.strip() or len(d.body) > MAX_BODY:
        errors["body"] = _("A message of 1 to %(n)s characters.") % {"n": MAX_BODY}
    if d.priority not in Priority.values:
        errors["priority"] = _("Routine, urgent or flash.")
    if d.handling not in Handling.values:
        errors["handling"] = _("H0, H1, H2 or H3.")
    if d.handling == Handling.H3 and not d.handling_note.strip():
        errors["handling_note"] = _("H3 needs the restriction stated.")
    if d.source_reliability not in SourceReliability.values:
        errors["source_reliability"] = _("A, B, C, D or X.")
    if d.information_accuracy not in InformationAccuracy.values:
        errors["information_accuracy"] = _("1, 2, 3 or 4.")
    total = sum(len(a.data) for a in d.attachments)
    if total > MAX_ATTACHMENTS_BYTES:
        errors["attachments"] = _(
            "Attachments are limited to 50 MB in all; larger files go through the large-file exchange."
        )
    if any(not a.name.strip() or len(a.name) > 255 for a in d.attachments):
        errors["attachments"] = _("Each attachment needs a file name of at most 255 characters.")
    for ref in d.references:
        if ref.get("kind") not in REFERENCE_KINDS or not str(ref.get("id", "")).strip():
            errors["references"] = _("Each reference is a record, notice or case with its id.")
    if errors:
        raise ValidationError(errors)


def send(actor: Any, draft: Draft, ip: str | None = None) -> Message:
    """Record the message, its per-recipient status and the sealed envelope, in one transaction."""
    _require(actor)
    _validate(draft)
    recipients = expand_recipients(draft.to)
    if draft.gs_copy and node_id() != "hub":
        recipients = sorted(set(recipients) | {"hub"})
    thread_id, parent = None, None
    if draft.in_reply_to:
        parent = Message.objects.filter(pk=draft.in_reply_to).first()
        if parent is None:
            raise ValidationError({"in_reply_to": _("No such message on this node.")})
        thread_id = parent.thread_id
    now = clock.now()
    message_id = uuid.UUID(new_id())
    sender_name = actor.get_full_name() or actor.get_username()
    subject, note, gs_copy = draft.subject.strip(), draft.handling_note.strip(), "hub" in recipients
    body: dict[str, Any] = {
        "message_id": str(message_id),
        "thread_id": str(thread_id or message_id),
        "in_reply_to": str(parent.pk) if parent else None,
        "sender": {
            "node": node_id(),
            "name": sender_name,
            "role": actor.role,
        },
        "recipients": recipients,
        "gs_copy": gs_copy,
        "subject": subject,
        "body": draft.body,
        "priority": draft.priority,
        "handling": draft.handling,
        "handling_note": note,
        "evaluation": {"source": draft.source_reliability, "information": draft.information_accuracy},
        "references": draft.references,
        "created_at": now.isoformat(),
        "attachments": [],
    }
    prepared = []
    for upload in draft.attachments:
        attachment_id = uuid.UUID(new_id())
        pieces = [upload.data[i : i + CHUNK_BYTES] for i in range(0, len(upload.data), CHUNK_BYTES)] or [b""]
        meta: dict[str, Any] = {
            "id": str(attachment_id),
            "name": upload.name.strip(),
            "content_type": upload.content_type,
            "size": len(upload.data),
            "sha256": hashlib.sha256(upload.data).hexdigest(),
            "chunks": len(pieces),
        }
        body["attachments"].append(meta)
        prepared.append((meta, pieces))
    with transaction.atomic():
        message = Message.objects.create(
            id=message_id,
            thread_id=thread_id or message_id,
            in_reply_to=parent.pk if parent else None,
            direction=Message.Direction.OUT,
            sender_node=node_id(),
            sender_name=sender_name,
            sent_by=actor,
            recipients=recipients,
            gs_copy=gs_copy,
            subject=subject,
            body=draft.body,
            priority=draft.priority,
            handling=draft.handling,
            handling_note=note,
            source_reliability=draft.source_reliability,
            information_accuracy=draft.information_accuracy,
            references=draft.references,
            created_at=now,
        )
        Delivery.objects.bulk_create([Delivery(message=message, node=n) for n in recipients])
        envelope_id = network.queue(KIND, recipients, body)
        for meta, pieces in prepared:
            attachment = Attachment.objects.create(
                id=meta["id"],
                message=message,
                name=meta["name"],
                content_type=meta["content_type"],
                size=meta["size"],
                sha256=meta["sha256"],
                chunks=meta["chunks"],
                complete=True,
            )
            for index, piece in enumerate(pieces):
                AttachmentChunk.objects.create(attachment=attachment, index=index, data=piece)
                network.queue(
                    CHUNK,
                    recipients,
                    {
                        "attachment_id": meta["id"],
                        "index": index,
                        "sha256": hashlib.sha256(piece).hexdigest(),
                        "data": base64.b64encode(piece).decode("ascii"),
                    },
                )
        audit.record(
            "messaging.send",
            actor=actor,
            target=message,
            ip=ip,
            detail={
                "to": recipients,
                "priority": draft.priority,
                "envelope": envelope_id,
                "attachments": [m["sha256"] for m, _p in prepared],
            },
        )
    return message


@dataclass(frozen=True)
class Filters:
    box: str = "inbox"  # inbox | sent
    q: str = ""
    priority: str = ""
    unread: bool = False


def search(actor: Any, f: Filters, ip: str | None = None) -> QuerySet[Message]:
    """The bureau's inbox or sent box, filtered; the search is audited."""
    _require(actor)
    direction = Message.Direction.OUT if f.box == "sent" else Message.Direction.IN
    qs = Message.objects.filter(direction=direction).order_by("-created_at")
    if f.q:
        qs = qs.filter(Q(subject__icontains=f.q) | Q(body__icontains=f.q) | Q(sender_name__icontains=f.q))
    if f.priority in Priority.values:
        qs = qs.filter(priority=f.priority)
    if f.unread and direction == Message.Direction.IN:
        qs = qs.filter(read_at__isnull=True)
    with transaction.atomic():
        audit.record(
            "messaging.search",
            actor=actor,
            ip=ip,
            detail={"box": f.box, "q": f.q, "priority": f.priority, "unread": f.unread},
        )
    return qs


def read(actor: Any, message_id: str, ip: str | None = None) -> tuple[Message, list[Message]]:
    """Open a message (and its thread). The first reading of a received message sends a read receipt."""
    _require(actor)
    try:
        pk = uuid.UUID(str(message_id))
    except ValueError as exc:
        raise Http404(_("No such message on this node.")) from exc
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=pk).first()
        if message is None:
            raise Http404(_("No such message on this node."))
        if message.direction == Message.Direction.IN and message.read_at is None:
            message.read_at, message.read_by = clock.now(), actor
            message.save(update_fields=["read_at", "read_by"])
            network.queue(
                RECEIPT,
                [message.sender_node],
                {"message_id": str(message.pk), "status": "read", "at": message.read_at.isoformat()},
            )
        audit.record("messaging.read", actor=actor, target=message, ip=ip)
    thread = list(
        Message.objects.filter(thread_id=message.thread_id)
        .order_by("created_at")
        .prefetch_related("deliveries")
    )
    return message, thread


def alerts(actor: Any) -> list[Message]:
    """Received urgent and flash messages nobody has opened yet."""
    if not can_message(actor):
        return []
    return list(
        Message.objects.filter(
            direction=Message.Direction.IN,
            read_at__isnull=True,
            priority__in=[Priority.URGENT, Priority.FLASH],
        ).order_by("-created_at")[:20]
    )


def attachment(
    actor: Any, message_id: str, attachment_id: str, ip: str | None = None
) -> tuple[Attachment, Iterable[bytes]]:
    """A complete attachment's content, chunk by chunk; the download is audited."""
    _require(actor)
    found = Attachment.objects.filter(pk=attachment_id, message_id=message_id).first()
    if found is None:
        raise Http404(_("No such attachment on this node."))
    if not found.complete:
        raise Http404(_("This attachment has not fully arrived yet."))
    with transaction.atomic():
        audit.record(
            "messaging.attachment.read",
            actor=actor,
            target=found,
            ip=ip,
            detail={"message": str(message_id), "sha256": found.sha256},
        )

    def chunks() -> Iterable[bytes]:
        for part in (
            AttachmentChunk.objects.filter(attachment=found).order_by("index").only("data").iterator()
        ):
            yield bytes(part.data)

    return found, chunks()
