"""Envelope types and the apps that handle them. `network` knows nothing of messages or notices.

A handler runs inside the transaction that records the envelope as received, so the application
sees each envelope exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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
