"""What screening hands on: a hit and a screening's result. A hit is built here only (`Hit.of`),
with every field later code reads declared up front: the report fields stay None until the hit is
reported to its owner (`reported`), which every screening does but a benchmark of the search."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

POSSIBLE_MATCH = "possible match: awaiting confirmation by the owner NCB; do not act on it before"


class Holding(Protocol):
    """What a hit shows of a record held here (a global record, a replica's, or `services.Held`)."""

    @property
    def pk(self) -> Any: ...

    @property
    def database(self) -> str: ...

    @property
    def owner(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def data(self) -> Any: ...

    @property
    def handling(self) -> str: ...


@dataclass
class Hit:
    """A record that matched a query: a possible match to be confirmed by its owner, never an
    instruction to act."""

    record: str  # the record's id
    database: str
    owner: str
    label: str
    data: dict[str, Any]  # the record's data but its photos
    handling: str
    matched: str  # what matched, in a few words
    score: float
    explanation: list[str]
    status: str = POSSIBLE_MATCH
    report: str | None = None  # the hit report's id, once reported
    due_at: str | None = None  # when the owner's answer is due (ISO 8601), once reported

    @classmethod
    def of(cls, record: Holding, why: str, score: float = 1.0, explanation: list[str] | None = None) -> Hit:
        return cls(
            record=str(record.pk),
            database=record.database,
            owner=record.owner,
            label=record.label,
            data={k: v for k, v in record.data.items() if k != "photos"},
            handling=record.handling,
            matched=why,
            score=score,
            explanation=explanation or [why],
        )

    def reported(self, report_id: Any, due_at: datetime) -> None:
        """The hit report made of this hit, and when its answer is due."""
        self.report = str(report_id)
        self.due_at = due_at.isoformat()


@dataclass
class Result:
    """One screening: what was asked, what is wrong with it (a bad check digit), and its hits."""

    query: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
