"""Envelope handlers: a message arriving here, and receipts for messages sent from here.

Each runs inside the transaction that records the envelope as received (exactly once).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from ncbnet.base import clock
from ncbnet.network import delivery as network
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register

from .models import Attachment, AttachmentChunk, Delivery, Message
from .schemas import ChunkBody, MessageBody, ReceiptBody
from .services import CHUNK, KIND, RECEIPT


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


@register(RECEIPT, ReceiptBody)
def receipt_arrived(envelope: Arrived, body: ReceiptBody) -> None:
    d = Delivery.objects.select_for_update().filter(message_id=body.message_id, node=envelope.sender).first()
    if d is None:
        raise Rejected("receipt for a message this node did not send to that node")
    if body.status == "read":
        d.read_at = body.at
        d.delivered_at = d.delivered_at or body.at
    else:
        d.delivered_at = body.at
    if Delivery.RANK[body.status] > Delivery.RANK[d.status]:
        d.status = body.status
    d.updated_at = clock.now()
    d.save(update_fields=["status", "delivered_at", "read_at", "updated_at"])


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
