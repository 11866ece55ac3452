"""Hit reports: every screening hit is reported over the network to the record's owner and the GS
with the screening bureau's context. The owner confirms, denies, or says how long it needs: within
10 minutes when urgent, 1 hour when routine. The hub's clock escalates what is overdue: a reminder
to the owner, then the owner's head of NCB, then the GS. Nobody is told to arrest anyone: the
officer sees a possible match awaiting the owner's confirmation.

A report found while the hub or the owner cannot be reached waits in this node's outbox (or, before
the recipients' keys are known, unsent here) and goes when they can be reached. The deadline of each
node runs from when that node learnt of the report, so a hit found offline is not overdue on arrival.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import Http404

from ncbnet.base import audit, clock, holdings, tally
from ncbnet.base.actor import Actor, Person
from ncbnet.base.node import HUB, node_id
from ncbnet.base.rows import Writer
from ncbnet.network import delivery, handlers
from ncbnet.network.envelope import Rejected, new_id
from ncbnet.network.handlers import Arrived, register, require_hub
from ncbnet.records import services as records

from . import signals, tallies
from .models import OUTCOMES, Escalation, HitReport, State, period
from .policies import answers_hits, screening_bureau, sees
from .schemas import BELOW_THRESHOLD, AnswerBody, EscalateBody, Hit, ReportBody

MAX_MORE_TIME = timedelta(days=7)
# A screening that finds a hit writes its report in the lookup's own transaction: by one statement
# written once (base.rows), as the ORM would write anew for every lookup.
_INSERT = Writer(HitReport)

REPORT = "hits.report"
ANSWER = "hits.answer"
ESCALATE = "hits.escalate"


def _send(r: HitReport, reachable: dict[frozenset[str], bool] | None = None) -> bool:
    """Hand the report to the network (inside the caller's transaction) and mark it sent. False
    while a recipient's keys are not yet known: the report stays unsent here and `send_pending`
    tries again. `reachable` remembers, across one batch, which recipients are not."""
    recipients = frozenset({r.owner, "hub"} - {node_id()})
    if recipients:
        if reachable is not None and not reachable.get(recipients, True):
            return False
        try:
            delivery.queue(REPORT, recipients, ReportBody.of(r))
        except delivery.NotOnNetwork:
            if reachable is not None:
                reachable[recipients] = False
            return False
    r.sent_at = clock.now()
    return True


def report(actor: Person, hit: Hit, query: Mapping[str, Any], context: Mapping[str, Any]) -> HitReport:
    return report_all(actor, [(hit, query)], context)[0]


def report_all(
    actor: Person,
    found: Sequence[tuple[Hit, Mapping[str, Any]]],
    context: Mapping[str, Any],
    *,
    audit_also: Sequence[Mapping[str, Any]] = (),
) -> list[HitReport]:
    """Each (hit, query) becomes one report, kept here and sent to the owner and the GS, with one
    audit entry naming them all, in the caller's transaction (the screening's), followed in the
    chain by the caller's own entries (`audit_also`, as `audit.record_all` takes them: the
    screening's, written with the reports' in one step). A possible match below the threshold is
    never reported: it is refused before anything is written."""
    if any(hit.status == BELOW_THRESHOLD for hit, _ in found):
        raise ValueError("a possible match below the threshold is never reported as a hit")
    now = clock.now()
    urgent = bool(context.get("urgent"))
    where = {k: context[k] for k in ("reason", "place") if context.get(k)}
    found_by = Actor.of(actor).where
    reports = []
    reachable: dict[frozenset[str], bool] = {}
    for hit, query in found:
        r = HitReport(
            id=uuid.UUID(new_id()),
            record_id=uuid.UUID(hit.record),
            database=hit.database,
            label=hit.label[:300],
            iccs=hit.iccs,
            owner=hit.owner,
            found_by=found_by,
            found_by_node=node_id(),
            officer=actor.get_username(),
            context=where,
            query=dict(query),
            score=float(hit.score),
            explanation=list(hit.explanation),
            urgent=urgent,
            restricted=hit.restricted,
            found_at=now,
            received_at=now,
            due_at=now + period(urgent),
        )
        _send(r, reachable)
        reports.append(r)
    entries: list[Mapping[str, Any]] = []
    if reports:
        _INSERT.insert(reports)
        tally.count_all(tallies.reported(r) for r in reports)
        entries.append(
            dict(
                action="hits.report",
                actor=actor,
                target_type="hits.hitreport",
                target_id=str(reports[0].pk) if len(reports) == 1 else "",
                detail={
                    "urgent": urgent,
                    "reports": [
                        {
                            "id": str(r.pk),
                            "record": str(r.record_id),
                            "owner": r.owner,
                            "sent": r.sent_at is not None,
                        }
                        for r in reports
                    ],
                },
            )
        )
    audit.record_all([*entries, *audit_also])
    return reports


@handlers.every(30, "hits.send_pending")
def send_pending() -> int:
    """Reports still unsent here (a recipient's keys were unknown) go now if they can."""
    sent = 0
    for r in HitReport.objects.filter(sent_at__isnull=True, found_by_node=node_id()).order_by("found_at"):
        with transaction.atomic():
            if _send(r):
                r.save(update_fields=["sent_at"])
                audit.record("hits.sent", target=r, detail={"owner": r.owner})
                sent += 1
    return sent


@register(REPORT, ReportBody)
def report_arrived(envelope: Arrived, body: ReportBody) -> None:
    """At the owner and the hub: keep the report; the deadline runs from now on this node's clock.
    The report's id is the finder's choice: one already kept here, from another finder, is refused."""
    sender = envelope.sender
    found_by = body.found_by
    if sender != found_by and not (found_by == "GS" and sender == HUB):
        raise Rejected("a hit is reported by the bureau that found it")
    bureau = holdings.here().bureau
    if bureau is not None and body.owner != bureau:
        raise Rejected("a hit report goes to the record's owner and the GS")
    now = clock.now()
    fields = body.report_fields()
    # the hub keeps the record: whether it is restricted (a node's replica does not say)
    fields["restricted"] = bureau is None and body.database != "notices" and records.restricted(body.record)
    r, created = HitReport.objects.get_or_create(
        id=fields.pop("id"),
        defaults={**fields, "found_by_node": sender, "received_at": now, "due_at": now + period(body.urgent)},
    )
    if not created and r.found_by_node != sender:
        raise Rejected(f"hit report {r.pk} is already kept here, from {r.found_by_node}")
    urgent = r.urgent
    if created:
        tally.count_all([tallies.reported(r)])
    if created and bureau is not None:
        records.alert_owner(r.record_id, r.label, "hit", found_by, now)
    audit.record("hits.received", target=r, detail={"from": sender, "owner": r.owner, "urgent": urgent})


def visible(actor: Person) -> QuerySet[HitReport]:
    """What `policies.sees` allows, as a query."""
    qs = HitReport.objects.all()
    if actor.kind in ("ncb", "gs"):
        return qs
    return qs.filter(found_by_node=node_id(), found_by=screening_bureau(actor), officer=actor.get_username())


def to_answer(actor: Person) -> QuerySet[HitReport]:
    """On the owner's node: reports on our records that still await our answer, most urgent first."""
    if holdings.here().keeps_originals or not answers_hits(actor):
        return HitReport.objects.none()
    return HitReport.objects.filter(owner=actor.country_code, state=State.AWAITING).order_by("due_at")


def escalated_to_gs(actor: Person) -> QuerySet[HitReport]:
    """At the hub: hits whose owner has not answered through a reminder and its head of NCB."""
    if not holdings.here().keeps_originals or actor.kind != "gs":
        return HitReport.objects.none()
    return HitReport.objects.filter(state=State.AWAITING, escalation=Escalation.GS).order_by("due_at")


def read(actor: Person, report_id: uuid.UUID) -> HitReport:
    r = HitReport.objects.filter(pk=report_id).first()
    if r is None or not sees(actor, r, node_id()):
        raise Http404("No such hit report here.")
    with transaction.atomic():
        audit.record("hits.read", actor=actor, target=r)
    return r


def answer(
    actor: Person, report_id: uuid.UUID, outcome: str, note: str = "", minutes: int | None = None
) -> HitReport:
    """The owner's answer: confirmed, denied, or more time (how many minutes it needs). It goes to
    the bureau that screened and to the GS."""
    if holdings.here().keeps_originals or not answers_hits(actor):
        raise PermissionDenied("The owner NCB's officers answer a hit.")
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "confirmed, denied or more_time"
    if outcome == "more_time" and (
        minutes is None or not 1 <= minutes <= MAX_MORE_TIME.total_seconds() // 60
    ):
        errors["minutes"] = (
            f"how many minutes the owner needs, 1 to {int(MAX_MORE_TIME.total_seconds() // 60)}"
        )
    if outcome == "denied" and not note.strip():
        errors["note"] = "say why it is not a match"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        r = HitReport.objects.select_for_update().filter(pk=report_id).first()
        if r is None or r.owner != actor.country_code:
            raise Http404("No hit report on our records with this id.")
        now = clock.now()
        seconds, late = tallies.timing(r, now)
        r.take_answer(outcome, note.strip(), minutes, actor.get_username(), now, now)
        r.save()
        tally.count_all([tallies.answered(r, outcome, seconds, late, now)])
        signals.answered.send(HitReport, report=r, at=now)
        delivery.queue(
            ANSWER,
            {r.found_by_node, "hub"},
            {
                "id": str(r.id),
                "outcome": outcome,
                "note": r.answer,
                "minutes": minutes,
                "by": r.answered_by,
                "at": now.isoformat(),
            },
        )
        audit.record(
            "hits.answer",
            actor=actor,
            target=r,
            detail={"outcome": outcome, "minutes": minutes, "seconds": seconds, "late": late},
        )
    return r


@register(ANSWER, AnswerBody)
def answer_arrived(envelope: Arrived, body: AnswerBody) -> None:
    with transaction.atomic():
        r = HitReport.objects.select_for_update().filter(pk=body.id).first()
        if r is None:
            raise Rejected("an answer to a hit report this node does not keep")
        if envelope.sender != r.owner:
            raise Rejected("only the record's owner answers a hit")
        if body.outcome == "more_time" and body.minutes is None:
            raise Rejected("more time without the minutes needed")
        detail: dict[str, Any] = {"from": r.owner, "outcome": body.outcome}
        if r.awaiting:  # taken here: counted, and how long it took kept for the recount
            now = clock.now()
            seconds, late = tallies.timing(r, body.at)
            r.take_answer(body.outcome, body.note, body.minutes, body.by, body.at, now)
            r.save()
            tally.count_all([tallies.answered(r, body.outcome, seconds, late, now)])
            detail |= {"seconds": seconds, "late": late}
        audit.record("hits.answered", target=r, detail=detail)


@handlers.every(30, "hits.escalate")
def escalate_at_the_hub() -> int | None:
    return escalate() if holdings.here().keeps_originals else None


def escalate() -> int:
    """At the hub, on its clock: each overdue report moves one step (reminder, head of NCB, GS)
    and its next deadline is one period later; the owner and the screening bureau are told."""
    now = clock.now()
    moved = 0
    with transaction.atomic():
        for r in HitReport.objects.select_for_update().filter(
            state=State.AWAITING, due_at__lte=now, escalation__lt=Escalation.GS
        ):
            r.escalate(now)
            r.save(update_fields=["escalation", "due_at"])
            targets = {r.owner, r.found_by_node} - {"hub"}
            if targets:
                delivery.queue(
                    ESCALATE, targets, {"id": str(r.id), "level": r.escalation, "at": now.isoformat()}
                )
            audit.record("hits.escalate", target=r, detail={"level": r.escalation, "owner": r.owner})
            moved += 1
    return moved


@register(ESCALATE, EscalateBody)
def escalation_arrived(envelope: Arrived, body: EscalateBody) -> None:
    require_hub(envelope, "escalations")
    with transaction.atomic():
        r = HitReport.objects.select_for_update().filter(pk=body.id).first()
        if r is None:
            raise Rejected("an escalation of a hit report this node does not keep")
        if r.awaiting:
            before = r.escalation
            r.escalate(clock.now(), body.level)
            r.save(update_fields=["escalation", "due_at"])
            if r.owner == node_id():
                records.alert_owner(r.record_id, r.label, "overdue", "GS", clock.now())
                if before < Escalation.HEAD <= r.escalation:
                    signals.escalated_to_head.send(HitReport, report=r, at=clock.now())
        audit.record("hits.escalated", target=r, detail={"level": r.escalation})


@receiver(records.purged)
def drop_purged(sender: Any, ids: list[uuid.UUID], **kwargs: Any) -> None:
    """A record purged at the end of its retention: its hit reports (its label, the query that
    found it) leave this node with it."""
    HitReport.objects.filter(record_id__in=ids).delete()
