"""Who reads and who reviews notices."""

from __future__ import annotations

from typing import Any

from ncbnet.base.policies import Policy


def reads_notices(user: Any) -> bool:
    return user.kind in ("ncb", "agency", "gs")


def reviews_notices(user: Any) -> bool:
    return user.kind == "gs" and user.role == "reviewer"


READ_NOTICES = Policy("notices-read", reads_notices)
REVIEW = Policy("notices-review", reviews_notices)
