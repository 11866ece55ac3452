"""The conference's use cases, one transaction each, with its audit entry and what it sends.

At the hub (the authority), the conference secretariat publishes the conference and its agenda,
documents and minutes, checks the delegations' credentials, moves resolutions through their
workflow, runs the polls and counts the ballots, and tracks the actions. On a bureau's node, the
head registers the delegation, submits resolutions and votes; the node keeps what the hub sends
(`keep_*`, called by `receive.py`, never overwriting what the node owns: its own ballots' choice).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.base.ids import uuid7
from ncbnet.base.node import node_id, role
from ncbnet.network import delivery

from . import ballots, policies, tally
from .models import (
    GS,
    LANGUAGES,
    MAX_DELEGATES,
    MAX_DOCUMENT,
    Action,
    Ballot,
    Conference,
    Document,
    IllegalStep,
    Item,
    MinutesRevision,
    Poll,
    Registration,
    Resolution,
    Session,
)

PUBLISHED = "conference.published"
AGENDA = "conference.agenda"
DOCUMENT = "conference.document"
MINUTES = "conference.minutes"
REGISTRATION = "conference.registration"
CREDENTIALS = "conference.credentials"
SUBMISSION = "conference.resolution"
RESOLUTION_STATE = "conference.resolution_state"
POLL = "conference.poll"
BALLOT = "conference.ballot"
BALLOT_ANSWER = "conference.ballot_answer"
RESULT = "conference.result"
ACTION = "conference.action"

__all__ = ["IllegalStep"]


def _name(user: Person) -> str:
    return str(user.get_username())


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _nodes() -> list[str]:
    return [n for n in delivery.connected_nodes() if n != "hub"]


def _broadcast(kind: str, body: dict[str, Any]) -> None:
    if nodes := _nodes():
        delivery.queue(kind, nodes, body)


def _secretariat(user: Person) -> None:
    if not policies.is_secretariat(user):
        raise PermissionDenied("only the conference secretariat of the GS does this")


def _head(user: Person) -> str:
    if not policies.is_head(user) or not user.country_code:
        raise PermissionDenied("only the head of the bureau does this, on the bureau's node")
    return user.country_code


def _text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValueError(f"{field}: required")
    if len(value) > limit:
        raise ValueError(f"{field}: at most {limit} characters")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise ValueError(f"{field}: control characters are not allowed")
    return value


# --- reading ---------------------------------------------------------------------------------------


def current() -> Conference | None:
    """The latest conference (by year)."""
    return Conference.objects.order_by("-year").first()


def get(year: int) -> Conference | None:
    return Conference.objects.filter(year=year).first()


def own_registration(conference: Conference) -> Registration | None:
    country = node_id()
    return Registration.objects.filter(conference=conference, country=country).first()


def credentialed_countries(conference: Conference) -> list[str]:
    return sorted(
        Registration.objects.filter(
            conference=conference, state=Registration.State.COMPLETE, credentialed_at__isnull=False
        ).values_list("country", flat=True)
    )


# --- bodies ------------------------------------------------------------------------------------------


def conference_body(c: Conference) -> dict[str, Any]:
    return {
        "id": str(c.pk),
        "year": c.year,
        "title": c.title,
        "starts": c.starts.isoformat(),
        "ends": c.ends.isoformat(),
        "venue": c.venue,
        "time_zone": c.time_zone,
        "languages": list(c.languages),
        "submission_deadline": c.submission_deadline.isoformat(),
        "published_at": c.published_at.isoformat(),
    }


def agenda_body(c: Conference) -> dict[str, Any]:
    return {
        "conference": str(c.pk),
        "sessions": [
            {
                "id": str(s.pk),
                "kind": s.kind,
                "title": s.title,
                "starts": s.starts.isoformat(),
                "ends": s.ends.isoformat(),
                "room": s.room,
                "items": [
                    {
                        "id": str(i.pk),
                        "number": i.number,
                        "title": i.title,
                        "speakers": list(i.speakers),
                        "majority": i.majority,
                    }
                    for i in s.items.all()
                ],
            }
            for s in c.sessions.prefetch_related("items")
        ],
    }


def document_body(d: Document) -> dict[str, Any]:
    return {
        "id": str(d.pk),
        "conference": str(d.conference_id),
        "item": str(d.item_id) if d.item_id else None,
        "title": d.title,
        "language": d.language,
        "filename": d.filename,
        "content": base64.b64encode(bytes(d.content)).decode("ascii"),
        "sha256": d.sha256,
        "published_at": d.published_at.isoformat(),
    }


def minutes_body(m: MinutesRevision) -> dict[str, Any]:
    return {
        "id": str(m.pk),
        "item": str(m.item_id),
        "revision": m.revision,
        "text": m.text,
        "author": m.author,
        "created_at": m.created_at.isoformat(),
    }


def resolution_body(r: Resolution) -> dict[str, Any]:
    return {
        "id": str(r.pk),
        "conference": str(r.conference_id),
        "item": str(r.item_id) if r.item_id else None,
        "kind": r.kind,
        "amends": str(r.amends_id) if r.amends_id else None,
        "title": r.title,
        "text": r.text,
        "submitted_by": r.submitted_by,
        "submitted_at": r.submitted_at.isoformat(),
        "state": r.state,
        "majority": r.majority,
    }


def poll_body(p: Poll) -> dict[str, Any]:
    return {
        "id": str(p.pk),
        "resolution": str(p.resolution_id),
        "majority": p.majority,
        "state": p.state,
        "created_at": p.created_at.isoformat(),
        "started_at": _iso(p.started_at),
        "finished_at": _iso(p.finished_at),
    }


def ballot_body(b: Ballot) -> dict[str, Any]:
    return {
        "conference": str(b.poll.resolution.conference_id),
        "poll": str(b.poll_id),
        "country": b.country,
        "choice": b.choice,
        "nonce": str(b.pk),
        "cast_at": ballots.stamp(b.cast_at),
        "key_id": b.key_id,
        "signature": b.signature,
    }


def action_body(a: Action) -> dict[str, Any]:
    return {
        "id": str(a.pk),
        "resolution": str(a.resolution_id),
        "title": a.title,
        "assignee": a.assignee,
        "state": a.state,
        "progress": a.progress,
        "updated_at": a.updated_at.isoformat(),
    }


def result_body(p: Poll) -> dict[str, Any]:
    assert p.published_at is not None
    return {
        "poll": poll_body(p) | {"state": p.state},
        "published_at": p.published_at.isoformat(),
        "entitled": list(p.entitled),
        "result": dict(p.result),
        "ballots": list(p.published_ballots),
        "resolution_state": p.resolution.state,
    }


# --- the GS: the conference, its agenda, documents and minutes ------------------------------------


@transaction.atomic
def create_conference(
    user: Person,
    *,
    year: int,
    title: str,
    starts: date,
    ends: date,
    venue: str,
    languages: Iterable[str],
    submission_deadline: datetime,
    time_zone: str = "UTC",
) -> Conference:
    _secretariat(user)
    langs = [lang for lang in LANGUAGES if lang in set(languages)]
    if not langs:
        raise ValueError("languages: at least one of en, fr, es, ar")
    if ends < starts:
        raise ValueError("ends: the conference ends on or after the day it starts")
    if not 1900 <= year <= 9999:
        raise ValueError("year: from 1900 to 9999")
    if Conference.objects.filter(year=year).exists():
        raise ValueError(f"year: the conference of {year} exists already")
    c = Conference.objects.create(
        year=year,
        title=_text(title, "title", 300),
        starts=starts,
        ends=ends,
        venue=_text(venue, "venue", 300),
        languages=langs,
        submission_deadline=submission_deadline,
        time_zone=time_zone,
    )
    audit.record("conference.create", actor=user, target=c, detail={"year": year})
    _broadcast(PUBLISHED, conference_body(c))
    return c


@transaction.atomic
def add_session(
    user: Person,
    conference: Conference,
    *,
    title: str,
    starts: datetime,
    ends: datetime,
    kind: str = "session",
    room: str = "",
) -> Session:
    _secretariat(user)
    if kind not in Session.Kind.values:
        raise ValueError("kind: session or break")
    if ends <= starts:
        raise ValueError("ends: a session ends after it starts")
    s = Session.objects.create(
        conference=conference,
        kind=kind,
        title=_text(title, "title", 300),
        starts=starts,
        ends=ends,
        room=_text(room, "room", 150, required=False),
    )
    audit.record("conference.session", actor=user, target=s, detail={"title": s.title})
    _broadcast(AGENDA, agenda_body(conference))
    return s


@transaction.atomic
def add_item(
    user: Person,
    session: Session,
    *,
    title: str,
    speakers: Iterable[str] = (),
    majority: str = "simple",
    number: int | None = None,
) -> Item:
    _secretariat(user)
    if session.kind != Session.Kind.SESSION:
        raise ValueError("session: a break has no agenda items")
    if majority not in Item.Majority.values:
        raise ValueError("majority: simple or two_thirds")
    named = [_text(s, "speakers", 150) for s in speakers if s.strip()]
    if len(named) > 20:
        raise ValueError("speakers: at most 20")
    if number is None:
        last = Item.objects.filter(session__conference=session.conference).aggregate(n=Max("number"))["n"]
        number = (last or 0) + 1
    i = Item.objects.create(
        session=session, number=number, title=_text(title, "title", 300), speakers=named, majority=majority
    )
    audit.record("conference.item", actor=user, target=i, detail={"number": number})
    _broadcast(AGENDA, agenda_body(session.conference))
    return i


@transaction.atomic
def add_document(
    user: Person,
    conference: Conference,
    *,
    title: str,
    language: str,
    filename: str,
    content: bytes,
    item: Item | None = None,
) -> Document:
    _secretariat(user)
    if language not in LANGUAGES:
        raise ValueError("language: en, fr, es or ar")
    if len(content) > MAX_DOCUMENT:
        raise ValueError(f"file: at most {MAX_DOCUMENT:,} bytes")
    if not content:
        raise ValueError("file: empty")
    name = _text(filename.replace("/", "_").replace("\\", "_"), "filename", 150)
    d = Document.objects.create(
        conference=conference,
        item=item,
        title=_text(title, "title", 300),
        language=language,
        filename=name,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    audit.record(
        "conference.document", actor=user, target=d, detail={"language": language, "sha256": d.sha256}
    )
    _broadcast(DOCUMENT, document_body(d))
    return d


@transaction.atomic
def add_minutes(user: Person, item: Item, text: str) -> MinutesRevision:
    _secretariat(user)
    last = item.minutes.aggregate(n=Max("revision"))["n"] or 0
    m = MinutesRevision.objects.create(
        item=item, revision=last + 1, text=_text(text, "text", 20_000), author=_name(user)
    )
    audit.record(
        "conference.minutes", actor=user, target=m, detail={"item": str(item.pk), "revision": m.revision}
    )
    _broadcast(MINUTES, minutes_body(m))
    return m


# --- delegations and credentials -----------------------------------------------------------------


@transaction.atomic
def register(user: Person, conference: Conference, head: str, delegates: Iterable[str]) -> Registration:
    """The head of a bureau registers (or changes) its delegation, on the bureau's node; the hub
    checks the credentials."""
    country = _head(user)
    names = [_text(d, "delegates", 150) for d in delegates if d.strip()]
    if len(names) > MAX_DELEGATES:
        raise ValueError(f"delegates: at most {MAX_DELEGATES}")
    head = _text(head, "head", 150)
    reg = Registration.objects.filter(conference=conference, country=country).first()
    if reg is None:
        reg = Registration(conference=conference, country=country)
    else:
        reg.resubmit()
    reg.head, reg.delegates, reg.submitted_by, reg.submitted_at = head, names, _name(user), clock.now()
    reg.save()
    audit.record("conference.register", actor=user, target=reg, detail={"delegates": len(names)})
    delivery.queue(
        REGISTRATION,
        ["hub"],
        {"conference": str(conference.pk), "head": head, "delegates": names, "submitted_by": _name(user)},
    )
    return reg


@transaction.atomic
def withdraw_registration(user: Person, conference: Conference) -> Registration:
    country = _head(user)
    reg = Registration.objects.filter(conference=conference, country=country).first()
    if reg is None:
        raise IllegalStep("the bureau has no delegation registered")
    reg.withdraw()
    reg.save()
    audit.record("conference.withdraw", actor=user, target=reg)
    delivery.queue(
        REGISTRATION,
        ["hub"],
        {
            "conference": str(conference.pk),
            "head": reg.head,
            "delegates": reg.delegates,
            "submitted_by": _name(user),
            "withdraw": True,
        },
    )
    return reg


def registration_arrived(country: str, body: Any) -> Registration:
    """Hub: a node's delegation (the sender is its country: never another's)."""
    conference = Conference.objects.filter(pk=body.conference).first()
    if conference is None:
        raise ValueError("no such conference")
    reg = Registration.objects.select_for_update().filter(conference=conference, country=country).first()
    if body.withdraw:
        if reg is None:
            raise ValueError("no delegation to withdraw")
        reg.withdraw()
    else:
        if reg is None:
            reg = Registration(conference=conference, country=country)
        else:
            reg.resubmit()
        reg.head, reg.delegates, reg.submitted_by, reg.submitted_at = (
            body.head,
            list(body.delegates),
            body.submitted_by,
            clock.now(),
        )
    reg.save()
    audit.record("conference.registration_received", subject=country, target=reg, detail={"state": reg.state})
    _answer_credentials(reg)
    return reg


def _answer_credentials(reg: Registration) -> None:
    try:
        delivery.active_keys([reg.country])
    except delivery.NotOnNetwork:
        return
    delivery.queue(
        CREDENTIALS,
        [reg.country],
        {
            "conference": str(reg.conference_id),
            "id": str(reg.pk),
            "state": reg.state,
            "credentialed_at": _iso(reg.credentialed_at),
            "reason": reg.reason,
        },
    )


@transaction.atomic
def check_credentials(
    user: Person, registration_id: UUID | str, *, accept: bool, reason: str = ""
) -> Registration:
    """The GS credentials a delegation (or rejects it, saying why); the bureau is told."""
    _secretariat(user)
    reg = Registration.objects.select_for_update().get(pk=registration_id)
    if accept:
        reg.credential(_name(user))
    else:
        reg.reject(_name(user), _text(reason, "reason", 500))
    reg.save()
    audit.record(
        "conference.credentials", actor=user, target=reg, detail={"state": reg.state, "country": reg.country}
    )
    _answer_credentials(reg)
    return reg


def keep_credentials(body: Any) -> Registration:
    """Node: the hub's decision on this bureau's delegation."""
    reg = Registration.objects.filter(conference_id=body.conference, country=node_id()).first()
    if reg is None:
        raise ValueError("this bureau registered no delegation to this conference")
    reg.state, reg.credentialed_at, reg.reason = body.state, body.credentialed_at, body.reason
    reg.save()
    audit.record("conference.credentials_received", subject="hub", target=reg, detail={"state": reg.state})
    return reg


# --- resolutions ----------------------------------------------------------------------------------


@transaction.atomic
def submit_resolution(
    user: Person, conference: Conference, *, title: str, text: str, amends: Resolution | None = None
) -> Resolution:
    """A delegation's head (on its node) or the GS submits a draft resolution or an amendment,
    before the deadline."""
    author = GS if policies.is_secretariat(user) else _head(user)
    if not conference.takes_submissions():
        raise IllegalStep("the deadline for drafts and amendments has passed")
    if amends is not None and amends.state in (
        Resolution.State.ADOPTED,
        Resolution.State.REJECTED,
        Resolution.State.WITHDRAWN,
    ):
        raise IllegalStep("the resolution is decided or withdrawn: it cannot be amended")
    r = Resolution.objects.create(
        conference=conference,
        kind=Resolution.Kind.AMENDMENT if amends else Resolution.Kind.DRAFT,
        amends=amends,
        item=amends.item if amends else None,
        title=_text(title, "title", 300),
        text=_text(text, "text", 20_000),
        submitted_by=author,
        majority=amends.majority if amends else Item.Majority.SIMPLE,
    )
    audit.record("conference.submit", actor=user, target=r, detail={"kind": r.kind})
    if role().bureau:
        delivery.queue(
            SUBMISSION,
            ["hub"],
            {
                "id": str(r.pk),
                "conference": str(conference.pk),
                "kind": r.kind,
                "amends": str(amends.pk) if amends else None,
                "title": r.title,
                "text": r.text,
            },
        )
    else:
        _broadcast(RESOLUTION_STATE, resolution_body(r))
    return r


def submission_arrived(country: str, body: Any) -> Resolution:
    """Hub: a delegation's draft or amendment (from its own node, before the deadline)."""
    conference = Conference.objects.filter(pk=body.conference).first()
    if conference is None:
        raise ValueError("no such conference")
    if not conference.takes_submissions():
        raise ValueError("the deadline for drafts and amendments has passed")
    if Resolution.objects.filter(pk=body.id).exists():
        raise ValueError("a resolution with this id exists already")
    amends = None
    if body.amends is not None:
        amends = Resolution.objects.filter(pk=body.amends, conference=conference).first()
        if amends is None:
            raise ValueError("the resolution it amends is not of this conference")
    r = Resolution.objects.create(
        id=body.id,
        conference=conference,
        kind=body.kind,
        amends=amends,
        item=amends.item if amends else None,
        title=body.title,
        text=body.text,
        submitted_by=country,
        majority=amends.majority if amends else Item.Majority.SIMPLE,
    )
    audit.record("conference.submission_received", subject=country, target=r, detail={"kind": r.kind})
    _broadcast(RESOLUTION_STATE, resolution_body(r))
    return r


@transaction.atomic
def move_resolution(
    user: Person,
    resolution_id: UUID | str,
    step: str,
    *,
    item: Item | None = None,
    majority: str | None = None,
) -> Resolution:
    """The GS admits a resolution (to an agenda item, whose majority it takes), puts it to the
    plenary, or withdraws it."""
    _secretariat(user)
    r = Resolution.objects.select_for_update().get(pk=resolution_id)
    if step == "admit":
        r.admit()
        if item is not None:
            r.item, r.majority = item, item.majority
        if majority is not None:
            if majority not in Item.Majority.values:
                raise ValueError("majority: simple or two_thirds")
            r.majority = majority
    elif step == "plenary":
        r.to_plenary()
    elif step == "withdraw":
        r.withdraw()
    else:
        raise IllegalStep(f"{step!r} is not a step of a resolution")
    r.save()
    audit.record("conference.resolution", actor=user, target=r, detail={"step": step, "state": r.state})
    _broadcast(RESOLUTION_STATE, resolution_body(r))
    return r


# --- polls and ballots ---------------------------------------------------------------------------


@transaction.atomic
def create_poll(user: Person, resolution_id: UUID | str) -> Poll:
    _secretariat(user)
    r = Resolution.objects.select_for_update().get(pk=resolution_id)
    if r.state != Resolution.State.IN_PLENARY:
        raise IllegalStep("a poll is held on a resolution in plenary")
    if r.polls.exclude(state=Poll.State.PUBLISHED).exists():
        raise IllegalStep("the resolution has a poll under way")
    p = Poll.objects.create(resolution=r, majority=r.majority)
    audit.record("conference.poll", actor=user, target=p, detail={"step": "create"})
    _broadcast(POLL, poll_body(p))
    return p


@transaction.atomic
def move_poll(user: Person, poll_id: UUID | str, step: str) -> Poll:
    """start (voting opens), finish (voting stops: the entitled voters frozen), publish (the tally
    and every signed ballot to every node; the resolution decided, an adopted one an action)."""
    _secretariat(user)
    p = Poll.objects.select_for_update().select_related("resolution").get(pk=poll_id)
    if step == "start":
        p.start()
    elif step == "finish":
        p.finish(credentialed_countries(p.resolution.conference))
    elif step == "publish":
        _publish(p)
    else:
        raise IllegalStep(f"{step!r} is not a step of a poll")
    p.save()
    audit.record("conference.poll", actor=user, target=p, detail={"step": step, "state": p.state})
    if step == "publish":
        _broadcast(RESULT, result_body(p))
    else:
        _broadcast(POLL, poll_body(p))
    return p


def _publish(p: Poll) -> None:
    counted = list(
        p.ballots.filter(status=Ballot.Status.COUNTED).select_related("poll__resolution").order_by("country")
    )
    result = tally.count(p.entitled, [(b.country, b.choice) for b in counted], p.majority)
    p.publish(result.as_dict(), [ballot_body(b) for b in counted])
    if result.outcome != tally.NO_QUORUM:
        r = p.resolution
        r.decide(result.outcome == tally.ADOPTED)
        r.save()
        if result.outcome == tally.ADOPTED:
            a = Action.objects.create(resolution=r, title=r.title[:300], assignee=GS)
            audit.record("conference.action", target=a, detail={"assignee": GS, "state": a.state})
            _broadcast(ACTION, action_body(a))


@transaction.atomic
def vote(user: Person, poll_id: UUID | str, choice: str) -> Ballot:
    """The head of a bureau votes, on the bureau's node: the ballot is signed with the node's key
    and sent to the hub, which counts it or refuses it and says why."""
    country = _head(user)
    if choice not in Ballot.Choice.values:
        raise ValueError("choice: yes, no or abstain")
    p = Poll.objects.select_related("resolution").get(pk=poll_id)
    if p.state != Poll.State.STARTED:
        raise IllegalStep("voting is not open on this poll")
    if p.ballots.filter(country=country).exclude(status=Ballot.Status.REFUSED).exists():
        raise IllegalStep("this bureau has voted on this poll already")
    nonce, cast_at = uuid7(), clock.now()
    signed = ballots.sign(
        str(p.resolution.conference_id), str(p.pk), country, choice, str(nonce), ballots.stamp(cast_at)
    )
    b = Ballot.objects.create(
        id=nonce,
        poll=p,
        country=country,
        choice=choice,
        cast_at=cast_at,
        key_id=signed["key_id"],
        signature=signed["signature"],
    )
    audit.record("conference.vote", actor=user, target=b, detail={"poll": str(p.pk)})
    delivery.queue(BALLOT, ["hub"], signed)
    return b


def ballot_arrived(country: str, body: Any) -> tuple[str, str]:
    """Hub: a node's signed ballot. A ballot for another country or not signed by the country's
    key raises ValueError (the envelope is quarantined); a ballot outside a started poll, from a
    delegation not credentialed, or a second one, is refused and the node told why. Returns
    (status, reason)."""
    if body.country != country:
        raise ValueError("a node votes only for its own bureau")
    try:
        cast_at = datetime.fromisoformat(body.cast_at)
    except ValueError:
        raise ValueError("cast_at: an ISO 8601 time") from None
    if cast_at.tzinfo is None:
        raise ValueError("cast_at: a time with its zone")
    error = ballots.signature_error(body.model_dump(), ballots.KeyLookup()(country, body.key_id, cast_at))
    if error is not None:
        raise ValueError(f"the ballot does not verify: {error}")
    p = Poll.objects.select_for_update().select_related("resolution").filter(pk=body.poll).first()
    if p is None or str(p.resolution.conference_id) != body.conference:
        raise ValueError("no such poll in this conference")
    reason = ""
    if p.state != Poll.State.STARTED:
        reason = (
            "voting is not open on this poll"
            if p.state == Poll.State.CREATED
            else "voting on this poll is closed"
        )
    elif country not in credentialed_countries(p.resolution.conference):
        reason = "the delegation is not credentialed"
    elif (
        Ballot.objects.filter(pk=body.nonce).exists()
        or p.ballots.filter(country=country, status=Ballot.Status.COUNTED).exists()
    ):
        reason = "the bureau has voted on this poll already"
    if reason:
        audit.record(
            "conference.ballot_refused",
            subject=country,
            target=p,
            detail={"reason": reason, "nonce": body.nonce},
        )
        status = Ballot.Status.REFUSED
    else:
        b = Ballot.objects.create(
            id=body.nonce,
            poll=p,
            country=country,
            choice=body.choice,
            cast_at=cast_at,
            key_id=body.key_id,
            signature=body.signature,
            status=Ballot.Status.COUNTED,
            answered_at=clock.now(),
        )
        audit.record("conference.ballot_counted", subject=country, target=b, detail={"poll": str(p.pk)})
        status = Ballot.Status.COUNTED
    delivery.queue(
        BALLOT_ANSWER, [country], {"poll": str(p.pk), "nonce": body.nonce, "status": status, "reason": reason}
    )
    return status, reason


def keep_ballot_answer(body: Any) -> Ballot:
    b = Ballot.objects.filter(pk=body.nonce, poll_id=body.poll, country=node_id()).first()
    if b is None:
        raise ValueError("this bureau sent no such ballot")
    b.status, b.reason, b.answered_at = body.status, body.reason, clock.now()
    b.save()
    audit.record(
        "conference.ballot_answered", subject="hub", target=b, detail={"status": b.status, "reason": b.reason}
    )
    return b


# --- actions ---------------------------------------------------------------------------------------


@transaction.atomic
def add_action(user: Person, resolution_id: UUID | str, title: str, assignee: str) -> Action:
    _secretariat(user)
    r = Resolution.objects.get(pk=resolution_id)
    if r.state != Resolution.State.ADOPTED:
        raise IllegalStep("actions follow from an adopted resolution")
    from ncbnet.config import member_codes

    if assignee != GS and assignee not in member_codes():
        raise ValueError("assignee: GS or a member country's code")
    a = Action.objects.create(resolution=r, title=_text(title, "title", 300), assignee=assignee)
    audit.record("conference.action", actor=user, target=a, detail={"assignee": assignee, "state": a.state})
    _broadcast(ACTION, action_body(a))
    return a


@transaction.atomic
def move_action(
    user: Person, action_id: UUID | str, state: str, progress: str, report_at: Conference | None = None
) -> Action:
    _secretariat(user)
    a = Action.objects.select_for_update().get(pk=action_id)
    a.move(state, _text(progress, "progress", 4000, required=False))
    if report_at is not None:
        a.reported_at = report_at
    a.save()
    audit.record("conference.action", actor=user, target=a, detail={"state": a.state})
    _broadcast(ACTION, action_body(a))
    return a


def actions_to_report(conference: Conference) -> list[Action]:
    """What the next conference hears: the actions of every earlier conference's resolutions."""
    return list(
        Action.objects.filter(resolution__conference__year__lt=conference.year).select_related(
            "resolution__conference"
        )
    )


# --- a node keeps what the hub sends ---------------------------------------------------------------


def keep_conference(body: Any) -> Conference:
    c, _ = Conference.objects.update_or_create(
        pk=body.id,
        defaults={
            "year": body.year,
            "title": body.title,
            "starts": date.fromisoformat(body.starts),
            "ends": date.fromisoformat(body.ends),
            "venue": body.venue,
            "time_zone": body.time_zone,
            "languages": list(body.languages),
            "submission_deadline": body.submission_deadline,
            "published_at": body.published_at,
        },
    )
    audit.record("conference.received", subject="hub", target=c, detail={"year": c.year})
    return c


def _conference(pk: Any) -> Conference:
    c = Conference.objects.filter(pk=pk).first()
    if c is None:
        raise ValueError("no such conference here (its publication comes first)")
    return c


def keep_agenda(body: Any) -> Conference:
    c = _conference(body.conference)
    for s in body.sessions:
        if Session.objects.filter(pk=s.id).exclude(conference=c).exists():
            raise ValueError("a session of another conference")
        Session.objects.update_or_create(
            pk=s.id,
            defaults={
                "conference": c,
                "kind": s.kind,
                "title": s.title,
                "starts": s.starts,
                "ends": s.ends,
                "room": s.room,
            },
        )
        for i in s.items:
            if Item.objects.filter(pk=i.id).exclude(session__conference=c).exists():
                raise ValueError("an item of another conference")
            Item.objects.update_or_create(
                pk=i.id,
                defaults={
                    "session_id": s.id,
                    "number": i.number,
                    "title": i.title,
                    "speakers": list(i.speakers),
                    "majority": i.majority,
                },
            )
    audit.record(
        "conference.agenda_received", subject="hub", target=c, detail={"sessions": len(body.sessions)}
    )
    return c


def keep_document(body: Any) -> Document:
    c = _conference(body.conference)
    content = base64.b64decode(body.content, validate=True)
    if len(content) > MAX_DOCUMENT:
        raise ValueError(f"the document is larger than {MAX_DOCUMENT:,} bytes")
    if hashlib.sha256(content).hexdigest() != body.sha256:
        raise ValueError("the document's content does not match its hash")
    if Document.objects.filter(pk=body.id).exists():
        raise ValueError("this document is kept already; a document is never replaced")
    item = Item.objects.filter(pk=body.item, session__conference=c).first() if body.item else None
    d = Document.objects.create(
        id=body.id,
        conference=c,
        item=item,
        title=body.title,
        language=body.language,
        filename=body.filename,
        content=content,
        size=len(content),
        sha256=body.sha256,
        published_at=body.published_at,
    )
    audit.record("conference.document_received", subject="hub", target=d, detail={"sha256": d.sha256})
    return d


def keep_minutes(body: Any) -> MinutesRevision:
    item = Item.objects.filter(pk=body.item).first()
    if item is None:
        raise ValueError("no such agenda item here")
    if MinutesRevision.objects.filter(item=item, revision=body.revision).exists():
        raise ValueError("this revision of the minutes is kept already")
    m = MinutesRevision.objects.create(
        id=body.id,
        item=item,
        revision=body.revision,
        text=body.text,
        author=body.author,
        created_at=body.created_at,
    )
    audit.record("conference.minutes_received", subject="hub", target=m, detail={"revision": m.revision})
    return m


def keep_resolution(body: Any) -> Resolution:
    c = _conference(body.conference)
    if Resolution.objects.filter(pk=body.id).exclude(conference=c).exists():
        raise ValueError("a resolution of another conference")
    amends = Resolution.objects.filter(pk=body.amends).first() if body.amends else None
    item = Item.objects.filter(pk=body.item).first() if body.item else None
    r, _ = Resolution.objects.update_or_create(
        pk=body.id,
        defaults={
            "conference": c,
            "item": item,
            "kind": body.kind,
            "amends": amends,
            "title": body.title,
            "text": body.text,
            "submitted_by": body.submitted_by,
            "submitted_at": body.submitted_at,
            "state": body.state,
            "majority": body.majority,
        },
    )
    audit.record("conference.resolution_received", subject="hub", target=r, detail={"state": r.state})
    return r


def keep_poll(body: Any) -> Poll:
    r = Resolution.objects.filter(pk=body.resolution).first()
    if r is None:
        raise ValueError("no such resolution here")
    known = Poll.objects.filter(pk=body.id).first()
    if known is not None and known.resolution_id != r.pk:
        raise ValueError("a poll of another resolution")
    if known is not None and known.state == Poll.State.PUBLISHED:
        raise ValueError("the poll's result is published: it does not change any more")
    p, _ = Poll.objects.update_or_create(
        pk=body.id,
        defaults={
            "resolution": r,
            "majority": body.majority,
            "state": body.state,
            "created_at": body.created_at,
            "started_at": body.started_at,
            "finished_at": body.finished_at,
        },
    )
    audit.record("conference.poll_received", subject="hub", target=p, detail={"state": p.state})
    return p


def keep_result(body: Any) -> Poll:
    if body.poll.state != Poll.State.PUBLISHED:
        raise ValueError("a result is of a published poll")
    p = keep_poll(body.poll)
    countries = [b.country for b in body.ballots]
    if len(set(countries)) != len(countries):
        raise ValueError("a country has two ballots in the result")
    p.entitled = list(body.entitled)
    p.result = body.result.model_dump()
    p.published_ballots = [b.model_dump() for b in body.ballots]
    p.published_at = body.published_at
    p.save()
    r = p.resolution
    r.state = body.resolution_state
    r.save()
    checked = verify_tally(p.pk)  # kept as published either way; what this node found is audited
    audit.record(
        "conference.result_received",
        subject="hub",
        target=p,
        detail={"outcome": body.result.outcome, "verified": checked.ok, "problems": checked.problems[:10]},
    )
    return p


def keep_action(body: Any) -> Action:
    r = Resolution.objects.filter(pk=body.resolution).first()
    if r is None:
        raise ValueError("no such resolution here")
    a, _ = Action.objects.update_or_create(
        pk=body.id,
        defaults={
            "resolution": r,
            "title": body.title,
            "assignee": body.assignee,
            "state": body.state,
            "progress": body.progress,
            "updated_at": body.updated_at,
        },
    )
    audit.record("conference.action_received", subject="hub", target=a, detail={"state": a.state})
    return a


# --- the published tally, recomputed ----------------------------------------------------------------


def verify_tally(poll_id: UUID | str) -> ballots.Verified:
    """Every published ballot of a poll checked against this node's key directory, and the tally
    recomputed from them and compared with the published one."""
    p = Poll.objects.select_related("resolution").get(pk=poll_id)
    if p.state != Poll.State.PUBLISHED:
        raise IllegalStep("the poll's result is not published yet")
    return ballots.verify_published(
        str(p.resolution.conference_id), str(p.pk), p.entitled, p.majority, p.result, p.published_ballots
    )


def send_all_to(node: str) -> None:
    """A node joining the network gets the conferences and everything published of them."""
    for c in Conference.objects.order_by("year"):
        delivery.queue(PUBLISHED, [node], conference_body(c))
        delivery.queue(AGENDA, [node], agenda_body(c))
        for d in c.documents.all():
            delivery.queue(DOCUMENT, [node], document_body(d))
        for m in MinutesRevision.objects.filter(item__session__conference=c).order_by("revision"):
            delivery.queue(MINUTES, [node], minutes_body(m))
        for r in c.resolutions.order_by("submitted_at"):
            delivery.queue(RESOLUTION_STATE, [node], resolution_body(r))
        for p in Poll.objects.filter(resolution__conference=c).select_related("resolution"):
            delivery.queue(
                RESULT if p.state == Poll.State.PUBLISHED else POLL,
                [node],
                result_body(p) if p.state == Poll.State.PUBLISHED else poll_body(p),
            )
        for a in Action.objects.filter(resolution__conference=c):
            delivery.queue(ACTION, [node], action_body(a))
