"""A body too big for one envelope travels in parts: a record with its photos (four of 1 MiB
make more than 5 MiB of JSON), from the hub to the nodes that may see it, or from a bureau to
the hub as its contribution.

The sender cuts the body's canonical bytes into pieces of at most `PART_BYTES`, each in a
`records.part` envelope sealed for the same recipients, with the whole's SHA-256. The receiver
keeps the pieces; when the last one is in, it checks the whole against its SHA-256, parses it
within limits, validates it against the schema of the envelope type it stands for, and hands it
to that type's handler, in the same transaction. So a record arrives whole, photos and all, or
not at all, and what a part carries meets exactly the checks a whole envelope would.

Only the types in `CARRIED` travel this way, each from the senders that may send it whole.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Length

from ncbnet.base import audit, bounded, clock
from ncbnet.base.crypto import canonical
from ncbnet.network import delivery, wire
from ncbnet.network import envelope as env
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, every, handler_for, register, require_hub
from ncbnet.network.models import OutboxEnvelope

from .models import IncomingPart
from .schemas import MAX_PARTS, PART_BYTES, PartBody

PART = "records.part"
# A body up to this many bytes travels whole; sealed, its envelope is about 1.4 MiB, well under
# the network's 4 MiB.
WHOLE_BYTES = PART_BYTES
# What one sender's unfinished transfers may hold on a node at once (a peer that sends parts and
# never the last cannot fill the disk); older than the streams keep, they are pruned.
MAX_PENDING_BYTES = 64 * 1024 * 1024
# The whole, once assembled, is parsed within these limits (as an envelope's body is).
LIMITS = bounded.Limits(
    max_bytes=MAX_PARTS * PART_BYTES, max_depth=32, max_string=MAX_PARTS * PART_BYTES, max_items=200_000
)


def _from_hub(envelope: Arrived) -> None:
    require_hub(envelope, "replica changes")


def _to_hub(envelope: Arrived) -> None:
    """A contribution's route, as its handler declares it: from a bureau to the hub."""
    contribution = handler_for("records.contribute")
    if contribution is None:
        raise Rejected("this node takes no contributions")
    contribution.admit(envelope)


def _change_to_hub(envelope: Arrived) -> None:
    """An owner's change of its record (an edit keeps the photos): from a bureau to the hub."""
    change = handler_for("records.change")
    if change is None:
        raise Rejected("this node takes no changes of records")
    change.admit(envelope)


# The envelope types a part may stand for, and who may send them (checked at the first part,
# before anything is kept, and again by the type's own handler once the whole is in).
CARRIED: dict[str, Callable[[Arrived], None]] = {
    "replica.record": _from_hub,
    "records.contribute": _to_hub,
    "records.change": _change_to_hub,
}


class TooLargeEvenInParts(ValidationError):
    """More than `MAX_PARTS` parts: refused before anything is queued."""


def send(kind: str, recipients: Iterable[str], body: Mapping[str, Any]) -> list[str]:
    """Queue `body` as one `kind` envelope, or, when it is bigger than `WHOLE_BYTES`, as parts.
    Inside the caller's transaction; returns the envelope ids."""
    sealed = seal(kind, recipients, body)
    delivery.queue_sealed(sealed)
    return [e.envelope_id for e in sealed]


def seal(kind: str, recipients: Iterable[str], body: Mapping[str, Any]) -> list[OutboxEnvelope]:
    """`body` sealed as one `kind` envelope, or as parts when it is bigger than `WHOLE_BYTES`,
    for `delivery.queue_sealed` (nothing written yet)."""
    targets = list(recipients)
    raw = canonical(dict(body))
    if len(raw) <= WHOLE_BYTES:
        return [delivery.seal(kind, targets, body)]
    if kind not in CARRIED:
        raise ValueError(f"{kind} envelopes do not travel in parts")
    parts = -(-len(raw) // PART_BYTES)
    if parts > MAX_PARTS:
        raise TooLargeEvenInParts(
            {
                "data": f"{len(raw):,} bytes is more than the network carries for one {kind} "
                f"(at most {MAX_PARTS * PART_BYTES:,} bytes)"
            }
        )
    transfer, digest = new_id(), hashlib.sha256(raw).hexdigest()
    return [
        delivery.seal(
            PART,
            targets,
            {
                "transfer": transfer,
                "of": kind,
                "index": i,
                "parts": parts,
                "sha256": digest,
                "data": base64.b64encode(raw[i * PART_BYTES : (i + 1) * PART_BYTES]).decode("ascii"),
            },
        )
        for i in range(parts)
    ]


@register(PART, PartBody)
def part_arrived(envelope: Arrived, body: PartBody) -> None:
    """Keep one part; with the last, check the whole and hand it to its type's handler."""
    CARRIED[body.of](envelope)
    if body.index >= body.parts:
        raise Rejected(f"part {body.index} of a transfer in {body.parts} parts")
    try:
        data = base64.b64decode(body.data, validate=True)
    except binascii.Error as exc:
        raise Rejected("a part that is not base64") from exc
    if len(data) > PART_BYTES or (body.index < body.parts - 1 and len(data) != PART_BYTES):
        raise Rejected(f"part {body.index} of {body.transfer} is not {PART_BYTES:,} bytes long")
    mine = IncomingPart.objects.filter(sender=envelope.sender, transfer=body.transfer)
    other = mine.exclude(of=body.of, parts=body.parts, sha256=body.sha256).first()
    if other is not None:
        raise Rejected(f"part {body.index} of {body.transfer} disagrees with part {other.index} on the whole")
    if mine.filter(index=body.index).exists():
        raise Rejected(f"part {body.index} of {body.transfer} arrived before")
    pending = IncomingPart.objects.filter(sender=envelope.sender).aggregate(n=Sum(Length("data")))["n"] or 0
    if pending + len(data) > MAX_PENDING_BYTES:
        raise Rejected(
            f"{envelope.sender} already has {pending:,} bytes of unfinished transfers on this node"
        )
    IncomingPart.objects.create(
        sender=envelope.sender,
        transfer=body.transfer,
        of=body.of,
        index=body.index,
        parts=body.parts,
        sha256=body.sha256,
        data=data,
        received_at=clock.now(),
    )
    if mine.count() < body.parts:
        return
    whole = b"".join(bytes(p.data) for p in mine.order_by("index").only("data"))
    if hashlib.sha256(whole).hexdigest() != body.sha256:
        raise Rejected(f"transfer {body.transfer} does not match its SHA-256")
    registration = handler_for(body.of)
    if registration is None:  # CARRIED names only types this app registers
        raise Rejected(f"no handler for envelope type {body.of!r}")
    try:
        parsed = registration.body.model_validate(bounded.loads(whole, LIMITS))
    except bounded.Unbounded as exc:
        raise Rejected(f"transfer {body.transfer} is not readable JSON: {exc}") from exc
    except wire.ValidationError as exc:
        raise Rejected(f"malformed {body.of} body in {body.parts} parts: {wire.problems(exc)}") from exc
    mine.delete()
    registration.handle(dataclasses.replace(envelope, type=body.of), parsed)


@every(3600, "records.parts.prune")
def prune() -> int | None:
    """Unfinished transfers older than any envelope is accepted at can never finish: drop them."""
    with transaction.atomic():
        gone = IncomingPart.objects.filter(received_at__lt=clock.now() - env.MAX_AGE - timedelta(days=1))
        count = gone.delete()[0]
        if count:
            audit.record("records.parts_pruned", detail={"parts": count})
    return count or None
