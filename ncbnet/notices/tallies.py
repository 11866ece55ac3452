"""What notices and diffusions count in the figures (`base.tally`), and how the rebuild recounts
it from what they keep: a notice's events (each with the crime category the notice had then), a
diffusion's creation and the GS's checks of it in the audit chain. The hooks and the recount make
their counts with the same functions, so a figure kept live and a figure recounted agree.

Counted at the hub, where notices are reviewed and diffusions recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from ncbnet.base.chain import AuditEntry
from ncbnet.base.tally import Count, day_of

from .models import REVIEW_TARGET, Diffusion, NoticeEvent, State

# A notice's end, as the figures name it
OUTCOMES: dict[str, str] = {
    State.PUBLISHED: "published",
    State.REJECTED: "refused",
    State.CANCELLED: "cancelled",
    State.EXPIRED: "expired",
}
DIFFUSION_CHECK = "diffusions.check"


def step(
    kind: str, owner: str, iccs: str, before: str, to: str, at: datetime, submitted_at: datetime | None
) -> list[Count]:
    """The counts of one step of a notice's workflow (`before` to `to`, at `at`): a submission, or
    a decision or end. A draft cancelled before it was ever submitted counts nothing; a review's
    decision counts its time from the submission it decides, late past the 24-hour target."""
    if before == to:  # an extension: the notice stays published
        return []

    def counted(event: str, outcome: str = "", seconds: float = 0.0, late: int = 0) -> Count:
        return Count(event, day_of(at), owner, owner, "notices", kind, iccs, outcome, False, 1, seconds, late)

    if to == State.IN_REVIEW:
        return [counted("notice.submitted")]
    if to not in OUTCOMES or (to == State.CANCELLED and before == State.DRAFT):
        return []
    seconds, late = 0.0, 0
    if to in (State.PUBLISHED, State.REJECTED) and submitted_at is not None:
        # a decision recorded before its submission (the clock set back) counts no time rather
        # than refusing the review it counts, as hits and requests do
        waited = max(at - submitted_at, timedelta(0))
        seconds, late = waited.total_seconds(), int(waited > REVIEW_TARGET)
    return [counted("notice.decided", OUTCOMES[to], seconds, late)]


def diffused(d: Diffusion) -> Count:
    """A diffusion goes to the bureaus its owner chose: not every country's to see."""
    return Count(
        "notice.submitted",
        day_of(d.created_at),
        country=d.owner,
        owner=d.owner,
        database="diffusions",
        kind=d.kind,
        iccs=d.iccs,
        restricted=True,
    )


def diffusion_withdrawn(d: Diffusion, at: datetime) -> Count:
    return Count(
        "notice.decided",
        day_of(at),
        country=d.owner,
        owner=d.owner,
        database="diffusions",
        kind=d.kind,
        iccs=d.iccs,
        outcome="withdrawn",
        restricted=True,
    )


def recount(start: datetime, end: datetime) -> Iterator[Count]:
    """The counts of the notices' steps and the diffusions sent and withdrawn from `start` to `end`
    (excluded)."""
    touched = NoticeEvent.objects.filter(at__gte=start, at__lt=end).values("notice_id")
    events = (
        NoticeEvent.objects.filter(notice_id__in=touched)
        .order_by("notice_id", "at", "id")
        .values_list("notice_id", "notice__kind", "notice__owner", "iccs", "from_state", "to_state", "at")
    )
    submitted: dict[object, datetime] = {}
    for notice_id, kind, owner, iccs, before, to, at in events.iterator(chunk_size=2000):
        if to == State.IN_REVIEW:
            submitted[notice_id] = at
        if start <= at < end:
            yield from step(kind, owner, iccs, before, to, at, submitted.get(notice_id))
    for d in Diffusion.objects.filter(created_at__gte=start, created_at__lt=end):
        yield diffused(d)
    # a check withdraws a diffusion that was not withdrawn already (the checks are in the chain)
    checks = AuditEntry.objects.filter(action=DIFFUSION_CHECK).order_by("seq")
    ids = set(checks.filter(at__gte=start, at__lt=end).values_list("target_id", flat=True))
    if not ids:
        return
    diffusions = {str(d.pk): d for d in Diffusion.objects.filter(pk__in=ids)}
    last: dict[str, str] = {}
    for target, detail, at in checks.filter(target_id__in=ids).values_list("target_id", "detail", "at"):
        outcome = detail.get("outcome", "")
        if outcome == "withdrawn" and last.get(target) != "withdrawn" and start <= at < end:
            withdrawn = diffusions.get(target)
            if withdrawn is not None:
                yield diffusion_withdrawn(withdrawn, at)
        last[target] = outcome
