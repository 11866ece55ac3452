"""Who sees hit reports and who answers them."""

from __future__ import annotations

from typing import Any

from ncbnet.base.policies import Policy


def reads_hits(user: Any) -> bool:
    return user.kind in ("ncb", "agency", "system", "gs")


def screening_bureau(user: Any) -> str:
    """The bureau a user screens for, as a hit report names it: its country, or the GS."""
    return "GS" if user.kind == "gs" else str(user.country_code)


def sees(user: Any, report: Any, here: str) -> bool:
    """NCB staff see every report their node keeps, the GS every report at the hub; a national
    agency's user or system sees the reports of its own screenings: found on this node (`here`),
    by its bureau, under its username. A username alone is not an identity across bureaus: the
    owner's node also keeps the reports other bureaus' officers wrote."""
    if user.kind in ("ncb", "gs"):
        return True
    return bool(
        report.found_by_node == here
        and report.found_by == screening_bureau(user)
        and report.officer == user.get_username()
    )


def answers_hits(user: Any) -> bool:
    """The owner's answer is given by its bureau's officers and head."""
    return user.kind == "ncb" and user.role in ("officer", "head")


READ_HITS = Policy("hits-read", reads_hits)
ANSWER_HITS = Policy("hits-answer", answers_hits)
