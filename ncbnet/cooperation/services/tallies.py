"""What cooperation counts in the figures (`base.tally`), and how the rebuild recounts it from what
both parties keep: a request's events (the same, with the same times, on the requesting and the
requested node) and the operations' results. Requests and results are bilateral or operational:
always restricted, never in the figures the GS publishes to every bureau. The hooks and the
recount make their counts with the same functions, so a figure kept live and a figure recounted
agree.

Both carry the crime category their owner gave them (the requester, the reporting bureau), set
when they are made and never changed, so a recount finds the category a live count used.

Counted where they are seen: a request sent by the requesting node; its answer or refusal by both
parties (the one that gave it and the one that received it); a result by every node that keeps it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ncbnet.base.node import HUB
from ncbnet.base.tally import Count, Values, day_of

from ..models import OperationResult, Request, RequestEvent

# How a request ends, as the figures name it, by the step that ends it
CLOSING: dict[str, str] = {RequestEvent.Kind.ANSWERED: "answered", RequestEvent.Kind.REFUSED: "refused"}


def _bureau(node: str) -> str:
    return "GS" if node == HUB else node


def _values(r: Request) -> Values:
    return {
        "country": _bureau(r.requester),
        "owner": _bureau(r.requested),
        "database": "requests",
        "kind": r.kind,
        "iccs": r.iccs,
        "restricted": True,
    }


def sent(r: Request) -> Count:
    return Count("request.sent", day_of(r.created_at), **_values(r))


def step(r: Request, kind: str, before: str, at: datetime) -> list[Count]:
    """The count of a step of a request (the request as the step left it): its first answer, or
    its refusal, with the time since it was sent, late past its deadline."""
    if kind not in CLOSING or (kind == RequestEvent.Kind.ANSWERED and before == "answered"):
        return []
    late = r.due_at is not None and at > r.due_at
    return [
        Count(
            "request.closed",
            day_of(at),
            outcome=CLOSING[kind],
            seconds=max((at - r.created_at).total_seconds(), 0.0),
            late=int(late),
            **_values(r),
        )
    ]


def result(res: OperationResult) -> Count:
    return Count(
        "operation.result",
        day_of(res.reported_at),
        country=_bureau(res.reported_by),
        database="operations",
        kind=res.kind,
        iccs=res.iccs,
        restricted=True,
    )


def recount(start: datetime, end: datetime) -> Iterator[Count]:
    """The counts of the requests sent and closed and the results reported from `start` to `end`
    (excluded), as this node keeps them."""
    outgoing = Request.objects.filter(
        direction=Request.Direction.OUT, created_at__gte=start, created_at__lt=end
    )
    for r in outgoing.iterator(chunk_size=2000):
        yield sent(r)
    closing = RequestEvent.objects.filter(kind__in=CLOSING, at__gte=start, at__lt=end).values("request_id")
    events = (
        RequestEvent.objects.filter(request_id__in=closing, kind__in=CLOSING)
        .select_related("request")
        .order_by("request_id", "at", "id")
    )
    answered: set[object] = set()
    for e in events.iterator(chunk_size=2000):
        before = "answered" if e.request_id in answered else ""
        if e.kind == RequestEvent.Kind.ANSWERED:
            answered.add(e.request_id)
        if start <= e.at < end:
            yield from step(e.request, e.kind, before, e.at)
    for res in OperationResult.objects.filter(reported_at__gte=start, reported_at__lt=end).iterator(
        chunk_size=2000
    ):
        yield result(res)
