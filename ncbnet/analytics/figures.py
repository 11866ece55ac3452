"""The figures behind every dashboard, read from the daily rollups (`DailyFigure`) only: a dashboard
never scans the tables the events live in. Each figure is made by one or two grouped queries on the
(event, day) index, so a year of figures for every member country stays a few thousand rows.

Three views:

- `gs(filters)`: the GS analyst's, at the hub: everything, restricted rows included;
- `bureau(country, filters)`: a bureau's own figures (its contributions, its searches, hits on its
  records and by its officers, its answers): its restricted rows included, they are its own;
- `published(filters)`: the network figures the GS publishes to every bureau: the GS's figures
  without any restricted row, with the small-count rule (`suppress`).

Every figure carries the query that made it (a description and the SQL, so it can be traced) and
its coverage: the countries whose events it counts, so that a change in who reports is not read as
a change in crime.

The small-count rule, for everything that leaves the bureau owning the data (published figures): a
count from 1 to 4 is shown as "< 5"; a count of 5 or more is rounded to the nearest multiple of 5
(5, 6 and 7 show as 5), so that one count taken from another (a total less its parts) does not give
a small one back; a mean is shown only over 5 events or more; a share only when neither its part
nor the rest of it is a small count (and its whole is 5 or more)."""

from __future__ import annotations

import contextlib
import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, cached_property
from typing import Any

from django.db import connection, transaction
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast, Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ncbnet.base import clock, iccs
from ncbnet.core.registry import members_data

from . import rollups
from .models import DailyFigure, MonthlyFigure, YearlyFigure

SMALL = 5  # counts below this (and above 0) are never published as they are
SUPPRESSED = "< 5"
ROUND_TO = 5  # published counts of SMALL or more are rounded to a multiple of this
TOP_ROUTES = 20
LONGEST_PERIOD = timedelta(days=366 * 10)

Cell = str | int | float


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    query: str  # what was counted, in words, and the SQL that counted it
    coverage: list[str]  # the countries (or "GS") whose events the figure counts

    @cached_property
    def chart(self) -> dict[str, Any] | None:
        """A Vega-Lite specification of the chart, its data the rows: made when a chart is drawn
        (a year's flows are thousands of routes a dashboard's API or CSV never draws)."""
        return _spec(self.key, self.columns, self.rows, MARKS[self.key]) if self.rows else None


# What each column holds: a count unless listed here (labels are text, means and shares derived).
LABEL_COLUMNS = frozenset(
    {"month", "database", "owner", "kind", "country", "region", "section", "category", "deadline"}
    | {"from", "to", "route"}
)
MEAN_COLUMNS = frozenset({"mean_review_hours", "mean_answer_minutes"})
SHARE_COLUMNS = frozenset({"reviewed_within_24h_pct", "answered_on_time_pct"})

TITLES = {
    "records": gettext_lazy("Records by database and owner, by month"),
    "notices": gettext_lazy("Notices and diffusions by kind and outcome, review times against 24 hours"),
    "screenings": gettext_lazy("Screenings and their hits by country"),
    "hits": gettext_lazy("Hits reported, by the country where found and the database"),
    "answers": gettext_lazy("Hit answers against their deadlines (10 minutes urgent, 1 hour otherwise)"),
    "categories": gettext_lazy("Crime categories (ICCS) by region"),
    "trend": gettext_lazy("Crime categories (ICCS sections) by month"),
    "flows": gettext_lazy("Stolen-vehicle flows: from the owner country to the country where found"),
    "routes": gettext_lazy("Stolen-vehicle flows: the top routes"),
    "contributions": gettext_lazy("Our contributions by database, by month"),
    "searches": gettext_lazy("Our searches by database"),
    "hits_on_ours": gettext_lazy("Hits on our records, by the country where found"),
    "hits_by_us": gettext_lazy("Hits by our officers, by the record's owner"),
}
GS_KEYS = ("records", "notices", "screenings", "hits", "answers", "categories", "trend", "flows", "routes")
PUBLISHED_KEYS = GS_KEYS
BUREAU_KEYS = ("contributions", "notices", "searches", "hits_on_ours", "hits_by_us", "answers")


class FilterError(ValueError):
    """A filter that cannot be used, with the field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@cache
def regions() -> dict[str, str]:
    """The regions' codes and names (the registry's data file)."""
    return {r["code"]: r["name"] for r in members_data()["regions"]}


@cache
def region_of() -> dict[str, str]:
    """Each member country's region code."""
    return {m["code"]: m["region"] for m in members_data()["members"]}


@dataclass(frozen=True)
class Filters:
    """A period (its first and last day, both counted) and, optionally, a region or a country and
    an ICCS section or category."""

    start: date
    end: date
    region: str = ""
    country: str = ""
    section: str = ""
    category: str = ""

    @classmethod
    def year(cls, year: int) -> Filters:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> Filters:
        """Filters from a form or a query string (`from`, `to` or `year`, `region`, `country`,
        `section`, `category`); by default this month so far and the 11 before it (whole months,
        read from the months' figures). FilterError names a bad one."""

        def text(name: str, longest: int) -> str:
            value = params.get(name) or ""
            if not isinstance(value, str) or len(value) > longest:
                raise FilterError(name, _("Too long."))
            return value.strip()

        year = text("year", 4)
        start_text, end_text = text("from", 10), text("to", 10)
        if year:
            if start_text or end_text:
                raise FilterError("year", _("Give a year or a period, not both."))
            if not year.isdigit() or not 2000 <= int(year) <= 2100:
                raise FilterError("year", _("A year from 2000 to 2100."))
            start, end = date(int(year), 1, 1), date(int(year), 12, 31)
        else:
            today = clock.now().date()
            start = _day("from", start_text) if start_text else _months_back(today, 11)
            end = _day("to", end_text) if end_text else today
            if end < start:
                raise FilterError("to", _("The period ends before it starts."))
            if end - start > LONGEST_PERIOD:
                raise FilterError("from", _("A period of at most ten years."))
        region = text("region", 8).upper()
        if region and region not in regions():
            raise FilterError("region", _("Not a region."))
        country = text("country", 3).upper()
        if country and country != "GS" and country not in region_of():
            raise FilterError("country", _("Not a member country's code."))
        section = text("section", 2)
        if section and section not in iccs.SECTIONS:
            raise FilterError("section", _("Not an ICCS section."))
        category = text("category", 4)
        if category and not iccs.valid(category):
            raise FilterError("category", _("Not an ICCS level-2 code."))
        if section and category and not category.startswith(section):
            raise FilterError("category", _("The category is not in the section chosen."))
        return cls(start, end, region, country, section, category)

    def places(self) -> set[str] | None:
        """The countries the region or country filter keeps, or None for all."""
        if self.country:
            return {self.country}
        if self.region:
            return {c for c, r in region_of().items() if r == self.region}
        return None

    def as_params(self) -> dict[str, str]:
        out = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for name in ("region", "country", "section", "category"):
            if value := getattr(self, name):
                out[name] = value
        return out


def _day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(name, _("A date as YYYY-MM-DD.")) from None


# --- the small-count rule -------------------------------------------------------------------------


def suppress(n: int) -> int | str:
    """A count as published: 0 as it is, 1 to 4 as "< 5", 5 or more rounded to a multiple of 5."""
    if n <= 0:
        return 0
    if n < SMALL:
        return SUPPRESSED
    return max(SMALL, ROUND_TO * round(n / ROUND_TO))


@dataclass(frozen=True)
class Mean:
    """A mean to show: `total` over `n` events, divided by `unit` (seconds in an hour, a minute)."""

    total: float
    n: int
    unit: float

    def shown(self, published: bool) -> Cell:
        if self.n == 0 or (published and self.n < SMALL):
            return ""
        return round(self.total / self.n / self.unit, 1)


@dataclass(frozen=True)
class Share:
    """A percentage: `part` of `whole`."""

    part: int
    whole: int

    def shown(self, published: bool) -> Cell:
        if self.whole == 0:
            return ""
        rest = self.whole - self.part
        if published and (self.whole < SMALL or 0 < self.part < SMALL or 0 < rest < SMALL):
            return ""
        return round(100 * self.part / self.whole)


def _finish(key: str, rows: list[list[Any]], published: bool) -> list[list[Cell]]:
    """The rows as shown: means and shares worked out, and, published, the small-count rule on
    every count (a column at a time: a year's flows are thousands of rows)."""
    columns = COLUMNS[key]
    derived = [i for i, c in enumerate(columns) if c in MEAN_COLUMNS or c in SHARE_COLUMNS]
    counts = [i for i, c in enumerate(columns) if c not in LABEL_COLUMNS and i not in derived]
    if not published and not derived:
        return rows
    out: list[list[Cell]] = []
    for row in rows:
        cells = list(row)
        for i in derived:
            cells[i] = cells[i].shown(published)
        if published:
            for i in counts:
                value = cells[i]
                if isinstance(value, int) and not isinstance(value, bool):
                    cells[i] = suppress(value)
        out.append(cells)
    return out


# --- the queries ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Rows to read for a period: the years', the months' or the days' (`tier`) from `first` to
    `last` (for years and months, their first days), added (`sign` 1) or taken away (-1)."""

    tier: str  # "year", "month" or "day"
    first: date
    last: date
    sign: int = 1

    def negated(self) -> Span:
        return Span(self.tier, self.first, self.last, -self.sign)


# What reading a period's rows costs, in days' rows: a month's or a year's row for each combination
# of values seen in it, a day's for each seen that day, and most are seen on many days and months
COST_DAYS = {"day": 1, "month": 3, "year": 8}
MONTH_COST_DAYS = COST_DAYS["month"]


def _cost(read: list[Span]) -> int:
    """What reading the spans costs, in days' rows."""
    total = 0
    for span in read:
        if span.tier == "day":
            total += (span.last - span.first).days + 1
        elif span.tier == "month":
            total += COST_DAYS["month"] * (
                (span.last.year - span.first.year) * 12 + span.last.month - span.first.month + 1
            )
        else:
            total += COST_DAYS["year"] * (span.last.year - span.first.year + 1)
    return total


def spans(start: date, end: date, today: date, *, years: bool = True) -> list[Span]:
    """A period as the rows to read, the fewest: a year it covers from the years' figures, a month
    from the months'; a year or a month it covers in part from what it covers, or as the whole less
    what it leaves out when that costs less (a year less its last month: the year's rows and a
    month's rather than eleven months'). Figures are counts and sums: they add and subtract. Days
    after today are never read (no figure is dated after today: events are counted when they
    happen), so a year or a month the period reaches today in is whole. Without `years` (for a
    figure by month: a year's row has lost its months), months and days only."""
    out: list[Span] = []
    if not years:
        for year in range(start.year, end.year + 1):
            out += _months_and_days(max(start, date(year, 1, 1)), min(end, date(year, 12, 31)), today)
        return out
    for year in range(start.year, end.year + 1):
        first, last = date(year, 1, 1), date(year, 12, 31)
        lo, hi = max(start, first), min(end, last)
        left_out = [
            (a, b)
            for a, b in (
                (first, min(lo - timedelta(days=1), today)),
                (hi + timedelta(days=1), min(last, today)),
            )
            if a <= b
        ]
        if not left_out:
            out.append(Span("year", first, first))
            continue
        inside = _months_and_days(lo, hi, today)
        whole_less = [Span("year", first, first)]
        whole_less += [span.negated() for a, b in left_out for span in _months_and_days(a, b, today)]
        cheaper: list[Span] = min([inside, whole_less], key=_cost)
        out += cheaper
    return out


def _months_and_days(start: date, end: date, today: date) -> list[Span]:
    """A period within a year as months and days: a month it covers in part from the days it
    covers, or as the month less the days it leaves out when those are fewer."""
    months: list[date] = []
    days: list[Span] = []
    month = start.replace(day=1)
    while month <= end:
        month_last = _next_month(month) - timedelta(days=1)
        lo, hi = max(start, month), min(end, month_last)
        before = (month, min(lo - timedelta(days=1), today))  # days of the month the period
        after = (hi + timedelta(days=1), min(month_last, today))  # leaves out, with figures
        left_out = [(a, b) for a, b in (before, after) if a <= b]
        outside = sum((b - a).days + 1 for a, b in left_out)
        if outside + MONTH_COST_DAYS < (hi - lo).days + 1 or not left_out:
            months.append(month)
            days += [Span("day", a, b, -1) for a, b in left_out]
        else:
            days.append(Span("day", lo, hi))
        month = _next_month(month)
    ranges: list[Span] = []
    for month in months:  # months in a row: one range
        if ranges and _next_month(ranges[-1].last) == month:
            ranges[-1] = Span("month", ranges[-1].first, month)
        else:
            ranges.append(Span("month", month, month))
    return ranges + days


def _months_back(day: date, months: int) -> date:
    """The first day of the month `months` before `day`'s."""
    first = day.replace(day=1)
    for _month in range(months):
        first = _previous_month(first)
    return first


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


TIERS: dict[str, type[DailyFigure | MonthlyFigure | YearlyFigure]] = {
    "day": DailyFigure,
    "month": MonthlyFigure,
    "year": YearlyFigure,
}


# The queries made within `one_moment`, with what they gave
_moment: ContextVar[dict[tuple[Any, ...], tuple[list[dict[str, Any]], str]] | None] = ContextVar(
    "analytics_moment", default=None
)


@dataclass
class Select:
    """One grouped query of the figures, and what it says it counts: made on the rows of the years,
    months and days that make the period (`spans`), added and taken away in one statement."""

    events: tuple[str, ...]
    by: tuple[str, ...]
    description: str
    where: str = "country"  # the column the region and country filters apply to ("either": both)
    crime: bool = True  # the ICCS filters apply (events without a category are left out by them)
    fixed: dict[str, Any] = field(default_factory=dict)
    exclude: dict[str, Any] = field(default_factory=dict)

    def queryset(
        self,
        model: type[DailyFigure | MonthlyFigure | YearlyFigure],
        first: date,
        last: date,
        f: Filters,
        published: bool,
    ) -> QuerySet[Any, dict[str, Any]]:
        """The query of `model`'s rows from `first` to `last` (their `day`), of the rolled rows that
        keep what it needs (`rollups.rolled_for`): their values and counts, grouped by `run`."""
        rolled = rollups.rolled_for(self.events, self.values(f))
        qs = model.objects.filter(event__in=self.events, rolled=rolled, day__gte=first, day__lte=last)
        if published:
            qs = qs.filter(restricted=False)
        if self.fixed:
            qs = qs.filter(**self.fixed)
        if self.exclude:
            qs = qs.exclude(**self.exclude)
        places = f.places()
        if places is not None:
            if self.where == "either":
                qs = qs.filter(Q(owner__in=places) | Q(country__in=places))
            else:
                qs = qs.filter(**{f"{self.where}__in": sorted(places)})
        if self.crime and f.category:
            qs = qs.filter(iccs=f.category)
        elif self.crime and f.section:
            qs = qs.filter(iccs__startswith=f.section)
        plain = qs
        if "month" in self.by:  # the day's text cut to YYYY-MM: native on both databases (TruncMonth
            # is a Python function on SQLite, called for every row)
            plain = plain.annotate(month=Substr(Cast("day", output_field=CharField()), 1, 7))
        if "section" in self.by:
            plain = plain.annotate(section=Substr("iccs", 1, 2))
        return plain.values(*self.by, "n", "seconds", "late").order_by()

    def values(self, f: Filters) -> set[str]:
        """The values (`models.VALUES`) the query groups or filters by."""
        wanted = {"iccs" if b == "section" else b for b in self.by} - {"month", "event"}
        wanted |= {key.split("__")[0] for key in [*self.fixed, *self.exclude]}
        if f.places() is not None:
            wanted |= {"owner", "country"} if self.where == "either" else {self.where}
        if self.crime and (f.category or f.section):
            wanted.add("iccs")
        return wanted

    def run(self, f: Filters, published: bool) -> tuple[list[dict[str, Any]], str]:
        """The rows, summed over the spans of the period (`spans`) in one statement: each span's
        rows, added or taken away, grouped; a combination that sums to nothing (seen only on days
        taken away) did not happen and is left out. Within `one_moment`, a query made once (the
        categories' rows, whose countries are the trend's coverage) is not made again."""
        memo = _moment.get()
        key = (
            self.events,
            self.by,
            self.where,
            self.crime,
            repr(self.fixed),
            repr(self.exclude),
            f,
            published,
        )
        if memo is not None and key in memo:
            return memo[key]
        made = self._run(f, published)
        if memo is not None:
            memo[key] = made
        return made

    def _run(self, f: Filters, published: bool) -> tuple[list[dict[str, Any]], str]:
        q = connection.ops.quote_name
        by = ", ".join(q(b) for b in self.by)
        each = ", ".join([by, q("n"), q("seconds"), q("late")])
        parts: list[str] = []
        params: list[Any] = []
        queries: list[str] = []
        for i, span in enumerate(spans(f.start, f.end, clock.now().date(), years="month" not in self.by)):
            qs = self.queryset(TIERS[span.tier], span.first, span.last, f, published)
            sql, more = qs.query.sql_with_params()
            parts.append(f"SELECT {each}, {span.sign} AS {q('sign')} FROM ({sql}) AS {q(f'span{i}')}")  # noqa: S608 - the queries Django made
            params += more
            queries.append(f"{'+' if span.sign > 0 else '-'} {qs.query}")
        # summed as doubles (exact to 2**53, far beyond a period's counts), not as PostgreSQL's
        # numeric (its sum of bigints), which costs more than the rest of the query
        signed = {c: f"SUM(CAST({q(c)} AS DOUBLE PRECISION) * {q('sign')})" for c in ("n", "seconds", "late")}
        typed = {"n": "BIGINT", "seconds": "DOUBLE PRECISION", "late": "BIGINT"}
        # in the codes' order, byte by byte (not by a language's collation, which costs more)
        collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
        order = ", ".join(f"{q(b)}{collate}" for b in self.by)
        sums = ", ".join(f"CAST({sum_} AS {typed[c]}) AS {q(c)}" for c, sum_ in signed.items())
        statement = (
            f"SELECT {by}, {sums} "  # noqa: S608 - names from the code, values as parameters
            f"FROM ({' UNION ALL '.join(parts)}) AS {q('spans')} "
            f"GROUP BY {by} HAVING {signed['n']} <> 0 ORDER BY {order}"
        )
        names = (*self.by, "n", "seconds", "late")
        # read by the cursor: thousands of grouped rows (a year's routes) as the database gives them
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        kept = _("restricted rows left out") if published else _("restricted rows included")
        text = f"{self.description} ({f.start.isoformat()} to {f.end.isoformat()}; {kept})"
        return rows, "\n".join([text, *queries])


def _coverage(rows: Iterable[Mapping[str, Any]], *columns: str) -> list[str]:
    return sorted({row.get(c) or "" for c in columns for row in rows if row["n"]} - {""})


def _spec(
    figure_key: str, columns: list[str], rows: list[list[Cell]], mark: dict[str, Any]
) -> dict[str, Any]:
    """A Vega-Lite specification over the figure's own rows (small counts stay out of it: a
    suppressed cell is not a number and is left out of the chart, its table shows it)."""
    values = [
        {
            c: (v if not (isinstance(v, str) and v == SUPPRESSED) else None)
            for c, v in zip(columns, row, strict=True)
        }
        for row in rows
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": str(TITLES[figure_key]),
        "description": str(TITLES[figure_key]),
        "data": {"values": values},
        "width": 560,
        "height": 260,
        **mark,
    }


def _bar(x: str, y: str, color: str | None = None, *, sort: bool = False) -> dict[str, Any]:
    encoding: dict[str, Any] = {
        "x": {"field": x, "type": "nominal", **({"sort": "-y"} if sort else {})},
        "y": {"field": y, "type": "quantitative", "aggregate": "sum"},
    }
    if color:
        encoding["color"] = {"field": color, "type": "nominal"}
    return {"mark": "bar", "encoding": encoding}


def _line(x: str, y: str, color: str) -> dict[str, Any]:
    return {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": x, "type": "ordinal"},
            "y": {"field": y, "type": "quantitative", "aggregate": "sum"},
            "color": {"field": color, "type": "nominal"},
        },
    }


def _folded(x: str, fields: list[str], label: str) -> dict[str, Any]:
    return {
        "transform": [{"fold": fields, "as": [label, "count"]}],
        "mark": "bar",
        "encoding": {
            "x": {"field": x, "type": "nominal"},
            "y": {"field": "count", "type": "quantitative", "aggregate": "sum"},
            "color": {"field": label, "type": "nominal"},
        },
    }


def _figure(
    key: str, rows: list[list[Any]], published: bool, queries: list[str], coverage: list[str]
) -> Figure:
    return frozen(key, _finish(key, rows, published), "\n\n".join(queries), coverage)


def frozen(key: str, rows: list[list[Cell]], query: str, coverage: list[str]) -> Figure:
    """A figure from its finished rows: as made here, or as published by the GS and kept on a
    node (its chart drawn again from the rows, never taken from the network)."""
    return Figure(key, str(TITLES[key]), list(COLUMNS[key]), rows, query, coverage)


# --- what each figure shows -------------------------------------------------------------------------

CRIME = ["records", "notices", "hits"]
OUTCOMES = ("published", "refused", "cancelled", "withdrawn", "expired")
COLUMNS: dict[str, list[str]] = {
    "records": ["month", "database", "owner", "contributed", "withdrawn"],
    "contributions": ["month", "database", "contributed", "withdrawn"],
    "notices": [
        "kind",
        "submitted",
        *OUTCOMES,
        "reviewed",
        "mean_review_hours",
        "late_reviews",
        "reviewed_within_24h_pct",
    ],
    "screenings": ["country", "searches", "hits", "misses"],
    "searches": ["database", "searches", "hits", "misses"],
    "hits": ["country", "database", "hits"],
    "hits_on_ours": ["country", "database", "hits"],
    "hits_by_us": ["owner", "database", "hits"],
    "answers": [
        "deadline",
        "answered",
        "confirmed",
        "denied",
        "more_time",
        "mean_answer_minutes",
        "late",
        "answered_on_time_pct",
    ],
    "categories": ["section", "category", "region", *CRIME],
    "trend": ["month", "section", *CRIME],
    "flows": ["from", "to", "hits"],
    "routes": ["route", "from", "to", "hits"],
}
MARKS: dict[str, dict[str, Any]] = {
    "records": _line("month", "contributed", "database"),
    "contributions": _line("month", "contributed", "database"),
    "notices": _folded("kind", list(OUTCOMES), "outcome"),
    "screenings": _bar("country", "searches", sort=True),
    "searches": _bar("database", "searches"),
    "hits": _bar("country", "hits", "database", sort=True),
    "hits_on_ours": _bar("country", "hits", "database", sort=True),
    "hits_by_us": _bar("owner", "hits", "database", sort=True),
    "answers": _folded("deadline", ["confirmed", "denied", "more_time"], "answer"),
    "categories": _bar("section", "records", "region"),
    "trend": _line("month", "records", "section"),
    "flows": {
        "mark": "rect",
        "encoding": {
            "x": {"field": "to", "type": "nominal"},
            "y": {"field": "from", "type": "nominal"},
            "color": {"field": "hits", "type": "quantitative"},
        },
    },
    "routes": {
        "mark": "bar",
        "encoding": {
            "y": {"field": "route", "type": "nominal", "sort": "-x"},
            "x": {"field": "hits", "type": "quantitative"},
        },
    },
}


# --- the figures ------------------------------------------------------------------------------------


def records(f: Filters, published: bool = False, *, country: str = "") -> Figure:
    """Records by month, database and owner (or, for one bureau, its own by month and database)."""
    rows, sql = Select(
        ("record.contributed", "record.withdrawn"),
        ("month", "database", "country", "event"),
        _("Records contributed and withdrawn, by month, database and owner"),
        fixed={"country": country} if country else {},
    ).run(f, published)
    table: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        at = (row["month"], row["database"]) if country else (row["month"], row["database"], row["country"])
        table[at][row["event"] == "record.withdrawn"] += row["n"]
    out = [[*at, *counts] for at, counts in sorted(table.items())]
    return _figure(
        "contributions" if country else "records", out, published, [sql], _coverage(rows, "country")
    )


def notices(f: Filters, published: bool = False, *, country: str = "") -> Figure:
    events = ("notice.submitted", "notice.decided")
    fixed = {"country": country} if country else {}
    rows, sql = Select(
        events,
        ("kind", "event", "outcome"),
        _(
            "Notices and diffusions submitted and decided, by kind and outcome; review time from "
            "submission to publication or refusal, against 24 hours"
        ),
        fixed=fixed,
    ).run(f, published)
    cover, cover_sql = Select(
        events, ("country",), _("The countries these counts come from"), fixed=fixed
    ).run(f, published)
    by_kind: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        kind = by_kind[row["kind"]]
        if row["event"] == "notice.submitted":
            kind["submitted"] += row["n"]
            continue
        kind[row["outcome"]] += row["n"]
        if row["outcome"] in ("published", "refused"):
            kind["reviewed"] += row["n"]
            kind["seconds"] += row["seconds"] or 0.0
            kind["late"] += row["late"]
    out = [
        [
            kind,
            v["submitted"],
            *(v[o] for o in OUTCOMES),
            v["reviewed"],
            Mean(v["seconds"], v["reviewed"], 3600.0),
            v["late"],
            Share(v["reviewed"] - v["late"], v["reviewed"]),
        ]
        for kind, v in sorted(by_kind.items())
    ]
    return _figure("notices", out, published, [sql, cover_sql], _coverage(cover, "country"))


def searches(
    from_day: date, to_day: date, countries: Iterable[str] | None = None, *, published: bool = False
) -> tuple[list[dict[str, Any]], str]:
    """The searches by country, database and outcome: those made here (this node's rows of
    `screening.searched`: at the hub the GS's and any made through the hub) and, at the hub, those
    the nodes reported of their own (`screening.reported`, `analytics.reported`; a node holds none).
    The two never overlap: a search is counted where it was made. Searches are never restricted."""
    return Select(
        ("screening.searched", "screening.reported"),
        ("country", "database", "outcome"),
        _("Searches of the global databases (one per database searched), by country and outcome")
        + " "
        + _("and the searches the nodes reported of their own"),
        crime=False,
        fixed={"country__in": sorted(countries)} if countries is not None else {},
    ).run(Filters(from_day, to_day), published)


def screenings(f: Filters, published: bool = False) -> Figure:
    rows, sql = searches(f.start, f.end, f.places(), published=published)
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        table[row["country"]][row["outcome"] != "hit"] += row["n"]
    out = [[c, h + m, h, m] for c, (h, m) in sorted(table.items())]
    return _figure("screenings", out, published, [sql], _coverage(rows, "country"))


def own_searches(f: Filters, country: str) -> Figure:
    rows, sql = searches(f.start, f.end, [country])
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        table[row["database"]][row["outcome"] != "hit"] += row["n"]
    out = [[d, h + m, h, m] for d, (h, m) in sorted(table.items())]
    return _figure("searches", out, False, [sql], _coverage(rows, "country"))


def hits(f: Filters, published: bool = False) -> Figure:
    rows, sql = Select(
        ("hit.reported",),
        ("country", "database"),
        _("Hits reported to the record's owner, by the country where found and the database"),
    ).run(f, published)
    out = [[r["country"], r["database"], r["n"]] for r in rows]
    return _figure("hits", out, published, [sql], _coverage(rows, "country"))


def hits_between(f: Filters, country: str, *, ours: bool) -> Figure:
    """A bureau's hits: on its records (`ours`: by the country where found) or by its officers (by
    the record's owner). The region and country filters apply to the other country."""
    if ours:
        select = Select(
            ("hit.reported",),
            ("country", "database"),
            _("Hits on our records, by the country where found and the database"),
            fixed={"owner": country},
        )
    else:
        select = Select(
            ("hit.reported",),
            ("owner", "database"),
            _("Hits by our officers, by the record's owner and the database"),
            fixed={"country": country},
            where="owner",
        )
    rows, sql = select.run(f, False)
    other = "country" if ours else "owner"
    out = [[r[other], r["database"], r["n"]] for r in rows]
    return _figure("hits_on_ours" if ours else "hits_by_us", out, False, [sql], _coverage(rows, "country"))


def answers(f: Filters, published: bool = False, *, owner: str = "") -> Figure:
    """Hit answers by deadline. For one bureau (`owner`), its own answers, the region and country
    filters applying to where the hits were found."""
    fixed, where = ({"owner": owner}, "country") if owner else ({}, "owner")
    rows, sql = Select(
        ("hit.answered",),
        ("kind", "outcome"),
        _(
            "Hits answered by the record's owner, by deadline (urgent: 10 minutes, otherwise 1 hour) "
            "and answer; time from the report to the answer"
        ),
        fixed=fixed,
        where=where,
    ).run(f, published)
    cover, cover_sql = Select(
        ("hit.answered",), ("owner",), _("The countries whose answers these are"), fixed=fixed, where=where
    ).run(f, published)
    table: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        t = table["urgent" if row["kind"] == "urgent" else "standard"]
        t["answered"] += row["n"]
        t[row["outcome"]] += row["n"]
        t["seconds"] += row["seconds"] or 0.0
        t["late"] += row["late"]
    out = [
        [
            deadline,
            t["answered"],
            t["confirmed"],
            t["denied"],
            t["more-time"],
            Mean(t["seconds"], t["answered"], 60.0),
            t["late"],
            Share(t["answered"] - t["late"], t["answered"]),
        ]
        for deadline, t in sorted(table.items())
    ]
    return _figure("answers", out, published, [sql, cover_sql], _coverage(cover, "owner"))


CRIME_EVENTS = ("record.contributed", "notice.submitted", "hit.reported")


def _crime_by_place(f: Filters, published: bool) -> tuple[list[dict[str, Any]], str]:
    return Select(
        CRIME_EVENTS,
        ("iccs", "country", "event"),
        _(
            "Records contributed, notices submitted and hits reported with a crime category, by ICCS "
            "category and the region of the country where they happened"
        ),
        exclude={"iccs": ""},
    ).run(f, published)


def categories(f: Filters, published: bool = False) -> Figure:
    rows, sql = _crime_by_place(f, published)
    table: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        region = region_of().get(row["country"], "")
        table[row["iccs"][:2], row["iccs"], region][CRIME_EVENTS.index(row["event"])] += row["n"]
    out = [[s, c, r, *counts] for (s, c, r), counts in sorted(table.items())]
    return _figure("categories", out, published, [sql], _coverage(rows, "country"))


def trend(f: Filters, published: bool = False) -> Figure:
    rows, sql = Select(
        CRIME_EVENTS,
        ("month", "section", "event"),
        _(
            "Records contributed, notices submitted and hits reported with a crime category, by month "
            "and ICCS section"
        ),
        exclude={"iccs": ""},
    ).run(f, published)
    cover, cover_sql = _crime_by_place(f, published)  # the categories' query: its countries
    table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        table[row["month"], row["section"]][CRIME_EVENTS.index(row["event"])] += row["n"]
    out = [[m, s, *counts] for (m, s), counts in sorted(table.items())]
    return _figure("trend", out, published, [sql, cover_sql], _coverage(cover, "country"))


def flows(f: Filters, published: bool = False) -> list[Figure]:
    """The stolen-vehicle flows, from one query: as a matrix (from the country owning the record to
    the country where it was found) and as the top routes."""
    rows, sql = Select(
        ("hit.reported",),
        ("owner", "country"),
        _(
            "Hits on stolen vehicles (database vehicles), from the country owning the record to the "
            "country where it was found; the region and country filters keep a route either end of "
            "which is in them"
        ),
        fixed={"database": "vehicles"},
        where="either",
    ).run(f, published)
    matrix = [[r["owner"], r["country"], r["n"]] for r in rows if r["n"]]
    coverage = _coverage(rows, "owner", "country")

    def weight(n: int) -> int:  # published: ordered by what is shown, the order tells no more
        shown = suppress(n) if published else n
        return shown if isinstance(shown, int) else 0

    top = heapq.nsmallest(TOP_ROUTES, matrix, key=lambda r: (-weight(r[2]), r[0], r[1]))
    routes = [[f"{a} → {b}", a, b, n] for a, b, n in top]
    return [
        _figure("flows", matrix, published, [sql], coverage),
        _figure("routes", routes, published, [sql], coverage),
    ]


# --- the views ----------------------------------------------------------------------------------------

_GS_FIGURES: list[Callable[[Filters, bool], Figure | list[Figure]]] = [
    records,
    notices,
    screenings,
    hits,
    answers,
    categories,
    trend,
    flows,
]


@contextlib.contextmanager
def one_moment() -> Iterator[None]:
    """A dashboard's queries, on PostgreSQL, in one transaction: its figures are of one moment (one
    snapshot), grouped in memory rather than on disk (the server's default `work_mem` of 4 MB spills
    a year's routes) and without parallel workers, whose start costs more than a dashboard's
    queries take. On SQLite reads need no transaction (and one would take the writer's lock)."""
    token = _moment.set({})
    try:
        if connection.vendor != "postgresql":
            yield
            return
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            yield
    finally:
        _moment.reset(token)


def _all(f: Filters, published: bool) -> list[Figure]:
    out: list[Figure] = []
    with one_moment():
        for make in _GS_FIGURES:
            made = make(f, published)
            out.extend(made if isinstance(made, list) else [made])
    return out


def gs(filters: Filters) -> list[Figure]:
    """The GS analyst's figures: everything the hub counts, restricted rows included."""
    return _all(filters, False)


def published(filters: Filters) -> list[Figure]:
    """The network figures the GS publishes to every bureau: no restricted row, the small-count rule
    on every count, mean and share. Callable with a period alone (`Filters.year(2026)`)."""
    return _all(filters, True)


def bureau(country: str, filters: Filters) -> list[Figure]:
    """A bureau's own figures, its restricted rows included (they are its own). The region and
    country filters apply to the other side: where its records were found, whose records it hit."""
    with one_moment():
        return [
            records(filters, country=country),
            notices(filters, country=country),
            own_searches(filters, country),
            hits_between(filters, country, ours=True),
            hits_between(filters, country, ours=False),
            answers(filters, owner=country),
        ]


def one(figures: list[Figure], key: str) -> Figure | None:
    return next((fig for fig in figures if fig.key == key), None)
