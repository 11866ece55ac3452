"""The conference's pages: the overview with its timetable and documents (and the GS's forms to
publish them), the delegation's registration (head of NCB), the credentials (GS), an agenda item
with its minutes, the resolutions, a poll with its voting and its result, the actions, and the
timetable as iCalendar. Every page parses, calls a service and renders; a refused step comes back
as a message saying why."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from ncbnet.base import downloads, uploads
from ncbnet.base.node import node_id, role
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from . import calendar, policies, services
from .models import (
    MAX_DOCUMENT,
    Action,
    Ballot,
    Conference,
    Document,
    IllegalStep,
    Item,
    Poll,
    Resolution,
    Session,
)
from .policies import HEAD, READ, SECRETARIAT

DOCUMENT_UPLOAD = uploads.Limit(
    files=MAX_DOCUMENT,
    per_file=MAX_DOCUMENT,
    message=gettext_lazy("A conference document is limited to 1 MB: it travels to every bureau."),
)


def _do(request: AuthedRequest, step: Callable[[], Any], done: str) -> bool:
    """Run a service; say what happened or why not."""
    try:
        step()
    except (IllegalStep, ValueError) as refused:
        messages.error(request, _("Not done: %(reason)s") % {"reason": refused})
        return False
    except (ObjectDoesNotExist, ValidationError):
        messages.error(request, _("Not done: it does not exist (any more)."))
        return False
    messages.success(request, done)
    return True


def _when(value: str, tz: str) -> datetime:
    """A local date and time from a form (YYYY-MM-DDTHH:MM) in the conference's time zone."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        raise ValueError(_("a date and time is written YYYY-MM-DD HH:MM")) from None


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("%(field)s: a day is written YYYY-MM-DD") % {"field": field}) from None


def _conference(year: int | None = None) -> Conference:
    c = services.get(year) if year else services.current()
    if c is None:
        raise Http404(_("No conference yet."))
    return c


def _uuid(value: str | None) -> uuid.UUID:
    """An id from a form; the nil UUID (which names nothing) when it is not one."""
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return uuid.UUID(int=0)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@route(READ)
@require_http_methods(["GET", "POST"])
@uploads.limit(DOCUMENT_UPLOAD)
def overview(request: AuthedRequest) -> HttpResponse:
    user, c = request.user, services.current()
    if request.method == "POST":
        step, p = request.POST.get("step", ""), request.POST
        if step == "create":

            def create() -> None:
                services.create_conference(
                    user,
                    year=int(p.get("year", "0") or 0),
                    title=p.get("title", ""),
                    starts=_day(p.get("starts", ""), "starts"),
                    ends=_day(p.get("ends", ""), "ends"),
                    venue=p.get("venue", ""),
                    languages=p.getlist("languages"),
                    submission_deadline=_when(p.get("deadline", ""), p.get("time_zone", "UTC") or "UTC"),
                    time_zone=p.get("time_zone", "UTC") or "UTC",
                )

            _do(request, create, _("The conference is published to every bureau."))
        elif c is not None and step == "session":
            _do(
                request,
                lambda: services.add_session(
                    user,
                    c,
                    title=p.get("title", ""),
                    kind=p.get("kind", "session"),
                    starts=_when(p.get("starts", ""), c.time_zone),
                    ends=_when(p.get("ends", ""), c.time_zone),
                    room=p.get("room", ""),
                ),
                _("Added to the timetable."),
            )
        elif c is not None and step == "item":
            _do(
                request,
                lambda: services.add_item(
                    user,
                    Session.objects.get(pk=_uuid(p.get("session")), conference=c),
                    title=p.get("title", ""),
                    speakers=_lines(p.get("speakers", "")),
                    majority=p.get("majority", "simple"),
                ),
                _("Added to the agenda."),
            )
        elif c is not None and step == "document":
            upload = request.FILES.get("file")
            if uploads.refused(request) is not None or upload is None:
                messages.error(request, str(DOCUMENT_UPLOAD.message) if upload else _("Choose a file."))
            else:
                item = Item.objects.filter(pk=_uuid(p.get("item")), session__conference=c).first()
                _do(
                    request,
                    lambda: services.add_document(
                        user,
                        c,
                        title=p.get("title", ""),
                        language=p.get("language", ""),
                        filename=upload.name or "document",
                        content=upload.read(),
                        item=item,
                    ),
                    _("The document is sent to every bureau."),
                )
        return redirect("conference:overview")
    context: dict[str, Any] = {
        "conference": c,
        "secretariat": policies.is_secretariat(user),
        "head": policies.is_head(user),
        "languages": [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ar", "العربية")],
        "majorities": Item.Majority.choices,
        "kinds": Session.Kind.choices,
    }
    if c is not None:
        context |= {
            "sessions": c.sessions.prefetch_related("items"),
            "documents": c.documents.defer("content").select_related("item"),
            "registration": services.own_registration(c) if role().bureau else None,
            "items": Item.objects.filter(session__conference=c),
            "registrations": c.registrations.count(),
            "credentialed": len(services.credentialed_countries(c)),
            "to_report": services.actions_to_report(c),
        }
    return render(request, "conference/overview.html", context)


@route(READ)
@require_GET
def ics(request: AuthedRequest, year: int) -> HttpResponse:
    c = _conference(year)
    response = HttpResponse(calendar.timetable(c), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="conference-{c.year}.ics"'
    return response


@route(READ)
@require_GET
def document(request: AuthedRequest, document_id: str) -> Any:
    d = get_object_or_404(Document, pk=document_id)
    return downloads.download([bytes(d.content)], d.filename, size=d.size)


@route(HEAD)
@require_http_methods(["GET", "POST"])
def registration(request: AuthedRequest) -> HttpResponse:
    c = _conference()
    if request.method == "POST":
        if request.POST.get("step") == "withdraw":
            _do(
                request,
                lambda: services.withdraw_registration(request.user, c),
                _("The delegation is withdrawn."),
            )
        else:
            _do(
                request,
                lambda: services.register(
                    request.user, c, request.POST.get("head", ""), _lines(request.POST.get("delegates", ""))
                ),
                _("The delegation is registered: the General Secretariat checks its credentials."),
            )
        return redirect("conference:registration")
    return render(
        request,
        "conference/registration.html",
        {"conference": c, "registration": services.own_registration(c), "country": node_id()},
    )


@route(SECRETARIAT)
@require_http_methods(["GET", "POST"])
def credentials(request: AuthedRequest) -> HttpResponse:
    c = _conference()
    if request.method == "POST":
        accept = request.POST.get("step") == "credential"
        _do(
            request,
            lambda: services.check_credentials(
                request.user,
                request.POST.get("registration", ""),
                accept=accept,
                reason=request.POST.get("reason", ""),
            ),
            _("Credentials checked: the bureau is told.")
            if accept
            else _("Rejected: the bureau is told why."),
        )
        return redirect("conference:credentials")
    return render(
        request, "conference/credentials.html", {"conference": c, "registrations": c.registrations.all()}
    )


@route(READ)
@require_http_methods(["GET", "POST"])
def item(request: AuthedRequest, item_id: str) -> HttpResponse:
    it = get_object_or_404(Item.objects.select_related("session__conference"), pk=item_id)
    if request.method == "POST":
        _do(
            request,
            lambda: services.add_minutes(request.user, it, request.POST.get("text", "")),
            _("Minutes saved as a new revision."),
        )
        return redirect("conference:item", item_id=it.pk)
    minutes = list(it.minutes.all())
    return render(
        request,
        "conference/item.html",
        {
            "item": it,
            "conference": it.session.conference,
            "minutes": minutes[0] if minutes else None,
            "history": minutes[1:],
            "documents": it.documents.defer("content"),
            "resolutions": it.resolutions.all(),
            "secretariat": policies.is_secretariat(request.user),
        },
    )


@route(READ)
@require_http_methods(["GET", "POST"])
def resolutions(request: AuthedRequest) -> HttpResponse:
    c, user, p = _conference(), request.user, request.POST
    if request.method == "POST":
        step = p.get("step", "")
        if step == "submit":
            amends = Resolution.objects.filter(pk=_uuid(p.get("amends")), conference=c).first()
            _do(
                request,
                lambda: services.submit_resolution(
                    user, c, title=p.get("title", ""), text=p.get("text", ""), amends=amends
                ),
                _("Submitted to the General Secretariat."),
            )
        elif step in ("admit", "plenary", "withdraw"):
            it = Item.objects.filter(pk=_uuid(p.get("item")), session__conference=c).first()
            _do(
                request,
                lambda: services.move_resolution(
                    user, p.get("resolution", ""), step, item=it, majority=p.get("majority") or None
                ),
                _("Done: every bureau is told."),
            )
        elif step == "poll":
            made: list[Poll] = []
            if _do(
                request,
                lambda: made.append(services.create_poll(user, p.get("resolution", ""))),
                _("Poll created."),
            ):
                return redirect("conference:poll", poll_id=made[0].pk)
        return redirect("conference:resolutions")
    return render(
        request,
        "conference/resolutions.html",
        {
            "conference": c,
            "resolutions": c.resolutions.prefetch_related("polls").select_related("item", "amends"),
            "items": Item.objects.filter(session__conference=c),
            "majorities": Item.Majority.choices,
            "secretariat": policies.is_secretariat(user),
            "head": policies.is_head(user),
            "open": c.takes_submissions(),
        },
    )


@route(READ)
@require_http_methods(["GET", "POST"])
def poll(request: AuthedRequest, poll_id: str) -> HttpResponse:
    p = get_object_or_404(Poll.objects.select_related("resolution__conference"), pk=poll_id)
    user = request.user
    if request.method == "POST":
        step = request.POST.get("step", "")
        if step == "vote":
            _do(
                request,
                lambda: services.vote(user, p.pk, request.POST.get("choice", "")),
                _("Your ballot is signed with the bureau's key and sent to the hub."),
            )
        else:
            _do(request, lambda: services.move_poll(user, p.pk, step), _("Done: every bureau is told."))
        return redirect("conference:poll", poll_id=p.pk)
    own = p.ballots.filter(country=node_id()).order_by("-cast_at").first() if role().bureau else None
    verified = services.verify_tally(p.pk) if p.state == Poll.State.PUBLISHED else None
    return render(
        request,
        "conference/poll.html",
        {
            "poll": p,
            "resolution": p.resolution,
            "conference": p.resolution.conference,
            "secretariat": policies.is_secretariat(user),
            "head": policies.is_head(user),
            "own": own,
            "may_vote": policies.is_head(user)
            and p.state == Poll.State.STARTED
            and (own is None or own.status == Ballot.Status.REFUSED),
            "choices": Ballot.Choice.choices,
            "counted": p.ballots.filter(status=Ballot.Status.COUNTED).count() if not role().bureau else None,
            "verified": verified,
        },
    )


@route(READ)
@require_http_methods(["GET", "POST"])
def actions(request: AuthedRequest) -> HttpResponse:
    c, user, p = services.current(), request.user, request.POST
    if request.method == "POST":
        if p.get("step") == "add":
            _do(
                request,
                lambda: services.add_action(
                    user, p.get("resolution", ""), p.get("title", ""), p.get("assignee", "GS")
                ),
                _("Action added: every bureau is told."),
            )
        else:
            _do(
                request,
                lambda: services.move_action(
                    user, p.get("action", ""), p.get("state", ""), p.get("progress", ""), report_at=c
                ),
                _("Action updated: every bureau is told."),
            )
        return redirect("conference:actions")
    return render(
        request,
        "conference/actions.html",
        {
            "conference": c,
            "actions": Action.objects.select_related("resolution__conference").order_by(
                "-resolution__conference__year", "title"
            ),
            "adopted": Resolution.objects.filter(state=Resolution.State.ADOPTED),
            "states": Action.State.choices,
            "secretariat": policies.is_secretariat(user),
            "country": node_id() if role().bureau else "",
        },
    )
