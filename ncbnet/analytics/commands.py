"""`ncbnet analytics rebuild|rebuilds|report`: the figures of some days recounted from the base data,
as a job with progress; the rebuilds kept, with their state; the yearly network report, built as a
job with its progress shown, written as HTML and PDF files."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from ncbnet.base.commands import CommandError, Subcommands, command, group, progress_bar, setup_django


def _day(value: str, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r}: a day is written YYYY-MM-DD") from None


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild the figures of the days asked (or resume a rebuild that stopped), with progress."""
    first, last = _day(args.start, "--from"), _day(args.end, "--to")
    setup_django()
    from ncbnet.analytics import rebuild
    from ncbnet.base import clock

    if args.resume:
        if first or last:
            raise CommandError("--resume carries on a rebuild: its days are its own (no --from, --to)")
        job = rebuild.get(args.resume)
        if job is None or job not in rebuild.resumable():
            raise CommandError(f"no rebuild {args.resume!r} to resume (see ncbnet analytics rebuilds)")
    else:
        last = last or clock.now().date()
        first = first or min(rebuild.first_day(), last)
        try:
            job = rebuild.start(first, last, args.by)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    try:
        job = rebuild.run(job, progress=progress_bar())
    except rebuild.Busy as exc:
        raise CommandError(str(exc)) from exc
    print(f"rebuild {job.pk}: {job.first} to {job.last}, {job.total} days, {job.rows:,} figure rows")
    return 0


def cmd_rebuilds(args: argparse.Namespace) -> int:
    """The rebuilds kept here, newest first, with their progress."""
    setup_django()
    from ncbnet.analytics import rebuild
    from ncbnet.analytics.models import Rebuild

    if args.stop_lost:
        print(f"{rebuild.stop_lost()} stopped rebuilds marked failed")
    lost = {job.pk for job in rebuild.resumable() if job.state == Rebuild.State.RUNNING}
    for job in Rebuild.objects.all()[: args.limit]:
        state = "stopped (resume it with --resume, or --stop-lost)" if job.pk in lost else job.state
        print(
            f"{job.pk}  {job.first}..{job.last}  {job.done}/{job.total} days ({job.percent}%)  "
            f"{state}  {job.requested_by}  {job.error}".rstrip()
        )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings

    from ncbnet.analytics import documents, reports
    from ncbnet.analytics.models import Report

    if args.language not in documents.LANGUAGES:
        raise CommandError(f"--language: one of {', '.join(documents.LANGUAGES)}")
    try:
        report = reports.start(args.year, args.language)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if report.total:
        print(f"carrying on with report {report.pk}: {report.done}/{report.total} sections drawn")

    def progress(r: Report) -> None:
        print(f"report {r.year} ({r.language}): {r.done}/{r.total} sections drawn", flush=True)

    reports.build(report, reports.network_sections, progress)
    if report.state != Report.State.DONE:
        print(f"ncbnet: the report failed: {report.error}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else Path(settings.DATA_DIR) / "reports"
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"network-report-{report.year}-{report.language}"
    html, pdf = stem.with_suffix(".html"), stem.with_suffix(".pdf")
    html.write_text(report.html, encoding="utf-8")
    pdf.write_bytes(bytes(report.pdf))
    print(html)
    print(pdf)
    return 0


def add(sub: Subcommands) -> None:
    """`ncbnet analytics`."""
    analytics = group(sub, "analytics", "the figures kept as events happen: their rebuild; the yearly report")
    sp = command(
        analytics,
        "rebuild",
        cmd_rebuild,
        "recount the figures of some days from the base data and replace them, with progress",
    )
    sp.add_argument("--from", dest="start", default="", help="first day, YYYY-MM-DD (default: the first)")
    sp.add_argument("--to", dest="end", default="", help="last day, YYYY-MM-DD (default: today, UTC)")
    sp.add_argument("--resume", default="", help="carry on a rebuild whose process stopped (its id)")
    sp.add_argument("--by", default="operator", help="who asks for it (kept in the audit)")
    sp = command(analytics, "rebuilds", cmd_rebuilds, "the rebuilds kept here, with their progress")
    sp.add_argument("--limit", type=int, default=20, help="how many, newest first")
    sp.add_argument(
        "--stop-lost", action="store_true", help="first mark failed the rebuilds whose process stopped"
    )
    report = command(
        analytics,
        "report",
        cmd_report,
        "build the yearly network report (HTML and PDF) with its progress, and write its files",
    )
    report.add_argument("year", type=int)
    report.add_argument("--language", default="en", help="en, fr, es or ar (default: en)")
    report.add_argument(
        "--out", help="the folder to write the files to (default: the node's data folder/reports)"
    )
