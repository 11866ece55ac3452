"""Who screens: a bureau's officers, its national agencies' users and its national systems
(border and customs systems with a token); at the hub, GS staff."""

from __future__ import annotations

from typing import Any

from ncbnet.base.policies import Policy


def screens(user: Any) -> bool:
    return user.kind in ("ncb", "agency", "system", "gs")


SCREEN = Policy("screening", screens)
