"""`ncbnet analytics report YEAR`: the yearly network report, built as a job with its progress
shown, written as HTML and PDF files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ncbnet.base.commands import CommandError, Subcommands, command, group, setup_django


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
    analytics = group(sub, "analytics", "figures and reports")
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
