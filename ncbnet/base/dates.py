"""Calendar arithmetic the apps share."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_years(at: datetime, years: int) -> datetime:
    """The same day `years` later (28 February for a 29 February that does not come again)."""
    try:
        return at.replace(year=at.year + years)
    except ValueError:
        return at.replace(year=at.year + years, day=28)


def add_months(at: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when it has no such day (31 January
    and one month: 28 or 29 February)."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))
