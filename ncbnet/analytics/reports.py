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

The report's sections are the figures the GS publishes for the year (`network_sections`), each with
its chart, its table, its query and its coverage. When the GS publishes a year's report, the hub
freezes those figures into the publication and every node receives them: each node (and the hub)
queues the report in the four languages (`queue_publication`) and the network worker builds them
(`run_queued`, a periodic job), from the frozen figures (`publication_sections`), so no document
crosses the network and a restarted worker carries on with the one it was building.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.network.handlers import every

from . import charts, documents, figures
from .documents import Section
from .figures import Figure, Filters
from .headers import HEADERS
from .models import Publication, Report, ReportSection

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
            .filter(
                publication=None,
                year=year,
                language=language,
                state__in=[Report.State.QUEUED, Report.State.RUNNING],
            )
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


def figure_section(fig: Figure, language: str) -> Section:
    """A published figure as a section of the report: its title, a sentence, its chart (SVG for the
    page, its Vega-Lite specification for the PDF), its table and, in one line, the query that
    made it and the countries it covers. The figure is made (or frozen) in `language` already."""
    with translation.override(language):
        headers = [str(HEADERS.get(c, c)) for c in fig.columns]
        told = fig.query.split("\n", 1)[0].strip()
        covered = ", ".join(fig.coverage) if fig.coverage else _("no country")
        return Section(
            title=fig.title,
            text=_(
                "As the General Secretariat published it to every bureau: restricted data left out, "
                "counts from 1 to 4 shown as < 5, others rounded to a multiple of 5."
            )
            if fig.rows
            else _("Nothing was counted in this year."),
            svg=charts.render(fig) if fig.chart is not None else None,
            vega_lite=fig.chart,
            columns=headers,
            rows=fig.rows,
            note=_("%(query)s; countries covered: %(coverage)s") % {"query": told, "coverage": covered},
        )


def network_sections(year: int, language: str) -> list[Section]:
    """The yearly network report made here from every figure the GS publishes for `year`
    (`figures.published`: restricted rows out, small counts suppressed), in `language`. The
    screenings figure already holds the searches the nodes reported with the GS's own, so it
    stands for the network's searches (`searches_section` would say the same thing twice)."""
    with translation.override(language):
        made = figures.published(Filters.year(year))
        return [figure_section(f, language) for f in made]


def publication_sections(publication: Publication) -> SectionsFor:
    """The sections of the yearly report a publication froze, for any language: its figures as
    the hub sent them (`figures.frozen`), their titles, headers and charts made here."""

    def sections_for(year: int, language: str) -> list[Section]:
        if year != publication.start.year:
            raise ValueError(f"the publication is the report of {publication.start.year}, not {year}")
        with translation.override(language):
            return [
                figure_section(figures.frozen(f["key"], f["rows"], f["query"], f["coverage"]), language)
                for f in publication.figures
            ]

    return sections_for


def queue_publication(publication: Publication) -> list[Report]:
    """The report of a "report" publication queued in every language, built by the network worker
    (`run_queued`) so that it is ready when an officer opens it. Once per language: asked again,
    the reports already there are returned."""
    if publication.kind != Publication.Kind.REPORT:
        raise ValueError("only a yearly report publication makes a report")
    out = []
    for language in documents.LANGUAGES:
        report, made = Report.objects.get_or_create(
            publication=publication,
            language=language,
            defaults={"year": publication.start.year, "created": clock.now()},
        )
        if made:
            audit.record(
                "analytics.report_queued",
                target=report,
                detail={"year": report.year, "language": language, "publication": str(publication.pk)},
            )
        out.append(report)
    return out


REPORTS_EVERY = 10  # seconds between the worker's looks for a published report to build


@every(REPORTS_EVERY, "analytics.reports")
def run_queued() -> int:
    """The network worker builds the published reports queued (or left half done by a restart: a
    running one is carried on from its last section drawn), one after another. Returns how many
    it finished or failed."""
    ran = 0
    pending = Report.objects.filter(
        publication__isnull=False, state__in=[Report.State.QUEUED, Report.State.RUNNING]
    ).select_related("publication")
    for report in pending.order_by("created", "pk"):
        assert report.publication is not None
        build(report, publication_sections(report.publication))
        ran += 1
    return ran
