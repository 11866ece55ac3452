from __future__ import annotations

import base64
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from ncbnet.base.actor import Actor
from ncbnet.security.middleware import client_ip
from ncbnet.security.policies import AuthedRequest, route
from ncbnet.web import uploads

from . import contribution, services
from .forms import FORMS
from .models import Contribution, Database, Record, ReplicaRecord
from .policies import CONTRIBUTE, READ_RECORDS, contributes
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
    if settings.NCBNET_ROLE == "hub":
        found = list(services.search(Actor.of(request.user), database, q)[:200])
    else:
        found = list(contribution.search_replica(request.user, database, q)[:200])
    return render(
        request,
        "records/search.html",
        {
            "records": found,
            "database": database,
            "q": q,
            "databases": Database.choices,
            "can_contribute": settings.NCBNET_ROLE != "hub" and contributes(request.user),
        },
    )


@route(READ_RECORDS)
def detail(request: AuthedRequest, record_id: uuid.UUID) -> HttpResponse:
    record: Record | ReplicaRecord | None
    if settings.NCBNET_ROLE == "hub":
        record = services.read(Actor.of(request.user), str(record_id))
    else:
        record = contribution.read_replica(request.user, record_id, client_ip(request))
    fields = [(FIELD_LABELS.get(k, k), k, v) for k, v in record.data.items()]
    return render(request, "records/detail.html", {"record": record, "fields": fields})


PHOTO = uploads.Limit(files=MAX_PHOTO_BYTES, message=_("A photo is at most 1 MB."))


@route(CONTRIBUTE)
@require_http_methods(["GET", "POST"])
@uploads.limit(PHOTO)
def contribute(request: AuthedRequest, database: str) -> HttpResponse:
    """A bureau's officer contributes a person or a travel document; the hub checks and answers."""
    form_class = FORMS.get(database)
    if form_class is None or settings.NCBNET_ROLE == "hub":
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
            contribution.submit(request.user, database, data, form.restriction())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
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
