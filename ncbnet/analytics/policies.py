"""Who may read what of the analytics."""

from __future__ import annotations

from typing import Any

from ncbnet.base.policies import Policy


def reads_categories(user: Any) -> bool:
    """The crime categories are the classification's, nobody's data: every bureau, agency,
    national system and the GS choose from them."""
    return user.kind in ("ncb", "agency", "system", "gs")


READ_CATEGORIES = Policy("analytics-categories", reads_categories)
