"""Who uses international messaging: the bureau's staff (NCB or GS) and the national systems
(system accounts) it connects; national agency users go through their NCB."""

from __future__ import annotations

from typing import Any

from ncbnet.security.policies import Policy


def can_message(user: Any) -> bool:
    return user.kind in ("ncb", "gs", "system")


MESSAGING = Policy("messaging", can_message)
