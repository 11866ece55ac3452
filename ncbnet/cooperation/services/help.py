"""Upwards: a national agency asks its NCB for international help, or passes on information
received from the public about an international case. The NCB's officer reviews it, may edit it,
and sends it abroad as requests (`services.requests.send`, one per country, kept linked), or
returns it with a reason. The agency follows its help requests, and for each request sent its
state and the answer, as far as the answer's handling code allows: H0 and H1 shown, H2 and H3
withheld ("ask your NCB"). Each step is one transaction with its audit entry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.config import member_codes
from ncbnet.messaging.models import Handling
from ncbnet.network.envelope import new_id

from ..models.requests import Access, Kind, RefusalGround, Request, RequestEvent
from ..models.tasks import HelpRequest
from ..policies import cooperates, is_agency_user
from . import requests

MAX_DETAILS = requests.MAX_DETAILS
MAX_COUNTRIES = 50
# The handling codes under which an agency user reads an answer; above them, "ask your NCB".
SHOWN_TO_AGENCIES = (Handling.H0, Handling.H1)


@dataclass
class Draft:
    """What an agency asks: the subjects, the countries, why, on what legal basis, how urgently."""

    title: str
    details: str
    purpose: str
    legal_basis: str
    countries: list[str]
    kind: str = HelpRequest.Kind.HELP
    subjects: list[dict[str, Any]] = field(default_factory=list)
    urgent: bool = False
    urgency_ground: str = ""


@dataclass
class Review:
    """How the officer sends it abroad: the request's own fields, and any of the agency's
    fields the officer corrected (None: as the agency wrote it)."""

    request_kind: str = Kind.INFORMATION
    action: str = ""
    access: str = Access.DIRECT
    handling: str = Handling.H1
    handling_note: str = ""
    title: str | None = None
    details: str | None = None
    purpose: str | None = None
    legal_basis: str | None = None
    countries: list[str] | None = None
    subjects: list[dict[str, Any]] | None = None
    urgent: bool | None = None
    urgency_ground: str | None = None


def _name(actor: Person) -> str:
    return actor.get_full_name() or actor.get_username()


def _countries(raw: list[str]) -> list[str]:
    codes = [c.strip().upper() for c in raw if c.strip()]
    if not codes or len(codes) > MAX_COUNTRIES:
        raise ValidationError({"countries": _("Name the countries to ask (1 to 50).")})
    unknown = [c for c in codes if c != "HUB" and c not in member_codes()]
    if unknown:
        raise ValidationError({"countries": _("Unknown countries: %(c)s.") % {"c": ", ".join(unknown)}})
    return list(dict.fromkeys("hub" if c == "HUB" else c for c in codes))


def _validate(d: Draft) -> None:
    errors: dict[str, str] = {}
    if d.kind not in HelpRequest.Kind.values:
        errors["kind"] = _("A request for help, or information from the public.")
    errors |= requests.what_and_why_errors(d)
    if errors:
        raise ValidationError(errors)


def submit(actor: Person, draft: Draft, ip: str | None = None) -> HelpRequest:
    """An agency user's request to their NCB."""
    if not is_agency_user(actor):
        raise PermissionDenied(_("Help requests come from the users of a national agency."))
    _validate(draft)
    subjects = requests.clean_subjects(draft.subjects)
    countries = _countries(draft.countries)
    now = clock.now()
    agency_id = actor.agency_id
    if agency_id is None:
        raise PermissionDenied(_("Help requests come from the users of a national agency."))
    with transaction.atomic():
        h = HelpRequest.objects.create(
            id=uuid.UUID(new_id()),
            agency_id=agency_id,
            created_by_id=actor.pk,
            kind=draft.kind,
            title=draft.title.strip(),
            details=draft.details.strip(),
            subjects=subjects,
            countries=countries,
            purpose=draft.purpose.strip(),
            legal_basis=draft.legal_basis.strip(),
            urgent=draft.urgent,
            urgency_ground=draft.urgency_ground,
            created_at=now,
            updated_at=now,
        )
        audit.record(
            "cooperation.help.submit",
            actor=actor,
            target=h,
            ip=ip,
            detail={"kind": h.kind, "countries": countries, "urgent": h.urgent},
        )
    return h


def visible(actor: Person) -> QuerySet[HelpRequest]:
    qs = HelpRequest.objects.select_related("agency")
    if actor.kind == "agency":
        return qs.filter(agency_id=actor.agency_id) if actor.agency_id is not None else qs.none()
    if actor.kind in ("ncb", "system"):
        return qs
    return qs.none()


@dataclass(frozen=True)
class Filters:
    q: str = ""
    state: str = ""
    kind: str = ""
    urgent: bool = False


def search(actor: Person, f: Filters, ip: str | None = None) -> QuerySet[HelpRequest]:
    qs = visible(actor)
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(details__icontains=f.q) | Q(agency__name__icontains=f.q))
    if f.state in HelpRequest.State.values:
        qs = qs.filter(state=f.state)
    if f.kind in HelpRequest.Kind.values:
        qs = qs.filter(kind=f.kind)
    if f.urgent:
        qs = qs.filter(urgent=True)
    with transaction.atomic():
        audit.record(
            "cooperation.help.search", actor=actor, ip=ip, detail={"q": f.q, "state": f.state, "kind": f.kind}
        )
    return qs.order_by("-urgent", "-created_at")


def _get(actor: Person, help_id: Any, *, lock: bool = False) -> HelpRequest:
    try:
        pk = uuid.UUID(str(help_id))
    except ValueError as exc:
        raise Http404(_("No such help request.")) from exc
    qs = visible(actor)
    if lock:
        qs = qs.select_for_update()
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such help request."))
    return found


def read(actor: Person, help_id: Any, ip: str | None = None) -> HelpRequest:
    h = _get(actor, help_id)
    with transaction.atomic():
        audit.record("cooperation.help.read", actor=actor, target=h, ip=ip)
    return h


def _pick(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def send(actor: Person, help_id: Any, review: Review, ip: str | None = None) -> HelpRequest:
    """The officer sends the help request abroad: one request per country, linked to it."""
    if not cooperates(actor):
        raise PermissionDenied(_("Only the bureau's staff send requests abroad."))
    with transaction.atomic():
        h = _get(actor, help_id, lock=True)
        before = h.move(HelpRequest.State.SENT)
        edited = Draft(
            title=_pick(review.title, h.title),
            details=_pick(review.details, h.details),
            purpose=_pick(review.purpose, h.purpose),
            legal_basis=_pick(review.legal_basis, h.legal_basis),
            countries=_pick(review.countries, h.countries),
            kind=h.kind,
            subjects=_pick(review.subjects, h.subjects),
            urgent=_pick(review.urgent, h.urgent),
            urgency_ground=_pick(review.urgency_ground, h.urgency_ground),
        )
        _validate(edited)
        countries = _countries(edited.countries)
        made = requests.send(
            actor,
            requests.Draft(
                to=countries,
                kind=review.request_kind,
                action=review.action,
                title=edited.title.strip(),
                details=edited.details,
                legal_basis=edited.legal_basis,
                purpose=edited.purpose,
                subjects=requests.clean_subjects(edited.subjects),
                urgent=edited.urgent,
                urgency_ground=edited.urgency_ground,
                access=review.access,
                handling=review.handling,
                handling_note=review.handling_note,
            ),
            ip,
        )
        now = clock.now()
        h.title, h.details, h.purpose = edited.title.strip(), edited.details.strip(), edited.purpose.strip()
        h.legal_basis, h.countries, h.subjects = (
            edited.legal_basis.strip(),
            countries,
            requests.clean_subjects(edited.subjects),
        )
        h.urgent, h.urgency_ground = edited.urgent, edited.urgency_ground
        h.reviewed_by_id, h.reviewed_at, h.updated_at = actor.pk, now, now
        h.save()
        h.requests.set(made)
        audit.record(
            "cooperation.help.send",
            actor=actor,
            target=h,
            ip=ip,
            detail={"from": before, "requests": [str(r.pk) for r in made], "to": countries},
        )
    return h


def return_to_agency(actor: Person, help_id: Any, reason: str, ip: str | None = None) -> HelpRequest:
    """The officer sends the help request back to the agency, saying why."""
    if not cooperates(actor):
        raise PermissionDenied(_("Only the bureau's staff review help requests."))
    if not reason.strip() or len(reason) > 10_000:
        raise ValidationError({"reason": _("Say why the help request goes back to the agency.")})
    with transaction.atomic():
        h = _get(actor, help_id, lock=True)
        before = h.move(HelpRequest.State.RETURNED)
        now = clock.now()
        h.return_reason = reason.strip()
        h.reviewed_by_id, h.reviewed_at, h.updated_at = actor.pk, now, now
        h.save()
        audit.record("cooperation.help.return", actor=actor, target=h, ip=ip, detail={"from": before})
    return h


@dataclass(frozen=True)
class Answer:
    at: datetime
    kind: str  # answered | refused
    handling: str
    withheld: bool
    text: str  # empty when withheld
    ground: str = ""  # a refusal's ground (Art. 6), always shown


@dataclass(frozen=True)
class Outcome:
    """A request made from a help request, as the account may see it."""

    request_id: uuid.UUID
    country: str
    state: str
    state_label: str
    answers: list[Answer]


def _answer(actor: Person, r: Request, e: RequestEvent) -> Answer:
    handling = str(e.detail.get("handling") or r.handling)
    withheld = not cooperates(actor) and handling not in SHOWN_TO_AGENCIES
    ground = str(e.detail.get("ground", ""))
    label = RefusalGround(ground).label if ground in RefusalGround.values else ""
    return Answer(e.at, e.kind, handling, withheld, "" if withheld else e.text, str(label))


def outcomes(actor: Person, h: HelpRequest) -> list[Outcome]:
    """Each request sent for the help request: its state and its answers (and refusals), the text
    withheld from an agency user under H2 or H3."""
    kinds = (RequestEvent.Kind.ANSWERED, RequestEvent.Kind.REFUSED)
    out = []
    for r in h.requests.order_by("requested"):
        answers = [_answer(actor, r, e) for e in r.events.filter(kind__in=kinds).order_by("at")]
        out.append(Outcome(r.pk, r.requested, r.state, str(r.get_state_display()), answers))
    return out
