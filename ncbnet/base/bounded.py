"""Bounded parsing of untrusted JSON: what arrives from the network or an upload is refused,
with a plain reason, before it can cost the process more than its limits.

The standard library's parser does the parsing; this module only refuses what JSON allows and
we do not: NaN and Infinity, numbers beyond what every peer reads the same (integers within
±2^53, finite floats), duplicate keys, text that is not Unicode (a lone surrogate) or holds a NUL
character (which no database text column keeps), nesting deeper than asked, longer strings, more
items.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1  # beyond it, JavaScript and other JSON readers round integers


class Unbounded(ValueError):
    """The input is not JSON, or not within the limits; the message says which."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 32
    max_string: int = 8 * 1024 * 1024  # characters in one string (an envelope's ciphertext is one)
    max_items: int = 200_000  # values in the whole document, containers and scalars alike


def _constant(name: str) -> Any:
    raise Unbounded(f"{name} is not a number JSON allows here")


def _integer(text: str) -> int:
    # Checked on the digits, before int() turns a 4 MB number into a 4 MB integer.
    if len(text.lstrip("-")) > 16 or abs(value := int(text)) > MAX_SAFE_INTEGER:
        raise Unbounded(f"integer {text[:24]}{'…' if len(text) > 24 else ''} is beyond ±2^53")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Unbounded(f"number {text[:24]} is not finite")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise Unbounded(f"key {key[:64]!r} appears twice in one object")
            seen.add(key)
    return out


def loads(raw: bytes | str, limits: Limits = Limits()) -> Any:
    """Parse `raw` as JSON within `limits`, or raise Unbounded saying what is wrong."""
    if len(raw) > limits.max_bytes:
        raise Unbounded(f"larger than {limits.max_bytes} bytes")
    try:
        value = json.loads(
            raw,
            parse_constant=_constant,
            parse_int=_integer,
            parse_float=_float,
            object_pairs_hook=_object,
        )
    except RecursionError as exc:
        raise Unbounded(f"nested deeper than {limits.max_depth} levels") from exc
    except Unbounded:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unbounded(f"not JSON: {str(exc)[:200]}") from exc
    check(value, limits)
    return value


def _text(value: str) -> None:
    if "\x00" in value:
        raise Unbounded("text with a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Unbounded("text that is not Unicode (a lone surrogate)") from exc


def check(value: Any, limits: Limits = Limits()) -> None:
    """Walk a parsed value (without recursion) and refuse it beyond the depth, string and item limits."""
    items = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        items += 1
        if items > limits.max_items:
            raise Unbounded(f"more than {limits.max_items} values")
        if isinstance(node, dict):
            if depth > limits.max_depth:
                raise Unbounded(f"nested deeper than {limits.max_depth} levels")
            for key, child in node.items():
                if len(key) > limits.max_string:
                    raise Unbounded(f"a key longer than {limits.max_string} characters")
                _text(key)
                stack.append((child, depth + 1))
        elif isinstance(node, list):
            if depth > limits.max_depth:
                raise Unbounded(f"nested deeper than {limits.max_depth} levels")
            stack.extend((child, depth + 1) for child in node)
        elif isinstance(node, str):
            if len(node) > limits.max_string:
                raise Unbounded(f"a string longer than {limits.max_string} characters")
            _text(node)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if abs(node) > MAX_SAFE_INTEGER:
                raise Unbounded("an integer beyond ±2^53")
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise Unbounded("a number that is not finite")
        else:
            raise Unbounded(f"a {type(node).__name__} is not a JSON value")
