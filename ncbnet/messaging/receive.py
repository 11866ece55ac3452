"""Envelope handlers: a message arriving here, and receipts for messages sent from here.

Each runs inside the transaction that records the envelope as received (exactly once).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import uuid
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce

from ncbnet.base import audit, bulk, clock
from ncbnet.network import delivery as network
from ncbnet.network import wire
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register

from .models import Attachment, AttachmentChunk, Delivery, Message
from .schemas import ChunkBody, MessageBatchBody, MessageBody, ReceiptBody, ReceiptsBody
from .services import BATCH, CHUNK, KIND, RECEIPT, RECEIPTS

log = logging.getLogger("ncbnet.messaging")
# Of the items a batch refused, how many the audit entry names one by one (it counts them all).
REFUSED_NAMED = 50


@register(KIND, MessageBody)
def message_arrived(envelope: Arrived, body: MessageBody) -> None:
    """Keep a message another bureau sent here. Its id (and its attachments') are the sender's
    choice, so one already kept here is refused rather than overwritten."""
    if body.sender.node != envelope.sender:
        raise Rejected("the message claims another sender than the envelope")
    if Message.objects.filter(pk=body.message_id).exists():
        raise Rejected(f"a message {body.message_id} is already kept here")
    ids = [a.id for a in body.attachments]
    if len(set(ids)) != len(ids) or Attachment.objects.filter(pk__in=ids).exists():
        raise Rejected("an attachment id is used twice")
    Message.objects.create(**body.message_fields(), direction=Message.Direction.IN, received_at=clock.now())
    for meta in body.attachments:
        Attachment.objects.create(**meta.attachment_fields(), message_id=body.message_id, complete=False)
    network.queue(
        RECEIPT,
        [envelope.sender],
        {"message_id": str(body.message_id), "status": "delivered", "at": clock.now().isoformat()},
    )


def _claimed_id(item: dict[str, Any]) -> str:
    value = item.get("message_id")
    return value[:64] if isinstance(value, str) else ""


@register(BATCH, MessageBatchBody)
def batch_arrived(envelope: Arrived, body: MessageBatchBody) -> None:
    """Keep the messages of a batch another bureau sent here, in bulk, and acknowledge them with
    one receipt. Each item passes the checks a single message passes; one that fails is refused
    alone (named in the batch's audit entry, never kept) and the rest are kept."""
    refused: list[dict[str, Any]] = []
    good: dict[uuid.UUID, MessageBody] = {}
    for index, item in enumerate(body.messages):
        try:
            message = MessageBody.model_validate(item)
        except wire.ValidationError as exc:
            reason = f"malformed message: {wire.problems(exc)}"
        else:
            if message.sender.node != envelope.sender:
                reason = "the message claims another sender than the envelope"
            elif message.attachments:
                reason = "a message with attachments travels alone, not in a batch"
            elif message.message_id in good:
                reason = "the message is in the batch twice"
            else:
                good[message.message_id] = message
                continue
        refused.append({"index": index, "id": _claimed_id(item), "reason": reason[:500]})
    for pk in Message.objects.filter(pk__in=list(good)).values_list("pk", flat=True):
        message = good.pop(pk)
        refused.append({"id": str(pk), "reason": f"a message {pk} is already kept here"})
    now = clock.now()
    # One executemany: the items are validated already, and bulk_create's per-object work was
    # half of a receiving node's CPU (docs/benchmarks.md).
    kept_here = {"direction": Message.Direction.IN, "received_at": now}
    rows = ({**m.message_fields(), **kept_here} for m in good.values())
    bulk.insert(Message, rows)
    if good:
        network.queue(
            RECEIPTS,
            [envelope.sender],
            {"message_ids": [str(pk) for pk in good], "status": "delivered", "at": now.isoformat()},
        )
    if refused:
        log.warning(
            "refused %d of %d messages in batch %s from %s",
            len(refused),
            len(body.messages),
            envelope.id,
            envelope.sender,
        )
        audit.record(
            "messaging.batch.refused",
            subject=envelope.sender,
            target_type="network.envelope",
            target_id=envelope.id,
            detail={"kept": len(good), "refused": len(refused), "items": refused[:REFUSED_NAMED]},
        )


def _record_receipt(node: str, ids: list[uuid.UUID], status: str, at: datetime) -> set[uuid.UUID]:
    """Move the statuses of this node's messages to `node` forward (never back); returns the ids
    that name no message this node sent to `node`."""
    rows = Delivery.objects.filter(message_id__in=ids, node=node)
    known = set(rows.values_list("message_id", flat=True))
    now = clock.now()
    if status == "read":
        rows.update(status=status, read_at=at, delivered_at=Coalesce("delivered_at", at), updated_at=now)
    else:
        rows.filter(~Q(status=Delivery.Status.READ)).update(status=status, delivered_at=at, updated_at=now)
        rows.filter(status=Delivery.Status.READ).update(delivered_at=at, updated_at=now)
    return set(ids) - known


@register(RECEIPT, ReceiptBody)
def receipt_arrived(envelope: Arrived, body: ReceiptBody) -> None:
    if _record_receipt(envelope.sender, [body.message_id], body.status, body.at):
        raise Rejected("receipt for a message this node did not send to that node")


@register(RECEIPTS, ReceiptsBody)
def receipts_arrived(envelope: Arrived, body: ReceiptsBody) -> None:
    """One receipt for many messages: the statuses move for the messages this node sent to its
    sender; ids of any other message are refused (named in an audit entry) and change nothing."""
    if len(set(body.message_ids)) != len(body.message_ids):
        raise Rejected("a receipt names a message twice")
    unknown = _record_receipt(envelope.sender, list(body.message_ids), body.status, body.at)
    if unknown:
        log.warning(
            "receipt %s from %s names %d messages not sent to it", envelope.id, envelope.sender, len(unknown)
        )
        audit.record(
            "messaging.receipt.refused",
            subject=envelope.sender,
            target_type="network.envelope",
            target_id=envelope.id,
            detail={
                "reason": "receipt for messages this node did not send to that node",
                "refused": len(unknown),
                "ids": sorted(str(u) for u in unknown)[:REFUSED_NAMED],
            },
        )


@register(CHUNK, ChunkBody)
def chunk_arrived(envelope: Arrived, body: ChunkBody) -> None:
    """Keep one checksummed piece of an attachment; the last piece checks the whole file."""
    attachment = (
        Attachment.objects.select_for_update()
        .filter(pk=body.attachment_id, message__sender_node=envelope.sender)
        .first()
    )
    if attachment is None:
        raise Rejected("a chunk for an attachment this node does not know")
    if attachment.complete:
        raise Rejected(f"attachment {attachment.pk} is already complete")
    try:
        data = base64.b64decode(body.data, validate=True)
    except binascii.Error as exc:
        raise Rejected("a chunk that is not base64") from exc
    if hashlib.sha256(data).hexdigest() != body.sha256 or not 0 <= body.index < attachment.chunks:
        raise Rejected(f"chunk {body.index} of {attachment.pk} fails its checksum")
    AttachmentChunk.objects.update_or_create(attachment=attachment, index=body.index, defaults={"data": data})
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
