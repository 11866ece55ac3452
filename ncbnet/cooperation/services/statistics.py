"""The statistics a bureau reports each year (EU Directive 2023/977, Art. 18), from the requests this
node keeps: sent and received, answered within and after the deadline, urgent or not, by country,
refusals by ground, delays for judicial authorisation, and what is still open and overdue now.

A request counts in a period by the day it was sent (sent requests) or received (received ones),
in UTC; what happened to it afterwards (answer, refusal, pause) counts with it. A refusal is an
answer: it closes the deadline like one. Every figure comes from an aggregate query; nothing loops
over the rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Case, CharField, Count, F, Q, QuerySet, Sum, When
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.base.node import node_id

from ..models.requests import AWAITING_ANSWER, OPEN_STATES, RefusalGround, Request
from ..policies import cooperates

OUT, IN = Request.Direction.OUT, Request.Direction.IN
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Period:
    """From the start of `start` to the end of `end`, both days included (UTC)."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def _day(raw: str, name: str, default: date) -> date:
    raw = raw.strip()
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError({name: _("A date as YYYY-MM-DD, for example 2026-01-31.")}) from exc
    if day < EARLIEST or day.year > 9998:
        raise ValidationError({name: _("A date from the year 2000 on.")})
    return day


def period(start: str = "", end: str = "") -> Period:
    """The period from two dates as typed (YYYY-MM-DD); by default the current calendar year."""
    today = clock.now().astimezone(UTC).date()
    first = _day(start, "from", date(today.year, 1, 1))
    last = _day(end, "to", date(today.year, 12, 31))
    if first > last:
        raise ValidationError({"to": _("The end of the period comes before its start.")})
    return Period(first, last)


@dataclass(frozen=True)
class Split:
    """A figure for urgent requests and for the others."""

    urgent: int
    not_urgent: int

    @property
    def total(self) -> int:
        return self.urgent + self.not_urgent


@dataclass(frozen=True)
class Counts:
    """The columns of the headline table, and of each country's row."""

    sent: Split
    received: Split
    answered_in_time: Split  # received, and answered or refused by their deadline
    answered_late: Split  # received, and answered or refused after it
    refused: Split  # received and refused (counted in the two above as well)

    @property
    def in_time_percent(self) -> int | None:
        """The share of the answers given by their deadline (None before any answer)."""
        answered = self.answered_in_time.total + self.answered_late.total
        return round(100 * self.answered_in_time.total / answered) if answered else None


@dataclass(frozen=True)
class CountryRow:
    country: str  # the other party: a country code, or "hub" for the General Secretariat
    counts: Counts


@dataclass(frozen=True)
class GroundRow:
    ground: str
    label: str
    refused_by_us: int  # received requests this bureau refused on this ground
    refused_to_us: int  # sent requests the other bureau refused on this ground


@dataclass(frozen=True)
class Pauses:
    """Requests paused while a judicial authorisation was obtained: how many, and how long."""

    requests: int
    total: timedelta
    average: timedelta


@dataclass(frozen=True)
class Now:
    """At this moment, whatever the period: received requests waiting for this bureau's answer, and
    sent ones still waiting for the other bureau's."""

    received_open: Split
    received_overdue: Split
    sent_open: Split
    sent_overdue: Split


@dataclass(frozen=True)
class Statistics:
    node: str
    period: Period
    at: datetime
    totals: Counts
    countries: list[CountryRow]
    refusals: list[GroundRow]
    pauses_received: Pauses  # the pauses this bureau took on requests it received
    pauses_sent: Pauses  # the pauses the other bureaus took on requests this one sent
    now: Now


def _in(p: Period, stamp: str) -> Q:
    return Q(**{f"{stamp}__gte": p.since, f"{stamp}__lt": p.until})


def _columns(p: Period) -> dict[str, Count]:
    """Each table column as a filtered count, urgent and not."""
    sent = Q(direction=OUT) & _in(p, "created_at")
    received = Q(direction=IN) & _in(p, "received_at")
    answered = received & Q(answered_at__isnull=False, due_at__isnull=False)
    columns = {
        "sent": sent,
        "received": received,
        "answered_in_time": answered & Q(answered_at__lte=F("due_at")),
        "answered_late": answered & Q(answered_at__gt=F("due_at")),
        "refused": received & ~Q(refusal_ground=""),
    }
    out: dict[str, Count] = {}
    for name, where in columns.items():
        out[f"{name}_urgent"] = Count("pk", filter=where & Q(urgent=True))
        out[f"{name}_not_urgent"] = Count("pk", filter=where & Q(urgent=False))
    return out


def _counts(row: dict[str, Any]) -> Counts:
    def split(name: str) -> Split:
        return Split(urgent=row[f"{name}_urgent"] or 0, not_urgent=row[f"{name}_not_urgent"] or 0)

    return Counts(**{f.name: split(f.name) for f in fields(Counts)})


def _cohort(p: Period) -> QuerySet[Request]:
    """The requests that count in the period: sent in it, or received in it."""
    return Request.objects.filter(
        (Q(direction=OUT) & _in(p, "created_at")) | (Q(direction=IN) & _in(p, "received_at"))
    )


def _countries(p: Period) -> list[CountryRow]:
    other = Case(When(direction=OUT, then=F("requested")), default=F("requester"), output_field=CharField())
    rows = _cohort(p).annotate(other=other).values("other").annotate(**_columns(p)).order_by("other")
    return [CountryRow(country=row["other"], counts=_counts(row)) for row in rows]


def _refusals(p: Period) -> list[GroundRow]:
    rows = {
        row["refusal_ground"]: row
        for row in _cohort(p)
        .exclude(refusal_ground="")
        .values("refusal_ground")
        .annotate(
            by_us=Count("pk", filter=Q(direction=IN)),
            to_us=Count("pk", filter=Q(direction=OUT)),
        )
        .order_by()
    }
    return [
        GroundRow(
            ground=str(ground.value),
            label=str(ground.label),
            refused_by_us=rows.get(ground.value, {}).get("by_us", 0),
            refused_to_us=rows.get(ground.value, {}).get("to_us", 0),
        )
        for ground in RefusalGround
    ]


def _pauses(p: Period, direction: str) -> Pauses:
    paused = _cohort(p).filter(direction=direction, judicial_delay__gt=timedelta(0))
    row = paused.aggregate(n=Count("pk"), total=Sum("judicial_delay"), average=Avg("judicial_delay"))
    return Pauses(
        requests=row["n"],
        total=row["total"] or timedelta(0),
        average=_duration(row["average"]),
    )


def _duration(value: Any) -> timedelta:
    """An average of durations as the database gives it (a timedelta, or microseconds on SQLite)."""
    if value is None:
        return timedelta(0)
    if isinstance(value, timedelta):
        return value
    return timedelta(microseconds=round(float(value)))


def _now(at: datetime) -> Now:
    waiting = Q(state__in=AWAITING_ANSWER)
    overdue = waiting & Q(due_at__lt=at)
    sent_open = Q(direction=OUT, state__in=OPEN_STATES)

    def split(where: Q) -> dict[str, Count]:
        return {
            "urgent": Count("pk", filter=where & Q(urgent=True)),
            "not_urgent": Count("pk", filter=where & Q(urgent=False)),
        }

    columns = {
        "received_open": Q(direction=IN) & waiting,
        "received_overdue": Q(direction=IN) & overdue,
        "sent_open": sent_open,
        "sent_overdue": Q(direction=OUT) & overdue,
    }
    row = Request.objects.aggregate(
        **{f"{name}_{k}": c for name, where in columns.items() for k, c in split(where).items()}
    )
    return Now(
        **{
            name: Split(urgent=row[f"{name}_urgent"], not_urgent=row[f"{name}_not_urgent"])
            for name in columns
        }
    )


def compute(actor: Person, p: Period, ip: str | None = None) -> Statistics:
    """The Art. 18 figures of this bureau for the period; reading them is audited."""
    if not cooperates(actor):
        raise PermissionDenied(_("The bureau's statistics are for its staff and the GS."))
    at = clock.now()
    stats = Statistics(
        node=node_id(),
        period=p,
        at=at,
        totals=_counts(_cohort(p).aggregate(**_columns(p))),
        countries=_countries(p),
        refusals=_refusals(p),
        pauses_received=_pauses(p, IN),
        pauses_sent=_pauses(p, OUT),
        now=_now(at),
    )
    with transaction.atomic():
        audit.record(
            "cooperation.statistics.read",
            actor=actor,
            ip=ip,
            detail={"from": p.start.isoformat(), "to": p.end.isoformat()},
        )
    return stats


# CSV: one long table, a `section` column saying which table each row belongs to.
CSV_HEADER = ("section", "key", "measure", "urgent", "not_urgent", "total")


def _counts_lines(section: str, key: str, c: Counts) -> Iterator[tuple[Any, ...]]:
    for f in fields(Counts):
        s: Split = getattr(c, f.name)
        yield (section, key, f.name, s.urgent, s.not_urgent, s.total)


def _hours(d: timedelta) -> str:
    return f"{d.total_seconds() / 3600:.2f}"


def csv_lines(s: Statistics) -> Iterator[tuple[Any, ...]]:
    yield ("period", "from", s.period.start.isoformat(), "", "", "")
    yield ("period", "to", s.period.end.isoformat(), "", "", "")
    yield ("period", "computed_at", s.at.isoformat(), "", "", "")
    yield from _counts_lines("totals", "all", s.totals)
    for row in s.countries:
        yield from _counts_lines("country", row.country, row.counts)
    for g in s.refusals:
        yield ("refusals", g.ground, "refused_by_us", "", "", g.refused_by_us)
        yield ("refusals", g.ground, "refused_to_us", "", "", g.refused_to_us)
    for key, pauses in (("received", s.pauses_received), ("sent", s.pauses_sent)):
        yield ("judicial_pauses", key, "requests", "", "", pauses.requests)
        yield ("judicial_pauses", key, "total_hours", "", "", _hours(pauses.total))
        yield ("judicial_pauses", key, "average_hours", "", "", _hours(pauses.average))
    for f in fields(Now):
        split: Split = getattr(s.now, f.name)
        yield ("now", "all", f.name, split.urgent, split.not_urgent, split.total)


def as_csv(s: Statistics) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_lines(s))
    return out.getvalue()
