"""Rows packed for the network: their JSON text compressed with zlib's fastest level, in base64,
inside a sealed body. The change feed (`replica.record`) and snapshot chunks carry records this
way: a fifth of the bytes to seal, publish, store in the streams, verify and open at every node.

Opening is bounded before anything is built: the base64 and the compressed bytes are measured,
the inflation stops one byte past the most the body may open to, and the opened size must be the
one the sender wrote (signed with the rest of the envelope). No Django here, so that the fan-out
bench's simulated bureaus open what the hub sends exactly as a node does (`open_records`).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

from ncbnet.base import bounded

LEVEL = 1  # zlib's fastest: about 50 ms for 4 MB of rows, to about a fifth
MAX_RECORDS = 10_000  # records in one `replica.record` envelope, at most
RECORDS_RAW = 4 * 1024 * 1024  # packed records once opened, at most (the hub packs about 1 MiB)
RECORDS_TEXT = 4 * 1024 * 1024  # their base64 text, at most: what an envelope carries
RECORDS_LIMITS = bounded.Limits(
    max_bytes=RECORDS_RAW, max_depth=32, max_string=RECORDS_RAW, max_items=1_000_000
)


class Unpackable(ValueError):
    """The packed rows cannot be opened within their bounds; the message says why."""


def pack(raw: bytes) -> str:
    """`raw` (JSON text) compressed, in base64."""
    return base64.b64encode(zlib.compress(raw, LEVEL)).decode("ascii")


def unpack(packed: str, size: int, *, what: str, max_packed: int, max_raw: int) -> bytes:
    """The JSON text `packed` holds, which must be `size` bytes; `what` names it in the reasons
    ("a snapshot chunk"). Raises Unpackable."""
    try:
        compressed = base64.b64decode(packed, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unpackable(f"{what}'s rows are not base64") from exc
    if len(compressed) > max_packed:
        raise Unpackable(f"{what} of {len(compressed):,} bytes compressed (at most {max_packed:,})")
    inflate = zlib.decompressobj()
    try:
        raw = inflate.decompress(compressed, max_raw + 1)
    except zlib.error as exc:
        raise Unpackable(f"{what}'s rows do not decompress: {exc}") from exc
    if len(raw) > max_raw or inflate.unconsumed_tail:
        raise Unpackable(f"{what} opens to more than {max_raw:,} bytes")
    if not inflate.eof or inflate.unused_data:
        raise Unpackable(f"{what}'s compressed rows are cut short or followed by more")
    if len(raw) != size:
        raise Unpackable(f"{what} opens to {len(raw):,} bytes, not the {size:,} it says")
    return raw


def open_records(zlib_text: str, raw: int, rows: int) -> list[Any]:
    """The records a packed `replica.record` body holds (`RecordsBody`), parsed as any envelope's
    body is (`bounded`); raises Unpackable or bounded.Unbounded (both ValueError) saying why."""
    text = unpack(
        zlib_text, raw, what="a batch of records", max_packed=RECORDS_TEXT * 3 // 4, max_raw=RECORDS_RAW
    )
    records = bounded.loads(text, RECORDS_LIMITS)
    if not isinstance(records, list) or len(records) != rows:
        raise Unpackable(f"the packed records are not a list of the {rows} records it says")
    return records


def records_of(body: dict[str, Any]) -> list[Any]:
    """The records of an opened `replica.record` body, packed or not (as dicts, unchecked beyond
    `open_records`: a node's `RecordsBody` checks each)."""
    if "packed" in body:
        packed = body["packed"]
        return open_records(packed["zlib"], packed["raw"], packed["rows"])
    return list(body["records"])
