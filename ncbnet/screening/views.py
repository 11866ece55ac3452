from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ncbnet.base import downloads, uploads
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from . import manifests, mrz, services
from .forms import MANIFEST_UPLOAD, ManifestForm, ScreenForm
from .policies import SCREEN
from .schemas import Result


@route(SCREEN)
@require_http_methods(["GET", "POST"])
def screen(request: AuthedRequest) -> HttpResponse:
    """One person or document, now: possible matches with their score and why, each reported to
    its owner for confirmation."""
    form = ScreenForm(request.POST if request.method == "POST" else None)
    results: list[tuple[str, Result]] = []
    if request.method == "POST" and form.is_valid():
        d, context = form.cleaned_data, form.context()
        user = request.user
        if d["name"]:
            try:
                results.append(
                    (
                        _("Person"),
                        services.person(
                            user, d["name"], d["date_of_birth"], d["sex"], d["nationality"], context=context
                        ),
                    )
                )
            except ValueError:
                form.add_error("date_of_birth", _("Write the date as 1980, 1980-05 or 1980-05-12."))
        if d["document_number"]:
            results.append(
                (
                    _("Travel document"),
                    services.document(user, d["document_number"], d["issuing_country"], context),
                )
            )
        if d["mrz"]:
            try:
                results.append(
                    (_("Machine-readable zone"), services.machine_readable_zone(user, d["mrz"], context))
                )
            except mrz.MRZInvalid as exc:
                form.add_error("mrz", str(exc))
        if d["vin"] or d["plate"]:
            results.append((_("Vehicle"), services.vehicle(user, d["vin"], d["plate"], context)))
        if d["serial_number"]:
            results.append((_("Firearm"), services.firearm(user, d["serial_number"], d["make"], context)))
        if d["artwork"]:
            results.append((_("Work of art"), services.artwork(user, d["artwork"], context)))
    return render(request, "screening/screen.html", {"form": form, "results": results})


@route(SCREEN)
@require_http_methods(["GET", "POST"])
@uploads.limit(MANIFEST_UPLOAD)
def manifest_list(request: AuthedRequest) -> HttpResponse:
    form = ManifestForm(request.POST, request.FILES) if request.method == "POST" else ManifestForm()
    refused = uploads.refused(request, form)
    if not refused and request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = manifests.submit(request.user, upload.name, upload.read(), form.context())
        except ValidationError as exc:
            for message in exc.message_dict.get("file", []):
                form.add_error("file", message)
        else:
            return redirect("screening:manifest", job.pk)
    jobs = manifests.visible(request.user)[:50]
    return render(
        request,
        "screening/manifests.html",
        {"form": form, "jobs": jobs},
        status=refused.status if refused else 200,
    )


@route(SCREEN)
def manifest(request: AuthedRequest, manifest_id: uuid.UUID) -> HttpResponse:
    """The job's progress (the page asks again every two seconds until it is done)."""
    job = manifests.get(request.user, manifest_id)
    hits = job.results.filter(outcome="hit")[:200]
    template = "screening/_progress.html" if request.headers.get("HX-Request") else "screening/manifest.html"
    return render(request, template, {"job": job, "hit_rows": hits})


@route(SCREEN)
def manifest_result(request: AuthedRequest, manifest_id: uuid.UUID) -> StreamingHttpResponse:
    job = manifests.get(request.user, manifest_id)
    try:
        manifests.download(request.user, job)
    except ValidationError as exc:
        raise Http404(_("The result is ready when the job is done.")) from exc
    return downloads.download(
        manifests.result_lines(job), f"screening-{job.pk}.csv", content_type="text/csv; charset=utf-8"
    )
