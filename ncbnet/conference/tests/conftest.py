"""A conference at the hub with a resolution in plenary, and ballots as the bureaus' nodes sign
them (with their own keys, from the `peers` fixture: real Ed25519)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from ncbnet.base import clock, crypto
from ncbnet.base.ids import uuid7
from ncbnet.conference import ballots, services
from ncbnet.conference.models import Registration
from ncbnet.conftest import arriving
from ncbnet.network import delivery, envelope
from ncbnet.network.models import OutboxEnvelope

_seq = iter(range(1, 1_000_000))


def accept(
    peers: dict[str, Any], kind: str, body: dict[str, Any], sender: str, signer: str | None = None
) -> str:
    return delivery.accept(arriving(peers, kind, body, sender=sender, signer=signer), next(_seq))


def signed_ballot(
    peers: dict[str, Any], poll: Any, country: str, choice: str, *, signer: str | None = None, **over: Any
) -> dict[str, Any]:
    """A ballot as `country`'s node signs it (`ballots.sign`), with `signer`'s key if a forgery is
    wanted; `over` changes fields after signing (a tampered ballot)."""
    fields = ballots.statement(
        str(poll.resolution.conference_id),
        str(poll.pk),
        country,
        choice,
        str(uuid7()),
        ballots.stamp(clock.now()),
    )
    kid, signature = peers[signer or country].sign(crypto.canonical(fields))
    out = {k: fields[k] for k in ballots.FIELDS} | {"key_id": kid, "signature": signature}
    return out | over


def sent(kind: str, to: str, peers: dict[str, Any]) -> list[dict[str, Any]]:
    """The bodies of the envelopes of `kind` queued to `to`, opened with `to`'s keys."""
    out = []
    for row in OutboxEnvelope.objects.filter(kind=kind).order_by("pk"):
        e = json.loads(bytes(row.payload))
        if to in row.recipients:
            out.append(envelope.open_body(e, to, peers[to]))
    return out


@pytest.fixture
def gs(hub: None, user_factory: Any) -> Any:
    return user_factory("gs", "conference", username="gs-conference")


@pytest.fixture
def conference(gs: Any, peers: dict[str, Any]) -> Any:
    now = clock.now()
    c = services.create_conference(
        gs,
        year=now.year,
        title="Heads of NCB Conference",
        starts=date(now.year, 12, 1),
        ends=date(now.year, 12, 3),
        venue="Lyon",
        languages=["en", "fr", "es", "ar"],
        submission_deadline=now + timedelta(days=7),
    )
    s = services.add_session(
        gs,
        c,
        title="Plenary",
        starts=datetime(now.year, 12, 1, 9, tzinfo=UTC),
        ends=datetime(now.year, 12, 1, 12, tzinfo=UTC),
    )
    services.add_item(gs, s, title="Budget", speakers=["Secretary General"])
    services.add_item(gs, s, title="Rules amendment", majority="two_thirds")
    return c


def credentialed(gs: Any, conference: Any, *countries: str) -> None:
    for country in countries:
        reg = Registration.objects.create(
            conference=conference, country=country, head=f"Head {country}", submitted_by="x"
        )
        services.check_credentials(gs, reg.pk, accept=True)


@pytest.fixture
def in_plenary(gs: Any, conference: Any) -> Any:
    r = services.submit_resolution(
        gs, conference, title="Resolution on training", text="The Conference resolves …"
    )
    services.move_resolution(gs, r.pk, "admit", item=conference.sessions.get().items.get(number=1))
    return services.move_resolution(gs, r.pk, "plenary")


@pytest.fixture
def started(gs: Any, in_plenary: Any) -> Any:
    p = services.create_poll(gs, in_plenary.pk)
    return services.move_poll(gs, p.pk, "start")
