"""The bodies of the hit envelopes (`hits.report`, `hits.answer`, `hits.escalate`), checked before
their handlers run."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ncbnet.network import wire

from .models import Escalation

MAX_MORE_TIME_MINUTES = 7 * 24 * 60


class ReportBody(wire.Body):
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
