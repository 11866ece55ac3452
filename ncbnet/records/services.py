"""Contribute, change, read and search records at the hub. Every one is audited.

The acting bureau is named explicitly (`Actor`): contributions reach the hub from NCB nodes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.http import Http404
from django.utils.crypto import salted_hmac

from ncbnet.base import audit, clock, holdings, iccs, tally
from ncbnet.base import policies as policies_base
from ncbnet.base.actor import Actor, Person
from ncbnet.base.dates import add_years
from ncbnet.network.envelope import new_id

from . import national_law, policies, replication, tallies
from .models import (
    Access,
    Database,
    OwnerAlert,
    PendingContribution,
    Record,
    RecordChange,
    RecordCountry,
    RecordQuerySet,
    RecordVersion,
    ReplicaRecord,
)
from .schemas import SCHEMAS, Filters, RestrictionData, checked

_Found = TypeVar("_Found", bound=QuerySet[Any])

# The owner is told this long before its record reaches the end of its retention.
RETENTION_WARNING = timedelta(days=183)
# Sent, inside the purging transaction, with the ids of records purged from this node, so that the
# apps keeping copies of a record's personal data (hit reports, the screening index) drop them.
purged = Signal()


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
            iccs=iccs.of(clean),
            created_at=now,
            updated_at=now,
            retain_until=add_years(now, law.retention_years),
        )
        _apply_restriction(record, r)
        record.save(force_insert=True)  # a new id: no UPDATE tried first
        RecordCountry.objects.bulk_create([RecordCountry(record=record, country=c) for c in r["countries"]])
        _snapshot(record, actor, reason, r)
        replication.fanout(record, set())
        tally.count_all([tallies.contributed(record.owner, database, clean, r["access"], now)])
        audit.record(
            "records.contribute",
            actor=actor.user,
            subject=actor.where,
            target=record,
            detail={"by": actor.name, "database": database, "access": r["access"]},
        )
    return record


def _locked(actor: Actor, record_id: str, verb: str, allowed: Callable[[Record], bool]) -> Record | None:
    """Inside the caller's transaction: the live record, locked, if `allowed` lets the actor
    `verb` it; otherwise None, the refusal audited (the caller raises once the audit is kept)."""
    record = Record.objects.select_for_update().filter(pk=record_id).live().first()
    if record is None:
        raise Http404("No such record.")
    if allowed(record):
        return record
    audit.record(
        f"records.{verb}_refused",
        actor=actor.user,
        subject=actor.where,
        target=record,
        detail={"by": actor.name},
    )
    return None


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
        record = _locked(actor, record_id, "change", lambda r: _may_change(actor, r, reason))
        if record is not None:
            if data is not None:
                record.data = _validate(record.database, data)
                if not actor.gs:
                    national_law.check_contribution(record.owner, record.database, record.data)
                label, record.key = label_and_key(record.database, record.data)
                record.label = label[:300]
                record.iccs = iccs.of(record.data)
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
    if record is None:
        raise PermissionDenied("Only the owner NCB changes a record; the GS may, with a written reason.")
    return record


def _may_change(actor: Actor, record: Record, reason: str) -> bool:
    return policies.may_change(record.owner, actor.country, gs=actor.gs, reason=reason)


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
    held = Record.objects.all() if actor.gs else Record.objects.live()  # the GS reads withdrawn ones too
    found = held.visible_to(actor.country, gs=actor.gs).filter(pk=pk).first()
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


def searched_for(q: str) -> str:
    """What the audit keeps of a search's terms: a keyed digest, not the terms. The terms are
    often a name or a document number, and the audit chain is append-only: it would outlive the
    purge of the record they found. An auditor who wants to know whether someone searched for a
    given name computes its digest on this node (`ncbnet.records.services.searched_for`)."""
    if not q:
        return ""
    return salted_hmac("ncbnet.records.search", q.strip().casefold(), algorithm="sha256").hexdigest()[:32]


def _filtered(qs: _Found, f: Filters | None) -> _Found:
    if f is None:
        return qs
    if f.owner:
        qs = qs.filter(owner=f.owner)
    if f.since:
        qs = qs.filter(updated_at__gte=f.since)
    if f.until:
        qs = qs.filter(updated_at__lt=f.until)
    return qs


def search(
    actor: Actor, database: str | None = None, q: str = "", filters: Filters | None = None
) -> RecordQuerySet:
    """Browse or search what the actor may see (the GS also the withdrawn records, with
    `filters.status`); audited."""
    status = filters.status if filters else "live"
    everything = Record.objects.visible_to(actor.country, gs=actor.gs)
    if status == "withdrawn":  # withdrawn records are the GS's to see, for the audit
        base = everything.filter(deleted_at__isnull=False) if actor.gs else everything.none()
    elif status == "any" and actor.gs:
        base = everything
    else:
        base = everything.live()
    qs = _filtered(_matching(base, database, q), filters)
    with transaction.atomic():
        audit.record(
            "records.search",
            actor=actor.user,
            subject=actor.where,
            detail={"by": actor.name, "database": database, "q": searched_for(q), **_audited(filters)},
        )
    return qs.order_by("database", "label")


def search_replica(
    actor: Person, database: str | None = None, q: str = "", filters: Filters | None = None
) -> QuerySet[ReplicaRecord]:
    """On a node: search this country's replica (what the hub sent because this country may see
    it; only live records); audited. The hub holds no replica: there, the search finds nothing."""
    qs = ReplicaRecord.objects.all()
    if filters and filters.status == "withdrawn":
        qs = qs.none()  # a withdrawn record leaves every replica
    qs = _filtered(_matching(qs, database, q), filters)
    with transaction.atomic():
        audit.record(
            "records.replica_search",
            actor=actor,
            detail={"database": database, "q": searched_for(q), **_audited(filters)},
        )
    return qs.order_by("database", "label")


def _audited(f: Filters | None) -> dict[str, Any]:
    if f is None:
        return {}
    return {
        "owner": f.owner,
        "status": f.status,
        "since": f.since.isoformat() if f.since else None,
        "until": f.until.isoformat() if f.until else None,
    }


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


def restricted(record_id: uuid.UUID) -> bool:
    """At the hub: whether a record (still kept here) is not every country's to see."""
    return Record.objects.filter(pk=record_id).exclude(access=Access.ALL).exists()


def alert_owner(record_id: uuid.UUID, label: str, event: str, by: str, at: datetime) -> OwnerAlert:
    """On the owner's node, inside the caller's transaction: tell the owner that `by` (a country or
    "GS") touched one of its records: screening hit it ("hit"), or the hub escalated a hit the
    owner has not answered ("overdue"). The owner's page lists these alerts."""
    return OwnerAlert.objects.create(record_id=record_id, label=label, event=event, by=by, at=at)


def withdraw(actor: Actor, record_id: str, reason: str = "") -> Record:
    """The owner withdraws its record: it leaves every replica (and so every node's screening) at
    once, and stays at the hub, withdrawn, for the audit until its retention ends and it is purged."""
    _require_hub()
    with transaction.atomic():
        record = _locked(actor, record_id, "withdraw", lambda r: _may_change(actor, r, reason))
        if record is not None:
            before = replication.audience(record)
            now = clock.now()
            record.deleted_at = now
            record.version += 1
            record.updated_at = now
            record.save()
            _snapshot(record, actor, reason or "withdrawn", _current_restriction(record))
            replication.fanout(record, before)
            tally.count_all([tallies.withdrawn(record)])
            audit.record(
                "records.withdraw",
                actor=actor.user,
                subject=actor.where,
                target=record,
                detail={"by": actor.name, "version": record.version, "reason": reason},
            )
    if record is None:
        raise PermissionDenied("Only the owner NCB withdraws a record; the GS may, with a written reason.")
    return record


def block(user: Person, record_id: Any, reason: str, *, blocked: bool = True) -> Record:
    """At the hub, for the Commission for the Control of Files (`user` is one of its accounts):
    block a record while a person's request about it is pending, or unblock it. Blocked, it
    leaves every replica (and so every node's screening) and the hub's searches and screening,
    like a withdrawn record; unblocked, it goes back to every node that may see it. Each is a new
    version, so a node takes the record back after its removal."""
    _require_hub()
    if not policies_base.is_commission(user):
        raise PermissionDenied("Only the Commission for the Control of Files blocks a record.")
    with transaction.atomic():
        record = Record.objects.select_for_update().filter(pk=record_id, deleted_at__isnull=True).first()
        if record is None:
            raise Http404("No such record.")
        if (record.blocked_at is not None) == blocked:
            return record
        before = replication.audience(record)
        now = clock.now()
        record.blocked_at = now if blocked else None
        _commission_version(
            user,
            record,
            before,
            now,
            "block" if blocked else "unblock",
            "blocked" if blocked else "unblocked",
            reason,
        )
    return record


def _commission_version(
    user: Person, record: Record, before: set[str], now: datetime, action: str, said: str, reason: str
) -> None:
    """In the caller's transaction: the Commission's change of the record kept as a new version
    (`said: reason`), sent to the nodes (`before`: those that could see it), and audited as
    `records.<action>`."""
    record.version += 1
    record.updated_at = now
    record.save()
    RecordVersion.objects.create(
        record=record,
        version=record.version,
        data=record.data,
        restriction=_current_restriction(record),
        changed_by=user.get_username(),
        changed_by_country="CCF",
        reason=f"{said}: {reason}",
        at=now,
    )
    replication.fanout(record, before)
    audit.record(
        f"records.{action}",
        actor=user,
        subject="CCF",
        target=record,
        detail={"version": record.version, "owner": record.owner, "reason": reason},
    )


def correct(user: Person, record_id: Any, data: dict[str, Any], reason: str) -> Record:
    """At the hub, by the decision of the Commission for the Control of Files (`user` one of its
    accounts): the record's data replaced by the corrected data the decision states, validated as
    any contribution to its database, as a new version; unblocked if it was blocked, and sent as it
    now is to every node that may see it. The owner's national-law rules are not applied: the
    Commission's decision binds the bureau."""
    _require_hub()
    if not policies_base.is_commission(user):
        raise PermissionDenied("Only the Commission for the Control of Files corrects a record by decision.")
    with transaction.atomic():
        record = Record.objects.select_for_update().filter(pk=record_id, deleted_at__isnull=True).first()
        if record is None:
            raise Http404("No such record.")
        before = replication.audience(record)
        record.data = _validate(record.database, data)
        label, record.key = label_and_key(record.database, record.data)
        record.label = label[:300]
        record.iccs = iccs.of(record.data)
        record.blocked_at = None
        _commission_version(user, record, before, clock.now(), "corrected", "corrected", reason)
    return record


def extend(actor: Actor, record_id: str, reason: str) -> Record:
    """The owner keeps its record for another retention period from today: the Rules' five years,
    or its shorter national retention. A reason is required (the Rules' review)."""
    _require_hub()
    if not reason.strip():
        raise ValidationError({"reason": "An extension needs a reason."})
    with transaction.atomic():
        record = _locked(actor, record_id, "extend", lambda r: not actor.gs and actor.country == r.owner)
        if record is not None:
            now = clock.now()
            before = replication.audience(record)
            record.retain_until = add_years(now, national_law.policy(record.owner).retention_years)
            record.retention_alerted_at = None
            record.version += 1
            record.updated_at = now
            record.save()
            _snapshot(record, actor, f"extended: {reason}", _current_restriction(record))
            replication.fanout(record, before)
            audit.record(
                "records.extend",
                actor=actor.user,
                subject=actor.where,
                target=record,
                detail={"by": actor.name, "retain_until": record.retain_until.isoformat(), "reason": reason},
            )
    if record is None:
        raise PermissionDenied("Only the owner NCB extends the retention of its record.")
    return record


def retention_due(now: datetime | None = None) -> list[Record]:
    """At the hub: the live records whose retention ends within `RETENTION_WARNING` (and has not
    ended: those are purged, not warned about) and whose owner was not yet told; each is marked
    told, in the caller's transaction."""
    now = now or clock.now()
    due = list(
        Record.objects.select_for_update()
        .live()
        .filter(retain_until__gt=now, retain_until__lte=now + RETENTION_WARNING)
        .filter(retention_alerted_at__isnull=True)
        .order_by("retain_until")[:1000]
    )
    for record in due:
        record.retention_alerted_at = now
        record.save(update_fields=["retention_alerted_at"])
        audit.record(
            "records.retention_due",
            target=record,
            detail={"owner": record.owner, "retain_until": record.retain_until.isoformat()},
        )
    return due


def purge(record: Record, why: str) -> None:
    """At the hub, in the caller's transaction: the record, its versions and its countries are
    deleted, and the apps holding copies of its data drop them (`purged`). The audit entry keeps
    no personal data: the record's id, database, owner and dates."""
    _require_hub()
    detail = {
        "why": why,
        "database": record.database,
        "owner": record.owner,
        "created_at": record.created_at.isoformat(),
        "retain_until": record.retain_until.isoformat(),
        "withdrawn_at": record.deleted_at.isoformat() if record.deleted_at else None,
    }
    pk = record.pk
    RecordVersion.objects.filter(record=record).delete()
    record.delete()
    purged.send(sender=Record, ids=[pk])
    audit.record("records.purge", target_type="records.record", target_id=str(pk), detail=detail)


def expired(now: datetime | None = None) -> QuerySet[Record]:
    """At the hub: the records (live or withdrawn) whose retention has ended."""
    return Record.objects.filter(retain_until__lte=now or clock.now()).order_by("retain_until")


def drop_replica_copies(ids: list[uuid.UUID]) -> int:
    """On a node, in the caller's transaction: a purged record's copies leave this node: its
    replica, the owner's alerts and sent changes, and whatever other apps keep (`purged`)."""
    n, _ = ReplicaRecord.objects.filter(pk__in=ids).delete()
    OwnerAlert.objects.filter(record_id__in=ids).delete()
    RecordChange.objects.filter(record_id__in=ids).delete()
    PendingContribution.objects.filter(contribution__record_id__in=ids).delete()  # an agency's submission
    purged.send(sender=ReplicaRecord, ids=ids)
    return n
