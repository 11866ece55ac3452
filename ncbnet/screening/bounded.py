"""JSON from an upload, parsed within limits decided before a single object is built.

`json.loads` on 50 MB of `[{},{},…]` builds 17 million dictionaries (gigabytes). Here the raw
bytes are measured first, a chunk at a time and at C speed, with every string taken out: the
commas, colons and
brackets left bound the number of values the document holds (each value, key and container is
one item; a list of R objects of C members is 2·R·C + R + 1 items), and removing the innermost
empty `[]`/`{}` pairs level by level bounds its depth. Only a document within `max_items` and
`max_depth` is parsed, and the parse refuses NaN, Infinity and integers beyond ±2^53.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A string token once the escapes are gone: a quote, anything but a quote, a quote.
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STRUCTURE = (b",", b":", b"[", b"{")
CHUNK = 256 * 1024  # what a chunk makes while measured: about 12 MB at most (6 MB for 64 KB, 36 MB for 1 MB)
MAX_SAFE_INTEGER = 2**53


class Invalid(ValueError):
    """Not JSON, or JSON beyond the limits; the message says which, in plain words."""


def measure(raw: bytes, stop: int | None = None, chunk: int = CHUNK) -> tuple[int, bytes]:
    """An upper bound on the number of items (values, keys, containers) in `raw`, and its
    brackets in order, strings left out; counting ends once past `stop`.

    Read a chunk at a time (so that what it makes stays small): escaped backslashes and quotes are
    taken out first, so every quote left opens or closes a string, and a string that runs past the
    chunk's end is carried on into the next. Quotes and backslashes are single bytes in UTF-8,
    never part of a longer character, so this works on the bytes."""
    items, brackets, inside, pos = 1, [], False, 0
    while pos < len(raw):
        end = min(pos + chunk, len(raw))
        part = raw[pos:end]
        if (len(part) - len(part.rstrip(b"\\"))) % 2 and end < len(raw):
            end += 1  # an escape cut in two: take its second byte too
            part = raw[pos:end]
        pos = end
        part = part.replace(b"\\\\", b"").replace(b'\\"', b"")
        if inside:  # in a string begun in an earlier chunk
            close = part.find(b'"')
            if close == -1:
                continue
            part, inside = part[close + 1 :], False
        if part.count(b'"') % 2:  # a string runs on past this chunk
            part, inside = part[: part.rfind(b'"')], True
        skeleton = _STRING.sub(b"", part)
        items += sum(map(skeleton.count, _STRUCTURE))
        brackets.append(skeleton.translate(None, _NOT_BRACKETS))
        if stop is not None and items > stop:
            break
    return items, b"".join(brackets)


def deeper_than(brackets: bytes, depth: int) -> bool:
    """Whether the brackets nest deeper than `depth`: each round takes away exactly the containers
    with nothing inside (one level: they are marked first, so that `{[]}` loses `[]` alone), so
    what is left after `depth` rounds is deeper. Brackets that do not pair up are left to the
    parser to report."""
    for _ in range(depth):
        if not brackets:
            return False
        fewer = brackets.replace(b"[]", b"..").replace(b"{}", b"..").translate(None, b".")
        if len(fewer) == len(brackets):
            return False  # unbalanced: not JSON
        brackets = fewer
    return bool(brackets) and (b"[]" in brackets or b"{}" in brackets)


def _constant(name: str) -> Any:
    raise Invalid(f"{name} is not a number JSON allows")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > 16 or abs(value := int(text)) > MAX_SAFE_INTEGER:
        raise Invalid(f"the integer {text[:20]}{'…' if len(text) > 20 else ''} is beyond ±2^53")
    return value


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise Invalid(f"the number {text[:20]} is too large")
    return value


def loads(raw: bytes, *, max_bytes: int, max_depth: int, max_items: int) -> Any:
    """The JSON value in `raw` (UTF-8), or `Invalid` saying which limit it passed or where its
    syntax is wrong. Nothing is built for a document beyond the limits."""
    if len(raw) > max_bytes:
        raise Invalid(f"it is {len(raw):,} bytes; at most {max_bytes:,} are read")
    items, brackets = measure(raw, stop=max_items)  # bytes not UTF-8 are refused below, whatever it says
    if items > max_items:
        raise Invalid(f"it holds more than {max_items:,} values")
    if deeper_than(brackets, max_depth):
        raise Invalid(f"it nests lists or objects more than {max_depth} deep")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"not UTF-8 (byte {exc.start})") from exc
    try:
        return json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise Invalid(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    except RecursionError as exc:  # only past max_depth, which is refused above; kept as a guard
        raise Invalid("it nests lists or objects too deep") from exc
