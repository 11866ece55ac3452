"""What a message, its receipts and its attachments' pieces look like on the network: the bodies
of the `message`, `message.receipt` and `message.chunk` envelopes, checked before their handlers run.

A message's body and its attachments' descriptions are written from the rows kept here (`of`) and
give the rows kept from them (`message_fields`, `attachment_fields`) by the fields' names, so a field
is added here and on the model, and nowhere else."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, StringConstraints

from ncbnet.network import wire

from .models import Attachment, Handling, InformationAccuracy, Message, Priority, SourceReliability

MAX_ATTACHMENTS = 100
# A chunk carries at most 1 MiB, as base64.
CHUNK_TEXT = 4 * ((1024 * 1024 + 2) // 3)


def _sent(value: Any) -> Any:
    """A kept value as a body carries it: ids and times as text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _kept(value: Any) -> Any:
    """A body's value as a row keeps it: its parts as JSON objects."""
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_kept(v) for v in value]
    return value


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

    @classmethod
    def of(cls, attachment: Attachment) -> dict[str, Any]:
        """The description of an attachment kept here (each field the `Attachment` field of its name)."""
        return {name: _sent(getattr(attachment, name)) for name in cls.model_fields}

    def attachment_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in type(self).model_fields}


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

    # The `Message` field that keeps each field of the body (a part's field named by its path):
    # the field of the same name, but these; None where the message does not keep it (the sender's
    # role; the attachments are rows of their own).
    KEPT_AS: ClassVar[dict[str, str | None]] = {
        "message_id": "id",
        "sender.node": "sender_node",
        "sender.name": "sender_name",
        "sender.role": None,
        "evaluation.source": "source_reliability",
        "evaluation.information": "information_accuracy",
        "attachments": None,
    }

    @classmethod
    @functools.cache
    def _paths(cls) -> tuple[str, ...]:
        """Every field of the body, a part's fields by their path (`sender.node`)."""
        paths = []
        for name, info in cls.model_fields.items():
            part = info.annotation
            if isinstance(part, type) and issubclass(part, wire.Body):
                paths += [f"{name}.{field}" for field in part.model_fields]
            else:
                paths.append(name)
        return tuple(paths)

    @classmethod
    def of(cls, message: Message, unkept: dict[str, Any]) -> dict[str, Any]:
        """The body of a message kept here, with what the message does not keep (`unkept`, by
        path: the sender's role, the attachments' descriptions)."""
        body: dict[str, Any] = {}
        for path in cls._paths():
            field = cls.KEPT_AS.get(path, path)
            value = unkept[path] if field is None else _sent(getattr(message, field))
            name, _, part_field = path.partition(".")
            if part_field:
                body.setdefault(name, {})[part_field] = value
            else:
                body[name] = value
        return body

    @classmethod
    @functools.cache
    def _kept_plan(cls) -> tuple[tuple[str, str, str], ...]:
        """For each kept field: the `Message` field, the body's field and the part's field ("" for
        a field of the body itself), worked out once rather than for every message."""
        plan = []
        for path in cls._paths():
            field = cls.KEPT_AS.get(path, path)
            if field is not None:
                name, _, part_field = path.partition(".")
                plan.append((field, name, part_field))
        return tuple(plan)

    def message_fields(self) -> dict[str, Any]:
        """The `Message` fields this body gives (all but those of the node that keeps it)."""
        fields = {}
        for field, name, part_field in self._kept_plan():
            value = getattr(self, name)
            if part_field:
                value = getattr(value, part_field)
            fields[field] = _kept(value) if isinstance(value, BaseModel | list) else value
        return fields


class ReceiptBody(wire.Body):
    message_id: wire.Id
    status: Literal["delivered", "read"]
    at: wire.Stamp


class ChunkBody(wire.Body):
    attachment_id: wire.Id
    index: Annotated[int, Field(ge=0, le=63)]
    data: Annotated[str, StringConstraints(max_length=CHUNK_TEXT)]
    sha256: wire.Sha256


# Messages in one `message.batch` envelope, and in one bulk send (each batch also bounded by size).
MAX_BATCH = 500


class MessageBatchBody(wire.Body):
    """Many messages from one bureau to the same recipients, in one envelope. Each item is checked
    on its own on arrival (`MessageBody`): a bad item is refused alone and the rest are kept."""

    messages: Annotated[list[dict[str, wire.Json]], Field(min_length=1, max_length=MAX_BATCH)]


class ReceiptsBody(wire.Body):
    """One receipt for many messages of the same sender: delivered (or read) at the same time."""

    message_ids: Annotated[list[wire.Id], Field(min_length=1, max_length=MAX_BATCH)]
    status: Literal["delivered", "read"]
    at: wire.Stamp
