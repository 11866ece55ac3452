"""What the requested bureau's node already holds about the subjects of an incoming request,
found before anyone answers it: records (the screening engine: persons by name, date of birth, sex
and nationality; objects by document number), notices on the same person, recent hits on the
records found or the same name, earlier requests about the same person, and open cases that name
it.

It runs in a periodic job over the received requests not yet checked (not in the envelope handler:
the name index loads slowly), one transaction and one audit entry per request."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from django.db import transaction

from ncbnet.base import audit, clock, holdings
from ncbnet.base.node import node_id
from ncbnet.hits.models import HitReport
from ncbnet.notices import services as notices
from ncbnet.screening import names
from ncbnet.screening import services as screening

from ..models.requests import CrossCheck, Request
from . import cases

THRESHOLD = names.THRESHOLD
RECENT_HITS = timedelta(days=90)
MAX_PER_SOURCE = 10
# The most notices, and recent hits and other requests (the latest first), a request is compared with.
MAX_NOTICES = 10_000
MAX_COMPARED = 5_000


@dataclass(frozen=True)
class Bureau:
    """The node's bureau as the screening engine's actor when no officer is at hand: a system
    account that screens against everything the node holds."""

    country_code: str | None
    kind: str = "system"
    role: str = "system"
    pk: Any = None
    ncb_id: int | None = None
    agency_id: int | None = None
    is_authenticated: bool = True
    is_active: bool = True

    def get_username(self) -> str:
        return f"bureau:{self.country_code or 'hub'}"

    def get_full_name(self) -> str:
        return self.get_username()


@dataclass(frozen=True)
class Match:
    found: str  # CrossCheck.Found
    ref: str
    label: str
    score: float = 1.0
    why: list[str] = field(default_factory=list)


class Held:
    """What the sources compare every subject of one request with, read once for the request (the
    first subject that needs it reads it): the notices with named subjects, the recent hits and
    the other requests this node holds."""

    def __init__(self, request: Request):
        self.request = request

    @cached_property
    def notices(self) -> list[tuple[Any, tuple[str, ...]]]:
        found = holdings.here().every_notice().only("id", "kind", "title", "data")[:MAX_NOTICES]
        return [(n, names_) for n in found if (names_ := notices.subject_names(n.data))]

    @cached_property
    def hits(self) -> list[HitReport]:
        since = clock.now() - RECENT_HITS
        recent = HitReport.objects.filter(found_at__gte=since).order_by("-found_at")
        return list(recent.only("id", "record_id", "label", "found_by")[:MAX_COMPARED])

    @cached_property
    def requests(self) -> list[Request]:
        others = Request.objects.exclude(pk=self.request.pk).order_by("-created_at")
        return list(others.only("id", "title", "subjects", "requester", "requested")[:MAX_COMPARED])


@dataclass
class Check:
    """One subject being checked, and what the sources before found of it (records first, so the
    hits can follow the records found)."""

    request: Request
    index: int
    subject: dict[str, Any]
    bureau: Bureau
    held: Held
    found: list[Match] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.subject.get("name", "")).strip()

    def records(self) -> set[str]:
        return {m.ref for m in self.found if m.found == CrossCheck.Found.RECORD}


Source = Callable[[Check], list[Match]]


def _records(check: Check) -> list[Match]:
    s = check.subject
    if s.get("type") == "person" and check.name:
        hits = screening.find_persons(
            check.bureau,
            check.name,
            screening.partial_date(str(s.get("date_of_birth", ""))),
            str(s.get("sex", "")),
            str(s.get("nationality", "")),
            THRESHOLD,
        )
    elif s.get("type") == "object":
        wanted = {check.name, str(s.get("description", "")).strip()} - {""}
        hits = [
            h
            for text in sorted(wanted)
            if len(text) <= 40
            for h in screening.find_documents(check.bureau, text, "")
        ]
    else:
        hits = []
    out = {
        h.record: Match(
            CrossCheck.Found.RECORD,
            h.record,
            f"{h.database}: {h.label}",
            h.score,
            list(h.explanation) or [h.matched],
        )
        for h in hits
    }
    return list(out.values())[:MAX_PER_SOURCE]


def _notices(check: Check) -> list[Match]:
    if check.subject.get("type") != "person" or not check.name:
        return []
    out = []
    for notice, named in check.held.notices:
        best = max(names.score(check.name, n) for n in named)
        if best >= THRESHOLD:
            out.append(
                Match(
                    CrossCheck.Found.NOTICE, str(notice.id), f"{notice.kind}: {notice.title}", best, ["name"]
                )
            )
    return sorted(out, key=lambda m: -m.score)[:MAX_PER_SOURCE]


def _hits(check: Check) -> list[Match]:
    found = check.records()
    out = []
    for hit in check.held.hits:
        if str(hit.record_id) in found:
            out.append(
                Match(
                    CrossCheck.Found.HIT, str(hit.pk), f"{hit.label} ({hit.found_by})", 1.0, ["record found"]
                )
            )
        elif check.name and (score := names.score(check.name, hit.label)) >= THRESHOLD:
            out.append(
                Match(CrossCheck.Found.HIT, str(hit.pk), f"{hit.label} ({hit.found_by})", score, ["name"])
            )
    return sorted(out, key=lambda m: -m.score)[:MAX_PER_SOURCE]


def _requests(check: Check) -> list[Match]:
    if check.subject.get("type") != "person" or not check.name:
        return []
    out = []
    for other in check.held.requests:
        scores = [
            names.score(check.name, str(s.get("name", "")))
            for s in other.subjects
            if isinstance(s, dict) and s.get("type") == "person" and s.get("name")
        ]
        best = max(scores, default=0.0)
        if best >= THRESHOLD:
            label = f"{other.requester} → {other.requested}: {other.title}"[:300]
            out.append(Match(CrossCheck.Found.REQUEST, str(other.pk), label, best, ["name"]))
    return sorted(out, key=lambda m: -m.score)[:MAX_PER_SOURCE]


def _cases(check: Check) -> list[Match]:
    """Open cases this bureau takes part in whose title or entries name the subject."""
    if not check.name:
        return []
    return [
        Match(CrossCheck.Found.CASE, str(c.pk), f"{c.owner}: {c.title}", 1.0, ["named in the case"])
        for c in cases.open_cases_matching(check.name, MAX_PER_SOURCE)
    ]


# Each source is asked in turn for each subject.
sources: list[Source] = [_records, _notices, _hits, _requests, _cases]


def check(request_id: uuid.UUID) -> int | None:
    """Cross-check one received request; the number of matches kept (None if already checked)."""
    bureau = Bureau(node_id() if node_id() != "hub" else None)
    with transaction.atomic():
        r = (
            Request.objects.select_for_update()
            .filter(pk=request_id, direction=Request.Direction.IN, crosschecked_at__isnull=True)
            .first()
        )
        if r is None:
            return None
        kept, held = 0, Held(r)
        for i, subject in enumerate(r.subjects):
            c = Check(r, i, subject if isinstance(subject, dict) else {}, bureau, held)
            for source in sources:
                c.found += source(c)
            for m in c.found:
                CrossCheck.objects.create(
                    request=r,
                    subject=i,
                    found=m.found,
                    ref=m.ref[:64],
                    label=m.label[:300],
                    score=m.score,
                    why=m.why,
                )
            kept += len(c.found)
        r.crosschecked_at = clock.now()
        r.save(update_fields=["crosschecked_at"])
        audit.record(
            "cooperation.request.crosscheck",
            actor=bureau,
            target=r,
            detail={"subjects": len(r.subjects), "matches": kept},
        )
    return kept


def pending(limit: int = 50) -> list[uuid.UUID]:
    return list(
        Request.objects.filter(direction=Request.Direction.IN, crosschecked_at__isnull=True)
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )


def run() -> dict[str, int]:
    """The periodic job's work: every received request not yet checked."""
    done = [n for pk in pending() if (n := check(pk)) is not None]
    return {"checked": len(done), "matches": sum(done)}


def of(r: Request) -> list[CrossCheck]:
    return list(r.crosschecks.all())
