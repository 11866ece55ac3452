from __future__ import annotations

import base64
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base import holdings, uploads
from ncbnet.base.http import client_ip
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from . import approval, contribution
from .forms import FORMS
from .models import Contribution, Database, PendingContribution
from .policies import (
    APPROVE_CONTRIBUTIONS,
    CONTRIBUTE,
    PENDING_CONTRIBUTIONS,
    READ_RECORDS,
    SUBMIT_FOR_APPROVAL,
    SUBMIT_RECORDS,
    approves_contributions,
    contributes,
    submits_records,
)
from .schemas import MAX_PHOTO_BYTES

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
}


@route(READ_RECORDS)
def search(request: AuthedRequest) -> HttpResponse:
    """The global databases: at the hub all of them; on a node, this country's replica."""
    database = request.GET.get("database") or None
    q = request.GET.get("q", "").strip()
    held = holdings.here()
    found = list(held.search(request.user, database, q)[:200])
    return render(
        request,
        "records/search.html",
        {
            "records": found,
            "database": database,
            "q": q,
            "databases": Database.choices,
            "can_contribute": not held.keeps_originals and submits_records(request.user),
        },
    )


@route(READ_RECORDS)
def detail(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    record = holdings.here().read(request.user, record_id, client_ip(request))
    fields = [(FIELD_LABELS.get(k, k), k, v) for k, v in record.data.items()]
    return render(request, "records/detail.html", {"record": record, "fields": fields})


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
    fields = [(FIELD_LABELS.get(k, k), k, v) for k, v in found.data.items() if k != "photos"]
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
