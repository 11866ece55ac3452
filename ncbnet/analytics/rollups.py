"""The rollups: counts (`base.tally`) added to the daily figures (`DailyFigure`), to their month's
(`MonthlyFigure`) and to their year's (`YearlyFigure`) in the transaction of the events they count,
by one upsert per batch and table (PostgreSQL and SQLite both have ON CONFLICT … DO UPDATE). A
month's row is always the sum of its days' rows, and a year's of its months': events add to all
three, a rebuilt day (`replace_day`) changes its month and year by what the recount differs from
what the day held, and a rebuild ends each month it rebuilt by making it again from its days
(`remake_month`), and each year from its months (`remake_year`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.db import connection

from ncbnet.base.tally import Count

from .models import DIMENSIONS, VALUES, DailyFigure, MonthlyFigure, YearlyFigure

Table = type[DailyFigure | MonthlyFigure | YearlyFigure]

# The rolled rows: beside each count's own row, one row for each set of values its event is rolled
# by, keeping those values and summing over the others, in the same upsert. A figure reads the
# smallest set that keeps every value it groups or filters by (`rolled_for`): a year of hits by
# country reads one row per country, database and category a month rather than one per pair of
# countries. Only what the dashboards read is rolled (`figures`).
ROLLED: dict[str, tuple[str, ...]] = {  # fewest rows first: the first that fits is read
    "crime": ("iccs",),  # by crime category alone
    "kinds": ("kind", "outcome", "iccs"),  # by kind (or deadline) and outcome
    "whose": ("owner", "iccs"),  # by owner: the answers' coverage
    "who": ("country", "iccs"),  # by country and category: the coverage, the categories by region
    "place": ("country", "database", "outcome", "iccs"),  # by where it happened
    "notices": ("country", "kind", "outcome", "iccs"),  # by requesting bureau and kind
    "answers": ("owner", "kind", "outcome", "iccs"),  # by the answering owner and deadline
    "routes": ("country", "owner", "database"),  # by pair of countries
    "pairs": ("country", "owner", "database", "iccs"),  # by pair of countries and category
}
ROLLED_BY: dict[str, tuple[str, ...]] = {
    "record.contributed": ("place", "who", "crime"),
    "record.withdrawn": ("place",),
    "notice.submitted": ("notices", "kinds", "who", "crime"),
    "notice.decided": ("notices", "kinds", "who"),
    "screening.searched": ("place",),
    "screening.reported": ("place",),
    "hit.reported": ("place", "who", "crime", "routes", "pairs"),
    "hit.answered": ("answers", "kinds", "whose"),
}


def rolled_for(events: Iterable[str], values: Iterable[str]) -> str:
    """The rolled rows to read for `events` grouped or filtered by `values`: the first set (in
    `ROLLED`'s order, fewest rows first) rolled for every one of the events that keeps all of
    these; "" (the counts' own rows) when none does."""
    wanted = set(values)
    return next(
        (
            name
            for name, keeps in ROLLED.items()
            if wanted <= set(keeps) and all(name in ROLLED_BY.get(e, ()) for e in events)
        ),
        "",
    )


_COLUMNS = (*DIMENSIONS, "n", "seconds", "late")
_ROWS_PER_STATEMENT = 500

# A row's values in `DIMENSIONS` order, then what it adds: n, seconds, late
Key = tuple[Any, ...]
Added = tuple[int, float, int]


def month_of(day: date) -> date:
    return day.replace(day=1)


def year_of(day: date) -> date:
    return date(day.year, 1, 1)


# The tables the counts are added to, days first, then months, then years (always in that order)
PERIODS: tuple[tuple[Table, Callable[[date], date]], ...] = (
    (DailyFigure, lambda day: day),
    (MonthlyFigure, month_of),
    (YearlyFigure, year_of),
)


def _statement(model: Table, rows: int) -> str:
    q = connection.ops.quote_name
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    table = q(model._meta.db_table)
    added = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in ("n", "seconds", "late"))
    columns = ", ".join(q(c) for c in _COLUMNS)
    conflict = ", ".join(q(c) for c in DIMENSIONS)
    values = ", ".join([one] * rows)
    # names from the model, values as parameters
    return f"INSERT INTO {table} ({columns}) VALUES {values} ON CONFLICT ({conflict}) DO UPDATE SET {added}"  # noqa: S608


def _upsert(model: Table, rows: dict[Key, Added]) -> None:
    """Add to the rows of `model`, written in one order (their key's), so two transactions adding
    to the same rows never wait on each other in a cycle. A statement names a row once (PostgreSQL
    refuses to update a row twice in one statement): the keys are a dict's."""
    ordered = sorted(rows.items(), key=lambda item: tuple(str(v) for v in item[0]))
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), _ROWS_PER_STATEMENT):
            chunk = ordered[start : start + _ROWS_PER_STATEMENT]
            params: list[Any] = []
            for key, (n, seconds, late) in chunk:
                params += [*key, n, seconds, late]
            cursor.execute(_statement(model, len(chunk)), params)


def _keys(c: Count, day: date) -> list[Key]:
    """The count's own row's key and its rolled rows'."""
    values = {"country": c.country, "owner": c.owner, "database": c.database, "kind": c.kind}
    values |= {"iccs": c.iccs, "outcome": c.outcome}
    own = (day, c.event, *(values[v] for v in VALUES), c.restricted, "")
    rolled = [
        (day, c.event, *(values[v] if v in ROLLED[name] else "" for v in VALUES), c.restricted, name)
        for name in ROLLED_BY.get(c.event, ())
    ]
    return [own, *rolled]


def _summed(rows: Iterable[tuple[Key, Added]]) -> dict[Key, Added]:
    out: dict[Key, list[Any]] = defaultdict(lambda: [0, 0.0, 0])
    for key, (n, seconds, late) in rows:
        row = out[key]
        row[0] += n
        row[1] += seconds
        row[2] += late
    return {key: (n, seconds, late) for key, (n, seconds, late) in out.items()}


def _rows(counts: Iterable[Count]) -> dict[Key, Added]:
    """The days' rows the counts add to, their rolled rows with them."""
    return _summed(
        (key, (c.n, c.seconds, c.late))
        for c in counts
        if c.n or c.late or c.seconds  # a count of nothing writes nothing
        for key in _keys(c, c.day)
    )


def _in(rows: dict[Key, Added], period: Callable[[date], date]) -> dict[Key, Added]:
    """The days' rows summed into the rows of their `period` (the day itself, its month, its year)."""
    return _summed(((period(key[0]), *key[1:]), added) for key, added in rows.items())


def _less(plus: dict[Key, Added], minus: dict[Key, Added]) -> dict[Key, Added]:
    return _summed([*plus.items(), *((k, (-n, -s, -late)) for k, (n, s, late) in minus.items())])


def _add_difference(model: Table, difference: dict[Key, Added]) -> None:
    """Add a difference (some of it taken away) to `model`'s rows; a row left counting nothing is
    deleted."""
    changed = {key: added for key, added in difference.items() if any(added)}
    if changed:
        _upsert(model, changed)
        model.objects.filter(day__in={key[0] for key in changed}, n=0, late=0).delete()


def add(counts: Sequence[Count]) -> None:
    """Add the counts to their days', months' and years' figures, in the caller's transaction (in
    that order, always), each with its rolled rows."""
    days = _rows(counts)
    if days:
        for model, period in PERIODS:
            _upsert(model, _in(days, period))


def replace_day(day: date, counts: Sequence[Count]) -> int:
    """Inside the caller's transaction: the day's figures replaced by `counts` (its recount), and
    its month's and year's changed by the difference; the day's rows written."""
    days = DailyFigure.objects.filter(day=day)
    held = {row[:-3]: row[-3:] for row in days.values_list(*DIMENSIONS, "n", "seconds", "late")}
    days.delete()
    new = _rows(counts)
    _upsert(DailyFigure, new)
    for model, period in PERIODS[1:]:
        _add_difference(model, _in(_less(new, held), period))
    return len(new)


def change(added: Sequence[Count], removed: Sequence[Count]) -> None:
    """Inside the caller's transaction: some counts added to the figures and others taken away (a
    node's newer report of a day's searches replacing the one kept), days, months and years."""
    difference = _less(_rows(added), _rows(removed))
    for model, period in PERIODS:
        _add_difference(model, _in(difference, period))


def _remake(model: Table, first: date, parts: Table, after: date) -> None:
    q = connection.ops.quote_name
    table, source = q(model._meta.db_table), q(parts._meta.db_table)
    values = ", ".join(q(c) for c in DIMENSIONS[1:])
    model.objects.filter(day=first).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({q('day')}, {values}, n, seconds, late) "  # noqa: S608 - names from the models
            f"SELECT %s, {values}, SUM(n), SUM(seconds), SUM(late) FROM {source} "
            f"WHERE {q('day')} >= %s AND {q('day')} < %s "
            f"GROUP BY {values} HAVING SUM(n) > 0 OR SUM(late) > 0",
            [first, first, after],
        )


def remake_month(month: date) -> None:
    """Inside the caller's transaction: the month's figures made again as the sums of its days'
    (a rebuild does it for each month it rebuilt, repairing a month that had drifted from its days
    however that came about)."""
    _remake(MonthlyFigure, month, DailyFigure, (month + timedelta(days=32)).replace(day=1))


def remake_year(year: date) -> None:
    """Inside the caller's transaction, after its months were: the year's figures made again as the
    sums of its months'."""
    _remake(YearlyFigure, year, MonthlyFigure, date(year.year + 1, 1, 1))


def on_counted(sender: Any, counts: Sequence[Count], **kwargs: Any) -> None:
    add(counts)
