"""CSV that a spreadsheet opens as data, never as formulas (OWASP, "CSV Injection").

Labels, names and manifest cells come from other countries and from uploads: a cell such as
`=HYPERLINK("http://…", "Click")` or `@SUM(…)` would run as a formula in the officer's spreadsheet.
Every cell this system writes to a CSV goes through `cell`, which puts a single quote before a
cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return; the quote shows, the
formula does not run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def row(values: Iterable[Any]) -> list[str]:
    return [cell(v) for v in values]


class Writer:
    """`csv.writer` whose every cell goes through `cell`."""

    def __init__(self, out: Any, **kwargs: Any):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, values: Iterable[Any]) -> Any:
        return self._writer.writerow(row(values))


class DictWriter(csv.DictWriter):
    """`csv.DictWriter` whose every cell (the header too) goes through `cell`."""

    def writeheader(self) -> Any:
        return self.writer.writerow(row(self.fieldnames))

    def writerow(self, rowdict: Any) -> Any:
        return super().writerow({k: cell(v) for k, v in rowdict.items()})
