"""Figures kept as they happen. An app counts its events with `count` (or `count_all` for a bulk
write) inside the transaction that makes them; whoever listens to `counted` (the analytics app's
daily rollups) adds them in that same transaction, so a figure and the event it counts commit or
roll back together and a dashboard never has to scan the tables the events live in. `base` knows
no listener: with none connected, counting costs a function call.

Every count names an event (`EVENTS`) and the values it is counted by. An empty string means the
value does not apply to that event (a search has no crime category); it is a value like any
other, so figures can be summed over it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypedDict

from django.dispatch import Signal

# The events figures count, and what each is counted by. Apps count only these: a new one is added
# here first, with the rebuild that recounts it from the base data (analytics.rebuild).
EVENTS: dict[str, str] = {
    # a record written to a global database; country: its owner; database; iccs
    "record.contributed": "a record contributed to a global database",
    # a record withdrawn by its owner; country: its owner; database; iccs
    "record.withdrawn": "a record withdrawn by its owner",
    # a notice or diffusion submitted for review; country: the requesting bureau; kind; iccs
    "notice.submitted": "a notice submitted to the GS for review",
    # a review's decision, or a notice's end; outcome: published, refused, cancelled, expired;
    # seconds and late (for published and refused): from submission to decision against 24 hours
    "notice.decided": "a notice published, refused, cancelled or expired",
    # a screening (one name, document or vehicle searched, or one manifest row); country: the
    # bureau that screened, or GS; database: what was searched; outcome: hit or miss
    "screening.searched": "a search of the global databases",
    # at the hub: a day's searches a bureau's node reported of its own (analytics.reported), replaced
    # by its newer report of the day; country: the node; database; kind: how; outcome: hit or miss
    "screening.reported": "searches a bureau's node reported to the hub",
    # a hit reported; country: where it was found; owner: the record's owner; database; iccs
    "hit.reported": "a hit on a record, reported to its owner",
    # the owner's answer; outcome: confirmed, denied, more-time; seconds from the report, late
    # when past its deadline (10 minutes urgent, 1 hour otherwise)
    "hit.answered": "a hit answered by the record's owner",
    # a cooperation request sent; country: the requesting bureau; owner: the requested one; kind;
    # iccs (as the request's end is counted too)
    "request.sent": "a cooperation request sent to another bureau",
    # a request's end; outcome: answered, refused, withdrawn; seconds from sending, late
    "request.closed": "a cooperation request answered, refused or withdrawn",
    # an operation's result; country: the bureau reporting it; kind: the result's kind; iccs
    "operation.result": "a result of a joint operation (an arrest, a seizure, a located person)",
}

# sender=None, counts=list[Count]: connected receivers write them in the caller's transaction.
counted = Signal()

# The counts gathered by the innermost `gathered` block of this thread, if any.
_gathering = threading.local()


class Values(TypedDict, total=False):
    """Some of the values a count is counted by, as an app gathers them from its row for several
    of its events (`Count(event, day, **values)`)."""

    country: str
    owner: str
    database: str
    kind: str
    iccs: str
    restricted: bool


@dataclass(frozen=True)
class Count:
    event: str
    day: date  # the UTC day the event happened
    country: str = ""  # where it happened: the acting bureau's country code, or "GS"
    owner: str = ""  # whose data it concerns: the record's or the requested bureau's country
    database: str = ""
    kind: str = ""
    iccs: str = ""
    outcome: str = ""
    # the event concerns data not every member country may see (a record listed for some countries
    # only, a diffusion to some bureaus): it counts in the owner's and the GS's own figures, never
    # in the figures the GS publishes to every bureau
    restricted: bool = False
    n: int = 1
    seconds: float = 0.0  # summed durations of the n events (review time, time to answer)
    late: int = 0  # of the n, how many missed their deadline
    key: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            raise ValueError(f"{self.event!r} is not an event figures count (base.tally.EVENTS)")
        if self.n < 0 or self.late < 0 or self.late > self.n or self.seconds < 0:
            raise ValueError("a count is never negative, and no more are late than happened")
        values = (self.country, self.owner, self.database, self.kind, self.iccs, self.outcome)
        object.__setattr__(self, "key", (self.event, self.day.isoformat(), *values, str(self.restricted)))


def day_of(at: datetime) -> date:
    """The UTC day of an aware time: figures are kept by UTC day everywhere."""
    if at.tzinfo is None:
        raise ValueError("figures count aware times only")
    return at.astimezone(UTC).date()


def count(event: str, at: datetime, **values: str | int | float) -> None:
    """Count one event (or `n` alike) that happened at `at`, in the caller's transaction."""
    count_all([Count(event, day_of(at), **values)])  # type: ignore[arg-type]


@contextlib.contextmanager
def gathered() -> Iterator[None]:
    """Hold the counts made inside the block and count them all at once on leaving it (one upsert
    of the rollups), so that a search that finds a hit writes its figures in one statement rather
    than one for the search and one for each report. Use it inside the events' transaction: a
    block left by an exception counts nothing (the transaction rolls back anyway). Blocks nest:
    an inner block's counts go to the outer one."""
    outer: list[Count] | None = getattr(_gathering, "counts", None)
    mine: list[Count] = []
    _gathering.counts = mine
    try:
        yield
    finally:
        _gathering.counts = outer
    if outer is not None:
        outer.extend(mine)
    else:
        count_all(mine)


def count_all(counts: Iterable[Count]) -> None:
    """Count many at once (a bulk write's): alike counts are summed before anyone hears of them.
    Inside a `gathered` block they wait for the block's end."""
    held: list[Count] | None = getattr(_gathering, "counts", None)
    if held is not None:
        held.extend(counts)
        return
    together = merged(counts)
    if together:
        counted.send(sender=None, counts=together)


def merged(counts: Iterable[Count]) -> list[Count]:
    """The counts with alike ones (same event, day and values) summed into one."""
    out: dict[tuple[str, ...], Count] = {}
    for c in counts:
        seen = out.get(c.key)
        out[c.key] = (
            c
            if seen is None
            else Count(
                c.event,
                c.day,
                c.country,
                c.owner,
                c.database,
                c.kind,
                c.iccs,
                c.outcome,
                c.restricted,
                n=seen.n + c.n,
                seconds=seen.seconds + c.seconds,
                late=seen.late + c.late,
            )
        )
    return list(out.values())
