"""Who sees hit reports and who answers them."""

from __future__ import annotations

from typing import Any

from ncbnet.security.policies import Policy


def reads_hits(user: Any) -> bool:
    return user.kind in ("ncb", "agency", "system", "gs")


def sees(user: Any, report: Any) -> bool:
    """NCB staff see every report their node keeps, the GS every report at the hub; a national
    agency's user or system sees the reports of its own screenings."""
    if user.kind in ("ncb", "gs"):
        return True
    return bool(report.officer == user.get_username())


def answers_hits(user: Any) -> bool:
    """The owner's answer is given by its bureau's officers and head."""
    return user.kind == "ncb" and user.role in ("officer", "head")


READ_HITS = Policy("hits-read", reads_hits)
ANSWER_HITS = Policy("hits-answer", answers_hits)
