"""Who may see and change a record. The owner's restriction decides; the GS sees everything."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ncbnet.base.policies import Policy

from .models import Access


def may_see(
    owner: str, access: str, listed: Collection[str], country: str | None, *, gs: bool = False
) -> bool:
    """Deny by default: only the owner, the GS, and the countries the owner's restriction admits."""
    if gs:
        return True
    if not country:
        return False
    if country == owner or access == Access.ALL:
        return True
    if access == Access.ALLOW:
        return country in listed
    if access == Access.DENY:
        return country not in listed
    return False


def may_change(owner: str, country: str | None, *, gs: bool, reason: str) -> bool:
    """Only the owner changes its record; the GS may, with a written reason."""
    if gs:
        return bool(reason.strip())
    return country == owner


def contributes(user: Any) -> bool:
    """NCB staff and the bureau's national systems contribute; agency users go through their NCB."""
    return user.kind in ("ncb", "system")


def reads_replica(user: Any) -> bool:
    return user.kind in ("ncb", "agency", "system")


CONTRIBUTE = Policy("records-contribute", contributes)
READ_REPLICA = Policy("records-replica", reads_replica)


def reads_records(user: Any) -> bool:
    """National users read their replica; GS staff read the databases at the hub."""
    return user.kind in ("ncb", "agency", "gs")


READ_RECORDS = Policy("records-read", reads_records)


def exports(user: Any) -> bool:
    """At the hub, GS analysts and network administrators export the databases."""
    return user.kind == "gs" and user.role in ("analyst", "network_admin")


EXPORT = Policy("records-export", exports)


def watches_feeds(user: Any) -> bool:
    """At the hub, the GS's network administrators follow the feeds of bulk writes to the nodes."""
    return user.kind == "gs" and user.role in ("network_admin", "analyst")


WATCH_FEEDS = Policy("records-feeds", watches_feeds)
