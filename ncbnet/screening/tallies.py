"""What screening counts in the figures (`base.tally`): every search, one count for each database
it searched, a hit or a miss there. The search's audit entry keeps the same figures (`figures`),
small, so that the rebuild recounts the searches from the audit chain as they were counted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ncbnet.base.chain import AuditEntry
from ncbnet.base.node import HUB, node_id
from ncbnet.base.tally import Count, day_of

# How a search was made, by its audit entry's action
HOW = {
    "screening.person": "name",
    "screening.document": "document",
    "screening.mrz": "mrz",
    "screening.vehicle": "vehicle",
    "screening.firearm": "firearm",
    "screening.artwork": "artwork",
    "screening.documents": "batch",
    "screening.manifest_rows": "manifest",
}


def where(actor: Any) -> str:
    """The bureau that screened: the GS, this node's country, or at the hub the searcher's
    (read from the account as loaded: no query of its own once the search has read it)."""
    if actor.kind == "gs":
        return "GS"
    here = node_id()
    return str(actor.country_code or "") if here == HUB else here


def figures(
    actor: Any, action: str, searches: Iterable[tuple[Iterable[str], Sequence[Any]]]
) -> dict[str, Any]:
    """What the audit entry of a search keeps for the figures: who screened, how, and for each
    database searched how many of the searches looked there and how many found a hit there.
    `searches`: each query's databases and its hits."""
    databases: dict[str, list[int]] = {}
    for searched, hits in searches:
        hit = {h.database for h in hits}
        for database in searched:
            seen = databases.setdefault(database, [0, 0])
            seen[0] += 1
            seen[1] += database in hit
    return {"where": where(actor), "how": HOW[action], "databases": databases}


def counts(f: Mapping[str, Any], at: datetime) -> list[Count]:
    day = day_of(at)
    out = []
    for database, (n, hits) in sorted(f["databases"].items()):
        for outcome, many in (("hit", hits), ("miss", n - hits)):
            if many:
                out.append(
                    Count(
                        "screening.searched",
                        day,
                        country=f["where"],
                        database=database,
                        kind=f["how"],
                        outcome=outcome,
                        n=many,
                    )
                )
    return out


def recount(start: datetime, end: datetime) -> Iterator[Count]:
    """The searches made from `start` to `end` (excluded), from their audit entries."""
    entries = AuditEntry.objects.filter(action__in=HOW, at__gte=start, at__lt=end, detail__has_key="figures")
    for detail, at in entries.values_list("detail", "at").iterator(chunk_size=2000):
        yield from counts(detail["figures"], at)
