"""A national agency's contribution, approved by its NCB: an agency's user with contribute access
submits a record on their NCB's node; one of the bureau's officers approves it, and it goes to the
hub as the bureau's contribution (`contribution.submit`: the NCB owns the record and answers for
it, and the record's first version names who contributed it and who approved it), or returns it
with a reason. Nothing of a submission leaves the node before it is approved."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock, holdings
from ncbnet.base.actor import Person
from ncbnet.network.envelope import new_id

from . import contribution, policies, services
from .models import PendingContribution
from .schemas import SCHEMAS, RestrictionData, checked

MAX_REASON = 2000


def submit(
    actor: Any, database: str, data: dict[str, Any], restriction: dict[str, Any] | None = None
) -> PendingContribution:
    """An agency's user submits a record for their NCB to approve; it stays on this node until then."""
    agency = getattr(actor, "agency", None)
    if holdings.here().keeps_originals or not policies.submits_for_approval(actor) or agency is None:
        raise PermissionDenied(
            _("Records are submitted by the users of a national agency with contribute access.")
        )
    if agency.closed:
        raise PermissionDenied(_("Your agency is closed."))
    schema = SCHEMAS.get(database)
    if schema is None:
        raise ValidationError({"database": _("Unknown database.")})
    clean = checked(schema, data)
    checked(RestrictionData, restriction or {})
    label = services.label_and_key(database, clean)[0][:300]
    with transaction.atomic():
        pending = PendingContribution.objects.create(
            id=uuid.UUID(new_id()),
            database=database,
            label=label,
            data=clean,
            restriction=restriction,
            submitted_by=actor.get_username(),
            agency=agency,
            submitted_at=clock.now(),
        )
        audit.record(
            "records.pending.submit",
            actor=actor,
            target=pending,
            detail={"database": database, "agency": agency.pk},
        )
    return pending


def mine(actor: Person) -> QuerySet[PendingContribution]:
    """What an agency's user submitted, the latest first, with what became of it."""
    if not policies.submits_for_approval(actor):
        return PendingContribution.objects.none()
    return PendingContribution.objects.filter(submitted_by=actor.get_username()).select_related(
        "agency", "contribution"
    )


def to_approve(actor: Person) -> QuerySet[PendingContribution]:
    """The submissions of the bureau's agencies waiting for an officer, the oldest first."""
    if not policies.approves_contributions(actor) or actor.ncb_id is None:
        return PendingContribution.objects.none()
    return (
        PendingContribution.objects.filter(
            state=PendingContribution.State.PENDING, agency__ncb_id=actor.ncb_id
        )
        .select_related("agency")
        .order_by("submitted_at")
    )


def listed(actor: Person) -> QuerySet[PendingContribution]:
    """What a list shows: the bureau's queue to its staff, their own submissions to an agency's user."""
    if policies.approves_contributions(actor):
        return to_approve(actor)
    return mine(actor)


def _visible(actor: Person) -> QuerySet[PendingContribution]:
    if policies.approves_contributions(actor) and actor.ncb_id is not None:
        return PendingContribution.objects.filter(agency__ncb_id=actor.ncb_id)
    return mine(actor)


def read(actor: Person, pending_id: uuid.UUID, ip: str | None = None) -> PendingContribution:
    """One submission, for the bureau's staff or the user who submitted it; a refusal is audited
    and answers the same whether the submission exists or not."""
    found = _visible(actor).select_related("agency", "contribution").filter(pk=pending_id).first()
    with transaction.atomic():
        if found is None:
            audit.record(
                "records.pending.read_refused",
                actor=actor,
                target_type="records.pendingcontribution",
                target_id=str(pending_id),
                ip=ip,
            )
        else:
            audit.record("records.pending.read", actor=actor, target=found, ip=ip)
    if found is None:
        raise PermissionDenied(_("You do not have access to this contribution."))
    return found


def _decidable(actor: Person, pending_id: uuid.UUID, ip: str | None) -> PendingContribution | None:
    """The submission, locked, if the actor may decide on it now (inside the caller's transaction);
    None, audited, if not: the caller refuses once its transaction has kept the entry."""
    found = None
    if policies.approves_contributions(actor) and actor.ncb_id is not None:
        found = (
            PendingContribution.objects.select_for_update()
            .filter(pk=pending_id, agency__ncb_id=actor.ncb_id)
            .first()
        )
    if found is None:
        audit.record(
            "records.pending.decide_refused",
            actor=actor,
            target_type="records.pendingcontribution",
            target_id=str(pending_id),
            ip=ip,
        )
        return None
    if found.state != PendingContribution.State.PENDING:
        raise ValidationError({"state": _("This contribution was already decided on.")})
    return found


def approve(actor: Person, pending_id: uuid.UUID, ip: str | None = None) -> PendingContribution:
    """An officer approves: the record goes to the hub as the bureau's contribution, sent by the
    officer, naming the agency's user who contributed it."""
    with transaction.atomic():
        pending = _decidable(actor, pending_id, ip)
        if pending is not None:
            sent = contribution.submit(
                actor,
                pending.database,
                pending.data,
                pending.restriction,
                contributed_by=f"{pending.submitted_by} ({pending.agency.name})"[:300],
            )
            pending.state = PendingContribution.State.APPROVED
            pending.decided_by = actor.get_username()
            pending.decided_at = clock.now()
            pending.contribution = sent
            pending.save(update_fields=["state", "decided_by", "decided_at", "contribution"])
            audit.record(
                "records.pending.approve",
                actor=actor,
                target=pending,
                detail={"contribution": str(sent.pk), "submitted_by": pending.submitted_by},
                ip=ip,
            )
    if pending is None:
        raise PermissionDenied(_("You do not have access to this contribution."))
    return pending


def return_(actor: Person, pending_id: uuid.UUID, reason: str, ip: str | None = None) -> PendingContribution:
    """An officer returns the submission to its user with a reason; nothing goes to the hub."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the contribution is returned.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most 2000 characters.")})
    with transaction.atomic():
        pending = _decidable(actor, pending_id, ip)
        if pending is not None:
            pending.state = PendingContribution.State.RETURNED
            pending.decided_by = actor.get_username()
            pending.decided_at = clock.now()
            pending.reason = reason
            pending.save(update_fields=["state", "decided_by", "decided_at", "reason"])
            audit.record(
                "records.pending.return",
                actor=actor,
                target=pending,
                detail={"submitted_by": pending.submitted_by},
                ip=ip,
            )
    if pending is None:
        raise PermissionDenied(_("You do not have access to this contribution."))
    return pending
