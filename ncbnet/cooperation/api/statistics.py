"""The API of cooperation: the bureau's Art. 18 statistics for a period, as JSON or CSV."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from django.http import HttpResponse, StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from ncbnet.base import downloads
from ncbnet.base.api import allow
from ncbnet.base.http import client_ip
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from ..policies import COOPERATE
from ..services import statistics

router = Router(tags=["cooperation"])


class PeriodIn(Schema):
    start: str = Field(
        "", alias="from", description="First day, YYYY-MM-DD (UTC); default 1 January this year"
    )
    end: str = Field("", alias="to", description="Last day, included, YYYY-MM-DD (UTC); default 31 December")
    format: Literal["json", "csv"] = Field(
        "json", description="json, or csv: one long table with a section column"
    )


class SplitOut(Schema):
    urgent: int
    not_urgent: int
    total: int

    @staticmethod
    def of(s: statistics.Split) -> SplitOut:
        return SplitOut(urgent=s.urgent, not_urgent=s.not_urgent, total=s.total)


class CountsOut(Schema):
    sent: SplitOut
    received: SplitOut
    answered_in_time: SplitOut = Field(description="Received, answered or refused by the deadline")
    answered_late: SplitOut = Field(description="Received, answered or refused after the deadline")
    refused: SplitOut = Field(description="Received and refused (also counted as answered)")

    @staticmethod
    def of(c: statistics.Counts) -> CountsOut:
        return CountsOut(
            sent=SplitOut.of(c.sent),
            received=SplitOut.of(c.received),
            answered_in_time=SplitOut.of(c.answered_in_time),
            answered_late=SplitOut.of(c.answered_late),
            refused=SplitOut.of(c.refused),
        )


class StatisticsCountryOut(Schema):
    country: str = Field(description='The other party: a country code, or "hub" for the GS')
    counts: CountsOut


class GroundOut(Schema):
    ground: str
    label: str
    refused_by_us: int = Field(description="Received requests this bureau refused on this ground")
    refused_to_us: int = Field(description="Sent requests the other bureau refused on this ground")


class PausesOut(Schema):
    requests: int
    total_hours: float
    average_hours: float

    @staticmethod
    def of(p: statistics.Pauses) -> PausesOut:
        return PausesOut(requests=p.requests, total_hours=_hours(p.total), average_hours=_hours(p.average))


class NowOut(Schema):
    received_open: SplitOut
    received_overdue: SplitOut
    sent_open: SplitOut
    sent_overdue: SplitOut


class StatisticsOut(Schema):
    node: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    computed_at: datetime
    totals: CountsOut
    countries: list[StatisticsCountryOut]
    refusals: list[GroundOut]
    judicial_pauses_received: PausesOut = Field(description="Pauses this bureau took on requests it received")
    judicial_pauses_sent: PausesOut = Field(description="Pauses other bureaus took on requests this one sent")
    now: NowOut = Field(description="Open and overdue at this moment, whatever the period")


def _hours(d: timedelta) -> float:
    return round(d.total_seconds() / 3600, 2)


def statistics_out(s: statistics.Statistics) -> StatisticsOut:
    return StatisticsOut(
        node=s.node,
        start=s.period.start,
        end=s.period.end,
        computed_at=s.at,
        totals=CountsOut.of(s.totals),
        countries=[
            StatisticsCountryOut(country=r.country, counts=CountsOut.of(r.counts)) for r in s.countries
        ],
        refusals=[
            GroundOut(
                ground=g.ground, label=g.label, refused_by_us=g.refused_by_us, refused_to_us=g.refused_to_us
            )
            for g in s.refusals
        ],
        judicial_pauses_received=PausesOut.of(s.pauses_received),
        judicial_pauses_sent=PausesOut.of(s.pauses_sent),
        now=NowOut(
            received_open=SplitOut.of(s.now.received_open),
            received_overdue=SplitOut.of(s.now.received_overdue),
            sent_open=SplitOut.of(s.now.sent_open),
            sent_overdue=SplitOut.of(s.now.sent_overdue),
        ),
    )


@router.get(
    "",
    response=StatisticsOut,
    by_alias=True,
    url_name="cooperation_statistics",
    auth=allow(COOPERATE, Scope.READ_MESSAGES),
    summary="The bureau's Art. 18 statistics for a period",
    openapi_extra={
        "responses": {200: downloads.openapi("text/csv", "The figures: JSON, or CSV with format=csv")}
    },
)
def statistics_read(
    request: AuthedRequest, period: Query[PeriodIn]
) -> StatisticsOut | HttpResponse | StreamingHttpResponse:
    p = statistics.period(period.start, period.end)
    s = statistics.compute(request.user, p, client_ip(request))
    if period.format == "csv":
        name = f"statistics-{s.node}-{p.start.isoformat()}-{p.end.isoformat()}.csv"
        return downloads.download([statistics.as_csv(s)], name, content_type="text/csv; charset=utf-8")
    return statistics_out(s)
