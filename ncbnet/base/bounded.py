"""Bounded parsing of untrusted JSON: what arrives from the network, an upload or an API body is
refused, with a plain reason, before it can cost the process more than its limits.

The raw bytes are measured first, a chunk at a time and at C speed, with every string taken out:
the commas, colons and brackets left bound the number of values the document holds (each value,
key and container is one item), and removing the innermost empty `[]`/`{}` pairs level by level
bounds its depth. `json.loads` on 50 MB of `[{},{},…]` would build 17 million dictionaries
(gigabytes); here nothing is built for a document beyond its limits.

Only then does the standard library parse it, and this module refuses what JSON allows and we do
not: NaN and Infinity, numbers beyond what every peer reads the same (integers within ±2^53,
finite floats), a key twice in one object, text that is not Unicode (a lone surrogate) or holds a
NUL character (which no database text column keeps), strings longer than asked.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1  # beyond it, JavaScript and other JSON readers round integers

# A string token once the escapes are gone: a quote, anything but a quote, a quote.
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_NOT_SKELETON = bytes(b for b in range(256) if b not in b'",:[]{}')
_STRUCTURE = (b",", b":", b"[", b"{")
# What could make a parsed string one a database cannot keep: a NUL, written or escaped, or an
# escaped surrogate (a pair is fine, a lone one is not). Raw surrogates are not UTF-8 at all.
_RISKY_TEXT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")

CHUNK = 256 * 1024  # what a chunk makes while measured: about 12 MB at most


class Unbounded(ValueError):
    """The input is not JSON, or not within the limits; the message says which, in plain words.
    `where` is the dotted path of the value at fault when one is ("" for the whole document);
    `nul` says the fault is a NUL character."""

    def __init__(self, message: str, where: str = "", *, nul: bool = False):
        super().__init__(message)
        self.where = where
        self.nul = nul


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 32
    max_string: int = 8 * 1024 * 1024  # characters in one string (an envelope's ciphertext is one)
    max_items: int = 200_000  # values in the whole document: keys, containers and scalars


def _risky_text(data: bytes) -> bool:
    """Whether a string parsed from `data` could hold a NUL or a lone surrogate (the substring
    tests run at C speed; the pattern, slower, only where an escape is written at all)."""
    return b"\x00" in data or (b"\\u" in data and _RISKY_TEXT.search(data) is not None)


def measure(raw: bytes, stop: int | None = None, chunk: int = CHUNK) -> tuple[int, bytes]:
    """An upper bound on the number of items (values, keys, containers) in `raw`, and its
    brackets in order, strings left out; counting ends once past `stop`.

    Read a chunk at a time (so that what it makes stays small): escaped backslashes and quotes are
    taken out first, so every quote left opens or closes a string, and a string that runs past the
    chunk's end is carried on into the next. Quotes and backslashes are single bytes in UTF-8,
    never part of a longer character, so this works on the bytes.

    Each chunk is cut down to its quotes and structure (`,:[]{}`) first, at C speed; a string
    then shows as its two quotes with nothing between them unless it holds structure, so most
    strings go by one `replace` and only those holding structure by the slower pattern. Taking
    out two adjacent quotes never changes what is inside a string: they are a string with nothing
    in it, or the end of one string and the start of the next."""
    items, brackets, inside, pos = 1, [], False, 0
    while pos < len(raw):
        end = min(pos + chunk, len(raw))
        part = raw[pos:end]
        if (len(part) - len(part.rstrip(b"\\"))) % 2 and end < len(raw):
            end += 1  # an escape cut in two: take its second byte too
            part = raw[pos:end]
        pos = end
        if b"\\" in part:
            part = part.replace(b"\\\\", b"").replace(b'\\"', b"")
        part = part.translate(None, _NOT_SKELETON)
        if inside:  # in a string begun in an earlier chunk
            close = part.find(b'"')
            if close == -1:
                continue
            part, inside = part[close + 1 :], False
        if part.count(b'"') % 2:  # a string runs on past this chunk
            part, inside = part[: part.rfind(b'"')], True
        skeleton = part.replace(b'""', b"")
        if b'"' in skeleton:
            skeleton = _STRING.sub(b"", skeleton)
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
    raise Unbounded(f"{name} is not a number JSON allows here")


def _integer(text: str) -> int:
    # Checked on the digits, before int() turns a 4 MB number into a 4 MB integer.
    if len(text.lstrip("-")) > 16 or abs(value := int(text)) > MAX_SAFE_INTEGER:
        raise Unbounded(f"the integer {text[:20]}{'…' if len(text) > 20 else ''} is beyond ±2^53")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Unbounded(f"the number {text[:20]} is not finite")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise Unbounded(f"the key {key[:64]!r} appears twice in one object")
            seen.add(key)
    return out


def loads(raw: bytes | str, limits: Limits = Limits()) -> Any:
    """The JSON value in `raw` (UTF-8), or Unbounded saying which limit it passed or where its
    syntax is wrong. Nothing is built for a document beyond the limits."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > limits.max_bytes:
        raise Unbounded(f"it is {len(data):,} bytes; at most {limits.max_bytes:,} are read")
    items, brackets = measure(data, stop=limits.max_items)
    if items > limits.max_items:
        raise Unbounded(f"it holds more than {limits.max_items:,} values")
    if deeper_than(brackets, limits.max_depth):
        raise Unbounded(f"it nests lists or objects more than {limits.max_depth} deep")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unbounded(f"not UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(
            text, parse_constant=_constant, parse_int=_integer, parse_float=_float, object_pairs_hook=_object
        )
    except json.JSONDecodeError as exc:
        raise Unbounded(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    except RecursionError as exc:  # only past max_depth, which is refused above; kept as a guard
        raise Unbounded(f"it nests lists or objects more than {limits.max_depth} deep") from exc
    if len(data) > limits.max_string or _risky_text(data):
        check(value, limits)  # the walk names the value at fault
    # Otherwise the walk would find nothing: the items and the depth were bounded before parsing
    # (at most what `measure` counted), numbers as they were parsed, no string is longer than the
    # whole, and none holds a NUL or a lone surrogate.
    return value


def _text(value: str, where: str) -> None:
    if "\x00" in value:
        raise Unbounded("text with a NUL character (U+0000)", where.replace("\x00", ""), nul=True)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Unbounded("text that is not Unicode (a lone surrogate)", where) from exc


def check(value: Any, limits: Limits = Limits()) -> None:
    """Walk a parsed value (without recursion) and refuse it beyond the depth, string and item
    limits, or holding text a database cannot keep; the refusal names where."""
    items = 0
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        items += 1
        if items > limits.max_items:
            raise Unbounded(f"it holds more than {limits.max_items:,} values")
        if isinstance(node, dict):
            if depth > limits.max_depth:
                raise Unbounded(f"it nests lists or objects more than {limits.max_depth} deep", where)
            for key, child in node.items():
                path = f"{where}.{key}" if where else str(key)
                if len(key) > limits.max_string:
                    raise Unbounded(f"a key longer than {limits.max_string:,} characters", where)
                _text(key, path)
                stack.append((child, depth + 1, path))
        elif isinstance(node, list):
            if depth > limits.max_depth:
                raise Unbounded(f"it nests lists or objects more than {limits.max_depth} deep", where)
            stack.extend(
                (child, depth + 1, f"{where}.{i}" if where else str(i)) for i, child in enumerate(node)
            )
        elif isinstance(node, str):
            if len(node) > limits.max_string:
                raise Unbounded(f"a text longer than {limits.max_string:,} characters", where)
            _text(node, where)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if abs(node) > MAX_SAFE_INTEGER:
                raise Unbounded("an integer beyond ±2^53", where)
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise Unbounded("a number that is not finite", where)
        else:
            raise Unbounded(f"a {type(node).__name__} is not a JSON value", where)
