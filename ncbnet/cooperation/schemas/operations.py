"""What an operation and a result look like on the network: the bodies of the
`cooperation.operation` and `cooperation.operation.result` envelopes, checked before their
handlers run."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, StringConstraints

from ncbnet.network import wire

from ..models.operations import Operation, OperationResult, OperationState, ResultKind
from .requests import Category

MAX_PARTICIPANTS = 196
MAX_AGENCIES = 500
MAX_ITEMS = 30


def _day(value: str) -> str:
    date.fromisoformat(value)  # a real day of the calendar
    return value


Day = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_day)]
PartialDay = Annotated[str, StringConstraints(pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?)?$")]
# Decimals travel as text, so no node rounds them through a float.
Quantity = Annotated[str, StringConstraints(pattern=r"^(\d{1,15}(\.\d{1,3})?)?$")]
Money = Annotated[str, StringConstraints(pattern=r"^(\d{1,16}(\.\d{1,2})?)?$")]
Item = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class AgencyContact(wire.Body):
    country: wire.Country
    agency: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    contact: wire.Text300 = ""


class OperationBody(wire.Body):
    operation_id: wire.Id
    version: Annotated[int, Field(ge=1, le=2**31)]
    code_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    series: Annotated[str, StringConstraints(max_length=100)] = ""
    coordinator: wire.Node
    coordinating_body: wire.Text300 = ""
    participants: Annotated[list[wire.Country], Field(min_length=1, max_length=MAX_PARTICIPANTS)]
    group: Annotated[str, StringConstraints(max_length=64)] = ""
    agencies: Annotated[list[AgencyContact], Field(max_length=MAX_AGENCIES)] = []
    period_start: Day
    period_end: Day
    operational_hub: Annotated[str, StringConstraints(max_length=200)] = ""
    target_crime: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    commodities: Annotated[list[Item], Field(max_length=MAX_ITEMS)] = []
    tools: Annotated[list[Item], Field(max_length=MAX_ITEMS)] = []
    state: Annotated[OperationState, wire.CHOICE]
    created_at: wire.Stamp

    KEPT: ClassVar[tuple[str, ...]] = (
        "version",
        "code_name",
        "series",
        "coordinator",
        "coordinating_body",
        "participants",
        "group",
        "operational_hub",
        "target_crime",
        "commodities",
        "tools",
        "state",
        "created_at",
    )

    @classmethod
    def of(cls, op: Operation) -> dict[str, Any]:
        body: dict[str, Any] = {name: getattr(op, name) for name in cls.KEPT}
        body |= {
            "operation_id": str(op.pk),
            "agencies": op.agencies,
            "period_start": op.period_start.isoformat(),
            "period_end": op.period_end.isoformat(),
            "created_at": op.created_at.isoformat(),
            "state": str(op.state),
        }
        return body

    def fields(self) -> dict[str, Any]:
        kept = {name: getattr(self, name) for name in self.KEPT}
        kept["participants"] = sorted(set(self.participants))
        kept["commodities"] = list(self.commodities)
        kept["tools"] = list(self.tools)
        kept["state"] = str(self.state)
        kept["agencies"] = [a.model_dump(mode="json") for a in self.agencies]
        kept["period_start"], kept["period_end"] = self.period_start, self.period_end
        return kept


class ResultBody(wire.Body):
    result_id: wire.Id
    operation_id: wire.Id
    reported_by: wire.Node
    reporter_name: wire.Text300
    kind: Annotated[ResultKind, wire.CHOICE]
    iccs: Category = ""  # absent from the results of nodes older than crime categories: none
    person_name: wire.Text300 = ""
    date_of_birth: PartialDay = ""
    nationality: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2})?$")] = ""
    notice_subject: bool = False
    notice_id: Annotated[str, StringConstraints(max_length=64)] = ""
    commodity: Annotated[str, StringConstraints(max_length=100)] = ""
    quantity: Quantity = ""
    unit: Annotated[str, StringConstraints(max_length=20)] = ""
    value_usd: Money = ""
    count: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    place: Annotated[str, StringConstraints(max_length=200)] = ""
    date: Day
    note: wire.Text2000 = ""
    reported_at: wire.Stamp

    KEPT: ClassVar[tuple[str, ...]] = (
        "reported_by",
        "reporter_name",
        "kind",
        "iccs",
        "person_name",
        "date_of_birth",
        "nationality",
        "notice_subject",
        "notice_id",
        "commodity",
        "unit",
        "count",
        "place",
        "date",
        "note",
        "reported_at",
    )

    @classmethod
    def of(cls, r: OperationResult) -> dict[str, Any]:
        body: dict[str, Any] = {name: getattr(r, name) for name in cls.KEPT}
        body |= {
            "result_id": str(r.pk),
            "operation_id": str(r.operation_id),
            "kind": str(r.kind),
            "quantity": "" if r.quantity is None else str(r.quantity),
            "value_usd": "" if r.value_usd is None else str(r.value_usd),
            "date": r.date.isoformat(),
            "reported_at": r.reported_at.isoformat(),
        }
        if not body["iccs"]:
            del body["iccs"]
        return body

    def fields(self) -> dict[str, Any]:
        kept = {name: getattr(self, name) for name in self.KEPT}
        kept["kind"] = str(self.kind)
        kept["quantity"] = self.quantity or None
        kept["value_usd"] = self.value_usd or None
        return kept
