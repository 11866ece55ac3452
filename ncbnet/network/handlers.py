"""Envelope types and the apps that handle them. `network` knows nothing of messages or notices.

A handler runs inside the transaction that records the envelope as received, so the application
sees each envelope exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .envelope import Rejected

Handler = Callable[[Mapping[str, Any], dict[str, Any]], None]
_handlers: dict[str, Handler] = {}


def register(kind: str) -> Callable[[Handler], Handler]:
    def decorate(fn: Handler) -> Handler:
        if kind in _handlers and _handlers[kind] is not fn:
            raise ValueError(f"envelope type {kind!r} already has a handler")
        _handlers[kind] = fn
        return fn

    return decorate


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)


def require_hub(envelope: Mapping[str, Any], what: str) -> None:
    """Refuse an envelope of a kind that only the hub sends (the key directory, replica changes,
    answers to this node's requests)."""
    if envelope["from"] != "hub":
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
