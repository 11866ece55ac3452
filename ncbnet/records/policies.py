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


def submits_for_approval(user: Any) -> bool:
    """A national agency's user with contribute access submits records for their NCB to approve."""
    return user.kind == "agency" and user.role == "contribute"


def submits_records(user: Any) -> bool:
    return contributes(user) or submits_for_approval(user)


def approves_contributions(user: Any) -> bool:
    """The NCB's staff approve or return what its agencies' users submit; the NCB answers for it."""
    return user.kind == "ncb"


CONTRIBUTE = Policy("records-contribute", contributes)
SUBMIT_RECORDS = Policy("records-submit", submits_records)
SUBMIT_FOR_APPROVAL = Policy("records-submit-for-approval", submits_for_approval)
APPROVE_CONTRIBUTIONS = Policy("records-approve-contributions", approves_contributions)


def reads_pending_contributions(user: Any) -> bool:
    return submits_for_approval(user) or approves_contributions(user)


PENDING_CONTRIBUTIONS = Policy("records-pending-contributions", reads_pending_contributions)
READ_REPLICA = Policy("records-replica", reads_replica)


def reads_records(user: Any) -> bool:
    """National users read their replica; GS staff read the databases at the hub."""
    return user.kind in ("ncb", "agency", "gs")


READ_RECORDS = Policy("records-read", reads_records)


def exports(user: Any) -> bool:
    """At the hub, GS analysts and network administrators export the databases."""
    return user.kind == "gs" and user.role in ("analyst", "network_admin")


EXPORT = Policy("records-export", exports)


def changes_own_records(user: Any) -> bool:
    """The bureau's officers (and its national systems) edit, restrict, withdraw and extend the
    records their country owns; the hub checks the ownership of each."""
    return user.kind in ("ncb", "system")


CHANGE_OWN = Policy("records-change-own", changes_own_records)


def corrects(user: Any) -> bool:
    """At the hub, the GS's compliance reviewers correct a record, with a written reason."""
    return user.kind == "gs" and user.role == "reviewer"


CORRECT = Policy("records-correct", corrects)


def watches_feeds(user: Any) -> bool:
    """At the hub, the GS's network administrators follow the feeds of bulk writes to the nodes."""
    return user.kind == "gs" and user.role in ("network_admin", "analyst")


WATCH_FEEDS = Policy("records-feeds", watches_feeds)


def watches_snapshots(user: Any) -> bool:
    """Who follows the snapshots by the stream: at the hub, those who follow the feeds (every
    node's snapshot); on a node, its head and its administrator (the node's own)."""
    return watches_feeds(user) or (user.kind == "ncb" and user.role in ("head", "admin"))


WATCH_SNAPSHOTS = Policy("records-snapshots", watches_snapshots)
