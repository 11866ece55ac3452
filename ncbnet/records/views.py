from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base import holdings, iccs, uploads
from ncbnet.base.actor import Actor
from ncbnet.base.http import client_ip
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from . import approval, contribution, lifecycle, services
from .forms import FORMS, ReasonForm, RestrictionChangeForm, edit_form
from .models import Contribution, Database, PendingContribution, RecordChange
from .policies import (
    APPROVE_CONTRIBUTIONS,
    CHANGE_OWN,
    CONTRIBUTE,
    CORRECT,
    PENDING_CONTRIBUTIONS,
    READ_RECORDS,
    SUBMIT_FOR_APPROVAL,
    SUBMIT_RECORDS,
    approves_contributions,
    changes_own_records,
    contributes,
    corrects,
    submits_records,
    watches_feeds,
    watches_snapshots,
)
from .schemas import MAX_PHOTO_BYTES, Filters

PAGE = 50  # records a page of the list shows

FIELD_LABELS = {
    "names": _("Names"),
    "date_of_birth": _("Date of birth"),
    "sex": _("Sex"),
    "nationalities": _("Nationalities"),
    "distinguishing_marks": _("Distinguishing marks"),
    "number": _("Number"),
    "type": _("Type"),
    "issuing_country": _("Issuing country"),
    "status": _("Status"),
    "date": _("Date"),
    "vin": _("VIN"),
    "plate": _("Plate"),
    "make": _("Make"),
    "model": _("Model"),
    "colour": _("Colour"),
    "country": _("Country"),
    "title": _("Title"),
    "artist": _("Artist"),
    "dimensions": _("Dimensions"),
    "description": _("Description"),
    "serial_number": _("Serial number"),
    "calibre": _("Calibre"),
    "photos": _("Photos"),
    "iccs": _("Crime category (ICCS)"),
}


def _shown(key: str, value: Any) -> Any:
    """A data field's value as the page shows it: a crime category with its label."""
    if key == "iccs" and iccs.valid(value):
        return f"{value} {iccs.label(value)}"
    return value


def _day(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC) if value else None
    except ValueError:
        return None


def _after(qs: QuerySet[Any], cursor: str) -> QuerySet[Any]:
    """The records after the cursor's (database, label, id), in the list's order."""
    try:
        database, label, pk = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        pk = uuid.UUID(pk)
    except (ValueError, TypeError, binascii.Error):
        return qs
    return qs.filter(
        Q(database__gt=database)
        | Q(database=database, label__gt=label)
        | Q(database=database, label=label, pk__gt=pk)
    )


def _cursor(record: Any) -> str:
    return base64.urlsafe_b64encode(
        json.dumps([record.database, record.label, str(record.pk)]).encode()
    ).decode()


@route(READ_RECORDS)
def search(request: AuthedRequest) -> HttpResponse:
    """The global databases: at the hub all of them; on a node, this country's replica. Filtered
    by database, owner, the dates of their last change and (at the hub) status; a page at a time,
    through any number of records."""
    database = request.GET.get("database") or None
    q = request.GET.get("q", "").strip()
    held = holdings.here()
    status = request.GET.get("status", "live")
    last_day = _day(request.GET.get("until", ""))
    filters = Filters(
        owner=request.GET.get("owner", "").strip().upper()[:2],
        status="withdrawn" if status == "withdrawn" else "any" if status == "any" else "live",
        since=_day(request.GET.get("since", "")),
        until=last_day + dt.timedelta(days=1) if last_day else None,
    )
    qs = held.search(request.user, database, q, filters).order_by("database", "label", "pk")
    after = request.GET.get("after", "")
    found = list((_after(qs, after) if after else qs)[: PAGE + 1])
    more = len(found) > PAGE
    found = found[:PAGE]
    query = request.GET.copy()
    query.pop("after", None)
    if more:
        query["after"] = _cursor(found[-1])
    return render(
        request,
        "records/search.html",
        {
            "records": found,
            "database": database,
            "q": q,
            "filters": filters,
            "since": request.GET.get("since", ""),
            "until": request.GET.get("until", ""),
            "databases": Database.choices,
            "next_page": query.urlencode() if more else None,
            "first_page": bool(after),
            "statuses": held.keeps_originals and request.user.kind == "gs",
            "can_contribute": not held.keeps_originals and submits_records(request.user),
            "can_bulk": not held.keeps_originals and contributes(request.user),
            "can_watch_feeds": held.keeps_originals and watches_feeds(request.user),
            "can_watch_snapshots": watches_snapshots(request.user)
            and (request.user.kind == "gs") == held.keeps_originals,
        },
    )


@route(READ_RECORDS)
def detail(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    held = holdings.here()
    record = held.read(request.user, record_id, client_ip(request))
    fields = [(FIELD_LABELS.get(k, k), k, _shown(k, v)) for k, v in record.data.items()]
    own = not held.keeps_originals and record.owner == held.bureau and changes_own_records(request.user)
    return render(
        request,
        "records/detail.html",
        {
            "record": record,
            "fields": fields,
            "own": own,
            "changes": RecordChange.objects.filter(record_id=record.pk)[:20] if own else [],
            "can_correct": held.keeps_originals and corrects(request.user) and record.status == "live",
        },
    )


def _own(request: AuthedRequest, record_id: uuid.UUID) -> Any:
    """One of this bureau's own records, on its node (the hub checks the ownership again)."""
    held = holdings.here()
    if held.keeps_originals:
        raise Http404("Records are changed from their owner's node.")
    record = held.read(request.user, record_id, client_ip(request))
    if record.owner != held.bureau:
        raise PermissionDenied("Only the owner NCB changes a record.")
    return record


def _edited(database: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The form's fields over the record's data: the photos stay, and so do a person's other
    names (aliases, former names) beside the primary name and its Latin form."""
    out = {**{k: v for k, v in old.items() if k == "photos"}, **new}
    if database == "persons":
        others = [n for n in old.get("names", []) if n.get("kind") not in ("primary", "latin")]
        out["names"] = [*new["names"], *others]
    return out


def _sent(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    messages.success(request, _("Sent to the hub, which applies it and answers; the replicas follow."))
    return redirect("records:changes")


@route(CHANGE_OWN)
@require_http_methods(["GET", "POST"])
def edit(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    """The owner's officer edits the record: a new version, with why."""
    record = _own(request, record_id)
    post = request.POST if request.method == "POST" else None
    form = edit_form(record.database, post, record.data)
    why = ReasonForm(post)
    if post is not None and form.is_valid() and why.is_valid():
        try:
            data = _edited(record.database, record.data, form.data_for_hub())
            lifecycle.submit(request.user, record.pk, "edit", data=data, reason=why.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _sent(request, record.pk)
    return render(
        request,
        "records/change.html",
        {"record": record, "forms": [form, why], "title": _("Edit the record"), "action": "edit"},
        status=400 if post is not None else 200,
    )


@route(CHANGE_OWN)
@require_http_methods(["GET", "POST"])
def restriction(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    """The owner's officer sets a new restriction: the countries newly admitted receive the
    record, those no longer admitted lose it."""
    record = _own(request, record_id)
    post = request.POST if request.method == "POST" else None
    form = RestrictionChangeForm(
        post,
        initial={
            "handling": record.handling,
            "handling_note": record.handling_note,
            "notify_on_view": record.notify_on_view,
        },
    )
    if post is not None and form.is_valid():
        try:
            lifecycle.submit(
                request.user,
                record.pk,
                "restrict",
                restriction=form.restriction(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _sent(request, record.pk)
    return render(
        request,
        "records/change.html",
        {
            "record": record,
            "forms": [form],
            "title": _("Change the restriction"),
            "note": _(
                "The whole restriction is set anew: the hub keeps the list of countries, not this node."
            ),
            "action": "restrict",
        },
        status=400 if post is not None else 200,
    )


def _with_reason(
    request: AuthedRequest, record_id: uuid.UUID, action: str, title: str | Promise, note: str | Promise
) -> HttpResponse:
    record = _own(request, record_id)
    post = request.POST if request.method == "POST" else None
    form = ReasonForm(post)
    if post is not None and form.is_valid():
        try:
            lifecycle.submit(request.user, record.pk, action, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _sent(request, record.pk)
    return render(
        request,
        "records/change.html",
        {"record": record, "forms": [form], "title": title, "note": note, "action": action},
        status=400 if post is not None else 200,
    )


@route(CHANGE_OWN)
@require_http_methods(["GET", "POST"])
def withdraw(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    return _with_reason(
        request,
        record_id,
        "withdraw",
        _("Withdraw the record"),
        _(
            "It leaves every replica and screening at once; the hub keeps it, withdrawn, for the audit "
            "until its retention ends."
        ),
    )


@route(CHANGE_OWN)
@require_http_methods(["GET", "POST"])
def extend(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    return _with_reason(
        request,
        record_id,
        "extend",
        _("Keep the record for another retention period"),
        _("From today: the Rules' five years, or your national law's shorter retention."),
    )


@route(CHANGE_OWN)
def changes(request: AuthedRequest) -> HttpResponse:
    """What this bureau asked the hub to change in its records, and what became of it."""
    return render(
        request, "records/changes.html", {"changes": RecordChange.objects.order_by("-sent_at")[:100]}
    )


@route(CORRECT)
@require_http_methods(["GET", "POST"])
def correct(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    """At the hub, the GS corrects a record with a written reason (a new version; the owner's
    replica and the others follow)."""
    held = holdings.here()
    if not held.keeps_originals:
        raise Http404("The GS corrects records at the hub.")
    record = held.read(request.user, record_id, client_ip(request))
    post = request.POST if request.method == "POST" else None
    form = edit_form(record.database, post, record.data)
    why = ReasonForm(post)
    if post is not None and form.is_valid() and why.is_valid():
        try:
            data = _edited(record.database, record.data, form.data_for_hub())
            services.change(
                Actor.of(request.user), str(record.pk), data=data, reason=why.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Corrected: the owner and the replicas receive the new version."))
            return redirect("records:detail", record.pk)
    return render(
        request,
        "records/change.html",
        {"record": record, "forms": [form, why], "title": _("Correct the record"), "action": "correct"},
        status=400 if post is not None else 200,
    )


PHOTO = uploads.Limit(files=MAX_PHOTO_BYTES, message=_("A photo is at most 1 MB."))


@route(SUBMIT_RECORDS)
@require_http_methods(["GET", "POST"])
@uploads.limit(PHOTO)
def contribute(request: AuthedRequest, database: str) -> HttpResponse:
    """A bureau's officer contributes a person or a travel document; the hub checks and answers.
    An agency's user with contribute access submits it to their NCB, whose officers approve it."""
    form_class = FORMS.get(database)
    if form_class is None or holdings.here().keeps_originals:
        raise Http404("No such form.")
    form = form_class(request.POST or None, request.FILES or None)
    refused = uploads.refused(request, form) if request.method == "POST" else None
    if not refused and request.method == "POST" and form.is_valid():
        try:
            data = form.data_for_hub()
            upload = form.cleaned_data.get("photo")
            if database == "persons" and upload is not None:
                data["photos"] = [
                    {
                        "content_type": upload.content_type or "",
                        "data": base64.b64encode(upload.read()).decode("ascii"),
                    }
                ]
            if contributes(request.user):
                contribution.submit(request.user, database, data, form.restriction())
            else:
                approval.submit(request.user, database, data, form.restriction())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not contributes(request.user):
                messages.success(
                    request, _("Sent to your NCB, whose officers approve it before it goes to the hub.")
                )
                return redirect("records:mine")
            messages.success(
                request, _("Sent to the hub, which checks it against your national law and the Rules.")
            )
            return redirect("records:contributions")
    return render(
        request,
        "records/contribute.html",
        {"form": form, "database": database, "database_label": Database(database).label},
        status=refused.status if refused else 400 if form.errors else 200,
    )


@route(CONTRIBUTE)
def contributions(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "records/contributions.html",
        {"contributions": Contribution.objects.order_by("-sent_at")[:100]},
    )


@route(SUBMIT_FOR_APPROVAL)
def mine(request: AuthedRequest) -> HttpResponse:
    """An agency's user: what they submitted and what became of it."""
    return render(request, "records/mine.html", {"pending": approval.mine(request.user)[:200]})


@route(APPROVE_CONTRIBUTIONS)
def to_approve(request: AuthedRequest) -> HttpResponse:
    """The bureau's officers: the agencies' submissions waiting for approval, the oldest first."""
    return render(request, "records/to_approve.html", {"pending": approval.to_approve(request.user)[:200]})


@route(PENDING_CONTRIBUTIONS)
def pending(request: AuthedRequest, pending_id: uuid.UUID) -> HttpResponse:
    found = approval.read(request.user, pending_id, client_ip(request))
    return _pending_page(request, found)


def _pending_page(
    request: AuthedRequest, found: PendingContribution, error: str = "", status: int = 200
) -> HttpResponse:
    fields = [(FIELD_LABELS.get(k, k), k, _shown(k, v)) for k, v in found.data.items() if k != "photos"]
    return render(
        request,
        "records/pending.html",
        {
            "p": found,
            "fields": fields,
            "can_decide": approves_contributions(request.user)
            and found.state == PendingContribution.State.PENDING,
            "error": error,
        },
        status=status,
    )


@route(APPROVE_CONTRIBUTIONS)
@require_POST
def pending_decide(request: AuthedRequest, pending_id: uuid.UUID) -> HttpResponse:
    """Approve (it goes to the hub as the bureau's) or return with a reason."""
    ip = client_ip(request)
    try:
        if request.POST.get("decision") == "approve":
            approval.approve(request.user, pending_id, ip)
            messages.success(request, _("Approved: sent to the hub as your bureau's contribution."))
        else:
            approval.return_(request.user, pending_id, request.POST.get("reason", ""), ip)
            messages.success(request, _("Returned to its contributor with your reason."))
    except ValidationError as exc:
        found = approval.read(request.user, pending_id, ip)
        return _pending_page(request, found, " ".join(exc.messages), status=400)
    return redirect("records:to_approve")
