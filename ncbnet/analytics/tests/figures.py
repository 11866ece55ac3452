"""What the counting tests share: the figures as kept, and the counts each send of `tally.counted`
carried (listening to the signal, as the rollups do)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from ncbnet.analytics.models import DIMENSIONS, DailyFigure, Figures, MonthlyFigure, YearlyFigure
from ncbnet.base import tally


def rows(event: str | None = None) -> list[dict[str, Any]]:
    """The figures kept (of one event), each as its values, n, seconds and late, in key order."""
    own = DailyFigure.objects.filter(rolled="")  # the counts' own rows, not the rolled ones
    qs = own if event is None else own.filter(event=event)
    fields = ("event", "country", "owner", "database", "kind", "iccs", "outcome", "restricted", "n", "late")
    out = [{**{f: getattr(x, f) for f in fields}, "seconds": round(x.seconds, 3)} for x in qs]
    return sorted(out, key=lambda r: tuple(str(v) for v in r.values()))


def kept(model: type[Figures] = MonthlyFigure) -> dict[tuple, tuple]:
    """The months' (or years') figures as kept: each row's first day and values, its n, seconds
    (to the microsecond) and late."""
    rows = model.objects.values_list(*DIMENSIONS, "n", "seconds", "late")
    return {row[:-3]: (row[-3], round(row[-2], 6), row[-1]) for row in rows}


def months() -> dict[tuple, tuple]:
    return kept(MonthlyFigure)


def summed(model: type[Figures], first_day: Callable[[date], date]) -> dict[tuple, tuple]:
    """`model`'s figures summed by the period `first_day` gives each row's day."""
    out: dict[tuple, list] = defaultdict(lambda: [0, 0.0, 0])
    for row in model.objects.values_list(*DIMENSIONS, "n", "seconds", "late"):
        total = out[(first_day(row[0]), *row[1:-3])]
        total[0] += row[-3]
        total[1] += row[-2]
        total[2] += row[-1]
    return {key: (n, round(seconds, 6), late) for key, (n, seconds, late) in out.items() if n or late}


def months_of_days() -> dict[tuple, tuple]:
    """The days' figures summed by month, as `months` should hold them."""
    return summed(DailyFigure, lambda day: day.replace(day=1))


def consistent() -> bool:
    """Each month's figures are the sums of its days', each year's of its months'."""
    return months() == months_of_days() and kept(YearlyFigure) == summed(
        MonthlyFigure, lambda day: date(day.year, 1, 1)
    )


@contextmanager
def sends() -> Iterator[list[list[tally.Count]]]:
    """Every send of counts made inside the block (one send is one upsert of the rollups)."""
    seen: list[list[tally.Count]] = []

    def listen(sender: Any, counts: list[tally.Count], **kwargs: Any) -> None:
        seen.append(counts)

    tally.counted.connect(listen, dispatch_uid="tests.sends")
    try:
        yield seen
    finally:
        tally.counted.disconnect(dispatch_uid="tests.sends")
