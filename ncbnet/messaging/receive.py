"""Envelope handlers: a message arriving here, and receipts for messages sent from here.

Each runs inside the transaction that records the envelope as received (exactly once).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ncbnet.core import clock
from ncbnet.network import delivery as network
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import register

from .models import Attachment, AttachmentChunk, Delivery, Message
from .services import CHUNK, KIND, RECEIPT


@register(KIND)
def message_arrived(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    if body.get("sender", {}).get("node") != envelope["from"]:
        raise Rejected("the message claims another sender than the envelope")
    try:
        message_id = uuid.UUID(body["message_id"])
        evaluation = body["evaluation"]
        Message.objects.create(
            id=message_id,
            thread_id=uuid.UUID(body["thread_id"]),
            in_reply_to=uuid.UUID(body["in_reply_to"]) if body.get("in_reply_to") else None,
            direction=Message.Direction.IN,
            sender_node=envelope["from"],
            sender_name=body["sender"]["name"],
            recipients=body["recipients"],
            gs_copy=bool(body.get("gs_copy")),
            subject=body["subject"],
            body=body["body"],
            priority=body["priority"],
            handling=body["handling"],
            handling_note=body.get("handling_note", ""),
            source_reliability=evaluation["source"],
            information_accuracy=evaluation["information"],
            references=body.get("references", []),
            created_at=datetime.fromisoformat(body["created_at"]),
            received_at=clock.now(),
        )
        for meta in body.get("attachments", []):
            Attachment.objects.create(
                id=uuid.UUID(meta["id"]),
                message_id=message_id,
                name=str(meta["name"])[:255],
                content_type=str(meta["content_type"])[:100],
                size=int(meta["size"]),
                sha256=str(meta["sha256"]),
                chunks=int(meta["chunks"]),
                complete=False,
            )
    except (KeyError, ValueError, TypeError) as exc:
        raise Rejected(f"malformed message body: {exc}") from exc
    network.queue(
        RECEIPT,
        [envelope["from"]],
        {"message_id": str(message_id), "status": "delivered", "at": clock.now().isoformat()},
    )


@register(RECEIPT)
def receipt_arrived(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    status, message_id = body.get("status"), str(body.get("message_id", ""))
    if status not in ("delivered", "read"):
        raise Rejected(f"unknown receipt status {status!r}")
    d = Delivery.objects.select_for_update().filter(message_id=message_id, node=envelope["from"]).first()
    if d is None:
        raise Rejected("receipt for a message this node did not send to that node")
    at = datetime.fromisoformat(body["at"])
    if status == "read":
        d.read_at = at
        d.delivered_at = d.delivered_at or at
    else:
        d.delivered_at = at
    if Delivery.RANK[status] > Delivery.RANK[d.status]:
        d.status = status
    d.updated_at = clock.now()
    d.save(update_fields=["status", "delivered_at", "read_at", "updated_at"])


@register(CHUNK)
def chunk_arrived(envelope: Mapping[str, Any], body: dict[str, Any]) -> None:
    """Keep one checksummed piece of an attachment; the last piece checks the whole file."""
    attachment = (
        Attachment.objects.select_for_update()
        .filter(pk=body["attachment_id"], message__sender_node=envelope["from"])
        .first()
    )
    if attachment is None:
        raise Rejected("a chunk for an attachment this node does not know")
    data = base64.b64decode(body["data"], validate=True)
    index = int(body["index"])
    if hashlib.sha256(data).hexdigest() != body["sha256"] or not 0 <= index < attachment.chunks:
        raise Rejected(f"chunk {index} of {attachment.pk} fails its checksum")
    AttachmentChunk.objects.update_or_create(attachment=attachment, index=index, defaults={"data": data})
    if AttachmentChunk.objects.filter(attachment=attachment).count() == attachment.chunks:
        whole = hashlib.sha256()
        for part in (
            AttachmentChunk.objects.filter(attachment=attachment).order_by("index").only("data").iterator()
        ):
            whole.update(bytes(part.data))
        if whole.hexdigest() != attachment.sha256:
            raise Rejected(f"attachment {attachment.pk} does not match its checksum")
        attachment.complete = True
        attachment.save(update_fields=["complete"])
