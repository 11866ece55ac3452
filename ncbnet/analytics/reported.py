"""A node's searches reach the GS's figures.

Searches happen on each bureau's node, against its replica, and are counted there
(`DailyFigure`, event `screening.searched`); nothing of them reaches the hub otherwise. Every hour
the node sends the hub its own search figures of the last 7 UTC days (`send`), as
`analytics.searches` envelopes: counts by day, database searched, kind of search and outcome, and
nothing else (no name, number or record id ever leaves the node this way). The hub keeps them
(`ReportedDay`, `ReportedFigure`), a day's figures replaced whole by the node's newer report, so a
report sent again changes nothing and a missed hour heals with the next.

The country of the figures is the sender's identity (the node whose key signed the envelope),
never anything in the body: a node cannot write another country's figures. The reports kept are
also counted in the hub's figures as their own event (`screening.reported`, changed by what each
newer report changes, and recounted from the reports by a rebuild), so the dashboards read them
as they read the searches made at the hub, a year as a year's rows rather than 365 days of every
node's.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from django.db import transaction
from django.db.models import Count, Sum
from pydantic import BeforeValidator, Field

from ncbnet.base import clock, tally
from ncbnet.base.node import node_id, role
from ncbnet.config import member_codes
from ncbnet.network import delivery, wire
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, every, register

from . import rollups
from .models import DailyFigure, ReportedDay, ReportedFigure

KIND = "analytics.searches"
SEARCHED = "screening.searched"
REPORTED = "screening.reported"  # the figures' event of what the nodes reported
GS = "GS"

# What a search is counted by (the event contract of base.tally): the hub refuses anything else.
DATABASES = ("persons", "documents", "vehicles", "firearms", "artworks", "notices")
KINDS = ("name", "document", "mrz", "vehicle", "firearm", "artwork", "batch", "manifest")
OUTCOMES = ("hit", "miss")

EVERY = 3600  # seconds between a node's reports
DAYS = 7  # the days each report covers, today included: a node down for less heals by itself
ROWS_PER_ENVELOPE = 1000  # a day has at most 6 x 8 x 2 = 96 figures, so 7 days fit one envelope
MAX_N = 10**9  # searches of one kind in one database on one day by one country: far above any real one
SKEW = timedelta(days=1)  # a day ahead of the hub's is a node's clock running ahead, no further
WINDOW = timedelta(days=400)  # older days are not reported any more

log = logging.getLogger("ncbnet.analytics")


def _day(value: Any) -> date:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("a day is written YYYY-MM-DD")
    return date.fromisoformat(value)


Day = Annotated[date, BeforeValidator(_day)]


class SearchFigure(wire.Body):
    """How many searches of one kind in one database had one outcome on one day."""

    day: Day
    database: Literal["persons", "documents", "vehicles", "firearms", "artworks", "notices"]
    kind: Literal["name", "document", "mrz", "vehicle", "firearm", "artwork", "batch", "manifest"]
    outcome: Literal["hit", "miss"]
    n: Annotated[int, Field(ge=1, le=MAX_N)]


class SearchesBody(wire.Body):
    """A node's search figures for `days` (each day's replaced whole at the hub: a day without a
    figure had no search). The node is the sender; the body names no country."""

    days: Annotated[list[Day], Field(min_length=1, max_length=DAYS)]
    figures: Annotated[list[SearchFigure], Field(max_length=ROWS_PER_ENVELOPE)]


# --- on an NCB node -----------------------------------------------------------------------------


def today() -> date:
    return clock.now().astimezone(UTC).date()


def envelopes(
    days: Sequence[date], figures: Iterable[dict[str, Any]], limit: int = ROWS_PER_ENVELOPE
) -> list[dict[str, Any]]:
    """The bodies that carry `figures` for `days`: whole days only (a day split over two envelopes
    would have its first half replaced by its second), as few bodies as `limit` figures each allow."""
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for f in figures:
        by_day[f["day"]].append(f)
    bodies: list[dict[str, Any]] = []
    current_days: list[date] = []
    current: list[dict[str, Any]] = []
    for day in sorted(days):
        rows = sorted(by_day.get(day, []), key=lambda f: (f["database"], f["kind"], f["outcome"]))
        if len(rows) > limit:
            raise ValueError(f"{len(rows)} figures on {day}: more than one envelope carries ({limit})")
        if current_days and (len(current) + len(rows) > limit or len(current_days) == DAYS):
            bodies.append(_body(current_days, current))
            current_days, current = [], []
        current_days.append(day)
        current += rows
    if current_days:
        bodies.append(_body(current_days, current))
    return bodies


def _body(days: list[date], figures: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "days": [d.isoformat() for d in days],
        "figures": [
            {
                "day": f["day"].isoformat(),
                "database": f["database"],
                "kind": f["kind"],
                "outcome": f["outcome"],
                "n": int(f["n"]),
            }
            for f in figures
        ],
    }


def own_figures(days: Sequence[date]) -> list[dict[str, Any]]:
    """This node's own search figures on `days`, summed by day, database, kind and outcome: only
    what the event contract names (anything else is left out, and said in the log)."""
    rows = (
        DailyFigure.objects.filter(
            event=SEARCHED, rolled="", country=node_id(), restricted=False, day__in=list(days)
        )
        .values("day", "database", "kind", "outcome")
        .annotate(n=Sum("n"))
        .order_by("day", "database", "kind", "outcome")
    )
    kept, left = [], 0
    for row in rows:
        if not row["n"]:
            continue
        known = row["database"] in DATABASES and row["kind"] in KINDS and row["outcome"] in OUTCOMES
        if known and row["n"] <= MAX_N:
            kept.append(row)
        else:
            left += 1
    if left:
        log.warning("%s search figures are outside the event contract and are not reported to the hub", left)
    return kept


@every(EVERY, "analytics.searches")
def send() -> int | None:
    """Node: send the hub this node's search figures of the last `DAYS` days. Returns how many
    figures went (None on the hub, or on a node not yet on the network)."""
    if not role().bureau:
        return None
    try:
        delivery.active_keys(["hub"])
    except delivery.NotOnNetwork:
        log.info("no hub key yet: search figures stay on this node until the hub is known")
        return None
    last = today()
    days = [last - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    figures = own_figures(days)
    with transaction.atomic():
        for body in envelopes(days, figures):
            delivery.queue(KIND, ["hub"], body)
    return len(figures)


# --- at the hub ---------------------------------------------------------------------------------


@register(
    KIND,
    SearchesBody,
    to_hub="search figures go from a node to the hub",
    from_bureau="search figures come from an NCB's node",
)
def searches_arrived(envelope: Arrived, body: SearchesBody) -> None:
    """Hub: keep a node's search figures, each day's replacing that node's earlier report of the
    day (never an older report over a newer one, never another node's figures)."""
    node = envelope.sender
    if node not in member_codes():
        raise Rejected("search figures come from a member country's node")
    days = body.days
    if len(set(days)) != len(days):
        raise Rejected("a day is named twice")
    last = today()
    for day in days:
        if day > last + SKEW:
            raise Rejected(f"{day} is in the future")
        if day < last - WINDOW:
            raise Rejected(f"{day} is older than {WINDOW.days} days")
    named = set(days)
    seen: set[tuple[date, str, str, str]] = set()
    for f in body.figures:
        if f.day not in named:
            raise Rejected(f"a figure of {f.day}, a day the report does not name")
        key = (f.day, f.database, f.kind, f.outcome)
        if key in seen:
            raise Rejected(f"the figure {f.day} {f.database}/{f.kind}/{f.outcome} is given twice")
        seen.add(key)
    kept = dict(
        ReportedDay.objects.select_for_update().filter(node=node, day__in=days).values_list("day", "as_of")
    )
    newer = [d for d in days if d not in kept or kept[d] < envelope.created_at]
    if not newer:
        return  # an older report than the one kept, for every day: nothing to change
    keep(node, newer, [f for f in body.figures if f.day in newer], envelope.created_at, envelope.id)


def keep(
    node: str, days: Sequence[date], figures: Sequence[SearchFigure], as_of: datetime, envelope: str
) -> None:
    """Hub, inside the caller's transaction: a node's report of `days` kept, replacing what was
    kept of those days (the caller checked it is newer), and counted in the figures as the event
    the dashboards read, changed by what the report changed."""
    replaced = ReportedFigure.objects.filter(node=node, day__in=days)
    removed = [_counted(f) for f in replaced]
    replaced.delete()
    made = ReportedFigure.objects.bulk_create(
        [
            ReportedFigure(node=node, day=f.day, database=f.database, kind=f.kind, outcome=f.outcome, n=f.n)
            for f in figures
        ],
        batch_size=500,
    )
    rollups.change([_counted(f) for f in made], removed)
    now = clock.now()
    for day in days:
        ReportedDay.objects.update_or_create(
            node=node, day=day, defaults={"received": now, "as_of": as_of, "envelope": envelope}
        )


def _counted(f: ReportedFigure) -> tally.Count:
    return tally.Count(
        REPORTED, f.day, country=f.node, database=f.database, kind=f.kind, outcome=f.outcome, n=f.n
    )


def recount(start: datetime, end: datetime) -> Iterator[tally.Count]:
    """The counts of the searches the nodes reported for the days from `start` to `end` (excluded),
    as the reports kept hold them (the rebuild's: they are the base data of this event)."""
    days = ReportedFigure.objects.filter(day__gte=start.date(), day__lt=end.date())
    for f in days.iterator(chunk_size=2000):
        yield _counted(f)


@dataclass(frozen=True)
class Searches:
    """Searches by day, country (a member country's code, or "GS"), database, kind and outcome."""

    day: date
    country: str
    database: str
    kind: str
    outcome: str
    n: int


def searches(from_day: date, to_day: date, countries: Iterable[str] | None = None) -> list[Searches]:
    """Hub: the network's searches from `from_day` to `to_day` (both included), as the nodes
    reported them, and the GS's own from the hub's figures; for `countries` only when given
    (a country code, or "GS")."""
    wanted = None if countries is None else set(countries)
    reported = ReportedFigure.objects.filter(day__gte=from_day, day__lte=to_day)
    if wanted is not None:
        reported = reported.filter(node__in=wanted - {GS})
    rows = [
        Searches(r["day"], r["node"], r["database"], r["kind"], r["outcome"], int(r["total"]))
        for r in reported.values("day", "node", "database", "kind", "outcome").annotate(total=Sum("n"))
    ]
    if wanted is None or GS in wanted:
        own = DailyFigure.objects.filter(
            event=SEARCHED, rolled="", country=GS, day__gte=from_day, day__lte=to_day
        )
        rows += [
            Searches(r["day"], GS, r["database"], r["kind"], r["outcome"], int(r["total"]))
            for r in own.values("day", "database", "kind", "outcome").annotate(total=Sum("n"))
            if r["total"]
        ]
    return sorted(rows, key=lambda s: (s.day, s.country, s.database, s.kind, s.outcome))


def coverage(from_day: date, to_day: date) -> dict[str, int]:
    """Hub: the countries whose nodes reported their searches for days from `from_day` to `to_day`,
    with how many of those days each reported (a country missing reported none: its searches
    are not in the figures, which is not the same as none)."""
    counted = (
        ReportedDay.objects.filter(day__gte=from_day, day__lte=to_day)
        .values("node")
        .annotate(days=Count("day"))
        .order_by("node")
    )
    return {row["node"]: int(row["days"]) for row in counted}
