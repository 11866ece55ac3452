"""Contribute, change, read and search records at the hub. Every one is audited.

The acting bureau is named explicitly (`Actor`): contributions reach the hub from NCB nodes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from ncbnet.base import audit, clock, holdings
from ncbnet.base.actor import Actor, Person
from ncbnet.base.dates import add_years
from ncbnet.network.envelope import new_id

from . import national_law, policies, replication
from .models import Database, OwnerAlert, Record, RecordCountry, RecordQuerySet, RecordVersion, ReplicaRecord
from .schemas import SCHEMAS, RestrictionData, checked

_Found = TypeVar("_Found", bound=QuerySet[Any])


def _validate(database: str, data: dict[str, Any]) -> dict[str, Any]:
    schema = SCHEMAS.get(database)
    if schema is None:
        raise ValidationError({"database": f"unknown database {database!r}"})
    return checked(schema, data)


def _restriction(restriction: dict[str, Any] | None) -> dict[str, Any]:
    return checked(RestrictionData, restriction or {})


def _normal(value: str) -> str:
    return re.sub(r"[\s\-./]", "", value).upper()


def person_label(names: list[dict[str, Any]]) -> str:
    """The primary name, with its Latin form beside it when it is written in another script, so
    that an officer who cannot read the script still has a name to say."""
    primary = next((n for n in names if n.get("kind", "primary") == "primary"), names[0])
    latin = next((n["value"] for n in names if n.get("kind") == "latin"), None)
    if primary.get("script", "Latn") != "Latn" and latin:
        return f"{primary['value']} ({latin})"
    return str(primary["value"])


def label_and_key(database: str, data: dict[str, Any]) -> tuple[str, str]:
    if database == Database.PERSONS:
        return person_label(data["names"]), next(
            n["value"] for n in data["names"] if n["kind"] == "primary"
        ).casefold()[:100]
    if database == Database.DOCUMENTS:
        return f"{data['issuing_country']} {data['number']}", _normal(data["number"])
    if database == Database.VEHICLES:
        ident = data["vin"] or data["plate"]
        return f"{data['make']} {ident}", _normal(ident)
    if database == Database.FIREARMS:
        return f"{data['make']} {data['serial_number']}", _normal(data["serial_number"])
    return data["title"], data["title"].casefold()[:100]


def _require_hub() -> None:
    if not holdings.here().keeps_originals:
        raise PermissionDenied("The global databases are kept at the hub.")


def _apply_restriction(record: Record, r: dict[str, Any]) -> None:
    record.access, record.handling = r["access"], r["handling"]
    record.handling_note, record.notify_on_view = r["handling_note"], r["notify_on_view"]


def _snapshot(record: Record, actor: Actor, reason: str, restriction: dict[str, Any]) -> None:
    RecordVersion.objects.create(
        record=record,
        version=record.version,
        data=record.data,
        restriction=restriction,
        changed_by=actor.name,
        changed_by_country=actor.where,
        reason=reason,
        at=record.updated_at,
    )


def contribute(
    actor: Actor,
    database: str,
    data: dict[str, Any],
    restriction: dict[str, Any] | None = None,
    *,
    reason: str = "contributed",
) -> Record:
    """A bureau adds a record it will own. The GS does not own records. `reason` is the first
    version's note (who contributed it, and who approved it for an agency's submission)."""
    _require_hub()
    if actor.gs or not actor.country:
        raise PermissionDenied("Records are contributed by an NCB, which owns them.")
    clean = _validate(database, data)
    law = national_law.check_contribution(actor.country, database, clean)
    r = _restriction(restriction)
    label, key = label_and_key(database, clean)
    now = clock.now()
    with transaction.atomic():
        record = Record(
            id=uuid.UUID(new_id()),
            database=database,
            owner=actor.country,
            label=label[:300],
            key=key,
            data=clean,
            created_at=now,
            updated_at=now,
            retain_until=add_years(now, law.retention_years),
        )
        _apply_restriction(record, r)
        record.save()
        RecordCountry.objects.bulk_create([RecordCountry(record=record, country=c) for c in r["countries"]])
        _snapshot(record, actor, reason, r)
        replication.fanout(record, set())
        audit.record(
            "records.contribute",
            actor=actor.user,
            subject=actor.where,
            target=record,
            detail={"by": actor.name, "database": database, "access": r["access"]},
        )
    return record


def change(
    actor: Actor,
    record_id: str,
    data: dict[str, Any] | None = None,
    restriction: dict[str, Any] | None = None,
    reason: str = "",
) -> Record:
    """The owner changes its record (or the GS, with a reason); the old state stays as a version;
    the nodes that may see it receive the change, those that no longer may are told to drop it."""
    _require_hub()
    with transaction.atomic():
        record = Record.objects.select_for_update().filter(pk=record_id).live().first()
        if record is None:
            raise Http404("No such record.")
        if not policies.may_change(record.owner, actor.country, gs=actor.gs, reason=reason):
            audit.record(
                "records.change_refused",
                actor=actor.user,
                subject=actor.where,
                target=record,
                detail={"by": actor.name},
            )
            refused = True
        else:
            refused = False
            if data is not None:
                record.data = _validate(record.database, data)
                if not actor.gs:
                    national_law.check_contribution(record.owner, record.database, record.data)
                label, record.key = label_and_key(record.database, record.data)
                record.label = label[:300]
            r = _restriction(restriction) if restriction is not None else _current_restriction(record)
            before = replication.audience(record)
            _apply_restriction(record, r)
            RecordCountry.objects.filter(record=record).delete()
            RecordCountry.objects.bulk_create(
                [RecordCountry(record=record, country=c) for c in r["countries"]]
            )
            record.version += 1
            record.updated_at = clock.now()
            record.save()
            _snapshot(record, actor, reason, r)
            replication.fanout(record, before)
            audit.record(
                "records.change",
                actor=actor.user,
                subject=actor.where,
                target=record,
                detail={"by": actor.name, "version": record.version, "reason": reason},
            )
    if refused:
        raise PermissionDenied("Only the owner NCB changes a record; the GS may, with a written reason.")
    return record


def _current_restriction(record: Record) -> dict[str, Any]:
    return {
        "access": record.access,
        "countries": record.countries,
        "handling": record.handling,
        "handling_note": record.handling_note,
        "notify_on_view": record.notify_on_view,
    }


def read(actor: Actor, record_id: str) -> Record:
    """One record, if the actor may see it; refused reads look like missing ones, and both are audited."""
    try:
        pk = uuid.UUID(str(record_id))
    except ValueError as exc:
        raise Http404("No such record.") from exc
    found = Record.objects.live().visible_to(actor.country, gs=actor.gs).filter(pk=pk).first()
    with transaction.atomic():
        if found is not None and actor.gs:  # at the hub, only the GS reads records itself
            replication.tell_owner_viewed(found, "GS")
        audit.record(
            "records.read" if found else "records.read_refused",
            actor=actor.user,
            subject=actor.where,
            target_type="records.record",
            target_id=str(pk),
            detail={"by": actor.name},
        )
    if found is None:
        raise Http404("No such record.")
    return found


def _matching(qs: _Found, database: str | None = None, q: str = "") -> _Found:
    """The records of `qs` a search finds: in one database (or all), those whose identifier starts
    with `q` as identifiers are normalized, or whose label contains it. The hub's records and a
    node's replica are searched alike."""
    if database:
        qs = qs.filter(database=database)
    if q:
        qs = qs.filter(key__startswith=_normal(q)) | qs.filter(label__icontains=q)
    return qs


def search(actor: Actor, database: str | None = None, q: str = "") -> RecordQuerySet:
    """Browse or search what the actor may see; audited."""
    qs = _matching(Record.objects.live().visible_to(actor.country, gs=actor.gs), database, q)
    with transaction.atomic():
        audit.record(
            "records.search",
            actor=actor.user,
            subject=actor.where,
            detail={"by": actor.name, "database": database, "q": q},
        )
    return qs.order_by("database", "label")


def search_replica(actor: Person, database: str | None = None, q: str = "") -> QuerySet[ReplicaRecord]:
    """On a node: search this country's replica (what the hub sent because this country may see
    it); audited. The hub holds no replica: there, the search finds nothing."""
    qs = _matching(ReplicaRecord.objects.all(), database, q)
    with transaction.atomic():
        audit.record("records.replica_search", actor=actor, detail={"database": database, "q": q})
    return qs.order_by("database", "label")


def read_replica(actor: Person, record_id: uuid.UUID, ip: str | None = None) -> ReplicaRecord:
    """On a node: one record of this country's replica. The read is audited (a missing one too),
    and an owner who asked is told."""
    record = ReplicaRecord.objects.filter(pk=record_id).first()
    with transaction.atomic():
        if record is not None:
            replication.tell_owner_viewed(record, str(actor.country_code))
        audit.record(
            "records.replica_read" if record else "records.replica_read_refused",
            actor=actor,
            target_type="records.record",
            target_id=str(record_id),
            ip=ip,
        )
    if record is None:
        raise Http404("No such record on this node.")
    return record


def export(actor: Actor, database: str | None = None) -> Iterator[dict[str, Any]]:
    """Every record the actor may see, as a node would receive it (never the owner's country list);
    the export is audited before the first record leaves."""
    qs = Record.objects.live().visible_to(actor.country, gs=actor.gs)
    if database:
        qs = qs.filter(database=database)
    with transaction.atomic():
        audit.record(
            "records.export",
            actor=actor.user,
            subject=actor.where,
            detail={"by": actor.name, "database": database, "count": qs.count()},
        )
    for record in qs.order_by("pk").iterator(chunk_size=2000):
        yield replication.payload(record)


def alert_owner(record_id: uuid.UUID, label: str, event: str, by: str, at: datetime) -> OwnerAlert:
    """On the owner's node, inside the caller's transaction: tell the owner that `by` (a country or
    "GS") touched one of its records: screening hit it ("hit"), or the hub escalated a hit the
    owner has not answered ("overdue"). The owner's page lists these alerts."""
    return OwnerAlert.objects.create(record_id=record_id, label=label, event=event, by=by, at=at)
