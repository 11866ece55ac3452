"""What the counting tests share: the figures as kept, and the counts each send of `tally.counted`
carried (listening to the signal, as the rollups do)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ncbnet.analytics.models import DIMENSIONS, DailyFigure, MonthlyFigure
from ncbnet.base import tally


def rows(event: str | None = None) -> list[dict[str, Any]]:
    """The figures kept (of one event), each as its values, n, seconds and late, in key order."""
    own = DailyFigure.objects.filter(rolled="")  # the counts' own rows, not the rolled ones
    qs = own if event is None else own.filter(event=event)
    fields = ("event", "country", "owner", "database", "kind", "iccs", "outcome", "restricted", "n", "late")
    out = [{**{f: getattr(x, f) for f in fields}, "seconds": round(x.seconds, 3)} for x in qs]
    return sorted(out, key=lambda r: tuple(str(v) for v in r.values()))


def months() -> dict[tuple, tuple]:
    """The months' figures as kept: each row's month and values, its n, seconds (to the microsecond)
    and late."""
    rows = MonthlyFigure.objects.values_list(*DIMENSIONS, "n", "seconds", "late")
    return {row[:-3]: (row[-3], round(row[-2], 6), row[-1]) for row in rows}


def months_of_days() -> dict[tuple, tuple]:
    """The days' figures summed by month, as `months` should hold them."""
    summed: dict[tuple, list] = defaultdict(lambda: [0, 0.0, 0])
    for row in DailyFigure.objects.values_list(*DIMENSIONS, "n", "seconds", "late"):
        total = summed[(row[0].replace(day=1), *row[1:-3])]
        total[0] += row[-3]
        total[1] += row[-2]
        total[2] += row[-1]
    return {key: (n, round(seconds, 6), late) for key, (n, seconds, late) in summed.items() if n or late}


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
