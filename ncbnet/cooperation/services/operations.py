"""Operations and their results: the coordinator creates and updates an operation (sent to every
participant); a participant reports results (sent to the coordinator and every other participant);
every node matches the results the same way, so a result reported by two countries is counted
once, and totals them by country and commodity."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from anyascii import anyascii
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock, tally
from ncbnet.base.actor import Person
from ncbnet.base.csvsafe import row as csv_row
from ncbnet.base.node import node_id
from ncbnet.config import member_codes
from ncbnet.network import delivery as network
from ncbnet.network.envelope import new_id

from ..models.operations import OPERATION_STEPS, Operation, OperationResult, OperationState, ResultKind
from ..policies import cooperates
from ..schemas.operations import MAX_AGENCIES, MAX_ITEMS, OperationBody, ResultBody
from . import groups, tallies
from .requests import category_errors

KIND = "cooperation.operation"
RESULT = "cooperation.operation.result"


def _require(actor: Person) -> None:
    if not cooperates(actor):
        raise PermissionDenied(_("Operations are for the bureau's staff and the GS."))


def _name(actor: Person) -> str:
    return actor.get_full_name() or actor.get_username()


# --- operations ----------------------------------------------------------------------------------


@dataclass
class Draft:
    code_name: str
    target_crime: str
    period_start: str
    period_end: str
    participants: list[str] = field(default_factory=list)  # country codes
    group: str = ""  # or a group, expanded to its members
    series: str = ""
    coordinating_body: str = ""
    agencies: list[dict[str, str]] = field(default_factory=list)  # {"country", "agency", "contact"}
    operational_hub: str = ""
    commodities: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    state: str = OperationState.PLANNED


def _day(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationError({name: _("A date as YYYY-MM-DD.")}) from exc


def _items(values: Iterable[str], name: str) -> list[str]:
    items = [v.strip() for v in values if v.strip()]
    if len(items) > MAX_ITEMS or any(len(v) > 100 for v in items):
        raise ValidationError({name: _("At most 30 items of at most 100 characters.")})
    return list(dict.fromkeys(items))


def _participants(d: Draft) -> list[str]:
    codes = {c.strip().upper() for c in d.participants if c.strip()}
    if d.group.strip():
        codes |= set(groups.members(d.group))
    unknown = sorted(c for c in codes if c not in member_codes())
    if unknown:
        raise ValidationError(
            {"participants": _("Not member countries: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    if not codes:
        raise ValidationError({"participants": _("Name the participating countries or a group.")})
    return sorted(codes)


def _agencies(raw: list[dict[str, str]], participants: list[str]) -> list[dict[str, str]]:
    if len(raw) > MAX_AGENCIES:
        raise ValidationError({"agencies": _("At most 500 agencies.")})
    out = []
    for i, a in enumerate(raw):
        country = str(a.get("country", "")).strip().upper()
        agency, contact = str(a.get("agency", "")).strip(), str(a.get("contact", "")).strip()
        if country not in participants:
            raise ValidationError({f"agencies.{i}": _("The agency's country takes part in the operation.")})
        if not agency or len(agency) > 200 or len(contact) > 300:
            raise ValidationError({f"agencies.{i}": _("Name the agency (contact at most 300 characters).")})
        out.append({"country": country, "agency": agency, "contact": contact})
    return out


def _fields(d: Draft) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not d.code_name.strip() or len(d.code_name) > 100:
        errors["code_name"] = _("A code name of 1 to 100 characters.")
    if not d.target_crime.strip() or len(d.target_crime) > 300:
        errors["target_crime"] = _("The target crime, at most 300 characters.")
    if d.state not in OperationState.values:
        errors["state"] = _("Planned, active or finished.")
    for name, limit in (("series", 100), ("coordinating_body", 300), ("operational_hub", 200)):
        if len(getattr(d, name)) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    if errors:
        raise ValidationError(errors)
    start, end = _day(d.period_start, "period_start"), _day(d.period_end, "period_end")
    if end < start:
        raise ValidationError({"period_end": _("The period ends after it starts.")})
    participants = _participants(d)
    return {
        "code_name": d.code_name.strip(),
        "series": d.series.strip(),
        "coordinating_body": d.coordinating_body.strip(),
        "participants": participants,
        "group": d.group.strip(),
        "agencies": _agencies(d.agencies, participants),
        "period_start": start,
        "period_end": end,
        "operational_hub": d.operational_hub.strip(),
        "target_crime": d.target_crime.strip(),
        "commodities": _items(d.commodities, "commodities"),
        "tools": _items(d.tools, "tools"),
        "state": d.state,
    }


def _tell_participants(op: Operation) -> str | None:
    others = [p for p in op.participants if p != node_id()]
    if not others:
        return None
    return network.queue(KIND, others, OperationBody.of(op))


def create(actor: Person, draft: Draft, ip: str | None = None) -> Operation:
    """An operation this node coordinates, sent to every participant."""
    _require(actor)
    kept = _fields(draft)
    now = clock.now()
    with transaction.atomic():
        op = Operation.objects.create(
            id=uuid.UUID(new_id()), coordinator=node_id(), created_at=now, updated_at=now, **kept
        )
        envelope_id = _tell_participants(op)
        audit.record(
            "cooperation.operation.create",
            actor=actor,
            target=op,
            ip=ip,
            detail={"participants": op.participants, "envelope": envelope_id},
        )
    return op


def _get(operation_id: Any, *, lock: bool = False) -> Operation:
    try:
        pk = uuid.UUID(str(operation_id))
    except ValueError as exc:
        raise Http404(_("No such operation on this node.")) from exc
    qs = Operation.objects.select_for_update() if lock else Operation.objects
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such operation on this node."))
    return found


def update(actor: Person, operation_id: Any, draft: Draft, ip: str | None = None) -> Operation:
    """The coordinator changes its operation (or finishes it); every participant, old and new, is
    told. Only forward: planned → active → finished."""
    _require(actor)
    kept = _fields(draft)
    with transaction.atomic():
        op = _get(operation_id, lock=True)
        if op.coordinator != node_id():
            raise PermissionDenied(_("Only the operation's coordinator changes it."))
        if OPERATION_STEPS[kept["state"]] < OPERATION_STEPS[op.state]:
            raise ValidationError({"state": _("An operation does not go back to an earlier state.")})
        before = {"state": op.state, "participants": list(op.participants)}
        for name, value in kept.items():
            setattr(op, name, value)
        op.version += 1
        op.updated_at = clock.now()
        op.save()
        told = sorted((set(before["participants"]) | set(op.participants)) - {node_id()})
        envelope_id = network.queue(KIND, told, OperationBody.of(op)) if told else None
        audit.record(
            "cooperation.operation.update",
            actor=actor,
            target=op,
            ip=ip,
            detail={"from": before, "state": op.state, "envelope": envelope_id},
        )
    return op


def draft_of(op: Operation, **changes: Any) -> Draft:
    """The operation as a draft (to change a few fields of it)."""
    d = Draft(
        code_name=op.code_name,
        target_crime=op.target_crime,
        period_start=op.period_start.isoformat(),
        period_end=op.period_end.isoformat(),
        participants=list(op.participants),
        series=op.series,
        coordinating_body=op.coordinating_body,
        agencies=list(op.agencies),
        operational_hub=op.operational_hub,
        commodities=list(op.commodities),
        tools=list(op.tools),
        state=op.state,
    )
    for name, value in changes.items():
        setattr(d, name, value)
    return d


@dataclass(frozen=True)
class Filters:
    q: str = ""
    state: str = ""
    series: str = ""


def search(actor: Person, f: Filters, ip: str | None = None) -> QuerySet[Operation]:
    _require(actor)
    qs = Operation.objects.all()
    if f.state in OperationState.values:
        qs = qs.filter(state=f.state)
    if f.series.strip():
        qs = qs.filter(series__iexact=f.series.strip())
    if f.q.strip():
        q = f.q.strip()
        qs = qs.filter(
            Q(code_name__icontains=q)
            | Q(target_crime__icontains=q)
            | Q(coordinating_body__icontains=q)
            | Q(operational_hub__icontains=q)
        )
    with transaction.atomic():
        audit.record(
            "cooperation.operation.search",
            actor=actor,
            ip=ip,
            detail={"q": f.q, "state": f.state, "series": f.series},
        )
    return qs


def series_names() -> list[str]:
    return sorted(set(Operation.objects.exclude(series="").values_list("series", flat=True)))


def read(actor: Person, operation_id: Any, ip: str | None = None) -> Operation:
    _require(actor)
    op = _get(operation_id)
    with transaction.atomic():
        audit.record("cooperation.operation.read", actor=actor, target=op, ip=ip)
    return op


# --- results -------------------------------------------------------------------------------------


@dataclass
class ResultDraft:
    kind: str
    date: str
    person_name: str = ""
    date_of_birth: str = ""
    nationality: str = ""
    notice_subject: bool = False
    notice_id: str = ""
    commodity: str = ""
    quantity: str = ""
    unit: str = ""
    value_usd: str = ""
    count: int = 1
    place: str = ""
    note: str = ""
    iccs: str = ""  # the crime category: a level-2 ICCS code, or "" for none


PARTIAL_DAY = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _decimal(value: str, name: str, places: int) -> Decimal | None:
    if not str(value).strip():
        return None
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError({name: _("A number, such as 12.5.")}) from exc
    if not d.is_finite() or d < 0 or d >= Decimal(10) ** 15 or d != round(d, places):
        raise ValidationError({name: _("A positive number with at most %(n)s decimals.") % {"n": places}})
    return d


def _result_fields(r: ResultDraft) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if r.kind not in ResultKind.values:
        errors["kind"] = _("Arrest, seizure, investigation, site closed or victim.")
    if r.kind == ResultKind.ARREST and not r.person_name.strip():
        errors["person_name"] = _("An arrest names the person.")
    if r.date_of_birth.strip() and not PARTIAL_DAY.match(r.date_of_birth.strip()):
        errors["date_of_birth"] = _("YYYY, YYYY-MM or YYYY-MM-DD.")
    if r.nationality.strip() and r.nationality.strip().upper() not in member_codes():
        errors["nationality"] = _("A member country's code.")
    if r.kind == ResultKind.SEIZURE and not (
        r.commodity.strip() and r.unit.strip() and str(r.quantity).strip()
    ):
        errors["commodity"] = _("A seizure gives the commodity, the quantity and its unit.")
    if not 1 <= int(r.count) <= 1_000_000:
        errors["count"] = _("A count from 1 to 1,000,000.")
    for name, limit in (
        ("person_name", 300),
        ("commodity", 100),
        ("unit", 20),
        ("place", 200),
        ("note", 2000),
    ):
        if len(str(getattr(r, name))) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    errors |= category_errors(r.iccs)
    if errors:
        raise ValidationError(errors)
    return {
        "kind": r.kind,
        "iccs": r.iccs.strip(),
        "person_name": r.person_name.strip(),
        "date_of_birth": r.date_of_birth.strip(),
        "nationality": r.nationality.strip().upper(),
        "notice_subject": bool(r.notice_subject),
        "notice_id": r.notice_id.strip()[:64],
        "commodity": r.commodity.strip(),
        "quantity": _decimal(r.quantity, "quantity", 3),
        "unit": r.unit.strip(),
        "value_usd": _decimal(r.value_usd, "value_usd", 2),
        "count": int(r.count) if r.kind not in (ResultKind.ARREST, ResultKind.SEIZURE) else 1,
        "place": r.place.strip(),
        "date": _day(r.date, "date"),
        "note": r.note.strip(),
    }


def report(actor: Person, operation_id: Any, draft: ResultDraft, ip: str | None = None) -> OperationResult:
    """A result this bureau reports, sent to the coordinator and every other participant. Refused
    for an operation this bureau is not in, or one that has not started."""
    _require(actor)
    kept = _result_fields(draft)
    me = node_id()
    with transaction.atomic():
        op = _get(operation_id, lock=True)
        if not op.takes_part(me):
            raise PermissionDenied(
                _("This bureau is not in the operation %(name)s.") % {"name": op.code_name}
            )
        if not op.reporting:
            raise ValidationError({"operation": _("The operation has not started: no results yet.")})
        result = OperationResult.objects.create(
            id=uuid.UUID(new_id()),
            operation=op,
            reported_by=me,
            reporter_name=_name(actor),
            reported_at=clock.now(),
            **kept,
        )
        recount(op)
        tally.count_all([tallies.result(result)])
        others = sorted(({op.coordinator} | set(op.participants)) - {me})
        envelope_id = network.queue(RESULT, others, ResultBody.of(result)) if others else None
        audit.record(
            "cooperation.operation.result",
            actor=actor,
            target=result,
            ip=ip,
            detail={"operation": str(op.pk), "kind": result.kind, "envelope": envelope_id},
        )
    result.refresh_from_db()
    return result


def results(
    actor: Person, operation_id: Any, ip: str | None = None
) -> tuple[Operation, list[OperationResult]]:
    _require(actor)
    op = _get(operation_id)
    found = list(op.results.order_by("date", "id"))
    with transaction.atomic():
        audit.record("cooperation.operation.results", actor=actor, target=op, ip=ip, detail={"n": len(found)})
    return op, found


# --- counted once --------------------------------------------------------------------------------


class Reported(Protocol):
    """What matching needs of a result (a model row, or a plain object in tests)."""

    @property
    def id(self) -> Any: ...
    @property
    def reported_by(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def person_name(self) -> str: ...
    @property
    def date_of_birth(self) -> str: ...
    @property
    def commodity(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def quantity(self) -> Decimal | None: ...
    @property
    def date(self) -> date: ...
    @property
    def place(self) -> str: ...


def normal_name(name: str) -> str:
    """A person's name in any script, as Latin letters, case and order of the words ignored."""
    words = re.findall(r"[a-z0-9]+", anyascii(name).casefold())
    return " ".join(sorted(words))


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", anyascii(text).casefold()))


def match_key(r: Reported) -> tuple[str, ...] | None:
    """Results with the same key may be the same event (None: never matched)."""
    if r.kind == ResultKind.ARREST and r.date_of_birth:
        return ("arrest", normal_name(r.person_name), r.date_of_birth)
    if r.kind == ResultKind.SEIZURE and r.quantity is not None:
        quantity = format(Decimal(r.quantity).normalize(), "f")
        return ("seizure", _plain(r.commodity), _plain(r.unit), quantity, str(r.date))
    return None


def _same(a: Reported, b: Reported) -> bool:
    """Two results with the same key are the same event; a seizure's place, when both give it, too."""
    if a.kind == ResultKind.SEIZURE and a.place and b.place:
        return _plain(a.place) == _plain(b.place)
    return True


def dedup(found: Sequence[Reported]) -> dict[str, str | None]:
    """Each result's id → the id of the result it duplicates (None: counted). Deterministic on
    every node whatever the order results arrived in: in the order of their ids, a result is a
    duplicate of the first counted one that matches it, reported by another country, that has not
    already absorbed one from this country."""
    ordered = sorted(found, key=lambda r: str(r.id))
    counted: dict[tuple[str, ...], list[tuple[Reported, set[str]]]] = defaultdict(list)
    out: dict[str, str | None] = {}
    for r in ordered:
        key = match_key(r)
        out[str(r.id)] = None
        if key is None:
            continue
        for first, countries in counted[key]:
            if r.reported_by not in countries and _same(first, r):
                countries.add(r.reported_by)
                out[str(r.id)] = str(first.id)
                break
        else:
            counted[key].append((r, {r.reported_by}))
    return out


def recount(op: Operation) -> None:
    """Set `duplicate_of` on every result of the operation (inside the caller's transaction)."""
    rows = list(op.results.all())
    by_id = {str(r.pk): r for r in rows}
    for rid, dup in dedup(rows).items():
        row = by_id[rid]
        wanted = uuid.UUID(dup) if dup else None
        if row.duplicate_of_id != wanted:
            row.duplicate_of_id = wanted
            row.save(update_fields=["duplicate_of"])


@dataclass
class Totals:
    arrests: int = 0
    notice_subjects: int = 0
    investigations: int = 0
    sites_closed: int = 0
    victims: int = 0
    seizures: int = 0
    duplicates: int = 0

    def add(self, r: Any) -> None:
        if r.kind == ResultKind.ARREST:
            self.arrests += 1
            self.notice_subjects += 1 if r.notice_subject else 0
        elif r.kind == ResultKind.SEIZURE:
            self.seizures += 1
        elif r.kind == ResultKind.INVESTIGATION:
            self.investigations += r.count
        elif r.kind == ResultKind.SITE_CLOSED:
            self.sites_closed += r.count
        elif r.kind == ResultKind.VICTIM:
            self.victims += r.count


@dataclass
class Seized:
    commodity: str
    unit: str
    quantity: Decimal = Decimal(0)
    value_usd: Decimal = Decimal(0)
    seizures: int = 0


@dataclass
class Summary:
    overall: Totals
    by_country: dict[str, Totals]
    by_commodity: list[Seized]
    by_nationality: dict[str, int]


def summarise(found: Sequence[Any]) -> Summary:
    """Totals of the results, each duplicate counted once (under the country that reported the
    result counted): overall, by reporting country, by commodity and unit, arrests by nationality."""
    dups = dedup(found)
    overall = Totals()
    by_country: dict[str, Totals] = defaultdict(Totals)
    seized: dict[tuple[str, str], Seized] = {}
    nationality: dict[str, int] = defaultdict(int)
    for r in found:
        if dups[str(r.id)] is not None:
            overall.duplicates += 1
            continue
        overall.add(r)
        by_country[r.reported_by].add(r)
        if r.kind == ResultKind.ARREST and r.nationality:
            nationality[r.nationality] += 1
        if r.kind == ResultKind.SEIZURE:
            key = (_plain(r.commodity), _plain(r.unit))
            s = seized.setdefault(key, Seized(r.commodity.strip().lower(), r.unit.strip().lower()))
            s.quantity += Decimal(r.quantity or 0)
            s.value_usd += Decimal(r.value_usd or 0)
            s.seizures += 1
    return Summary(
        overall,
        dict(sorted(by_country.items())),
        sorted(seized.values(), key=lambda s: (s.commodity, s.unit)),
        dict(sorted(nationality.items())),
    )


def totals(
    actor: Person, operation_id: Any, ip: str | None = None
) -> tuple[Operation, list[OperationResult], Summary]:
    op, found = results(actor, operation_id, ip)
    return op, found, summarise(found)


CSV_COLUMNS = (
    "id",
    "reported_by",
    "kind",
    "date",
    "place",
    "person_name",
    "date_of_birth",
    "nationality",
    "notice_subject",
    "notice_id",
    "commodity",
    "quantity",
    "unit",
    "value_usd",
    "count",
    "duplicate_of",
    "note",
)


def results_csv(actor: Person, operation_id: Any, ip: str | None = None) -> tuple[Operation, str]:
    """The operation's results as CSV (cells that a spreadsheet would run as formulas are quoted)."""
    op, found = results(actor, operation_id, ip)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in found:
        values = [getattr(r, c) if c not in ("id", "duplicate_of") else None for c in CSV_COLUMNS]
        values[0], values[CSV_COLUMNS.index("duplicate_of")] = r.pk, r.duplicate_of_id or ""
        writer.writerow(csv_row("" if v is None else v for v in values))
    return op, out.getvalue()
