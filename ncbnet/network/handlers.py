"""Envelope types and the apps that handle them. `network` knows nothing of messages or notices.

Each app registers a handler for each envelope type it receives, with the body's schema
(`register(kind, Body)`): the body is validated against it before the handler runs, and a handler
without one does not register. A handler runs inside the transaction that records the envelope as
received, so the application sees each envelope exactly once; anything it raises quarantines the
envelope (see `delivery.accept`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ncbnet.base.node import HUB, role

from .envelope import Rejected
from .wire import Body


@dataclass(frozen=True)
class Arrived:
    """The checked header of an envelope that arrived: who sent it, to whom, when, what."""

    id: str
    type: str
    sender: str  # "hub" or a country code: the node whose key signed the envelope
    to: tuple[str, ...]
    created_at: datetime
    key_id: str


B = TypeVar("B", bound=Body)
Handler = Callable[[Arrived, Any], None]


@dataclass(frozen=True)
class Registration:
    kind: str
    body: type[Body]
    handle: Handler
    # The route, where the type has one, each as the reason an envelope off it is refused with:
    to_hub: str | None = None  # only the hub takes it: a bureau refuses it at its entrance
    from_bureau: str | None = None  # only a bureau sends it: one from the hub is refused

    def admit(self, envelope: Arrived) -> None:
        """The route this envelope type declared, checked at the entrance before its handler runs."""
        if self.to_hub is not None and role().bureau:
            raise Rejected(self.to_hub)
        if self.from_bureau is not None and envelope.sender == HUB:
            raise Rejected(self.from_bureau)


_handlers: dict[str, Registration] = {}


def register(
    kind: str, body: type[B], *, to_hub: str | None = None, from_bureau: str | None = None
) -> Callable[[Callable[[Arrived, B], None]], Callable[[Arrived, B], None]]:
    """Declare the handler of an envelope type, the schema of its body and, where it has one, its
    route: `to_hub` (only the hub takes it) and `from_bureau` (the hub never sends it), each given
    as the reason an envelope off the route is refused (and quarantined) with."""
    if not (isinstance(body, type) and issubclass(body, Body)):
        raise TypeError(f"envelope type {kind!r} needs a body schema (a subclass of wire.Body)")

    def decorate(fn: Callable[[Arrived, B], None]) -> Callable[[Arrived, B], None]:
        known = _handlers.get(kind)
        if known is not None and known.handle is not fn:
            raise ValueError(f"envelope type {kind!r} already has a handler")
        _handlers[kind] = Registration(kind, body, fn, to_hub=to_hub, from_bureau=from_bureau)
        return fn

    return decorate


def handler_for(kind: str) -> Registration | None:
    return _handlers.get(kind)


def kinds() -> list[str]:
    """Every envelope type some app handles."""
    return sorted(_handlers)


def require_hub(envelope: Arrived, what: str) -> None:
    """Refuse an envelope of a kind that only the hub sends (the key directory, replica changes,
    answers to this node's requests)."""
    if envelope.sender != "hub":
        raise Rejected(f"{what} come only from the hub")


# Periodic jobs the worker runs on its node's clock: (name, seconds between runs, function).
_periodic: list[tuple[str, float, Callable[[], object]]] = []


def every(seconds: float, name: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register a job for `ncbnet network run` (for instance the notices' periodic review)."""

    def decorate(fn: Callable[[], object]) -> Callable[[], object]:
        if all(n != name for n, _s, _f in _periodic):
            _periodic.append((name, seconds, fn))
        return fn

    return decorate


def periodic() -> list[tuple[str, float, Callable[[], object]]]:
    return list(_periodic)


# The job that seals the audit chain at the interval `ncbnet network run --seal-every` names: the
# audit app registers it (`sealer`), the worker runs it on its own clock.
_sealer: Callable[[timedelta], object] | None = None


def sealer(fn: Callable[[timedelta], object]) -> Callable[[timedelta], object]:
    """Register the function that seals (and anchors) the chain when `every` has passed."""
    global _sealer
    _sealer = fn
    return fn


def seal_job() -> Callable[[timedelta], object] | None:
    return _sealer
