"""What crosses the network for the analytics: the network figures the GS publishes, as every node
receives them (`receive.py`). The body is bounded and checked cell by cell against what a published
figure may hold, so that a node keeps nothing the small-count rule would not let out: known figure
keys with their own columns, labels of bounded length, counts that are 0, "< 5" or a multiple of
5, means and shares within range, coverage of member countries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from ncbnet.network.wire import Body, Id, Stamp, Text150
from ncbnet.network.wire import Country as MemberCountry

from . import figures

MAX_ROWS = 40_000  # a figure's rows: the flows' matrix of every member country with every other
MAX_CELLS = 250_000  # a publication's cells, all figures together (the envelope's 4 MB come first)
MAX_LABEL = 64
MAX_QUERY = 8000
MAX_MEAN = 10_000_000.0  # hours or minutes: beyond it, not a review or an answer time
LONGEST = figures.LONGEST_PERIOD


def _day_text(value: Any) -> Any:
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("a day as YYYY-MM-DD text")
    return value


Day = Annotated[dt.date, Field(strict=False), BeforeValidator(_day_text)]


def _count(value: Any) -> bool:
    if value == figures.SUPPRESSED:
        return True
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return value == 0 or (figures.SMALL <= value <= 2**53 - 1 and value % figures.ROUND_TO == 0)


def _mean(value: Any) -> bool:
    if value == "":
        return True
    return not isinstance(value, bool) and isinstance(value, int | float) and 0 <= value <= MAX_MEAN


def _share(value: Any) -> bool:
    if value == "":
        return True
    return not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= 100


def _label(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_LABEL and value.isprintable()


def cell_error(column: str, value: Any) -> str | None:
    """Why `value` may not stand in `column` of a published figure, or None."""
    if column in figures.LABEL_COLUMNS:
        return None if _label(value) else "a label: text of at most 64 printable characters"
    if column in figures.MEAN_COLUMNS:
        return None if _mean(value) else "a mean: empty, or a number from 0 to 10,000,000"
    if column in figures.SHARE_COLUMNS:
        return None if _share(value) else "a share: empty, or a whole percentage from 0 to 100"
    return (
        None if _count(value) else 'a published count: 0, "< 5" or a multiple of 5 (small counts never leave)'
    )


class PublishedFigure(Body):
    key: Literal[figures.PUBLISHED_KEYS]  # type: ignore[valid-type]
    columns: list[Annotated[str, Field(max_length=32)]] = Field(max_length=16)
    rows: list[list[Any]] = Field(max_length=MAX_ROWS)
    query: Annotated[str, Field(max_length=MAX_QUERY)]
    coverage: list[MemberCountry | Literal["GS"]] = Field(max_length=200)

    @model_validator(mode="after")
    def holds_what_a_published_figure_holds(self) -> PublishedFigure:
        if self.columns != figures.COLUMNS[self.key]:
            raise ValueError(f"the columns of {self.key} are {', '.join(figures.COLUMNS[self.key])}")
        if len(set(self.coverage)) != len(self.coverage):
            raise ValueError("a country is listed twice in the coverage")
        width = len(self.columns)
        for i, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"row {i} has {len(row)} cells, not {width}")
            for column, value in zip(self.columns, row, strict=True):
                if (error := cell_error(column, value)) is not None:
                    raise ValueError(f"row {i}, {column}: {error}")
        return self


class PublicationBody(Body):
    id: Id
    kind: Literal["figures", "report"]
    start: Day
    end: Day
    published_by: Text150
    published_at: Stamp
    figures: list[PublishedFigure] = Field(max_length=len(figures.PUBLISHED_KEYS))

    @model_validator(mode="after")
    def a_period_and_each_figure_once(self) -> PublicationBody:
        if self.end < self.start or self.end - self.start > LONGEST:
            raise ValueError("the period ends before it starts, or is longer than ten years")
        if self.kind == "report" and (
            self.start != dt.date(self.start.year, 1, 1) or self.end != dt.date(self.start.year, 12, 31)
        ):
            raise ValueError("a yearly report covers one calendar year")
        keys = [f.key for f in self.figures]
        if len(set(keys)) != len(keys):
            raise ValueError("a figure is given twice")
        if sum(len(f.rows) * len(f.columns) for f in self.figures) > MAX_CELLS:
            raise ValueError(f"more than {MAX_CELLS} cells")
        return self
