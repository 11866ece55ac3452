"""Notices: draft → in review (after the automatic checks) → published, rejected or sent back
with changes requested → periodic review five years after publication (the owner warned six
months before) → extended or expired; cancelled by the owner at any time. Every transition
has a written reason where the Rules ask for one, is kept as an event, and is audited.
Diffusions are recorded as sent and checked by the GS afterwards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from ncbnet.base import audit, clock, holdings, iccs, tally
from ncbnet.base import policies as policies_base
from ncbnet.base.actor import Actor, Person
from ncbnet.network import handlers
from ncbnet.network.envelope import new_id
from ncbnet.records.models import Record
from ncbnet.records.services import person_label

from . import checks, extracts, replication, search, tallies
from .models import TRANSITIONS, Diffusion, Notice, NoticeEvent, State

WARN_BEFORE = timedelta(days=182)  # about six months


@dataclass(frozen=True)
class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    CHANGES = "changes"


def subject_title(kind: str, data: dict[str, Any], owner: str) -> str:
    return _title(kind, data, owner)


def _title(kind: str, data: dict[str, Any], owner: str) -> str:
    """What lists show of a notice. A subject given as a record is named from that record only
    when it is the owner's own (anything else would tell the requester another country's data)."""
    subject = data.get("subject") or {}
    if subject.get("names"):
        return person_label(subject["names"])[:300]
    if subject.get("record_id"):
        try:
            record_id = uuid.UUID(str(subject["record_id"]))
        except ValueError:
            record_id = None
        record = Record.objects.filter(pk=record_id, owner=owner).first() if record_id else None
        if record is not None:
            return record.label
    for field in ("description", "threat", "modus_operandi"):
        if data.get(field):
            return str(data[field])[:80]
    return kind


def _event(notice: Notice, actor: Actor, before: str, reason: str = "", at: datetime | None = None) -> None:
    """Keep the step (`at`: when the notice took it, now unless said) and count it in the figures."""
    if before:  # the requesting bureau hears of every step after its draft
        replication.tell_owner(notice, reason)
    at = at or clock.now()
    NoticeEvent.objects.create(
        notice=notice,
        at=at,
        actor=actor.name,
        actor_country=actor.where,
        from_state=before,
        to_state=notice.state,
        reason=reason,
        iccs=notice.iccs,
    )
    tally.count_all(
        tallies.step(notice.kind, notice.owner, notice.iccs, before, notice.state, at, notice.submitted_at)
    )
    audit.record(
        f"notices.{notice.state}",
        actor=actor.user,
        subject=actor.where,
        target=notice,
        detail={"by": actor.name, "from": before, "reason": reason},
    )


def _get(notice_id: str, *, lock: bool = True) -> Notice:
    try:
        pk = uuid.UUID(str(notice_id))
    except ValueError as exc:
        raise Http404("No such notice.") from exc
    qs = Notice.objects.select_for_update() if lock else Notice.objects
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404("No such notice.")
    return found


def _require_owner(notice: Notice, actor: Actor) -> None:
    if actor.gs or actor.country != notice.owner:
        raise PermissionDenied("Only the NCB that requested the notice may do this.")


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": "a written reason is required"})
    return reason.strip()


def _check_subject_record(actor: Actor, data: dict[str, Any]) -> None:
    record_id = (data.get("subject") or {}).get("record_id")
    if (
        record_id
        and not Record.objects.filter(pk=record_id, owner=actor.country, database="persons").exists()
    ):
        raise ValidationError({"subject.record_id": "not a persons record of this NCB"})


def draft(actor: Actor, kind: str, data: dict[str, Any], notice_id: str | None = None) -> Notice:
    """An NCB prepares a request for a notice. Fields are checked when it is submitted."""
    if actor.gs or not actor.country:
        raise PermissionDenied("Notices are requested by an NCB.")
    if kind not in checks.SCHEMAS:
        raise ValidationError({"kind": f"unknown kind of notice {kind!r}"})
    with transaction.atomic():
        notice = Notice.objects.create(
            id=uuid.UUID(notice_id or new_id()),
            kind=kind,
            owner=actor.country,
            title=_title(kind, data, actor.country)[:300],
            data=data,
            created_at=clock.now(),
        )
        _event(notice, actor, "")
    return notice


def edit(actor: Actor, notice_id: str, data: dict[str, Any]) -> Notice:
    with transaction.atomic():
        notice = _get(notice_id)
        _require_owner(notice, actor)
        notice.revise(data, _title(notice.kind, data, notice.owner))
        notice.save(update_fields=["data", "title"])
        audit.record(
            "notices.edit", actor=actor.user, subject=actor.where, target=notice, detail={"by": actor.name}
        )
    return notice


def resubmit(actor: Actor, notice_id: str, data: dict[str, Any]) -> Notice:
    """The owner's edited fields for a notice sent back for changes (or one the checks refused),
    submitted again. The edit is kept even when the checks refuse it again (ValidationError), so
    the owner corrects from where it left off."""
    with transaction.atomic():
        notice = edit(actor, notice_id, data)
        audit.record(
            "notices.resubmit",
            actor=actor.user,
            subject=actor.where,
            target=notice,
            detail={"by": actor.name},
        )
    return submit(actor, str(notice.pk))


def likely_duplicates(notice: Notice) -> list[dict[str, str]]:
    """Live notices of the same kind about the same subject (same record, or same name and birth year)."""
    subject = notice.data.get("subject") or {}
    live = Notice.objects.filter(kind=notice.kind, state__in=[State.IN_REVIEW, State.PUBLISHED]).exclude(
        pk=notice.pk
    )
    flags = []
    names = {n["value"].casefold() for n in subject.get("names", [])}
    year = (subject.get("date_of_birth") or {}).get("year")
    for other in live:
        o = other.data.get("subject") or {}
        same_record = subject.get("record_id") and o.get("record_id") == subject.get("record_id")
        other_names = {n["value"].casefold() for n in o.get("names", [])}
        same_person = names & other_names and year == (o.get("date_of_birth") or {}).get("year")
        if same_record or same_person:
            flags.append(
                {"check": "duplicate", "notice": str(other.pk), "owner": other.owner, "state": other.state}
            )
    return flags


def submit(actor: Actor, notice_id: str) -> Notice:
    """Run the automatic checks; a notice that passes goes to the GS review queue with its flags."""
    with transaction.atomic():
        notice = _get(notice_id)
        _require_owner(notice, actor)
        clean = checks.validate(notice.kind, notice.data)
        checks.thresholds(notice.kind, clean)
        _check_subject_record(actor, clean)
        notice.data = clean
        notice.iccs = iccs.of(clean)
        before = notice.submit(checks.neutrality(clean) + likely_duplicates(notice), clock.now())
        notice.save()
        _event(notice, actor, before, at=notice.submitted_at)
    return notice


def review(actor: Actor, notice_id: str, decision: str, reason: str, extract: str | None = None) -> Notice:
    """A GS reviewer approves, rejects or asks for changes, always with a written reason. A public
    extract the owner asked for is decided in the same review when `extract` is "approve" or
    "refuse" (approved only with the notice); a notice rejected takes its extract with it."""
    if not actor.gs:
        raise PermissionDenied("Notices are reviewed by the General Secretariat.")
    reason = _require_reason(reason)
    if decision not in (Decision.APPROVE, Decision.REJECT, Decision.CHANGES):
        raise ValidationError({"decision": "approve, reject or changes"})
    if extract not in (None, "", "approve", "refuse"):
        raise ValidationError({"extract": "approve or refuse"})
    with transaction.atomic():
        notice = _get(notice_id)
        now = clock.now()
        if decision == Decision.APPROVE:
            before = notice.publish(now)
        elif decision == Decision.REJECT:
            before = notice.reject(now)
        else:
            before = notice.request_changes()
        if decision == Decision.APPROVE:
            for field, value in search.index(replication.as_seen(notice)).items():
                setattr(notice, field, value)
        notice.save()
        _event(notice, actor, before, reason, at=now)
        if decision == Decision.APPROVE:
            replication.published(notice)
        if decision == Decision.REJECT:
            extracts.remove(notice, "notice rejected", actor)
        elif extract:
            extracts.decide(actor, str(notice.pk), extract == "approve", reason)
    return notice


def cancel(actor: Actor, notice_id: str, reason: str) -> Notice:
    """The owner withdraws its request or its published notice, at any time."""
    reason = _require_reason(reason)
    with transaction.atomic():
        notice = _get(notice_id)
        _require_owner(notice, actor)
        before = notice.cancel(clock.now())
        notice.save()
        _event(notice, actor, before, reason)
        extracts.remove(notice, "notice cancelled", actor)
        if before == State.PUBLISHED:
            replication.withdrawn(notice)
    return notice


def cancel_by_commission(user: Person, notice_id: Any, reason: str) -> Notice:
    """At the hub, by the decision of the Commission for the Control of Files (`user` one of its
    accounts) to delete a notice's data: the notice is cancelled as its owner would cancel it (its
    public extract removed at once, every node told), its owner told why. A notice already closed
    (rejected, cancelled, expired) stays as it is."""
    if not policies_base.is_commission(user):
        raise PermissionDenied("Only the Commission for the Control of Files cancels a notice by decision.")
    reason = _require_reason(reason)
    with transaction.atomic():
        notice = _get(str(notice_id))
        if State.CANCELLED not in TRANSITIONS[notice.state]:
            return notice
        before = notice.cancel(clock.now())
        notice.save()
        actor = Actor(user.get_username(), "CCF", user=user)
        _event(notice, actor, before, reason)
        extracts.remove(notice, "notice cancelled by the Commission", actor)
        if before == State.PUBLISHED:
            replication.withdrawn(notice)
    return notice


def extend(actor: Actor, notice_id: str, reason: str, review_at: datetime | None = None) -> Notice:
    """At its periodic review the owner keeps a published notice for five more years, with a reason.
    From the owner's node, `review_at` is the review it answers: an extension of a review already
    extended (a second click, a replay) is refused."""
    reason = _require_reason(reason)
    with transaction.atomic():
        notice = _get(notice_id)
        _require_owner(notice, actor)
        if review_at is not None and notice.periodic_review_at != review_at:
            raise ValidationError({"review_at": "this periodic review was already answered"})
        until = notice.extend()
        notice.save(update_fields=["periodic_review_at", "owner_warned_at"])
        NoticeEvent.objects.create(
            notice=notice,
            at=clock.now(),
            actor=actor.name,
            actor_country=actor.where,
            from_state=notice.state,
            to_state=notice.state,
            reason=f"extended: {reason}",
            iccs=notice.iccs,
        )
        audit.record(
            "notices.extend",
            actor=actor.user,
            subject=actor.where,
            target=notice,
            detail={"by": actor.name, "until": until.isoformat(), "reason": reason},
        )
        replication.tell_owner(notice, f"extended until {until:%Y-%m-%d}: {reason}")
    return notice


@handlers.every(600, "notices.periodic_review")
def tick_at_the_hub() -> dict[str, int] | None:
    """The hub's worker runs the periodic review every ten minutes."""
    return tick() if holdings.here().keeps_originals else None


def tick() -> dict[str, int]:
    """Run on the node's clock: warn owners six months before the periodic review; expire what
    was not extended by then."""
    now = clock.now()
    system = Actor("ncbnet", gs=True)
    warned = expired = 0
    with transaction.atomic():
        due = Notice.objects.select_for_update().filter(
            state=State.PUBLISHED, owner_warned_at__isnull=True, periodic_review_at__lte=now + WARN_BEFORE
        )
        for notice in due:
            notice.owner_warned_at = now
            notice.save(update_fields=["owner_warned_at"])
            replication.tell_owner(
                notice,
                f"periodic review due on {notice.periodic_review_at:%Y-%m-%d}: extend it with a reason, "
                "or it expires",
            )
            audit.record(
                "notices.review_warning",
                subject=notice.owner,
                target=notice,
                detail={"review_at": str(notice.periodic_review_at)},
            )
            warned += 1
        for notice in Notice.objects.select_for_update().filter(
            state=State.PUBLISHED, periodic_review_at__lte=now
        ):
            before = notice.expire(now)
            notice.save()
            _event(notice, system, before, "not extended at its periodic review", at=now)
            extracts.remove(notice, "notice expired", system)
            replication.withdrawn(notice)
            expired += 1
    return {"warned": warned, "expired": expired}


def review_queue() -> QuerySet[Notice]:
    """Notices waiting for a GS reviewer, oldest first (each with its 24-hour target)."""
    return Notice.objects.filter(state=State.IN_REVIEW).order_by("submitted_at")


def published(kind: str | None = None) -> QuerySet[Notice]:
    qs = Notice.objects.filter(state=State.PUBLISHED)
    return qs.filter(kind=kind) if kind else qs


# The names a notice's subject goes by (none when it is not named): what screening matches.
subject_names = search.subject_names


# --- diffusions --------------------------------------------------------------------------------


def diffuse(
    actor: Actor, kind: str, recipients: list[str], data: dict[str, Any], diffusion_id: str | None = None
) -> Diffusion:
    """An NCB's direct alert to chosen countries: recorded (with the checks' flags), not approved."""
    if actor.gs or not actor.country:
        raise PermissionDenied("Diffusions are sent by an NCB.")
    from ncbnet.config import member_codes

    to = sorted({r.upper() for r in recipients})
    unknown = [r for r in to if r not in member_codes()]
    if not to or unknown:
        raise ValidationError(
            {"recipients": f"member countries, at least one (unknown: {', '.join(unknown)})"}
        )
    clean = checks.validate(kind, data)
    checks.thresholds(kind, clean)
    with transaction.atomic():
        d = Diffusion.objects.create(
            id=uuid.UUID(diffusion_id or new_id()),
            kind=kind,
            owner=actor.country,
            recipients=to,
            title=_title(kind, clean, actor.country)[:300],
            data=clean,
            iccs=iccs.of(clean),
            flags=checks.neutrality(clean),
            created_at=clock.now(),
        )
        tally.count_all([tallies.diffused(d)])
        audit.record(
            "diffusions.send",
            actor=actor.user,
            subject=actor.where,
            target=d,
            detail={"by": actor.name, "to": to, "kind": kind},
        )
    return d


def check_diffusion(actor: Actor, diffusion_id: str, outcome: str, reason: str) -> Diffusion:
    """The GS checks a diffusion after the fact: compliant, or withdrawn, with a reason."""
    if not actor.gs:
        raise PermissionDenied("Diffusions are checked by the General Secretariat.")
    reason = _require_reason(reason)
    if outcome not in ("compliant", "withdrawn"):
        raise ValidationError({"outcome": "compliant or withdrawn"})
    with transaction.atomic():
        d = Diffusion.objects.select_for_update().filter(pk=diffusion_id).first()
        if d is None:
            raise Http404("No such diffusion.")
        was = d.check_outcome
        d.checked_at, d.checked_by, d.check_outcome, d.check_reason = clock.now(), actor.name, outcome, reason
        d.save()
        if outcome == "withdrawn" and was != "withdrawn":
            tally.count_all([tallies.diffusion_withdrawn(d, d.checked_at)])
        if outcome == "withdrawn":
            replication.withdraw_diffusion(d)
        audit.record(
            "diffusions.check",
            actor=actor.user,
            subject=actor.where,
            target=d,
            detail={"by": actor.name, "outcome": outcome, "reason": reason},
        )
    return d
