"""Ballots signed by each bureau's node key, and the tally every bureau recomputes from them.

A ballot is a statement — conference, poll, country, choice, nonce (the ballot's id) and the time
it was cast — serialised canonically (RFC 8785, `base.crypto.canonical`) and signed with the
bureau's node key (Ed25519, the key the network already signs its envelopes with). The hub checks
the signature against the country's key in the key directory before it counts a ballot, and
publishes the result with every counted ballot; any node checks each published ballot against its
own copy of the directory and recomputes the tally (`verify_published`, `ncbnet conference
verify-tally`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ncbnet.base import crypto
from ncbnet.base.node import keys

from . import tally

PURPOSE = "ncbnet.conference.ballot/1"
FIELDS = ("conference", "poll", "country", "choice", "nonce", "cast_at")


def statement(
    conference: str, poll: str, country: str, choice: str, nonce: str, cast_at: str
) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "conference": conference,
        "poll": poll,
        "country": country,
        "choice": choice,
        "nonce": nonce,
        "cast_at": cast_at,
    }


def stamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def sign(conference: str, poll: str, country: str, choice: str, nonce: str, cast_at: str) -> dict[str, str]:
    """This node's signed ballot: its statement's fields, the key id and the signature."""
    fields = statement(conference, poll, country, choice, nonce, cast_at)
    kid, signature = keys().sign(crypto.canonical(fields))
    return {k: fields[k] for k in FIELDS} | {"key_id": kid, "signature": signature}


class KeyLookup:
    """A country's signing key by id: the node's copy of the key directory (revoked keys verify
    nothing; a retired key verifies what was cast before it was retired)."""

    def __call__(self, country: str, key_id: str, cast_at: datetime) -> str | None:
        from ncbnet.network.models import NodeKey

        k = NodeKey.objects.filter(node=country, key_id=key_id).first()
        if k is None or k.status == NodeKey.Status.REVOKED:
            return None
        if k.status == NodeKey.Status.RETIRED and k.retired_at is not None and cast_at >= k.retired_at:
            return None
        return k.signing_public


def signature_error(ballot: Mapping[str, Any], signing_key: str | None) -> str | None:
    """Why a signed ballot does not verify, or None."""
    if signing_key is None:
        kid, country = ballot.get("key_id"), ballot.get("country")
        return f"the key {kid!r} is not a valid key of {country} in the key directory"
    try:
        fields = statement(*(str(ballot[k]) for k in FIELDS))
    except KeyError as missing:
        return f"the ballot has no {missing.args[0]}"
    if not crypto.verify(signing_key, str(ballot.get("signature", "")), crypto.canonical(fields)):
        return "its signature does not verify against the country's key"
    return None


@dataclass(frozen=True)
class Verified:
    ok: bool
    problems: list[str]
    recomputed: tally.Result | None


def verify_published(
    conference: str,
    poll: str,
    entitled: Iterable[str],
    majority: str,
    published: Mapping[str, Any],
    signed: Iterable[Mapping[str, Any]],
    key_of: Any = None,
) -> Verified:
    """Check each published ballot (its poll, its country's key, its signature, one per country)
    and recompute the tally; compare it with the published result."""
    key_of = key_of or KeyLookup()
    problems: list[str] = []
    votes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, b in enumerate(signed):
        who = f"ballot {i + 1} ({b.get('country', '?')}, nonce {b.get('nonce', '?')})"
        if b.get("poll") != poll or b.get("conference") != conference:
            problems.append(f"{who}: it is not a ballot of this poll")
            continue
        if b.get("country") in seen:
            problems.append(f"{who}: a second ballot of the same country")
            continue
        try:
            cast_at = datetime.fromisoformat(str(b.get("cast_at")))
        except ValueError:
            problems.append(f"{who}: its time is not an ISO 8601 time")
            continue
        error = signature_error(b, key_of(str(b.get("country")), str(b.get("key_id")), cast_at))
        if error is not None:
            problems.append(f"{who}: {error}")
            continue
        seen.add(str(b["country"]))
        votes.append((str(b["country"]), str(b["choice"])))
    try:
        result = tally.count(entitled, votes, majority)
    except ValueError as bad:
        return Verified(False, [*problems, str(bad)], None)
    if not problems and result.as_dict() != dict(published):
        problems.append(
            f"the published tally {dict(published)} differs from the recomputed one {result.as_dict()}"
        )
    return Verified(not problems, problems, result)
