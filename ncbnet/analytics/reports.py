"""The yearly network report, built as a job with progress that survives a restart.

`build(report, sections_for)` takes the report through three steps, each committed before the
next, so a job stopped anywhere (the process killed, the machine restarted) carries on from where
it was when it is built again:

1. gather: `sections_for(year, language)` makes the sections (the figures, their tables and
   charts); they are kept, in order, and `total` says how many;
2. draw: each section's chart is drawn for print (the slow part), one section per transaction,
   `done` counting them;
3. publish: the HTML and the PDF are written from the kept sections and the report is `done`,
   in one transaction.

A failure at any step (a section builder that raises, a chart that cannot be drawn) leaves the
report `failed` with the error, and nothing published: its HTML and PDF stay empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

import vl_convert
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock

from . import documents, reported
from .documents import Section
from .models import Report, ReportSection

SectionsFor = Callable[[int, str], list[Section]]
Progress = Callable[[Report], None]

log = logging.getLogger("ncbnet.analytics")


def title(year: int, language: str) -> str:
    with translation.override(language):
        return _("The network in figures, %(year)s") % {"year": year}


def start(year: int, language: str) -> Report:
    """The report of `year` in `language` still to be built, or a new one queued. A report that
    was being built when its process stopped is the one returned, to carry on."""
    documents.check_language(language)
    if not 1900 < year < 10000:
        raise ValueError(f"{year} is not a year")
    with transaction.atomic():
        unfinished = (
            Report.objects.select_for_update()
            .filter(year=year, language=language, state__in=[Report.State.QUEUED, Report.State.RUNNING])
            .order_by("created")
            .first()
        )
        if unfinished is not None:
            return unfinished
        report = Report.objects.create(year=year, language=language, created=clock.now())
        audit.record("analytics.report_queued", target=report, detail={"year": year, "language": language})
        return report


def gather(report: Report, sections_for: SectionsFor) -> None:
    """Step 1: make and keep the sections (once: a report that has them keeps them)."""
    if report.total:
        return
    sections = sections_for(report.year, report.language)
    if not sections:
        raise ValueError("a report needs at least one section")
    with transaction.atomic():
        ReportSection.objects.filter(report=report).delete()
        ReportSection.objects.bulk_create(
            [ReportSection(report=report, position=i, content=s.as_json()) for i, s in enumerate(sections)]
        )
        report.total, report.done, report.state = len(sections), 0, Report.State.RUNNING
        report.save(update_fields=["total", "done", "state"])


def draw_next(report: Report) -> bool:
    """Step 2, one section: draw the next section's chart for print. False once all are drawn."""
    section = ReportSection.objects.filter(report=report, drawn=False).order_by("position").first()
    if section is None:
        return False
    content = Section.of(section.content)
    png = documents.chart_png(content.vega_lite) if content.vega_lite is not None else None
    with transaction.atomic():
        section.png, section.drawn = png, True
        section.save(update_fields=["png", "drawn"])
        report.done = ReportSection.objects.filter(report=report, drawn=True).count()
        report.save(update_fields=["done"])
    return True


def publish(report: Report) -> None:
    """Step 3: the HTML and the PDF, from the kept sections, and the report done, together."""
    kept = list(ReportSection.objects.filter(report=report).order_by("position"))
    if not kept or not all(s.drawn for s in kept):
        raise RuntimeError("a report is published once every section is drawn")
    sections = [Section.of(s.content) for s in kept]
    charts = [bytes(s.png) if s.png is not None else None for s in kept]
    name = title(report.year, report.language)
    html = documents.render_html(name, sections, report.language, year=report.year)
    pdf = documents.render_pdf(name, sections, report.language, year=report.year, charts=charts)
    with transaction.atomic():
        report.html, report.pdf = html, pdf
        report.state, report.finished, report.error = Report.State.DONE, clock.now(), ""
        report.save(update_fields=["html", "pdf", "state", "finished", "error"])
        audit.record(
            "analytics.report_published",
            target=report,
            detail={"year": report.year, "language": report.language, "sections": len(sections)},
        )


def build(report: Report, sections_for: SectionsFor, progress: Progress | None = None) -> Report:
    """Build (or carry on building) the report; returns it done or failed."""
    if report.state == Report.State.DONE:
        return report
    try:
        if report.state != Report.State.RUNNING:
            report.state, report.error = Report.State.RUNNING, ""
            report.save(update_fields=["state", "error"])
        gather(report, sections_for)
        if progress is not None:
            progress(report)
        while draw_next(report):
            if progress is not None:
                progress(report)
        publish(report)
    except Exception as exc:
        log.exception("the report of %s (%s) failed", report.year, report.language)
        fail(report, f"{type(exc).__name__}: {exc}")
    return report


def fail(report: Report, error: str) -> None:
    with transaction.atomic():
        report.state, report.finished, report.error = Report.State.FAILED, clock.now(), error[:2000]
        report.html, report.pdf = "", b""
        report.save(update_fields=["state", "finished", "error", "html", "pdf"])
        audit.record(
            "analytics.report_failed",
            target=report,
            detail={"year": report.year, "language": report.language, "error": report.error},
        )


# --- the sections this app makes itself ---------------------------------------------------------

SMALL = 5  # a published count under this is shown as "< 5"


def published(n: int) -> int | str:
    """A count as the GS publishes it to every bureau: under 5 (but not none), "< 5"."""
    return "< 5" if 0 < n < SMALL else n


def searches_section(year: int, language: str) -> Section:
    """Screenings and hits by country over the year, as the nodes reported them and the GS's own
    (`reported.searches`), published with the small-count rule."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    totals: dict[str, list[int]] = {}
    for s in reported.searches(first, last):
        counts = totals.setdefault(s.country, [0, 0])
        counts[0] += s.n
        counts[1] += s.n if s.outcome == "hit" else 0
    covered = reported.coverage(first, last)
    ordered = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))
    with translation.override(language):
        country, searched, hits = _("Country"), _("Searches"), _("Hits")
        rows: list[list[str | int | float]] = [[c, published(n), published(h)] for c, (n, h) in ordered]
        shown = [{"country": c, "searches": n} for c, (n, _h) in ordered[:20] if n >= SMALL]
        spec = (
            {
                "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                "description": _("Searches by country"),
                "data": {"values": shown},
                "mark": "bar",
                "encoding": {
                    "y": {"field": "country", "type": "nominal", "sort": "-x", "title": country},
                    "x": {"field": "searches", "type": "quantitative", "title": searched},
                },
            }
            if shown
            else None
        )
        return Section(
            title=_("Screenings and hits by country"),
            text=_(
                "Searches of the global databases made by each bureau on its own node, and by the "
                "General Secretariat, with the hits among them."
            ),
            svg=str(vl_convert.vegalite_to_svg(spec)) if spec is not None else None,
            vega_lite=spec,
            columns=[country, searched, hits],
            rows=rows,
            note=_(
                "screening.searched from %(first)s to %(last)s, as %(nodes)s nodes reported it "
                "(%(days)s node-days) and the GS's own; counts under 5 shown as < 5"
            )
            % {"first": first, "last": last, "nodes": len(covered), "days": sum(covered.values())},
        )


def network_sections(year: int, language: str) -> list[Section]:
    """The yearly network report's sections that this app makes from what it keeps."""
    return [searches_section(year, language)]
