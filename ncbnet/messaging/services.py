"""Send, list, search and read messages; every search and read is audited."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, bulk, clock, gates
from ncbnet.base.actor import Person
from ncbnet.base.node import node_id
from ncbnet.base.policies import has_scope
from ncbnet.config import member_codes
from ncbnet.core.models import Country
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
from .policies import can_message, onward_outsiders, sees_content
from .schemas import MAX_BATCH, AttachmentMeta, MessageBody

KIND = "message"
RECEIPT = "message.receipt"
CHUNK = "message.chunk"
BATCH = "message.batch"  # many messages to the same recipients (see send_many)
RECEIPTS = "message.receipts"  # one receipt for many messages
# A batch envelope's messages, as JSON, stay under this (an envelope travels up to 4 MiB, and
# sealing adds a third): a bulk send makes as many envelopes as its size needs.
BATCH_BYTES = 2 * 1024 * 1024
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
    # For a reply to (or a forward of) an H3 message beyond its parties: the sender confirms the
    # sharing respects the restriction the original states.
    confirm_restriction: bool = False


class OnwardSharingRefused(PermissionDenied):
    """An H2 message shared beyond its original sender and recipients, or content withheld from
    this token shared on; the refusal is audited."""


def _require(actor: Person) -> None:
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


def handling_errors(handling: str, note: str, reliability: str, accuracy: str) -> dict[str, str]:
    """A handling code (H3 with its restriction stated) and a 4x4 evaluation, checked: for messages
    and for everything else that travels under them (requests between bureaus)."""
    errors: dict[str, str] = {}
    if handling not in Handling.values:
        errors["handling"] = _("H0, H1, H2 or H3.")
    if handling == Handling.H3 and not note.strip():
        errors["handling_note"] = _("H3 needs the restriction stated.")
    if reliability not in SourceReliability.values:
        errors["source_reliability"] = _("A, B, C, D or X.")
    if accuracy not in InformationAccuracy.values:
        errors["information_accuracy"] = _("1, 2, 3 or 4.")
    return errors


def _validate(d: Draft) -> None:
    errors: dict[str, str] = {}
    if not d.subject.strip() or len(d.subject) > 300:
        errors["subject"] = _("A subject of 1 to 300 characters.")
    if not d.body.strip() or len(d.body) > MAX_BODY:
        errors["body"] = _("A message of 1 to %(n)s characters.") % {"n": MAX_BODY}
    if d.priority not in Priority.values:
        errors["priority"] = _("Routine, urgent or flash.")
    errors |= handling_errors(d.handling, d.handling_note, d.source_reliability, d.information_accuracy)
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


def _refuse_onward(
    actor: Person, original: Message, detail: dict[str, Any], message: str, ip: str | None
) -> None:
    audit.record_now(
        "messaging.onward_sharing_refused",
        actor=actor,
        target=original,
        ip=ip,
        detail={"handling": original.handling, **detail},
    )
    raise OnwardSharingRefused(message)


def check_onward(
    actor: Person,
    original: Message,
    recipients: list[str],
    *,
    forwarding: bool,
    confirmed: bool,
    ip: str | None = None,
) -> None:
    """The handling code of `original` decides whether a reply or forward may reach `recipients`.
    H0 and H1: anyone. H2: only its original sender and recipients (refused and audited beyond
    them). H3: a forward, or a reply beyond those, needs the sender to confirm the stated
    restriction."""
    outsiders = onward_outsiders(original, set(recipients), node_id())
    if original.handling == Handling.H2 and outsiders:
        _refuse_onward(
            actor,
            original,
            {"as": "forward" if forwarding else "reply", "to": recipients, "outside": sorted(outsiders)},
            _(
                "Onward sharing refused: this message is H2 and goes no further than its sender and "
                "recipients (%(parties)s) without the sender's permission. Not allowed: %(outside)s."
            )
            % {
                "parties": ", ".join(sorted(original.parties)),
                "outside": ", ".join(sorted(outsiders)),
            },
            ip,
        )
    if original.handling == Handling.H3 and (forwarding or outsiders) and not confirmed:
        raise ValidationError(
            {
                "confirm_restriction": _(
                    "This message is H3: confirm that sharing it respects its restriction: %(note)s"
                )
                % {"note": original.handling_note or "—"}
            }
        )


def send(actor: Person, draft: Draft, ip: str | None = None) -> Message:
    """Record the message, its per-recipient status and the sealed envelope, in one transaction."""
    return _send(actor, draft, ip)


def _send(actor: Person, draft: Draft, ip: str | None, forwarded: Message | None = None) -> Message:
    _require(actor)
    gates.check(actor, gates.MESSAGING)  # training and any other gate, before anything is sent
    _validate(draft)
    recipients = expand_recipients(draft.to)
    if draft.gs_copy:  # the GS's copy goes to the hub, unless this is the hub
        recipients = sorted(set(recipients) | ({"hub"} - {node_id()}))
    thread_id, parent = None, None
    if draft.in_reply_to:
        parent = Message.objects.filter(pk=draft.in_reply_to).first()
        if parent is None:
            raise ValidationError({"in_reply_to": _("No such message on this node.")})
        thread_id = parent.thread_id
        check_onward(actor, parent, recipients, forwarding=False, confirmed=draft.confirm_restriction, ip=ip)
    if forwarded is not None:
        check_onward(
            actor, forwarded, recipients, forwarding=True, confirmed=draft.confirm_restriction, ip=ip
        )
    now = clock.now()
    message_id = uuid.UUID(new_id())
    sender_name = actor.get_full_name() or actor.get_username()
    subject, note, gs_copy = draft.subject.strip(), draft.handling_note.strip(), "hub" in recipients
    prepared = []
    for upload in draft.attachments:
        attachment_id = uuid.UUID(new_id())
        pieces = [upload.data[i : i + CHUNK_BYTES] for i in range(0, len(upload.data), CHUNK_BYTES)] or [b""]
        prepared.append((attachment_id, upload, pieces))
    with transaction.atomic():
        message = Message.objects.create(
            id=message_id,
            thread_id=thread_id or message_id,
            in_reply_to=parent.pk if parent else None,
            direction=Message.Direction.OUT,
            sender_node=node_id(),
            sender_name=sender_name,
            sent_by_id=actor.pk,
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
        attachments = [
            (
                Attachment.objects.create(
                    id=attachment_id,
                    message=message,
                    name=upload.name.strip(),
                    content_type=upload.content_type,
                    size=len(upload.data),
                    sha256=hashlib.sha256(upload.data).hexdigest(),
                    chunks=len(pieces),
                    complete=True,
                ),
                pieces,
            )
            for attachment_id, upload, pieces in prepared
        ]
        body = MessageBody.of(
            message,
            {"sender.role": actor.role, "attachments": [AttachmentMeta.of(a) for a, _pieces in attachments]},
        )
        envelope_id = network.queue(KIND, recipients, body)
        for attachment, pieces in attachments:
            for index, piece in enumerate(pieces):
                AttachmentChunk.objects.create(attachment=attachment, index=index, data=piece)
                network.queue(
                    CHUNK,
                    recipients,
                    {
                        "attachment_id": str(attachment.id),
                        "index": index,
                        "sha256": hashlib.sha256(piece).hexdigest(),
                        "data": base64.b64encode(piece).decode("ascii"),
                    },
                )
        detail: dict[str, Any] = {
            "to": recipients,
            "priority": draft.priority,
            "envelope": envelope_id,
            "attachments": [a.sha256 for a, _pieces in attachments],
        }
        if forwarded is not None:
            detail |= {"forwarded": str(forwarded.pk), "handling": forwarded.handling}
        if draft.confirm_restriction and (forwarded or parent):
            detail["restriction_confirmed"] = True
        audit.record(
            "messaging.forward" if forwarded is not None else "messaging.send",
            actor=actor,
            target=message,
            ip=ip,
            detail=detail,
        )
    return message


def send_many(actor: Person, drafts: list[Draft], ip: str | None = None) -> list[Message]:
    """A machine sender's many messages (no attachments), in one transaction: the messages and
    their statuses written in bulk, those to the same recipients sealed together into
    `message.batch` envelopes bounded by count and size, and one audit entry naming every message.
    One bad message refuses them all, with its place and field (`messages.<i>.<field>`)."""
    _require(actor)
    gates.check(actor, gates.MESSAGING)  # training and any other gate, before anything is sent
    if not 1 <= len(drafts) <= MAX_BATCH:
        raise ValidationError({"messages": _("From 1 to %(n)s messages at a time.") % {"n": MAX_BATCH}})
    errors: dict[str, str] = {}
    expanded: dict[tuple[str, ...], list[str]] = {}
    recipients_of: list[list[str]] = []
    parents: list[Message | None] = []
    for i, d in enumerate(drafts):
        try:
            if d.attachments:
                raise ValidationError(
                    {"attachments": _("A message with attachments is sent on its own, not in bulk.")}
                )
            _validate(d)
            key = tuple(d.to)
            if key not in expanded:
                expanded[key] = expand_recipients(d.to)
            recipients = expanded[key]
            if d.gs_copy:
                recipients = sorted(set(recipients) | ({"hub"} - {node_id()}))
            parent = None
            if d.in_reply_to:
                parent = Message.objects.filter(pk=d.in_reply_to).first()
                if parent is None:
                    raise ValidationError({"in_reply_to": _("No such message on this node.")})
                check_onward(
                    actor, parent, recipients, forwarding=False, confirmed=d.confirm_restriction, ip=ip
                )
        except ValidationError as exc:
            for name, texts in exc.message_dict.items():
                errors[f"messages.{i}.{name}"] = " ".join(texts)
            continue
        recipients_of.append(recipients)
        parents.append(parent)
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    sender_name = actor.get_full_name() or actor.get_username()
    messages = []
    for d, recipients, parent in zip(drafts, recipients_of, parents, strict=True):
        message_id = uuid.UUID(new_id())
        messages.append(
            Message(
                id=message_id,
                thread_id=parent.thread_id if parent else message_id,
                in_reply_to=parent.pk if parent else None,
                direction=Message.Direction.OUT,
                sender_node=node_id(),
                sender_name=sender_name,
                sent_by_id=actor.pk,
                recipients=recipients,
                gs_copy="hub" in recipients,
                subject=d.subject.strip(),
                body=d.body,
                priority=d.priority,
                handling=d.handling,
                handling_note=d.handling_note.strip(),
                source_reliability=d.source_reliability,
                information_accuracy=d.information_accuracy,
                references=d.references,
                created_at=now,
            )
        )
    unkept = {"sender.role": actor.role, "attachments": []}
    with transaction.atomic():
        # Raw executemany rather than bulk_create: the rows are built and validated above, and
        # bulk_create's per-object work was a large part of a sender's CPU (docs/benchmarks.md).
        bulk.insert(Message, (vars(m) for m in messages))
        for m in messages:
            m._state.adding = False
            m._state.db = DEFAULT_DB_ALIAS
        bulk.insert(Delivery, ({"message_id": m.pk, "node": n} for m in messages for n in m.recipients))
        by_recipients: dict[tuple[str, ...], list[Message]] = {}
        for m in messages:
            by_recipients.setdefault(tuple(m.recipients), []).append(m)
        lines = []
        for to, group in by_recipients.items():
            batch: list[tuple[Message, dict[str, Any]]] = []
            size = 0
            for m in group:
                body = MessageBody.of(m, unkept)
                length = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
                if batch and size + length > BATCH_BYTES:
                    lines += _queue_batch(list(to), batch)
                    batch, size = [], 0
                batch.append((m, body))
                size += length
            lines += _queue_batch(list(to), batch)
        audit.record(
            "messaging.send",
            actor=actor,
            ip=ip,
            target_type="messaging.message",
            target_id=str(messages[0].pk) if len(messages) == 1 else "",
            detail={"bulk": True, "messages": lines},
        )
    return messages


def _queue_batch(recipients: list[str], batch: list[tuple[Message, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One sealed `message.batch` envelope; the audit lines of its messages."""
    envelope_id = network.queue(BATCH, recipients, {"messages": [body for _m, body in batch]})
    return [{"id": str(m.pk), "to": recipients, "envelope": envelope_id} for m, _body in batch]


def forward(
    actor: Person,
    message_id: str,
    to: list[str],
    note: str = "",
    *,
    confirm_restriction: bool = False,
    gs_copy: bool = False,
    priority: str = Priority.ROUTINE,
    ip: str | None = None,
) -> Message:
    """Send a message held here on to other bureaus, with its attachments, under its own handling
    code and evaluation (a forward never lowers them). H2 goes no further than the original
    parties; H3 needs its restriction confirmed; content withheld from a token is not forwarded."""
    _require(actor)
    gates.check(actor, gates.MESSAGING)  # training and any other gate, before anything is sent
    try:
        pk = uuid.UUID(str(message_id))
    except ValueError as exc:
        raise Http404(_("No such message on this node.")) from exc
    original = Message.objects.filter(pk=pk).first()
    if original is None:
        raise Http404(_("No such message on this node."))
    if not sees_content(actor, original):
        _refuse_onward(
            actor,
            original,
            {"as": "forward", "to": list(to), "reason": "content withheld from this token"},
            _(
                "This token may not see the content of H2 and H3 messages (scope 'restricted'), "
                "so it may not forward it."
            ),
            ip,
        )
    uploads = []
    for a in original.attachments.all():
        if not a.complete:
            raise ValidationError(
                {"attachments": _("An attachment has not fully arrived yet: forward it once it has.")}
            )
        data = b"".join(bytes(c.data) for c in AttachmentChunk.objects.filter(attachment=a).order_by("index"))
        uploads.append(Upload(a.name, a.content_type, data))
    quoted = "\n".join(
        [
            note.strip(),
            "",
            _("---------- Forwarded message ----------"),
            _("From: %(name)s (%(node)s)") % {"name": original.sender_name, "node": original.sender_node},
            _("Date: %(at)s") % {"at": original.created_at.isoformat(timespec="minutes")},
            _("To: %(to)s") % {"to": ", ".join(original.recipients)},
            _("Subject: %(subject)s") % {"subject": original.subject},
            "",
            original.body,
        ]
    ).strip()
    subject = original.subject if original.subject.lower().startswith("fwd:") else f"Fwd: {original.subject}"
    draft = Draft(
        to=list(to),
        subject=subject[:300],
        body=quoted,
        gs_copy=gs_copy,
        priority=priority,
        handling=original.handling,
        handling_note=original.handling_note,
        source_reliability=original.source_reliability,
        information_accuracy=original.information_accuracy,
        references=list(original.references),
        attachments=uploads,
        confirm_restriction=confirm_restriction,
    )
    return _send(actor, draft, ip, forwarded=original)


def withheld_body(message: Message) -> str:
    return str(
        _(
            "Withheld: this message is %(code)s, and its content (text, attachments, references) is "
            "shown only to people and to tokens with the scope 'restricted'."
        )
        % {"code": message.handling}
    )


@dataclass(frozen=True)
class Filters:
    box: str = "inbox"  # inbox | sent
    q: str = ""
    priority: str = ""
    unread: bool = False


def search(actor: Person, f: Filters, ip: str | None = None) -> QuerySet[Message]:
    """The bureau's inbox or sent box, filtered; the search is audited."""
    _require(actor)
    direction = Message.Direction.OUT if f.box == "sent" else Message.Direction.IN
    qs = Message.objects.filter(direction=direction).order_by("-created_at")
    if f.q:
        in_body = Q(body__icontains=f.q)
        if not has_scope(actor, "restricted"):
            # A search must not tell a token what the H2 and H3 texts it may not read contain.
            in_body &= Q(handling__in=[Handling.H0, Handling.H1])
        qs = qs.filter(Q(subject__icontains=f.q) | in_body | Q(sender_name__icontains=f.q))
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


def read(actor: Person, message_id: str, ip: str | None = None) -> tuple[Message, list[Message]]:
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
            message.read_at, message.read_by_id = clock.now(), actor.pk
            message.save(update_fields=["read_at", "read_by"])
            network.queue(
                RECEIPT,
                [message.sender_node],
                {"message_id": str(message.pk), "status": "read", "at": message.read_at.isoformat()},
            )
        audit.record(
            "messaging.read",
            actor=actor,
            target=message,
            ip=ip,
            detail={} if sees_content(actor, message) else {"withheld": message.handling},
        )
    thread = list(
        Message.objects.filter(thread_id=message.thread_id)
        .order_by("created_at")
        .prefetch_related("deliveries")
    )
    return message, thread


def alerts(actor: Person) -> list[Message]:
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
    actor: Person, message_id: str, attachment_id: str, ip: str | None = None
) -> tuple[Attachment, Iterable[bytes]]:
    """A complete attachment's content, chunk by chunk; the download is audited."""
    _require(actor)
    found = (
        Attachment.objects.select_related("message").filter(pk=attachment_id, message_id=message_id).first()
    )
    if found is None:
        raise Http404(_("No such attachment on this node."))
    if not sees_content(actor, found.message):
        audit.record_now(
            "messaging.attachment.withheld",
            actor=actor,
            target=found,
            ip=ip,
            detail={"message": str(message_id), "handling": found.message.handling},
        )
        raise PermissionDenied(
            _("This attachment belongs to an %(code)s message: a token needs the scope 'restricted' for it.")
            % {"code": found.message.handling}
        )
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
