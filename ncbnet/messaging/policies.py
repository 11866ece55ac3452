"""Who uses international messaging: the bureau's staff (NCB or GS) and the national systems
(system accounts) it connects; national agency users go through their NCB."""

from __future__ import annotations

from typing import Any

from ncbnet.base.policies import Policy, has_scope


def can_message(user: Any) -> bool:
    return user.kind in ("ncb", "gs", "system")


def sees_content(user: Any, message: Any) -> bool:
    """The body, attachments and references of an H2 or H3 message: people, and tokens with the
    `restricted` scope. Everyone who reads messages sees the subject, sender and handling code."""
    return not message.restricted or has_scope(user, "restricted")


def onward_outsiders(message: Any, recipients: set[str], me: str) -> set[str]:
    """Who a reply or forward of `message` would reach beyond its original sender and recipients."""
    return recipients - message.parties - {me}


MESSAGING = Policy("messaging", can_message)
