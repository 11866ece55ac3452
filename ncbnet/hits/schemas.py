"""The bodies of the hit envelopes (`hits.report`, `hits.answer`, `hits.escalate`), checked before
their handlers run, and what a screening hands on to be reported (`Found`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import Field, StringConstraints

from ncbnet.network import wire

from .models import Escalation, HitReport

MAX_MORE_TIME_MINUTES = 7 * 24 * 60


class Found(Protocol):
    """What a report keeps of a screening's hit (`screening.schemas.Hit`)."""

    @property
    def record(self) -> str: ...

    @property
    def database(self) -> str: ...

    @property
    def owner(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def explanation(self) -> list[str]: ...


def _text(value: Any) -> Any:
    """A model's value as the body carries it: ids and times as text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class ReportBody(wire.Body):
    """A hit report as it travels: each field is the `HitReport` field of the same name (but
    `record`, kept as `record_id`), so a field is added here and on the model, and nowhere else."""

    RENAMED: ClassVar[dict[str, str]] = {"record": "record_id"}

    id: wire.Id
    record: wire.Id
    database: wire.Text16
    label: wire.Text300
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
        """The body that carries a report kept here."""
        return {name: _text(getattr(report, cls.RENAMED.get(name, name))) for name in cls.model_fields}

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
