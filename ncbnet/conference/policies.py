"""Who may do what at the conference. Deny by default: each page and API route names one of these.

- the conference secretariat (GS, at the hub) publishes the conference and its agenda, documents
  and minutes, checks credentials, moves resolutions and polls, and tracks the actions;
- a bureau's head registers the delegation, submits resolutions and votes (on the bureau's node);
- a bureau's staff and the GS's staff read the conference."""

from __future__ import annotations

from typing import Any

from ncbnet.base.node import role
from ncbnet.base.policies import Policy


def is_secretariat(user: Any) -> bool:
    return user.kind == "gs" and user.role == "conference" and not role().bureau


def is_head(user: Any) -> bool:
    """The head of an NCB, on the bureau's own node."""
    return user.kind == "ncb" and user.role == "head" and bool(user.country_code) and role().bureau


def reads_conference(user: Any) -> bool:
    return (user.kind == "ncb" and bool(user.country_code)) or (user.kind == "gs" and not role().bureau)


SECRETARIAT = Policy("conference-secretariat", is_secretariat)
HEAD = Policy("conference-head", is_head)
READ = Policy("conference-read", reads_conference)
