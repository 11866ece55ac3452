"""A hit (a record that matched a screening, built here only: `Hit.of`, with every field later code
reads declared up front; the report fields stay None until it is reported to its owner), and the
bodies of the hit envelopes (`hits.report`, `hits.answer`, `hits.escalate`), checked before their
handlers run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import AfterValidator, Field, StringConstraints

from ncbnet.base import iccs
from ncbnet.network import wire

from .models import Escalation, HitReport

MAX_MORE_TIME_MINUTES = 7 * 24 * 60


POSSIBLE_MATCH = "possible match: awaiting confirmation by the owner NCB; do not act on it before"
# A name close to the record's but below the match threshold: shown to the officer, never reported.
BELOW_THRESHOLD = "possible match below the threshold: not reported to the owner NCB"


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
    # The notices out for the person (`screening.outstanding`): on a record hit, those whose
    # subject is the record; on a hit on a notice's subject (database "notices"), that notice.
    notices: list[dict[str, Any]] = field(default_factory=list)
    iccs: str = ""  # the crime category of the record or notice hit (a level-2 ICCS code), if any
    # a record not every country may see: known at the hub, which keeps records' restrictions (a
    # replica does not: there, False), for the figures (`HitReport.restricted`)
    restricted: bool = False

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
            iccs=iccs.of(record.data),
            restricted=getattr(record, "access", "all") != "all",
        )

    @classmethod
    def of_notice(cls, notice: Any, subject: dict[str, Any], score: float, explanation: list[str]) -> Hit:
        """A notice's subject that matched: its owner, who requested the notice, confirms it."""
        return cls(
            record=str(notice.pk),
            database="notices",
            owner=notice.owner,
            label=notice.title,
            data={k: v for k, v in subject.items() if k != "photos"},
            handling="",
            matched="name",
            score=score,
            explanation=explanation,
            iccs=iccs.of(notice.data),
        )

    def below_threshold(self) -> Hit:
        """A possible match below the threshold: shown with its explanation, never reported."""
        self.status = BELOW_THRESHOLD
        return self

    def reported(self, report_id: Any, due_at: datetime) -> None:
        """The hit report made of this hit, and when its answer is due."""
        self.report = str(report_id)
        self.due_at = due_at.isoformat()


def _text(value: Any) -> Any:
    """A model's value as the body carries it: ids and times as text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# A crime category as a report carries it: a level-2 ICCS code, or "" for none.
_Category = Annotated[str, StringConstraints(max_length=40), AfterValidator(iccs.check)]


class ReportBody(wire.Body):
    """A hit report as it travels: each field is the `HitReport` field of the same name (but
    `record`, kept as `record_id`), so a field is added here and on the model, and nowhere else."""

    RENAMED: ClassVar[dict[str, str]] = {"record": "record_id"}

    id: wire.Id
    record: wire.Id
    database: wire.Text16
    label: wire.Text300
    iccs: _Category = ""  # absent from the reports of nodes older than crime categories: none
    owner: wire.Country
    found_by: Annotated[str, StringConstraints(max_length=3)]  # a country code, or "GS"
    officer: wire.Text150
    context: Annotated[
        dict[Annotated[str, StringConstraints(max_length=32)], wire.Json], Field(max_length=10)
    ]
    query: Annotated[dict[Annotated[str, StringConstraints(max_length=64)], wire.Json], Field(max_length=50)]
    score: Annotated[float, Field(ge=0, le=1)]
    explanation: Annotated[list[wire.Json], Field(max_length=100)]
    urgent: bool
    found_at: wire.Stamp

    @classmethod
    def of(cls, report: HitReport) -> dict[str, Any]:
        """The body that carries a report kept here (without a category when it has none, as
        nodes older than crime categories read it)."""
        body = {name: _text(getattr(report, cls.RENAMED.get(name, name))) for name in cls.model_fields}
        if not body["iccs"]:
            del body["iccs"]
        return body

    def report_fields(self) -> dict[str, Any]:
        """The `HitReport` fields this body gives (all but those of the node that keeps it)."""
        return {self.RENAMED.get(name, name): getattr(self, name) for name in type(self).model_fields}


class AnswerBody(wire.Body):
    id: wire.Id
    outcome: Literal["confirmed", "denied", "more_time"]
    note: wire.Text2000
    minutes: Annotated[int, Field(ge=1, le=MAX_MORE_TIME_MINUTES)] | None
    by: wire.Text150
    at: wire.Stamp


class EscalateBody(wire.Body):
    id: wire.Id
    level: Annotated[int, Field(ge=int(Escalation.REMINDED), le=int(Escalation.GS))]
    at: wire.Stamp
