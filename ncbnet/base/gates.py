"""Gates on the network's services: checks other apps register (training registers that a user's
role requires courses they hold a valid certificate for) and the services call before they act.

`base` imports no app: a service calls `gates.check(actor, "screening")`, and every registered check
may refuse with a message that says what to do (the 403 page and the API's problem details show
it). With no check registered, or none refusing, the service goes on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied

# The services a gate guards: international searches and messages.
SCREENING = "screening"
MESSAGING = "messaging"
SERVICES = (SCREENING, MESSAGING)

Check = Callable[[Any, str], str | None]  # (the acting account, the service) -> why refused, or None

_checks: dict[str, Check] = {}


class GateRefused(PermissionDenied):
    """A gate refused the service; the message says why and what to do."""


def register(name: str) -> Callable[[Check], Check]:
    """Register a gate check under `name` (registering the same name again replaces it)."""

    def decorate(fn: Check) -> Check:
        _checks[name] = fn
        return fn

    return decorate


def check(actor: Any, service: str) -> None:
    """Raise GateRefused when a registered check refuses `actor` the `service`."""
    if service not in SERVICES:
        raise ValueError(f"not a gated service: {service!r}")
    for fn in list(_checks.values()):
        why = fn(actor, service)
        if why:
            raise GateRefused(why)
