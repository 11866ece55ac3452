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

from . import figures, policies
from .figures import Figure, Filters
from .models import Publication

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
    return p
