"""What a screening hands on: its result, whose hits are `hits.schemas.Hit` (built there only,
`Hit.of`, and reported to their owners by the hits app)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ncbnet.hits.schemas import Hit


@dataclass
class Result:
    """One screening: what was asked, what is wrong with it (a bad check digit), its hits, and
    for a person the possible matches below the threshold (shown, never reported)."""

    query: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    possible: list[Hit] = field(default_factory=list)
