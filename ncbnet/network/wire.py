"""Typed, bounded shapes for what crosses the network: the envelope's header and the bodies each
app declares for its envelope types (`handlers.register(kind, Body)`).

A body is validated before its handler runs; what does not fit (a missing or unknown field, a
string where an object belongs, a string longer than its field, a number where text belongs) is
refused with the field at fault, and the envelope is quarantined. Types are strict: `"3"` is not
an integer and `1` is not true. Identifiers and times arrive as text and are parsed here, once.
"""

from __future__ import annotations

import functools
import uuid
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from ncbnet.config import member_codes

__all__ = [
    "CHOICE",
    "Body",
    "Count",
    "Country",
    "Id",
    "Json",
    "Node",
    "Sha256",
    "Stamp",
    "Text16",
    "Text150",
    "Text300",
    "Text500",
    "Text2000",
    "ValidationError",
    "problems",
]


@functools.cache
def _members() -> frozenset[str]:
    return member_codes()


def _node(value: str) -> str:
    if value != "hub" and value not in _members():
        raise ValueError("not a node: 'hub' or a member country's ISO 3166-1 alpha-2 code")
    return value


def _country(value: str) -> str:
    if value not in _members():
        raise ValueError("not a member country's ISO 3166-1 alpha-2 code")
    return value


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be text")
    if len(value) > 64:
        raise ValueError("longer than an identifier or a time can be")
    return value


# A node of the network: "hub" or a member country's code.
Node = Annotated[str, StringConstraints(max_length=3), AfterValidator(_node)]
# A member country's code (the countries a record is restricted to, a diffusion's recipients).
Country = Annotated[str, StringConstraints(max_length=2), AfterValidator(_country)]
# A UUID, written as text (UUIDv7 for everything the network carries).
Id = Annotated[uuid.UUID, Field(strict=False), BeforeValidator(_text_only)]
# A time with its zone, written as ISO 8601 text.
Stamp = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_text_only)]
# On a field whose type is one of a model's TextChoices: its value, written as text, is taken.
CHOICE = Field(strict=False)
# Any JSON value: free-form data (a record's fields, a notice's data) that its app validates
# itself; the envelope's parse limits (size, depth, numbers) already hold for it.
Json = Any


# Text of at most so many characters (the column it is kept in, or the sender's own limit).
Text16 = Annotated[str, StringConstraints(max_length=16)]
Text150 = Annotated[str, StringConstraints(max_length=150)]
Text300 = Annotated[str, StringConstraints(max_length=300)]
Text500 = Annotated[str, StringConstraints(max_length=500)]
Text2000 = Annotated[str, StringConstraints(max_length=2000)]
Text4000 = Annotated[str, StringConstraints(max_length=4000)]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
# A count or an index: a whole number from 0 to 2^53.
Count = Annotated[int, Field(ge=0, le=2**53 - 1)]


class Body(BaseModel):
    """The base of every envelope body: strict types, no unknown fields, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def problems(exc: ValidationError, limit: int = 5) -> str:
    """A validation failure in one line: the fields at fault and why (for the quarantine's reason)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
