"""The rebuild: the figures of some days recounted from the base data (records and their versions,
notices' events, diffusions, hit reports, requests and their events, operations' results, and the
audit entries of searches, answers and checks), replacing what the rollups hold for those days.

Each app says how it counts (its `tallies` module, used by its hooks and by its `recount`), so a
rebuild counts as the events were counted. A rebuild is a job: one day at a time, each day in one
transaction with the progress, so a stopped process leaves whole days done and the job carries on
from the next (`resume`) once its lease has run out; `stop_lost` marks failed what nobody resumes.

While a day is rebuilt the figures are locked against the events counted meanwhile (on PostgreSQL
a table lock, on SQLite the database's one writer): an event committed before the lock is in the
base data read after it, one committed after adds to the rows the rebuild wrote; none is counted
twice or lost."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Min, Q

from ncbnet.base import audit, clock, tally
from ncbnet.base.chain import AuditEntry
from ncbnet.base.tally import Count
from ncbnet.cooperation.services import tallies as cooperation
from ncbnet.hits import tallies as hits
from ncbnet.network.envelope import new_id
from ncbnet.notices import tallies as notices
from ncbnet.records import tallies as records
from ncbnet.screening import tallies as screening

from . import reported, rollups
from .models import DailyFigure, MonthlyFigure, Rebuild, YearlyFigure

# Every app's recount, as `recount(start, end)` of the events from `start` to `end` (excluded)
RECOUNTS: tuple[Callable[[datetime, datetime], Iterator[Count]], ...] = (
    records.recount,
    notices.recount,
    screening.recount,
    hits.recount,
    cooperation.recount,
    reported.recount,
)
LEASE = timedelta(minutes=5)  # a day takes seconds: a runner that has not renewed in this has stopped
MAX_DAYS = 100 * 366

Progress = Callable[[str, int, int], None]


class Busy(Exception):
    """The job is held by another process."""


def runner() -> str:
    """This process, as it holds a job's lease."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def first_day() -> date:
    """The first day this node may have figures of: its audit chain's first entry (every event
    writes one), or the first figure kept, whichever is earlier; today when it has neither."""
    days = [clock.now().date()]
    first_entry = AuditEntry.objects.order_by("seq").values_list("at", flat=True).first()
    if first_entry is not None:
        days.append(tally.day_of(first_entry))
    first_figure = DailyFigure.objects.aggregate(first=Min("day"))["first"]
    if first_figure is not None:
        days.append(first_figure)
    return min(days)


def recount(day: date) -> list[Count]:
    """Every count of one UTC day, recounted from the base data, alike ones summed."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    end = start + timedelta(days=1)
    return tally.merged(c for recount in RECOUNTS for c in recount(start, end))


def _lock_figures() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # the events' upserts wait (they take ROW EXCLUSIVE, days before months, as here); the
            # dashboards' reads do not
            for model in (DailyFigure, MonthlyFigure, YearlyFigure):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


def _analyze() -> None:
    """After a rebuild, PostgreSQL's statistics of the figures (a rebuild rewrites many rows, and
    the planner that thinks a year of them is one row sorts on disk what it would hash in memory)
    and, outside a caller's transaction, a `VACUUM` of the rows the rebuild replaced: a year's
    rebuild leaves every month's and year's row replaced once a day, and until they are vacuumed
    the dashboards' index scans visit each dead version (at full scale, 2.7 million of them: GS
    dashboard p95 273 ms before, 155 ms after; autovacuum may be late or, as on the development
    machine, off)."""
    if connection.vendor == "postgresql":
        figures = (DailyFigure, MonthlyFigure, YearlyFigure)
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in figures)
        with connection.cursor() as cursor:
            cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM (ANALYZE)'} {tables}")


def rebuild_day(day: date, *, month_done: bool = False, year_done: bool = False) -> int:
    """Inside the caller's transaction: the day's figures replaced by its recount (and its month's
    and year's changed by the difference; the month made again from its days when `month_done`,
    the year from its months when `year_done`); the rows written."""
    _lock_figures()  # on SQLite, the transaction began IMMEDIATE holds the one writer's lock
    rows = rollups.replace_day(day, recount(day))
    if month_done or year_done:
        rollups.remake_month(rollups.month_of(day))
    if year_done:
        rollups.remake_year(rollups.year_of(day))
    return rows


def start(first: date, last: date, requested_by: str) -> Rebuild:
    """A rebuild of the days from `first` to `last` (both included), queued, audited."""
    if first > last:
        raise ValueError(f"the first day ({first}) is after the last ({last})")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days at once, not {days}")
    with transaction.atomic():
        job = Rebuild.objects.create(
            id=uuid.UUID(new_id()),
            first=first,
            last=last,
            total=days,
            requested_by=requested_by[:150],
            created_at=clock.now(),
        )
        audit.record(
            "analytics.rebuild",
            target=job,
            detail={"by": requested_by, "first": first.isoformat(), "last": last.isoformat()},
        )
    return job


def _free(now: datetime) -> Q:
    """Jobs a runner may take: queued, or running under a lease that ran out (its process
    stopped; the job carries on from its last day)."""
    return Q(state=Rebuild.State.QUEUED) | Q(state=Rebuild.State.RUNNING, lease_until__lt=now)


def _take(job_id: uuid.UUID) -> bool:
    now = clock.now()
    mine = Q(runner=runner(), state=Rebuild.State.RUNNING)
    return bool(
        Rebuild.objects.filter(_free(now) | mine, pk=job_id).update(
            state=Rebuild.State.RUNNING, runner=runner(), lease_until=now + LEASE
        )
    )


def run(job: Rebuild, progress: Progress | None = None) -> Rebuild:
    """Rebuild the days not yet rebuilt, one transaction a day with the progress."""
    if not _take(job.pk):
        raise Busy(f"rebuild {job.pk} is being run by another process")
    job.refresh_from_db()
    if job.started_at is None:
        job.started_at = clock.now()
        Rebuild.objects.filter(pk=job.pk).update(started_at=job.started_at)
    if progress:
        progress("days", job.done, job.total)
    try:
        while job.done < job.total:
            with transaction.atomic():
                day = job.first + timedelta(days=job.done)
                after = day + timedelta(days=1)
                job.rows += rebuild_day(
                    day,
                    month_done=rollups.month_of(after) != rollups.month_of(day),
                    year_done=after.year != day.year or day == job.last,
                )
                job.done += 1
                if job.done >= job.total:
                    job.state, job.finished_at = Rebuild.State.DONE, clock.now()
                held = Rebuild.objects.filter(pk=job.pk, runner=runner()).update(
                    done=job.done,
                    rows=job.rows,
                    state=job.state,
                    finished_at=job.finished_at,
                    lease_until=clock.now() + LEASE,
                )
                if not held:  # this day is undone with the transaction
                    raise Busy(f"rebuild {job.pk} was taken by another process (its lease ran out)")
            if progress:
                progress("days", job.done, job.total)
        _analyze()
    except Busy:
        raise
    except Exception as exc:
        Rebuild.objects.filter(pk=job.pk, runner=runner()).update(
            state=Rebuild.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return job


def resumable() -> list[Rebuild]:
    """Rebuilds left running by a process that stopped (their lease ran out), or never started."""
    return list(Rebuild.objects.filter(_free(clock.now())).order_by("created_at"))


def stop_lost() -> int:
    """Mark failed the rebuilds whose process stopped (their lease ran out), rather than resume
    them: what they rebuilt stays, whole days; the days after are as the rollups kept them."""
    now = clock.now()
    with transaction.atomic():
        lost = list(
            Rebuild.objects.select_for_update().filter(state=Rebuild.State.RUNNING, lease_until__lt=now)
        )
        for job in lost:
            job.state, job.finished_at = Rebuild.State.FAILED, now
            job.error = f"stopped after {job.done} of {job.total} days (its process ended)"
            job.save(update_fields=["state", "finished_at", "error"])
            audit.record("analytics.rebuild_stopped", target=job, detail={"done": job.done})
    return len(lost)


def get(job_id: str) -> Rebuild | None:
    try:
        pk = uuid.UUID(job_id)
    except ValueError:
        return None
    return Rebuild.objects.filter(pk=pk).first()
