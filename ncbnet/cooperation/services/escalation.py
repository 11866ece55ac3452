"""Overdue requests escalate (EU Directive 2023/977, Art. 5): on the requested bureau's node, the
bureau's officers are alerted at the deadline, then its head of NCB; on the requester's node, the
same computation from the deadline the signed receipt gave marks the request overdue only once it
reaches the requester's level. Alerts are done when the request is answered, refused or paused.

The same alerts serve hits: when the hub escalates an unanswered hit on this bureau's records to
its head of NCB, the head gets an alert (`hit_escalated`, listening to `hits.signals`), done when
the bureau answers the hit."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.base.node import node_id
from ncbnet.hits.models import HitReport
from ncbnet.network.envelope import new_id

from .. import deadlines
from ..models.requests import AWAITING_ANSWER, Alert, Request, RequestEvent
from ..policies import cooperates, is_head

# Which alert each level raises on the requested bureau's node.
AUDIENCE = {deadlines.BUREAU: Alert.Audience.BUREAU, deadlines.HEAD: Alert.Audience.HEAD}


def _text(r: Request, level: int) -> str:
    values = {"node": r.requester, "title": r.title}
    if level == deadlines.HEAD:
        return (_("Request from %(node)s overdue, escalated to the head of NCB: %(title)s") % values)[:500]
    return (_("Request from %(node)s overdue: %(title)s") % values)[:500]


def _raise(r: Request, level: int, now: datetime) -> list[str]:
    """The alerts and events of the levels from the request's last one up to `level`."""
    raised = []
    for step in range(r.escalation + 1, level + 1):
        if r.direction == Request.Direction.IN and step in AUDIENCE:
            Alert.objects.create(
                at=now, audience=AUDIENCE[step], what="request", ref=r.pk, text=_text(r, step)
            )
            raised.append(str(AUDIENCE[step]))
        if (r.direction == Request.Direction.IN and step == deadlines.BUREAU) or (
            r.direction == Request.Direction.OUT and step == deadlines.REQUESTER
        ):
            RequestEvent.objects.create(
                id=uuid.UUID(new_id()),
                request=r,
                kind=RequestEvent.Kind.OVERDUE,
                at=now,
                node=node_id(),
                by=node_id(),
                detail={"due_at": r.due_at.isoformat() if r.due_at else None},
            )
    return raised


def escalate_one(request_id: uuid.UUID, now: datetime) -> int | None:
    """Move one request to the level its deadline gives it now; the new level, or None if none."""
    with transaction.atomic():
        r = Request.objects.select_for_update().filter(pk=request_id, state__in=AWAITING_ANSWER).first()
        if r is None or r.due_at is None:
            return None
        level = deadlines.escalation_level(r.due_at, r.span, now)
        if r.direction == Request.Direction.OUT:
            level = deadlines.REQUESTER if level >= deadlines.REQUESTER else 0
        if level <= r.escalation:
            return None
        before = r.escalation
        raised = _raise(r, level, now)
        r.escalation = level
        r.save(update_fields=["escalation"])
        audit.record(
            "cooperation.request.escalate",
            target=r,
            detail={"from": before, "to": level, "direction": r.direction, "alerts": raised},
        )
        return level


def escalate() -> dict[str, int]:
    """Every request awaiting an answer whose deadline passed, moved to its level (those at the
    last level already are not read again every minute)."""
    now = clock.now()
    due = Request.objects.filter(
        state__in=AWAITING_ANSWER, due_at__lte=now, escalation__lt=deadlines.REQUESTER
    ).values_list("pk", flat=True)
    moved = [level for pk in list(due) if (level := escalate_one(pk, now)) is not None]
    return {"escalated": len(moved)}


def settle(r: Request, now: datetime) -> int:
    """The request was answered, refused or paused: its alerts are done (inside the caller's
    transaction, which audits the step)."""
    return Alert.objects.filter(what="request", ref=r.pk, done_at__isnull=True).update(done_at=now)


def alerts(actor: Person) -> QuerySet[Alert]:
    """The open alerts for the home page: the bureau's, and the head's for a head of NCB."""
    if not cooperates(actor):
        return Alert.objects.none()
    audience = Q(audience=Alert.Audience.BUREAU)
    if is_head(actor):
        audience |= Q(audience=Alert.Audience.HEAD)
    return Alert.objects.filter(audience, done_at__isnull=True).order_by("-at")


def hit_escalated(sender: object, report: HitReport, at: datetime, **kwargs: object) -> None:
    """On the owner's node, in the transaction that records the escalation: the head of NCB's alert
    (one per hit, however far it escalates)."""
    if Alert.objects.filter(
        what="hit", ref=report.pk, audience=Alert.Audience.HEAD, done_at__isnull=True
    ).exists():
        return
    text = _("Hit on %(label)s found by %(by)s unanswered, escalated to the head of NCB") % {
        "label": report.label,
        "by": report.found_by,
    }
    alert = Alert.objects.create(
        at=at, audience=Alert.Audience.HEAD, what="hit", ref=report.pk, text=text[:500]
    )
    audit.record("cooperation.alert.raise", target=alert, detail={"what": "hit", "ref": str(report.pk)})


def hit_answered(sender: object, report: HitReport, at: datetime, **kwargs: object) -> None:
    """The bureau answered the hit: its alerts are done."""
    Alert.objects.filter(what="hit", ref=report.pk, done_at__isnull=True).update(done_at=at)


def escalated_to_me(actor: Person) -> QuerySet[Alert]:
    """A head of NCB's own list: the requests and hits escalated to them, open ones first, then
    the latest done."""
    if not is_head(actor):
        return Alert.objects.none()
    return Alert.objects.filter(audience=Alert.Audience.HEAD).order_by(
        F("done_at").desc(nulls_first=True), "-at"
    )
