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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ncbnet.base import csvsafe, downloads, iccs
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from . import charts, figures, services
from .figures import Figure, FilterError, Filters
from .models import Publication
from .policies import BUREAU_FIGURES, GS_ANALYST, PUBLISHED_FIGURES

# The columns as a table's header shows them (the CSV and the API keep the column names).
HEADERS = {
    "month": gettext_lazy("Month"),
    "database": gettext_lazy("Database"),
    "owner": gettext_lazy("Owner"),
    "kind": gettext_lazy("Kind"),
    "country": gettext_lazy("Country"),
    "region": gettext_lazy("Region"),
    "section": gettext_lazy("ICCS section"),
    "category": gettext_lazy("ICCS category"),
    "deadline": gettext_lazy("Deadline"),
    "from": gettext_lazy("From (owner)"),
    "to": gettext_lazy("To (found in)"),
    "route": gettext_lazy("Route"),
    "contributed": gettext_lazy("Contributed"),
    "withdrawn": gettext_lazy("Withdrawn"),
    "submitted": gettext_lazy("Submitted"),
    "published": gettext_lazy("Published"),
    "refused": gettext_lazy("Refused"),
    "cancelled": gettext_lazy("Cancelled"),
    "expired": gettext_lazy("Expired"),
    "reviewed": gettext_lazy("Reviewed"),
    "mean_review_hours": gettext_lazy("Mean review (hours)"),
    "late_reviews": gettext_lazy("Reviews over 24 hours"),
    "reviewed_within_24h_pct": gettext_lazy("Reviewed within 24 hours (%)"),
    "searches": gettext_lazy("Searches"),
    "hits": gettext_lazy("Hits"),
    "misses": gettext_lazy("No hit"),
    "answered": gettext_lazy("Answered"),
    "confirmed": gettext_lazy("Confirmed"),
    "denied": gettext_lazy("Denied"),
    "more_time": gettext_lazy("More time asked"),
    "mean_answer_minutes": gettext_lazy("Mean answer (minutes)"),
    "late": gettext_lazy("Late"),
    "answered_on_time_pct": gettext_lazy("Answered on time (%)"),
    "records": gettext_lazy("Records"),
    "notices": gettext_lazy("Notices"),
}


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
