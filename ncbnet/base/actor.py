"""Who acts, in the two shapes the services take it.

- `Person`: a signed-in account (a person or a system account) as the services read it. The
  `core.User` model is one; the base layer names only what the services use of it.
- `Actor`: who acts for a bureau: an NCB (by its country) or the GS, the name of the person or
  system that did it, and the signed-in account when there is one. What reaches a node from
  another bureau over the network has no account here: its actor is the bureau and the name the
  envelope gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class Person(Protocol):
    """A signed-in account, as the services read it (`core.models.User`)."""

    @property
    def pk(self) -> Any: ...

    @property
    def kind(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def ncb_id(self) -> int | None: ...

    @property
    def agency_id(self) -> int | None: ...

    @property
    def country_code(self) -> str | None: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    def get_username(self) -> str: ...

    def get_full_name(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    """Who acts: an NCB (by country) or the GS, the person or system that did it, and the signed-in
    account if any (None for a bureau acting over the network, or the system)."""

    name: str
    country: str | None = None
    gs: bool = False
    user: Person | None = None

    @property
    def where(self) -> str:
        return "GS" if self.gs else str(self.country)

    @classmethod
    def of(cls, user: Person) -> Actor:
        """The signed-in account as an actor: its bureau's country, or the GS."""
        return cls(user.get_username(), user.country_code, gs=user.kind == "gs", user=user)
