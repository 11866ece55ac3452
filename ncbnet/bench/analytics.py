"""`ncbnet bench analytics`: the daily figures at the scale of the network, on a hub holding N
persons and M travel documents (`records.bulk.seed`, as the screening bench seeds them: a
screening bench's `--data` is reused as it is) and a year of synthetic activity, in this process
against its database.

- history: the days before today filled with the network's activity at the scale INTERPOL
  publishes (DOMAIN.md): 5.4 billion searches a year (2018), 256 million of them on stolen vehicles,
  about 118,000 vehicle hits (2017) and fewer on documents and persons; about 25,000 notices a year,
  most of them Red (15,500 in 2024), their reviews around the 24-hour target, a tenth refused,
  cancelled or sent back; diffusions, checked after the fact. Every member country takes part, a
  few much more than the others; a stolen vehicle is mostly found in its owner's region.
  It is written into the base data the rebuild recounts, as the services keep it, never into the
  figures: the searches' audit entries with their figures (one entry for one country's searches of
  one kind in a day, as a batch's entry stands for its documents), hit reports as the hub keeps
  them when they arrive, with the owners' answers as audit entries (`hits.answered`, how long and
  whether late), notices with their events, diffusions with the GS's checks (`diffusions.check`).
  Audit entries are appended with `audit.record_all` on the clock of the event, so the chain stays
  whole. A day at a time, one transaction each with an audit entry that marks it written: a second
  run adds nothing, a stopped one carries on;
- rebuild: every figure deleted, then the days from the first seeding or history day to today
  rebuilt through `analytics.rebuild` (`start` and `run`, as `ncbnet analytics rebuild` does);
  with `--keep-figures`, the figures a run before left are kept and only counted;
- dashboards: the GS analyst's (`figures.gs`), the published one (`figures.published`) and a
  bureau's (`figures.bureau`), each made `rounds` times with filters varied the way analysts vary
  them (the whole year, a quarter, a month, a region, a country, an ICCS section; bureaus of every
  size), p50 and p95 in milliseconds, after one call of each that loads the process's caches.

The line says how many figure rows the year made (`figure_rows`, the counts as counted;
`rolled_rows`, `month_rows`, `year_rows`: what the dashboards read), whether the figures rebuilt
are the figures as they were before the rebuild (`figures_before` and `figures_after`, digests of
every row: equal on a second run, and for the records' own figures, counted live by the seed, on
the first) and what the rebuilt figures count of the history (`counted`), which must equal what
the history wrote (`history`).
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

Progress = Callable[[str, int, int], None]

DAYS = 365
# A year of the network's activity (DOMAIN.md): searches by database (5.4 billion in 2018, of which
# 256 million on stolen motor vehicles in 2017), hit reports by database (about 118,000 on vehicles
# in 2017; the hits on documents and persons kept fewer, so that vehicles dominate as they do in
# the published figures the flows are drawn from), notices submitted by kind (about 25,000, 15,500
# of them Red in 2024) and diffusions.
SEARCHES = {"vehicles": 256_000_000, "documents": 3_600_000_000, "persons": 1_544_000_000}
HITS = {"vehicles": 118_000, "documents": 30_000, "persons": 12_000}
NOTICES = {
    "red": 15_500,
    "yellow": 3_000,
    "blue": 3_000,
    "black": 500,
    "green": 1_200,
    "orange": 300,
    "purple": 400,
    "silver": 200,
    "unsc": 900,
}
DIFFUSIONS = 12_000
EXPIRED = 3_000  # notices published five years before, expired at their periodic review
# How the searches of each database are made (the audit entry's action), in shares: a manifest's
# row searches persons and documents in one entry.
HOWS: dict[str, tuple[tuple[str, float], ...]] = {
    "vehicles": (("screening.vehicle", 1.0),),
    "documents": (
        ("screening.document", 0.45),
        ("screening.documents", 0.3),
        ("screening.mrz", 0.15),
        ("screening.manifest_rows", 0.1),
    ),
    "persons": (("screening.person", 0.8), ("screening.manifest_rows", 0.2)),
}
# The crime categories of what is hit (ICCS level 2): vehicles stolen (theft), documents stolen
# or forged, persons wanted for the crimes Red Notices are mostly about.
HIT_CATEGORIES: dict[str, tuple[tuple[str, float], ...]] = {
    "vehicles": (("0502", 0.9), ("0401", 0.1)),
    "documents": (("0502", 0.5), ("0703", 0.3), ("", 0.2)),
    "persons": (("0101", 0.2), ("0601", 0.35), ("0701", 0.2), ("0204", 0.1), ("0301", 0.15)),
}
NOTICE_CATEGORIES = (
    ("0101", 0.18),
    ("0601", 0.25),
    ("0701", 0.15),
    ("0204", 0.08),
    ("0301", 0.1),
    ("0401", 0.08),
    ("0901", 0.06),
    ("", 0.1),
)
URGENT_SHARE = 0.3
RESTRICTED_SHARE = 0.04  # hits on records their owner lists for some countries only
SAME_REGION = 0.65  # a stolen vehicle is found in its owner's region this often
HISTORY = "bench.analytics_history"  # the audit entry that fixes the history's days
DAY_WRITTEN = "bench.analytics_day"  # the audit entry of each day written, with its volumes
ROUNDS = 50


class OtherHistory(ValueError):
    """The hub holds a history of another length than asked."""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _poisson(rnd: random.Random, mean: float) -> int:
    """About `mean` events (a normal approximation past 30: a day's searches number millions)."""
    if mean <= 0:
        return 0
    if mean < 30:
        limit, k, p = math.exp(-mean), 0, rnd.random()
        while p > limit:
            k += 1
            p *= rnd.random()
        return k
    return max(0, round(rnd.gauss(mean, math.sqrt(mean))))


def _pick(rnd: random.Random, shares: tuple[tuple[str, float], ...]) -> str:
    return rnd.choices([v for v, _ in shares], [w for _, w in shares])[0]


@dataclass(frozen=True)
class Network:
    """The member countries, how much each takes part (a few much more than the others: weights
    by rank, Zipf's law with exponent 0.9, the order drawn once) and their regions."""

    countries: list[str]
    weight: dict[str, float]
    region: dict[str, str]
    by_region: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def make(cls, seed: int) -> Network:
        from ncbnet.core.registry import members_data

        members = sorted(members_data()["members"], key=lambda m: m["code"])
        countries = [m["code"] for m in members]
        order = countries[:]
        random.Random(seed).shuffle(order)  # noqa: S311 - reproducible, not a secret
        raw = {c: 1 / (rank + 1) ** 0.9 for rank, c in enumerate(order)}
        total = sum(raw.values())
        region = {m["code"]: m["region"] for m in members}
        by_region: dict[str, list[str]] = defaultdict(list)
        for c in countries:
            by_region[region[c]].append(c)
        return cls(countries, {c: w / total for c, w in raw.items()}, region, dict(by_region))

    def country(self, rnd: random.Random, among: list[str] | None = None) -> str:
        among = among or self.countries
        return rnd.choices(among, [self.weight[c] for c in among])[0]

    def found(self, rnd: random.Random, owner: str) -> str:
        """Where a stolen vehicle (or a document, a person) of `owner`'s turns up: mostly in its
        region, elsewhere by how much each country screens; never at home (a hit at home is the
        owner's own police's, not the network's)."""
        near = [c for c in self.by_region[self.region[owner]] if c != owner]
        among = near if near and rnd.random() < SAME_REGION else [c for c in self.countries if c != owner]
        return self.country(rnd, among)


def _season(day: date) -> float:
    """More travel, so more screening, in the northern summer; less at weekends."""
    summer = 1 + 0.15 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 100) / 365)
    return summer * (0.8 if day.weekday() >= 5 else 1.06)


@dataclass
class Day:
    """One day's synthetic activity, as the base data keeps it, and its volumes."""

    reports: list[Any] = field(default_factory=list)
    answers: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)  # at, audit entry
    searches: list[dict[str, Any]] = field(default_factory=list)  # audit entries
    notices: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    diffusions: list[Any] = field(default_factory=list)
    checks: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    volumes: Counter[str] = field(default_factory=Counter)


def _at(rnd: random.Random, day: date) -> datetime:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(seconds=rnd.uniform(0, 86_399))


Found = Counter[tuple[str, str, str]]


def _hits(rnd: random.Random, day: date, net: Network, now: datetime, out: Day) -> Found:
    """The day's hit reports as the hub keeps them on receipt, and their owners' answers (those
    given by `now`): the hits found, by country, how the search was made and database."""
    from ncbnet.hits.models import ROUTINE, URGENT, HitReport, State

    found: Found = Counter()
    for database, yearly in HITS.items():
        for _ in range(_poisson(rnd, yearly / DAYS * _season(day))):
            owner = net.country(rnd)
            finder = net.found(rnd, owner)
            how = _pick(rnd, HOWS[database])
            found[finder, how, database] += 1
            found_at = _at(rnd, day)
            received_at = found_at + timedelta(seconds=rnd.uniform(0.2, 4))
            urgent = rnd.random() < URGENT_SHARE
            due = received_at + (URGENT if urgent else ROUTINE)
            report = HitReport(
                id=uuid.UUID(int=rnd.getrandbits(128), version=4),
                record_id=uuid.UUID(int=rnd.getrandbits(128), version=4),
                database=database,
                label=f"{database} {rnd.randrange(10**8):08d}",
                iccs=_pick(rnd, HIT_CATEGORIES[database]),
                owner=owner,
                found_by=finder,
                found_by_node=finder,
                officer=f"officer-{rnd.randrange(1000)}",
                context={"reason": "border check"},
                query={},
                score=1.0,
                explanation=[],
                urgent=urgent,
                restricted=rnd.random() < RESTRICTED_SHARE,
                found_at=found_at,
                received_at=received_at,
                due_at=due,
            )
            out.reports.append(report)
            out.volumes["hits"] += 1
            out.volumes[f"hits_{database}"] += 1
            # The owner answers: mostly on time, a tail late; one in twenty asks for more time first.
            typical = 360 if urgent else 1800
            at = found_at + timedelta(seconds=rnd.lognormvariate(math.log(typical), 0.8))
            if rnd.random() < 0.05 and at <= now:
                minutes = rnd.choice((30, 60, 120))
                out.answers.append((at, _answer(report, "more_time", at, at > due)))
                out.volumes["answers"] += 1
                out.volumes["answers_late"] += at > due
                report.answer = f"more time: {minutes} min"
                due = at + timedelta(minutes=minutes)
                report.due_at = due
                at += timedelta(minutes=minutes * rnd.uniform(0.3, 1.3))
            if at > now:
                continue  # not answered yet
            outcome = "confirmed" if rnd.random() < 0.72 else "denied"
            out.answers.append((at, _answer(report, outcome, at, at > due)))
            out.volumes["answers"] += 1
            out.volumes["answers_late"] += at > due
            report.state = State.CONFIRMED if outcome == "confirmed" else State.DENIED
            report.answered_at, report.answered_by = at, f"officer-{report.owner}"
    return found


def _answer(report: Any, outcome: str, at: datetime, late: bool) -> dict[str, Any]:
    """The audit entry of an owner's answer as the hub takes it (`hits.services.answer_arrived`)."""
    seconds = max((at - report.found_at).total_seconds(), 0.0)
    return {
        "action": "hits.answered",
        "target_type": "hits.hitreport",
        "target_id": str(report.pk),
        "detail": {"from": report.owner, "outcome": outcome, "seconds": seconds, "late": late},
    }


def _searches(rnd: random.Random, day: date, net: Network, found: Found, out: Day) -> None:
    """One audit entry for each country's searches of one kind in the day, with its figures (as
    `screening.tallies.figures` makes them): the hits among them are the reports found that way."""
    from ncbnet.screening.tallies import HOW

    season = _season(day)
    for country in net.countries:
        per_how: dict[str, dict[str, list[int]]] = defaultdict(dict)
        for database, yearly in SEARCHES.items():
            for how, share in HOWS[database]:
                mean = yearly / DAYS * season * net.weight[country] * share
                hits = found[country, how, database]
                n = max(_poisson(rnd, mean * rnd.lognormvariate(0, 0.1)), hits)
                if n:
                    per_how[how][database] = [n, hits]
                    out.volumes["searches"] += n
                    out.volumes[f"searches_{database}"] += n
        for how, databases in sorted(per_how.items()):
            figures = {"where": country, "how": HOW[how], "databases": databases}
            out.searches.append({"action": how, "subject": country, "detail": {"figures": figures}})


def _notices(rnd: random.Random, day: date, net: Network, now: datetime, out: Day) -> None:
    """The notices submitted in the day and what became of them (reviewed around the 24-hour target:
    published, refused, sent back for changes and resubmitted, cancelled by their owner), the
    notices published five years before that expire in it, and the diffusions sent, checked."""
    from ncbnet.base.dates import add_years
    from ncbnet.notices.models import REVIEW_TARGET, Diffusion, Notice, NoticeEvent, State

    def event(notice: Notice, at: datetime, before: str, to: str, by: str) -> None:
        out.events.append(
            NoticeEvent(
                notice=notice,
                at=at,
                actor=by,
                actor_country="GS" if by == "gs-reviewer" else notice.owner,
                from_state=before,
                to_state=to,
                iccs=notice.iccs,
            )
        )

    def notice(kind: str, owner: str, created: datetime) -> Notice:
        code = _pick(rnd, NOTICE_CATEGORIES)
        made = Notice(
            id=uuid.UUID(int=rnd.getrandbits(128), version=4),
            kind=kind,
            owner=owner,
            title=f"{kind} notice {rnd.randrange(10**6):06d}",
            data={"iccs": code} if code else {},
            iccs=code,
            state=State.DRAFT,
            created_at=created,
        )
        out.notices.append(made)
        return made

    season = _season(day)
    for kind, yearly in NOTICES.items():
        for _ in range(_poisson(rnd, yearly / DAYS * season)):
            submitted = _at(rnd, day)
            n = notice(kind, net.country(rnd), submitted - timedelta(hours=rnd.uniform(1, 72)))
            event(n, submitted, State.DRAFT, State.IN_REVIEW, "officer")
            n.state, n.submitted_at, n.review_due = State.IN_REVIEW, submitted, submitted + REVIEW_TARGET
            out.volumes["notices"] += 1
            out.volumes["submissions"] += 1
            out.volumes[f"notices_{kind}"] += 1
            at = submitted
            while True:
                at += timedelta(hours=rnd.lognormvariate(math.log(15), 0.6))  # a review: 15 h typical
                if at > now:
                    break  # still in review
                fate = rnd.random()
                if fate < 0.08:  # sent back for changes, resubmitted a day or two later
                    event(n, at, State.IN_REVIEW, State.CHANGES_REQUESTED, "gs-reviewer")
                    at += timedelta(hours=rnd.uniform(6, 60))
                    if at > now:
                        n.state = State.CHANGES_REQUESTED
                        break
                    event(n, at, State.CHANGES_REQUESTED, State.IN_REVIEW, "officer")
                    n.submitted_at, n.review_due = at, at + REVIEW_TARGET
                    out.volumes["submissions"] += 1
                    continue
                if fate < 0.14:
                    event(n, at, State.IN_REVIEW, State.REJECTED, "gs-reviewer")
                    n.state, n.closed_at = State.REJECTED, at
                elif fate < 0.16:
                    event(n, at, State.IN_REVIEW, State.CANCELLED, "officer")
                    n.state, n.closed_at = State.CANCELLED, at
                else:
                    event(n, at, State.IN_REVIEW, State.PUBLISHED, "gs-reviewer")
                    n.state, n.published_at = State.PUBLISHED, at
                    n.periodic_review_at = add_years(at, 5)
                    out.volumes["notices_published"] += 1
                    cancelled = at + timedelta(days=rnd.uniform(10, 300))
                    if rnd.random() < 0.03 and cancelled <= now:  # the person found, the notice withdrawn
                        event(n, cancelled, State.PUBLISHED, State.CANCELLED, "officer")
                        n.state, n.closed_at = State.CANCELLED, cancelled
                break
    for _ in range(_poisson(rnd, EXPIRED / DAYS)):
        expired = _at(rnd, day)
        published = add_years(expired, -5)
        submitted = published - timedelta(hours=rnd.uniform(4, 40))
        n = notice(rnd.choice(("red", "red", "red", "yellow", "blue")), net.country(rnd), submitted)
        event(n, submitted, State.DRAFT, State.IN_REVIEW, "officer")
        event(n, published, State.IN_REVIEW, State.PUBLISHED, "gs-reviewer")
        event(n, expired, State.PUBLISHED, State.EXPIRED, "gs-reviewer")
        n.state, n.submitted_at, n.review_due = State.EXPIRED, submitted, submitted + REVIEW_TARGET
        n.published_at, n.periodic_review_at, n.closed_at = published, expired, expired
        out.volumes["notices_expired"] += 1
    for _ in range(_poisson(rnd, DIFFUSIONS / DAYS * season)):
        owner, sent = net.country(rnd), _at(rnd, day)
        code = _pick(rnd, NOTICE_CATEGORIES)
        d = Diffusion(
            id=uuid.UUID(int=rnd.getrandbits(128), version=4),
            kind=rnd.choice(("red", "red", "red", "blue", "yellow", "green")),
            owner=owner,
            recipients=sorted({net.country(rnd) for _ in range(rnd.randint(1, 12))} - {owner}),
            title=f"diffusion {rnd.randrange(10**6):06d}",
            data={"iccs": code} if code else {},
            iccs=code,
            created_at=sent,
        )
        out.diffusions.append(d)
        out.volumes["diffusions"] += 1
        checked = sent + timedelta(hours=rnd.lognormvariate(math.log(30), 0.7))
        if checked <= now:
            outcome = "withdrawn" if rnd.random() < 0.04 else "compliant"
            d.checked_at, d.checked_by, d.check_outcome = checked, "gs-reviewer", outcome
            detail = {"by": "gs-reviewer", "outcome": outcome, "reason": ""}
            entry = {"action": "diffusions.check", "subject": "GS", "target_type": "notices.diffusion"}
            out.checks.append((checked, {**entry, "target_id": str(d.pk), "detail": detail}))
            out.volumes["diffusions_withdrawn"] += outcome == "withdrawn"


def _write(day: date, out: Day) -> None:
    """The day's base data, in the caller's transaction: rows in bulk, audit entries on the clock
    of their events (the chain's order is the order they are written in, its times theirs)."""
    from ncbnet.base import audit, clock
    from ncbnet.base.rows import Writer
    from ncbnet.hits.models import HitReport
    from ncbnet.notices.models import Diffusion, Notice, NoticeEvent

    Writer(HitReport).insert(out.reports)
    Notice.objects.bulk_create(out.notices, batch_size=1000)
    NoticeEvent.objects.bulk_create(out.events, batch_size=1000)
    Diffusion.objects.bulk_create(out.diffusions, batch_size=1000)
    end = datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
    with clock.frozen(end):  # the day's searches, each country's of one kind summed in one entry
        for start in range(0, len(out.searches), 500):
            audit.record_all(out.searches[start : start + 500])
    for at, entry in sorted([*out.answers, *out.checks], key=lambda e: e[0]):
        with clock.frozen(at):
            audit.record_all([entry])
    with clock.frozen(end):
        audit.record(DAY_WRITTEN, subject="GS", detail={"day": day.isoformat(), **out.volumes})


def history(days: int, seed: int = 2026, progress: Progress | None = None) -> dict[str, Any]:
    """The synthetic history's days and volumes: written where missing (a day a transaction), the
    days of a hub that has one fixed by its first run."""
    from django.db import transaction

    from ncbnet.base import audit, clock
    from ncbnet.base.chain import AuditEntry

    mark = AuditEntry.objects.filter(action=HISTORY).order_by("seq").first()
    if mark is None:
        today = clock.now().date()
        with transaction.atomic():
            audit.record(
                HISTORY, subject="GS", detail={"today": today.isoformat(), "days": days, "seed": seed}
            )
    else:
        today, seed = date.fromisoformat(mark.detail["today"]), int(mark.detail["seed"])
        if int(mark.detail["days"]) != days:
            raise OtherHistory(f"this hub holds {mark.detail['days']} days of history, not {days}")
    first = today - timedelta(days=days)
    written = {
        date.fromisoformat(d["day"]): d
        for d in AuditEntry.objects.filter(action=DAY_WRITTEN).values_list("detail", flat=True)
    }
    net = Network.make(seed)
    now = clock.now()
    end = min(now, datetime(today.year, today.month, today.day, tzinfo=UTC))
    for i in range(days):
        day = first + timedelta(days=i)
        if day not in written:
            rnd = random.Random(f"{seed}:{day.isoformat()}")  # noqa: S311 - reproducible, not a secret
            out = Day()
            found = _hits(rnd, day, net, end, out)
            _searches(rnd, day, net, found, out)
            _notices(rnd, day, net, end, out)
            with transaction.atomic():
                _write(day, out)
            written[day] = {"day": day.isoformat(), **out.volumes}
        if progress:
            progress("history", i + 1, days)
    volumes: Counter[str] = Counter()
    for detail in written.values():
        volumes.update({k: v for k, v in detail.items() if k != "day"})
    return {"first": first, "today": today, "seed": seed, "volumes": dict(sorted(volumes.items()))}


def _digest(rows: Iterable[tuple[Any, ...]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()[:16]


def figures_digest(events: tuple[str, ...] | None = None) -> str:
    """Every figure row (or those of some events), in key order, as a short digest."""
    from ncbnet.analytics.models import DIMENSIONS, DailyFigure

    qs = DailyFigure.objects.all()
    if events is not None:
        qs = qs.filter(event__in=events)
    rows = qs.order_by(*DIMENSIONS).values_list(*DIMENSIONS, "n", "seconds", "late")
    return _digest((*row[:-2], round(row[-2], 3), row[-1]) for row in rows.iterator(chunk_size=5000))


def counted(first: date, last: date) -> dict[str, int]:
    """What the figures count of the history's days, to hold against what it wrote."""
    from django.db.models import Sum

    from ncbnet.analytics.models import DailyFigure

    days = DailyFigure.objects.filter(day__gte=first, day__lte=last, rolled="")  # the counts' own rows

    def total(event: str, **where: Any) -> int:
        return int(days.filter(event=event, **where).aggregate(n=Sum("n"))["n"] or 0)

    return {
        "searches": total("screening.searched"),
        "hits": total("hit.reported"),
        "answers": total("hit.answered"),
        "answers_late": int(days.filter(event="hit.answered").aggregate(n=Sum("late"))["n"] or 0),
        "submissions": total("notice.submitted", database="notices"),
        "diffusions": total("notice.submitted", database="diffusions"),
        "notices_published": total("notice.decided", database="notices", outcome="published"),
        "notices_expired": total("notice.decided", outcome="expired"),
        "diffusions_withdrawn": total("notice.decided", outcome="withdrawn"),
    }


def rebuild_all(first: date, last: date, progress: Progress | None = None) -> float:
    """Every figure deleted, then the days from `first` to `last` rebuilt as the command does:
    the seconds it took."""
    from django.db import transaction

    from ncbnet.analytics import rebuild
    from ncbnet.analytics.models import DailyFigure, MonthlyFigure, YearlyFigure

    with transaction.atomic():
        for model in (DailyFigure, MonthlyFigure, YearlyFigure):
            model.objects.all().delete()
    t = time.perf_counter()
    job = rebuild.start(first, last, "bench")
    rebuild.run(job, progress=progress)
    return time.perf_counter() - t


def rows_kept() -> dict[str, int]:
    """The figure rows: the days' counts as counted, the days' rolled rows, the months' and the
    years' rows."""
    from ncbnet.analytics.models import DailyFigure, MonthlyFigure, YearlyFigure

    own = DailyFigure.objects.filter(rolled="").count()
    return {
        "figure_rows": own,
        "rolled_rows": DailyFigure.objects.count() - own,
        "month_rows": MonthlyFigure.objects.count(),
        "year_rows": YearlyFigure.objects.count(),
    }


def dashboards(
    first: date, last: date, rounds: int, net: Network, progress: Progress | None = None
) -> dict[str, dict[str, float]]:
    """Each dashboard made `rounds` times over filters varied as analysts vary them."""
    from ncbnet.analytics import figures
    from ncbnet.base import iccs

    rnd = random.Random(19)  # noqa: S311 - reproducible, not a secret
    whole = figures.Filters(first, last)

    def period() -> figures.Filters:
        choice = rnd.randrange(3)
        if choice == 0:
            return whole
        length = 91 if choice == 1 else 30
        start = first + timedelta(days=rnd.randrange(max(1, (last - first).days - length + 2)))
        return figures.Filters(start, min(last, start + timedelta(days=length - 1)))

    def varied(i: int) -> figures.Filters:
        f = period()
        match i % 6:
            case 3:
                return figures.Filters(f.start, f.end, region=rnd.choice(sorted(figures.regions())))
            case 4:
                return figures.Filters(f.start, f.end, country=net.country(rnd))
            case 5:
                return figures.Filters(f.start, f.end, section=rnd.choice(sorted(iccs.SECTIONS)))
        return f

    views: dict[str, Callable[[figures.Filters], Any]] = {
        "gs": figures.gs,
        "published": figures.published,
        "bureau": lambda f: figures.bureau(
            net.country(rnd) if rnd.random() < 0.5 else rnd.choice(net.countries), f
        ),
    }
    timings: dict[str, list[float]] = {name: [] for name in views}
    for make in views.values():
        make(whole)  # the process's caches (members, translations, the planner's first look)
    # What is loaded now is left to the collector no more, as `ncbnet serve`'s master leaves it
    # before forking its workers (`embedded._preload_names`): a worker's full collections walk only
    # what it made since, not the whole of Django
    gc.freeze()
    for i in range(rounds):
        f = varied(i)
        for name, make in views.items():
            t = time.perf_counter()
            make(f)
            timings[name].append((time.perf_counter() - t) * 1000)
        if progress:
            progress("dashboards", i + 1, rounds)
    return {
        name: {
            "p50": round(_percentile(ms, 0.5), 1),
            "p95": round(_percentile(ms, 0.95), 1),
            "max": round(max(ms), 1),
            "mean": round(statistics.fmean(ms), 1),
        }
        for name, ms in timings.items()
    }


def run(
    persons: int,
    documents: int,
    days: int = DAYS,
    rounds: int = ROUNDS,
    progress: Progress | None = None,
    keep_figures: bool = False,
) -> dict[str, Any]:
    from django.db import connection

    from ncbnet.base import clock, tally
    from ncbnet.records import bulk
    from ncbnet.records.models import Record

    have = {d: Record.objects.filter(database=d).count() for d in ("persons", "documents")}
    t = time.perf_counter()
    bulk.seed(
        max(0, persons - have["persons"]),
        max(0, documents - have["documents"]),
        progress=progress,
        seed_value=2026 + have["persons"] + have["documents"],
    )
    seed_s = time.perf_counter() - t
    out: dict[str, Any] = {
        "persons": Record.objects.filter(database="persons").count(),
        "documents": Record.objects.filter(database="documents").count(),
        "database": connection.vendor,
        "days": days,
        "records_seed_s": round(seed_s, 1),
    }
    t = time.perf_counter()
    made = history(days, progress=progress)
    out["history_s"] = round(time.perf_counter() - t, 1)
    out["history"] = made["volumes"]

    from ncbnet.analytics import rebuild

    if keep_figures:
        out |= rows_kept()
    else:
        first = min(made["first"], rebuild.first_day())
        last = tally.day_of(clock.now())
        records = ("record.contributed", "record.withdrawn")
        records_before = figures_digest(records)
        out["figures_before"] = figures_digest()
        seconds = rebuild_all(first, last, progress=progress)
        out["rebuild_days"] = (last - first).days + 1
        out["rebuild_s"] = round(seconds, 1)
        out |= rows_kept()
        out["figures_after"] = figures_digest()
        out["records_figures_kept"] = records_before == figures_digest(records)
    out["counted"] = counted(made["first"], made["today"] - timedelta(days=1))
    out["dashboards_ms"] = dashboards(
        made["first"], made["today"] - timedelta(days=1), rounds, Network.make(made["seed"]), progress
    )
    out["rounds"] = rounds
    return out


def main(
    persons: int,
    documents: int,
    days: int,
    rounds: int,
    progress: Progress | None = None,
    keep_figures: bool = False,
) -> None:
    figures = run(persons, documents, days, rounds, progress=progress, keep_figures=keep_figures)
    print(json.dumps(figures), flush=True)
