"""What `ncbnet demo seed` does on a node. Refused in production mode (the demo password and TOTP key
are printed for anyone to read)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from ncbnet.base.node import role

from . import commission, history, network, people, records
from .people import DemoLogin, DemoRefused

__all__ = ["DemoLogin", "DemoRefused", "seed"]


def seed() -> list[DemoLogin]:
    """This node's demo data, if it is missing (idempotent): its agencies and people; at the hub
    the global databases' records and notices in every state; on an NCB node two envelopes in the
    quarantine. Returns the demo logins."""
    if settings.NCBNET_MODE == "production":
        raise DemoRefused("demo data is refused in production mode")
    with transaction.atomic():
        logins = people.seed()
        for step in BY_ROLE[role().name]:
            step()
    return logins


# What each kind of node holds besides its people.
BY_ROLE: dict[str, list[Callable[[], object]]] = {
    "hub": [records.seed, history.seed, commission.seed],
    "ncb": [network.seed],
}
