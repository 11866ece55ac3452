"""The analytics API: the crime categories the figures count by (UNODC's ICCS level 1 and level 2,
`base.iccs`), for a national system to choose from as the forms do; the dashboards' figures as JSON
(the GS analyst's, a bureau's own, the network figures the GS published), and the GS's publishing
of network figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from ncbnet.base import downloads, iccs
from ncbnet.base.api import allow
from ncbnet.core.http import AuthedRequest
from ncbnet.security.models import Scope

from . import documents, figures, services
from .figures import Figure, FilterError, Filters
from .models import Publication, Report
from .policies import BUREAU_FIGURES, GS_ANALYST, PUBLISHED_FIGURES, READ_CATEGORIES

router = Router(tags=["analytics"])


class SourceOut(Schema):
    title: str
    publisher: str
    year: int
    url: str


class CategoryOut(Schema):
    code: str = Field(description="a level-2 ICCS code: what records, notices and hits carry")
    label: str


class SectionOut(Schema):
    code: str = Field(description="a level-1 ICCS section: the first two digits of its codes")
    label: str
    categories: list[CategoryOut]


class CategoriesOut(Schema):
    source: SourceOut
    sections: list[SectionOut]


@router.get(
    "/categories",
    response=CategoriesOut,
    auth=allow(READ_CATEGORIES, Scope.CONTRIBUTIONS),
    summary="The crime categories (ICCS level-2 codes by section), labelled in the request's language",
)
def categories(request: AuthedRequest) -> CategoriesOut:
    source = iccs.data()["source"]
    return CategoriesOut(
        source=SourceOut(**{k: source[k] for k in ("title", "publisher", "year", "url")}),
        sections=[
            SectionOut(
                code=section,
                label=str(iccs.SECTIONS[section]),
                categories=[
                    CategoryOut(code=code, label=str(iccs.label(code)))
                    for code in iccs.codes()
                    if iccs.section(code) == section
                ],
            )
            for section in iccs.SECTIONS
        ],
    )


class FiltersIn(Schema):
    start: str = Field(
        "", alias="from", description="the period's first day, YYYY-MM-DD (default: a year ago)"
    )
    end: str = Field("", alias="to", description="the period's last day, YYYY-MM-DD (default: today)")
    year: str = Field("", description="a calendar year instead of from and to")
    region: str = Field("", description="a region's code (AF, AM, AS, EU, MENA)")
    country: str = Field("", description="a member country's code, or GS")
    section: str = Field("", description="an ICCS section (two digits)")
    category: str = Field("", description="an ICCS level-2 code (four digits)")

    def parsed(self) -> Filters:
        try:
            return Filters.parse(self.model_dump(by_alias=True))
        except FilterError as bad:
            raise ValidationError({bad.field: bad.message}) from bad


class FigureOut(Schema):
    key: str
    title: str
    columns: list[str]
    rows: list[list[str | int | float]] = Field(
        description='published figures: counts 1 to 4 as "< 5", others rounded to a multiple of 5'
    )
    chart: dict[str, Any] | None = Field(description="the chart, a Vega-Lite specification")
    query: str = Field(description="what was counted, and the SQL that counted it")
    coverage: list[str] = Field(description="the countries (or GS) whose events the figure counts")


class DashboardOut(Schema):
    start: date
    end: date
    figures: list[FigureOut]


class PublicationOut(Schema):
    id: UUID
    kind: str = Field(description="figures (a period the GS chose) or report (a calendar year)")
    start: date
    end: date
    published_by: str
    published_at: datetime
    figures: list[FigureOut]

    @staticmethod
    def resolve_figures(obj: Any) -> list[Figure]:
        return services.published_figures(obj)


class PublicationIn(Schema):
    kind: Literal["figures", "report"] = "figures"
    start: date
    end: date


def _dashboard(filters: Filters, made: list[Figure]) -> DashboardOut:
    return DashboardOut(start=filters.start, end=filters.end, figures=[_out(f) for f in made])


def _out(fig: Figure) -> FigureOut:
    return FigureOut(**{**vars(fig), "chart": fig.chart})  # the chart's specification made on demand


def _one(made: list[Figure], key: str) -> FigureOut:
    found = figures.one(made, key)
    if found is None:
        raise Http404(f"no figure {key!r} here")
    return _out(found)


@router.get("/gs", response=DashboardOut, auth=allow(GS_ANALYST), summary="The GS analyst's figures")
def gs(request: AuthedRequest, q: Query[FiltersIn]) -> DashboardOut:
    filters = q.parsed()
    return _dashboard(filters, services.gs(request.user, filters))


@router.get(
    "/gs/{figure}", response=FigureOut, auth=allow(GS_ANALYST), summary="One of the GS analyst's figures"
)
def gs_figure(request: AuthedRequest, figure: str, q: Query[FiltersIn]) -> FigureOut:
    return _one(services.gs(request.user, q.parsed()), figure)


@router.get(
    "/bureau", response=DashboardOut, auth=allow(BUREAU_FIGURES), summary="The caller's bureau's own figures"
)
def bureau(request: AuthedRequest, q: Query[FiltersIn]) -> DashboardOut:
    filters = q.parsed()
    return _dashboard(filters, services.bureau(request.user, filters))


@router.get(
    "/bureau/{figure}", response=FigureOut, auth=allow(BUREAU_FIGURES), summary="One of the bureau's figures"
)
def bureau_figure(request: AuthedRequest, figure: str, q: Query[FiltersIn]) -> FigureOut:
    return _one(services.bureau(request.user, q.parsed()), figure)


@router.get(
    "/network",
    response=list[PublicationOut],
    auth=allow(PUBLISHED_FIGURES),
    summary="The network figures the GS published, newest first (small counts suppressed)",
)
def network(request: AuthedRequest) -> list[Any]:
    return services.publications()


@router.post(
    "/publications",
    response={201: PublicationOut},
    auth=allow(GS_ANALYST),
    summary="Publish the network figures of a period (or a year's report) to every bureau",
)
def publish(request: AuthedRequest, payload: PublicationIn) -> Status:
    try:
        made = services.publish(request.user, payload.kind, payload.start, payload.end)
    except ValueError as bad:
        raise ValidationError({"end": str(bad)}) from bad
    return Status(201, made)


class ReportDocumentOut(Schema):
    language: str
    state: str = Field(description="queued, running (being made: done of total sections), done or failed")
    done: int
    total: int
    finished: datetime | None
    html: str | None = Field(description="the report's page, once made")
    pdf: str | None = Field(description="the report's PDF (this API), once made")


class NetworkReportOut(Schema):
    year: int
    publication: UUID
    published_by: str
    published_at: datetime
    documents: list[ReportDocumentOut]


def _report_out(p: Publication, built: dict[str, Report]) -> NetworkReportOut:
    year = p.start.year
    out = []
    for language in documents.LANGUAGES:
        r = built.get(language)
        ready = r is not None and r.state == Report.State.DONE
        out.append(
            ReportDocumentOut(
                language=language,
                state=r.state if r is not None else Report.State.QUEUED,
                done=r.done if r is not None else 0,
                total=r.total if r is not None else 0,
                finished=r.finished if r is not None else None,
                html=reverse("analytics:report", args=[year, language]) if ready else None,
                pdf=f"{reverse('api:analytics_report_pdf', args=[year])}?language={language}"
                if ready
                else None,
            )
        )
    return NetworkReportOut(
        year=year, publication=p.pk, published_by=p.published_by, published_at=p.published_at, documents=out
    )


@router.get(
    "/reports",
    response=list[NetworkReportOut],
    auth=allow(PUBLISHED_FIGURES),
    summary="The yearly network reports the GS published, newest year first, with their documents",
)
def network_reports(request: AuthedRequest) -> list[NetworkReportOut]:
    return [_report_out(p, built) for p, built in services.network_reports(request.user)]


@router.get(
    "/reports/{year}",
    response=NetworkReportOut,
    auth=allow(PUBLISHED_FIGURES),
    summary="The network report of a year: its documents in each language, and their links",
)
def network_report(request: AuthedRequest, year: int) -> NetworkReportOut:
    try:
        p, built = services.network_report(request.user, year)
    except LookupError as missing:
        raise Http404(str(missing)) from missing
    return _report_out(p, built)


@router.get(
    "/reports/{year}/pdf",
    auth=allow(PUBLISHED_FIGURES),
    url_name="analytics_report_pdf",
    summary="The network report of a year as a PDF, in a language (en, fr, es, ar)",
    openapi_extra={"responses": {200: downloads.openapi("application/pdf", "The report, as a PDF")}},
)
def network_report_pdf(request: AuthedRequest, year: int, language: str = "en") -> StreamingHttpResponse:
    try:
        report = services.report_document(request.user, year, language)
    except LookupError as missing:
        raise Http404(str(missing)) from missing
    return downloads.download(
        [bytes(report.pdf)], f"ncbnet-network-report-{year}-{language}.pdf", content_type="application/pdf"
    )
