"""What a message, its receipts and its attachments' pieces look like on the network: the bodies
of the `message`, `message.receipt` and `message.chunk` envelopes, checked before their handlers run."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ncbnet.network import wire

from .models import Handling, InformationAccuracy, Priority, SourceReliability

MAX_ATTACHMENTS = 100
# A chunk carries at most 1 MiB, as base64.
CHUNK_TEXT = 4 * ((1024 * 1024 + 2) // 3)


class Sender(wire.Body):
    node: wire.Node
    name: Annotated[str, StringConstraints(max_length=200)]
    role: wire.Text16


class Evaluation(wire.Body):
    source: Annotated[SourceReliability, wire.CHOICE]
    information: Annotated[InformationAccuracy, wire.CHOICE]


class Reference(wire.Body):
    kind: Literal["record", "notice", "case"]
    id: wire.Text150


class AttachmentMeta(wire.Body):
    id: wire.Id
    name: Annotated[str, StringConstraints(max_length=255)]
    content_type: Annotated[str, StringConstraints(max_length=100)]
    size: Annotated[int, Field(ge=0, le=50 * 1024 * 1024)]
    sha256: wire.Sha256
    chunks: Annotated[int, Field(ge=1, le=64)]


class MessageBody(wire.Body):
    message_id: wire.Id
    thread_id: wire.Id
    in_reply_to: wire.Id | None
    sender: Sender
    recipients: Annotated[list[wire.Node], Field(min_length=1, max_length=200)]
    gs_copy: bool
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
    priority: Annotated[Priority, wire.CHOICE]
    handling: Annotated[Handling, wire.CHOICE]
    handling_note: wire.Text500 = ""
    evaluation: Evaluation
    references: Annotated[list[Reference], Field(max_length=50)] = []
    created_at: wire.Stamp
    attachments: Annotated[list[AttachmentMeta], Field(max_length=MAX_ATTACHMENTS)] = []


class ReceiptBody(wire.Body):
    message_id: wire.Id
    status: Literal["delivered", "read"]
    at: wire.Stamp


class ChunkBody(wire.Body):
    attachment_id: wire.Id
    index: Annotated[int, Field(ge=0, le=63)]
    data: Annotated[str, StringConstraints(max_length=CHUNK_TEXT)]
    sha256: wire.Sha256
