"""Calendar arithmetic the apps share."""

from __future__ import annotations

from datetime import datetime


def add_years(at: datetime, years: int) -> datetime:
    """The same day `years` later (28 February for a 29 February that does not come again)."""
    try:
        return at.replace(year=at.year + years)
    except ValueError:
        return at.replace(year=at.year + years, day=28)
