"""The analytics' use cases: the dashboards' figures as each reader may see them, and the network
figures the GS publishes to every node (`publish`), kept on each node as they arrive (`receive`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.base.ids import uuid7
from ncbnet.network import delivery

from . import documents, figures, policies, reports, schemas
from .figures import Figure, Filters
from .models import Publication, Report

PUBLICATION = "analytics.publication"


def gs(user: Person, filters: Filters) -> list[Figure]:
    if not policies.is_gs_analyst(user):
        raise PermissionDenied("the GS's figures are for the GS's analysts")
    return figures.gs(filters)


def bureau(user: Person, filters: Filters) -> list[Figure]:
    """The figures of the user's own bureau (its country's)."""
    country = user.country_code
    if not policies.reads_bureau_figures(user) or not country:
        raise PermissionDenied("a bureau's figures are for its head and officers")
    return figures.bureau(country, filters)


def latest_publication() -> Publication | None:
    return Publication.objects.order_by("-published_at").first()


def publications(limit: int = 20) -> list[Publication]:
    return list(Publication.objects.order_by("-published_at")[:limit])


def published_figures(publication: Publication) -> list[Figure]:
    """A publication's figures as kept (their charts drawn again from the rows)."""
    return [figures.frozen(f["key"], f["rows"], f["query"], f["coverage"]) for f in publication.figures]


def as_json(fig: Figure) -> dict[str, Any]:
    return {
        "key": fig.key,
        "columns": fig.columns,
        "rows": fig.rows,
        "query": fig.query,
        "coverage": fig.coverage,
    }


def _body(p: Publication) -> dict[str, Any]:
    return {
        "id": str(p.pk),
        "kind": p.kind,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "published_by": p.published_by,
        "published_at": p.published_at.isoformat(),
        "figures": p.figures,
    }


def _nodes() -> list[str]:
    return [n for n in delivery.connected_nodes() if n != "hub"]


@transaction.atomic
def publish(user: Person, kind: str, start: date, end: date) -> Publication:
    """The GS publishes the network figures of a period (`figures`), or of a calendar year (`report`):
    frozen as published (restricted rows out, small counts suppressed), kept here and sent to every
    node, in one transaction."""
    if not policies.is_gs_analyst(user):
        raise PermissionDenied("only the GS's analysts publish network figures")
    if kind not in Publication.Kind.values:
        raise ValueError("kind: figures or report")
    if kind == Publication.Kind.REPORT and (
        start != date(start.year, 1, 1) or end != date(start.year, 12, 31)
    ):
        raise ValueError("a yearly report covers one calendar year, from 1 January to 31 December")
    if end < start or end - start > figures.LONGEST_PERIOD:
        raise ValueError("the period ends before it starts, or is longer than ten years")
    if kind == Publication.Kind.REPORT and not schemas.FIRST_YEAR <= start.year <= clock.now().year:
        raise ValueError(f"a yearly report is of a year from {schemas.FIRST_YEAR} to this one")
    if kind == Publication.Kind.REPORT and _report_of(start.year) is not None:
        raise ValueError(f"the report of {start.year} is already published; a publication is never replaced")
    made = figures.published(Filters(start, end))
    p = Publication.objects.create(
        id=uuid7(),
        kind=kind,
        start=start,
        end=end,
        figures=[as_json(f) for f in made],
        published_by=user.get_username(),
        published_at=clock.now(),
    )
    audit.record(
        "analytics.publish",
        actor=user,
        target=p,
        detail={
            "kind": kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "figures": [f.key for f in made],
        },
    )
    if nodes := _nodes():
        delivery.queue(PUBLICATION, nodes, _body(p))
    if kind == Publication.Kind.REPORT:
        reports.queue_publication(p)
    return p


def send_all_to(node: str) -> None:
    """A node joining the network gets every publication (hub, in the registering transaction)."""
    for p in Publication.objects.order_by("published_at"):
        delivery.queue(PUBLICATION, [node], _body(p))


def keep(body: Any) -> Publication:
    """A node keeps a publication the hub sent (the handler checked its sender and its body). A
    publication is the hub's and never changes: one already kept is not overwritten."""
    if Publication.objects.filter(pk=body.id).exists():
        raise ValueError("this publication is already kept; a publication is never replaced")
    if body.kind == Publication.Kind.REPORT and _report_of(body.start.year) is not None:
        raise ValueError(f"the report of {body.start.year} is already kept; a publication is never replaced")
    p = Publication.objects.create(
        id=body.id,
        kind=body.kind,
        start=body.start,
        end=body.end,
        figures=[f.model_dump() for f in body.figures],
        published_by=body.published_by,
        published_at=body.published_at,
        received_at=clock.now(),
    )
    audit.record("analytics.publication_received", target=p, subject="hub", detail={"kind": p.kind})
    if p.kind == Publication.Kind.REPORT:
        reports.queue_publication(p)  # built by the network worker, in every language
    return p


# --- the yearly network reports the GS published ---------------------------------------------------


def _report_of(year: int) -> Publication | None:
    return Publication.objects.filter(kind=Publication.Kind.REPORT, start=date(year, 1, 1)).first()


def network_reports(user: Person) -> list[tuple[Publication, dict[str, Report]]]:
    """The yearly reports the GS published, newest year first, each with its documents by language
    (as far as they are built)."""
    if not policies.reads_published(user):
        raise PermissionDenied("the network reports are for the GS's analysts and the bureaus")
    out = []
    for p in Publication.objects.filter(kind=Publication.Kind.REPORT).order_by("-start"):
        built = {r.language: r for r in p.reports.all()}
        if len(built) < len(documents.LANGUAGES):  # kept before its reports were made here
            built = {r.language: r for r in reports.queue_publication(p)}
        out.append((p, built))
    return out


def network_report(user: Person, year: int) -> tuple[Publication, dict[str, Report]]:
    """The report the GS published for `year`, with its documents by language; LookupError if
    there is none."""
    if not policies.reads_published(user):
        raise PermissionDenied("the network reports are for the GS's analysts and the bureaus")
    p = _report_of(year) if 1900 < year < 10000 else None
    if p is None:
        raise LookupError(f"no network report of {year} was published")
    return p, {r.language: r for r in p.reports.all()}


def report_document(user: Person, year: int, language: str) -> Report:
    """The report of `year` in `language` as built here; LookupError if there is none, or it is
    not built yet (its state says why)."""
    if language not in documents.LANGUAGES:
        raise LookupError(f"{language!r} is not one of the report's languages")
    _p, built = network_report(user, year)
    report = built.get(language)
    if report is None:
        raise LookupError(f"the report of {year} in {language} is not made here yet")
    if report.state != Report.State.DONE:
        raise LookupError(f"the report of {year} in {language} is {report.state}")
    return report
