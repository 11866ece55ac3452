"""The one clock that deadlines, retention, sessions and second factors run on.

Tests move time with `clock.travel(...)` instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Move the clock forward (or back) by `delta` for the duration of the block."""
    global _offset
    before = _offset
    _offset = _offset + delta
    try:
        yield
    finally:
        _offset = before


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Stop the clock at `at` (timezone-aware) for the duration of the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("the clock only takes timezone-aware datetimes")
    before = _frozen
    _frozen = at
    try:
        yield
    finally:
        _frozen = before
