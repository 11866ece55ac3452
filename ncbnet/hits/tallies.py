"""What hit reports count in the figures (`base.tally`), and how the rebuild recounts it: a report
kept on this node (found here, or received by the owner or the hub) counts on the day this node
learnt of it; an answer taken here counts from the audit entry that keeps it, which says how long
after the report it came and whether it was late. The hooks and the recount make their counts with
the same functions, so a figure kept live and a figure recounted agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ncbnet.base.chain import AuditEntry
from ncbnet.base.tally import Count, Values, day_of

from .models import HitReport

# The audit entries of an answer taken on this node: the owner's own, and one received
ANSWERS = ("hits.answer", "hits.answered")


def _values(r: HitReport) -> Values:
    return {
        "country": r.found_by,
        "owner": r.owner,
        "database": r.database,
        "kind": "urgent" if r.urgent else "",
        "iccs": r.iccs,
        "restricted": r.restricted,
    }


def reported(r: HitReport) -> Count:
    return Count("hit.reported", day_of(r.received_at), **_values(r))


def timing(r: HitReport, at: datetime) -> tuple[float, bool]:
    """How long after the report an answer given `at` came, and whether it missed the deadline
    the report had then on this node's clock (10 minutes urgent, 1 hour otherwise, or the time the
    owner asked for)."""
    return max((at - r.found_at).total_seconds(), 0.0), at > r.due_at


def answered(r: HitReport, outcome: str, seconds: float, late: bool, at: datetime) -> Count:
    return Count(
        "hit.answered",
        day_of(at),
        outcome=outcome.replace("_", "-"),  # more_time: "more-time", as the figures name it
        seconds=seconds,
        late=int(late),
        **_values(r),
    )


def recount(start: datetime, end: datetime) -> Iterator[Count]:
    """The counts of the reports this node learnt of and the answers it took from `start` to `end`
    (excluded)."""
    for r in HitReport.objects.filter(received_at__gte=start, received_at__lt=end).iterator(chunk_size=2000):
        yield reported(r)
    entries = AuditEntry.objects.filter(action__in=ANSWERS, at__gte=start, at__lt=end, detail__has_key="late")
    taken = list(entries.values_list("target_id", "detail", "at"))
    reports = {str(r.pk): r for r in HitReport.objects.filter(pk__in={t for t, _, _ in taken})}
    for target, detail, at in taken:
        report = reports.get(target)
        if report is not None:
            yield answered(report, detail["outcome"], float(detail["seconds"]), bool(detail["late"]), at)
