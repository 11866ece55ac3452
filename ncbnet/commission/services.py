"""The Commission's use cases: one transaction on its own database each, journalled there.

Nothing here writes to the node's (police) database: filing, following and checking requests
touch only the `commission` database (router.ALIAS).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ncbnet.base import clock, policies
from ncbnet.network.handlers import every

from . import journal
from .deadlines import alerts
from .models import Document, IllegalStep, Request, Step, Throttle
from .router import ALIAS

# Reference letters: no 0/O, 1/I/L, so that a reference read aloud or copied by hand survives.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class Rate:
    """At most `attempts` within `window` from one address."""

    attempts: int
    window: timedelta


# Filing: each request from an address counts. Following: each reference and secret that fail.
FILING = Rate(5, timedelta(hours=1))
FOLLOWING = Rate(20, timedelta(minutes=10))


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = max(1, retry_after)
        super().__init__(_("Too many attempts from your network address. Try again later."))


@dataclass(frozen=True)
class Filing:
    kind: str
    filer: str
    family_name: str
    given_names: str
    date_of_birth: date
    nationality: str
    email: str
    representative: str
    language: str
    asked: str
    reasons: str


@dataclass(frozen=True)
class Upload:
    kind: str
    name: str
    media_type: str
    content: bytes


# --- rate limits -----------------------------------------------------------------------------------


def check_rate(action: str, address: str, rate: Rate) -> None:
    """Refuse an address that spent its attempts within the window (writes nothing)."""
    row = Throttle.objects.filter(action=action, address=address).first()
    if row is None:
        return
    now = clock.now()
    if row.window_start > now - rate.window and row.count >= rate.attempts:
        raise TooManyAttempts(int((row.window_start + rate.window - now).total_seconds()))


def count_attempt(action: str, address: str, rate: Rate) -> None:
    now = clock.now()
    with transaction.atomic(using=ALIAS):
        row = Throttle.objects.select_for_update().filter(action=action, address=address).first()
        if row is None:
            try:
                with transaction.atomic(using=ALIAS):
                    row = Throttle.objects.create(action=action, address=address, window_start=now)
            except IntegrityError:  # another request from the address created it first
                row = Throttle.objects.select_for_update().get(action=action, address=address)
        if row.window_start <= now - rate.window:
            row.window_start, row.count = now, 0
        row.count += 1
        row.save(update_fields=["window_start", "count"])


@every(3600, "commission.throttle")
def forget_old_attempts() -> int:
    """The network worker's hourly job: the counts whose window ended a day ago go, so the table
    holds only the addresses seen lately."""
    longest = max(FILING.window, FOLLOWING.window)
    deleted, _ = Throttle.objects.filter(window_start__lt=clock.now() - longest - timedelta(days=1)).delete()
    return deleted


# --- the applicant -------------------------------------------------------------------------------


def _reference() -> str:
    return "CCF-" + "".join(secrets.choice(ALPHABET) for _ in range(10))


def file_request(
    filing: Filing, uploads: list[Upload], ip: str, *, secret: str | None = None
) -> tuple[Request, str]:
    """Keep a request and its files; the applicant's secret is returned once and only its hash kept.
    `secret` is for the demo, whose requests' secret is printed; the portal never passes one."""
    kinds = {u.kind for u in uploads}
    if Document.Kind.IDENTITY not in kinds:
        raise ValueError("a request needs a copy of an identity document")
    if filing.filer == Request.Filer.LAWYER and Document.Kind.AUTHORITY not in kinds:
        raise ValueError("a lawyer's request needs the power of attorney")
    secret = secret or secrets.token_urlsafe(18)
    now = clock.now()
    with transaction.atomic(using=ALIAS):
        while True:
            reference = _reference()
            if not Request.objects.filter(reference=reference).exists():
                break
        request = Request.objects.create(
            reference=reference,
            secret_hash=make_password(secret),
            filed_at=now,
            **filing.__dict__,
        )
        Step.objects.create(request=request, at=now, kind=Step.Kind.FILED)
        for upload in uploads:
            Document.objects.create(
                request=request,
                kind=upload.kind,
                name=upload.name,
                media_type=upload.media_type,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                content=upload.content,
            )
        journal.record(
            "ccf.request.filed",
            request_ref=reference,
            ip=ip,
            detail={
                "kind": filing.kind,
                "filer": filing.filer,
                "documents": [
                    {"kind": u.kind, "media_type": u.media_type, "size": len(u.content)} for u in uploads
                ],
            },
        )
    return request, secret


@cache
def _decoy() -> str:
    """A hash checked for an unknown reference, so that its answer takes as long as a known one's."""
    return make_password(secrets.token_urlsafe(18))


def follow(reference: str, secret: str, ip: str) -> Request | None:
    """The request the reference and secret open, or None (the same for an unknown reference and
    a wrong secret); failures count against the address (`FOLLOWING`)."""
    check_rate("follow", ip, FOLLOWING)
    request = Request.objects.filter(reference=reference.strip().upper()).first()
    if request is None or not check_password(secret.strip(), request.secret_hash):
        if request is None:
            check_password(secret, _decoy())
        count_attempt("follow", ip, FOLLOWING)
        return None
    with transaction.atomic(using=ALIAS):
        journal.record("ccf.request.followed", request_ref=request.reference, ip=ip)
    return request


# --- the Commission ------------------------------------------------------------------------------


def _must(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("Only the Commission's members and secretariat may do this."))


def requests(actor: Any, state: str = "", ip: str = "") -> list[Request]:
    _must(policies.is_commission(actor))
    found = Request.objects.all().order_by("-filed_at")
    if state:
        found = found.filter(state=state)
    with transaction.atomic(using=ALIAS):
        journal.record("ccf.requests.listed", actor=actor, ip=ip, detail={"state": state})
    return list(found[:500])


def read(actor: Any, request_id: Any, ip: str = "") -> Request | None:
    _must(policies.is_commission(actor))
    request = Request.objects.filter(pk=request_id).first()
    if request is not None:
        with transaction.atomic(using=ALIAS):
            journal.record("ccf.request.read", actor=actor, request_ref=request.reference, ip=ip)
    return request


def document(actor: Any, request_id: Any, document_id: int, ip: str = "") -> Document | None:
    _must(policies.is_commission(actor))
    found = Document.objects.filter(request_id=request_id, pk=document_id).select_related("request").first()
    if found is not None:
        with transaction.atomic(using=ALIAS):
            journal.record(
                "ccf.document.downloaded",
                actor=actor,
                request_ref=found.request.reference,
                ip=ip,
                detail={"document": found.pk, "kind": found.kind},
            )
    return found


def decide_admissibility(
    actor: Any, request_id: Any, *, admissible: bool, note: str, ip: str = ""
) -> Request:
    """The secretariat's check: admissible (the statutory clock starts now) or not, with a note
    the applicant reads on the status page."""
    _must(policies.is_commission_secretariat(actor))
    now = clock.now()
    with transaction.atomic(using=ALIAS):
        request = Request.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise LookupError(request_id)
        if admissible:
            request.declare_admissible(now)
        else:
            if not note.strip():
                raise IllegalStep(_("Say why the request is inadmissible: the applicant reads it."))
            request.declare_inadmissible()
        request.save(update_fields=["state", "admissible_at", "due_at"])
        Step.objects.create(
            request=request,
            at=now,
            kind=Step.Kind.ADMISSIBLE if admissible else Step.Kind.INADMISSIBLE,
            note=note.strip(),
        )
        journal.record(
            "ccf.request.admissible" if admissible else "ccf.request.inadmissible",
            actor=actor,
            request_ref=request.reference,
            ip=ip,
            detail={"due_at": request.due_at, "note": note.strip()},
        )
    return request


def due(now: datetime | None = None) -> dict[str, list[Request]]:
    """The Commission's alerts: requests overdue, and due within 30 days."""
    overdue, soon = alerts(now or clock.now())
    return {"overdue": overdue, "soon": soon}


@dataclass(frozen=True)
class Figures:
    """A year's figures: requests filed by kind, found admissible and inadmissible, decisions by
    outcome, and the days from admissibility to decision (mean and longest)."""

    year: int
    filed: dict[str, int]
    admissible: int
    inadmissible: int
    decisions: dict[str, int]
    mean_days: float | None
    longest_days: int | None


def figures(actor: Any, year: int) -> Figures:
    _must(policies.is_commission(actor))
    filed = Request.objects.filter(filed_at__year=year)
    decided = list(
        Request.objects.filter(decided_at__year=year).values_list("decision", "admissible_at", "decided_at")
    )
    days = [(d - a).days for _, a, d in decided if a is not None and d is not None]
    return Figures(
        year=year,
        filed={kind: filed.filter(kind=kind).count() for kind in Request.Kind.values},
        admissible=Request.objects.filter(admissible_at__year=year).count(),
        inadmissible=Request.objects.filter(
            state=Request.State.INADMISSIBLE, steps__kind=Step.Kind.INADMISSIBLE, steps__at__year=year
        ).count(),
        decisions={d: sum(1 for x, _a, _d in decided if x == d) for d in Request.Decision.values},
        mean_days=round(sum(days) / len(days), 1) if days else None,
        longest_days=max(days) if days else None,
    )
