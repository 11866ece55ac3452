"""The dashboards' pages: the GS analyst's (with the form that publishes network figures) and a
bureau's (its own figures and the network figures the GS published). Each figure has its chart
(SVG drawn on the server, checked against the content security policy), its table, and its CSV
and SVG downloads."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ncbnet.base import csvsafe, downloads, iccs
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from . import charts, documents, figures, services
from .figures import Figure, FilterError, Filters
from .headers import HEADERS
from .models import Publication, Report
from .policies import BUREAU_FIGURES, GS_ANALYST, PUBLISHED_FIGURES


def _filters(request: AuthedRequest) -> tuple[Filters, dict[str, str]]:
    try:
        return Filters.parse(request.GET), {}
    except FilterError as bad:
        return Filters.parse({}), {bad.field: bad.message}


def _shown(made: list[Figure]) -> list[dict[str, Any]]:
    """Each figure with its chart drawn (none for a figure without rows)."""
    return [
        {
            "figure": f,
            "headers": [HEADERS.get(c, c) for c in f.columns],
            "svg": charts.render(f) if f.chart is not None else "",
        }
        for f in made
    ]


def _page(request: AuthedRequest, template: str, context: dict[str, Any], filters: Filters) -> HttpResponse:
    return render(
        request,
        template,
        {
            **context,
            "filters": filters,
            "query": urlencode(filters.as_params()),
            "regions": figures.regions(),
            "sections": [(code, iccs.SECTIONS[code]) for code in iccs.SECTIONS],
            "categories": [(code, iccs.label(code)) for code in iccs.codes()],
            "params": request.GET,
        },
    )


@route(GS_ANALYST)
@require_GET
def gs(request: AuthedRequest) -> HttpResponse:
    filters, errors = _filters(request)
    made = services.gs(request.user, filters)
    context = {
        "figures": _shown(made),
        "errors": errors,
        "view": "gs",
        "publications": services.publications(),
        "kinds": Publication.Kind.choices,
        **_reports(request),
    }
    return _page(request, "analytics/gs.html", context, filters)


@route(BUREAU_FIGURES)
@require_GET
def bureau(request: AuthedRequest) -> HttpResponse:
    filters, errors = _filters(request)
    made = services.bureau(request.user, filters)
    latest = services.latest_publication()
    context = {
        "figures": _shown(made),
        "errors": errors,
        "view": "bureau",
        "country": request.user.country_code,
        "publication": latest,
        "published": _shown(services.published_figures(latest)) if latest else [],
        "publications": services.publications(),
        **_reports(request),
    }
    return _page(request, "analytics/bureau.html", context, filters)


def _download(fig: Figure, fmt: str, name: str) -> HttpResponse | StreamingHttpResponse:
    if fmt == "svg":
        if fig.chart is None:
            raise Http404(_("This figure has no chart: it has no rows."))
        svg = charts.render(fig)
        return downloads.download([svg.encode()], f"{name}.svg", content_type="image/svg+xml")
    out = io.StringIO()
    writer = csvsafe.Writer(out)
    writer.writerow(fig.columns)
    for row in fig.rows:
        writer.writerow(row)
    return downloads.download(
        [out.getvalue().encode()], f"{name}.csv", content_type="text/csv; charset=utf-8"
    )


def _named(name: str) -> tuple[str, str]:
    """A download's name: a figure's key and the format (`flows.csv`, `flows.svg`)."""
    key, _dot, fmt = name.rpartition(".")
    if fmt not in ("csv", "svg") or not key:
        raise Http404(_("No such figure."))
    return key, fmt


def _figure_of(made: list[Figure], key: str) -> Figure:
    found = figures.one(made, key)
    if found is None:
        raise Http404(_("No such figure."))
    return found


@route(GS_ANALYST)
@require_GET
def gs_download(request: AuthedRequest, name: str) -> HttpResponse | StreamingHttpResponse:
    key, fmt = _named(name)
    filters, errors = _filters(request)
    if errors:
        raise Http404(_("The filters are not valid."))
    fig = _figure_of(services.gs(request.user, filters), key)
    return _download(fig, fmt, f"ncbnet-{key}-{filters.start}-{filters.end}")


@route(BUREAU_FIGURES)
@require_GET
def bureau_download(request: AuthedRequest, name: str) -> HttpResponse | StreamingHttpResponse:
    key, fmt = _named(name)
    filters, errors = _filters(request)
    if errors:
        raise Http404(_("The filters are not valid."))
    fig = _figure_of(services.bureau(request.user, filters), key)
    return _download(fig, fmt, f"ncbnet-{request.user.country_code}-{key}-{filters.start}-{filters.end}")


@route(PUBLISHED_FIGURES)
@require_GET
def published_download(
    request: AuthedRequest, publication_id: uuid.UUID, name: str
) -> HttpResponse | StreamingHttpResponse:
    key, fmt = _named(name)
    p = get_object_or_404(Publication, pk=publication_id)
    fig = _figure_of(services.published_figures(p), key)
    return _download(fig, fmt, f"ncbnet-network-{key}-{p.start}-{p.end}")


@route(GS_ANALYST)
@require_POST
def publish(request: AuthedRequest) -> HttpResponse:
    kind = request.POST.get("kind", "figures")
    try:
        if kind == Publication.Kind.REPORT:
            year = int(request.POST.get("year", ""))
            start, end = date(year, 1, 1), date(year, 12, 31)
        else:
            start = date.fromisoformat(request.POST.get("from", ""))
            end = date.fromisoformat(request.POST.get("to", ""))
        p = services.publish(request.user, kind, start, end)
    except ValueError as bad:
        messages.error(request, _("Not published: %(reason)s") % {"reason": bad})
        return redirect("analytics:gs")
    messages.success(
        request,
        _("Network figures for %(start)s to %(end)s published to every bureau.")
        % {"start": p.start, "end": p.end},
    )
    return redirect("analytics:gs")


LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}


def _reports(request: AuthedRequest) -> dict[str, Any]:
    """The yearly network reports, each with its documents in every language as far as built, and
    whether any is still being made (the list then asks again every two seconds)."""
    made: list[dict[str, Any]] = [
        {
            "publication": p,
            "year": p.start.year,
            "languages": [
                {"code": code, "name": LANGUAGE_NAMES[code], "report": built.get(code)}
                for code in documents.LANGUAGES
            ],
        }
        for p, built in services.network_reports(request.user)
    ]
    busy = any(
        lang["report"] is None or lang["report"].state in (Report.State.QUEUED, Report.State.RUNNING)
        for r in made
        for lang in r["languages"]
    )
    return {"reports": made, "reports_busy": busy}


@route(PUBLISHED_FIGURES)
@require_GET
def reports_list(request: AuthedRequest) -> HttpResponse:
    """The network reports' list alone, as the page asks for it while a report is being made."""
    return render(request, "analytics/_reports.html", _reports(request))


def _document(request: AuthedRequest, year: int, language: str) -> Report:
    try:
        return services.report_document(request.user, year, language)
    except LookupError as missing:
        raise Http404(str(missing)) from missing


@route(PUBLISHED_FIGURES)
@require_GET
def network_report(request: AuthedRequest, year: int, language: str) -> HttpResponse:
    """The yearly network report as a page of its own (the CSP's: its charts are checked SVG)."""
    return HttpResponse(_document(request, year, language).html, content_type="text/html; charset=utf-8")


@route(PUBLISHED_FIGURES)
@require_GET
def network_report_pdf(request: AuthedRequest, year: int, language: str) -> StreamingHttpResponse:
    report = _document(request, year, language)
    return downloads.download(
        [bytes(report.pdf)], f"ncbnet-network-report-{year}-{language}.pdf", content_type="application/pdf"
    )
