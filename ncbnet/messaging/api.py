import base64
import binascii
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from ncbnet.base import downloads, uploads
from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import services
from .models import Attachment, Delivery, Handling, InformationAccuracy, Message, Priority, SourceReliability
from .policies import MESSAGING, sees_content
from .schemas import MAX_BATCH

router = Router(tags=["messages"])


class Reference(Schema):
    kind: Literal["record", "notice", "case"]
    id: str = Field(min_length=1, max_length=64)


class AttachmentIn(Schema):
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=100)
    data: str = Field(description="The file, base64-encoded")


class ReferenceOut(Schema):
    kind: str = Field(description="record, notice or case")
    id: str


class AttachmentOut(Schema):
    id: UUID
    name: str
    content_type: str
    size: int
    sha256: str
    complete: bool


class ForwardIn(Schema):
    to: list[str] = Field(min_length=1, description='Country codes, "region:<code>", "all" or "hub"')
    note: str = Field("", max_length=10_000, description="Written above the forwarded message")
    gs_copy: bool = False
    priority: Priority = Priority.ROUTINE
    confirm_restriction: bool = Field(False, description="H3: forwarding respects the stated restriction")


class DeliveryOut(Schema):
    node: str
    status: str
    delivered_at: datetime | None
    read_at: datetime | None


class MessageOut(Schema):
    id: UUID
    thread_id: UUID
    in_reply_to: UUID | None
    direction: str
    sender_node: str
    sender_name: str
    recipients: list[str]
    gs_copy: bool
    subject: str
    body: str
    priority: str
    handling: str
    handling_note: str
    source_reliability: str
    information_accuracy: str
    references: list[ReferenceOut]
    created_at: datetime
    received_at: datetime | None
    read_at: datetime | None
    deliveries: list[DeliveryOut]
    attachments: list[AttachmentOut]
    withheld: bool = Field(
        description="H2 or H3 content (body, attachments, references) withheld from this token"
    )

    @staticmethod
    def resolve_deliveries(obj: Message) -> list[Delivery]:
        return list(obj.deliveries.all())

    # A token without the `restricted` scope gets the subject, sender and handling code of an H2
    # or H3 message, and not its content.
    @staticmethod
    def resolve_withheld(obj: Message, context: Any) -> bool:
        return not sees_content(context["request"].user, obj)

    @staticmethod
    def resolve_body(obj: Message, context: Any) -> str:
        return str(obj.body) if sees_content(context["request"].user, obj) else services.withheld_body(obj)

    @staticmethod
    def resolve_attachments(obj: Message, context: Any) -> list[Attachment]:
        return list(obj.attachments.all()) if sees_content(context["request"].user, obj) else []

    @staticmethod
    def resolve_references(obj: Message, context: Any) -> list[dict[str, str]]:
        return list(obj.references) if sees_content(context["request"].user, obj) else []


@router.get(
    "",
    response=list[MessageOut],
    auth=allow(MESSAGING, Scope.READ_MESSAGES),
    summary="The inbox or the sent box",
)
@paginate(CursorPagination, ordering=("-created_at",))
def list_messages(
    request: AuthedRequest,
    box: Literal["inbox", "sent"] = "inbox",
    q: str = "",
    priority: str = "",
    unread: bool = False,
) -> QuerySet[Message]:
    f = services.Filters(box=box, q=q, priority=priority, unread=unread)
    return services.search(request.user, f, client_ip(request)).prefetch_related("deliveries")


# The attachments arrive base64-encoded in the JSON body: 50 MB of files is about 67 MB of text.
MESSAGE_BODY = uploads.Limit(
    fields=72 * uploads.MB,
    message=gettext_lazy(
        "Attachments are limited to 50 MB in all; larger files go through the large-file exchange."
    ),
)


class BulkMessageIn(Schema):
    """A message without attachments: what the bulk path takes, and the base of `MessageIn`."""

    to: list[str] = Field(min_length=1, description='Country codes, "region:<code>", "all" or "hub"')
    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=services.MAX_BODY)
    gs_copy: bool = False
    priority: Priority = Priority.ROUTINE
    handling: Handling = Handling.H0
    handling_note: str = ""
    source_reliability: SourceReliability = SourceReliability.X
    information_accuracy: InformationAccuracy = InformationAccuracy.FOUR
    references: list[Reference] = []
    in_reply_to: str | None = None
    confirm_restriction: bool = Field(
        False, description="A reply to an H3 message beyond its parties: the restriction is respected"
    )


class MessageIn(BulkMessageIn):
    """A message, with its attachments if any."""

    attachments: list[AttachmentIn] = []


@router.post(
    "",
    response={201: MessageOut},
    auth=allow(MESSAGING, Scope.SEND_MESSAGES, upload=MESSAGE_BODY),
    summary="Send a message",
)
def send(request: AuthedRequest, payload: MessageIn) -> Status:
    data = payload.dict()
    data["references"] = [dict(r) for r in data["references"]]
    uploads = []
    for i, a in enumerate(data.pop("attachments")):
        try:
            content = base64.b64decode(a["data"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError({f"attachments.{i}.data": "not base64"}) from exc
        uploads.append(services.Upload(a["name"], a["content_type"], content))
    message = services.send(request.user, services.Draft(**data, attachments=uploads), client_ip(request))
    return Status(201, message)


class BulkIn(Schema):
    messages: list[BulkMessageIn] = Field(min_length=1, max_length=MAX_BATCH)


class BulkSentOut(Schema):
    id: UUID
    recipients: list[str]
    created_at: datetime


class BulkOut(Schema):
    messages: list[BulkSentOut]


# A bulk send is read up to this size (its messages are sealed in envelopes of up to 2 MiB each).
BULK_BODY = uploads.Limit(
    fields=8 * uploads.MB,
    message=gettext_lazy("A bulk send is limited to 8 MB; send the messages in several calls."),
)


@router.post(
    "/bulk",
    response={201: BulkOut},
    auth=allow(MESSAGING, Scope.SEND_MESSAGES, upload=BULK_BODY),
    summary="Send many messages (no attachments) in one call and one transaction",
)
def send_bulk(request: AuthedRequest, payload: BulkIn) -> Status:
    drafts = []
    for m in payload.messages:
        data = m.dict()
        data["references"] = [dict(r) for r in data["references"]]
        drafts.append(services.Draft(**data))
    sent = services.send_many(request.user, drafts, client_ip(request))
    return Status(201, {"messages": sent})


@router.get(
    "/{message_id}", response=MessageOut, auth=allow(MESSAGING, Scope.READ_MESSAGES), summary="Read a message"
)
def read(request: AuthedRequest, message_id: str) -> Message:
    message, _thread = services.read(request.user, message_id, client_ip(request))
    return message


@router.post(
    "/{message_id}/forward",
    response={201: MessageOut},
    auth=allow(MESSAGING, Scope.SEND_MESSAGES),
    summary="Forward a message (H2: only to its parties; H3: confirm its restriction)",
)
def forward(request: AuthedRequest, message_id: str, payload: ForwardIn) -> Status:
    message = services.forward(
        request.user,
        message_id,
        payload.to,
        payload.note,
        confirm_restriction=payload.confirm_restriction,
        gs_copy=payload.gs_copy,
        priority=payload.priority,
        ip=client_ip(request),
    )
    return Status(201, message)


@router.get(
    "/{message_id}/attachments/{attachment_id}",
    auth=allow(MESSAGING, Scope.READ_MESSAGES),
    summary="Download an attachment",
    openapi_extra={
        "responses": {200: downloads.openapi("application/octet-stream", "The attachment's bytes")}
    },
)
def attachment(request: AuthedRequest, message_id: UUID, attachment_id: UUID) -> StreamingHttpResponse:
    """The attachment's bytes as `application/octet-stream`, whatever content type its sender gave
    it (listed in the message's `attachments`), so a browser never runs it as a page of this site."""
    found, content = services.attachment(
        request.user, str(message_id), str(attachment_id), client_ip(request)
    )
    response = downloads.download(content, found.name, size=found.size)
    response["X-Content-SHA256"] = found.sha256
    return response
