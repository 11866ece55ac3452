from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base import clock, holdings
from ncbnet.base.actor import Actor
from ncbnet.base.http import client_ip
from ncbnet.base.policies import NCB_STAFF, route
from ncbnet.core.http import AuthedRequest

from . import checks, requests, services
from .forms import RedNoticeForm
from .models import Diffusion, Kind, NoticeRequest
from .policies import READ_NOTICES, REVIEW


def _refused(request: AuthedRequest, exc: ValidationError) -> None:
    """Say on the next page why the service refused, field by field."""
    messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))


@route(READ_NOTICES)
def notice_list(request: AuthedRequest) -> HttpResponse:
    kind = request.GET.get("kind") or None
    found = holdings.here().notices(request.user, kind, client_ip(request))
    return render(request, "notices/list.html", {"notices": found, "kind": kind, "kinds": Kind.choices})


@route(READ_NOTICES)
def notice_detail(request: AuthedRequest, notice_id: uuid.UUID) -> HttpResponse:
    notice = holdings.here().notice(request.user, notice_id, client_ip(request))
    return render(request, "notices/detail.html", {"notice": notice})


@route(REVIEW)
def queue(request: AuthedRequest) -> HttpResponse:
    waiting = list(services.review_queue())
    languages = dict(settings.LANGUAGES)
    for notice in waiting:
        for flag in notice.flags:
            if flag["check"] == "neutrality":
                flag["character_label"] = checks.CHARACTERS.get(flag["character"], flag["character"])
                flag["language_label"] = languages.get(flag["language"], flag["language"])
    return render(request, "notices/queue.html", {"waiting": waiting, "now": clock.now()})


@route(REVIEW)
@require_POST
def decide(request: AuthedRequest, notice_id: uuid.UUID) -> HttpResponse:
    actor = Actor.of(request.user)
    try:
        services.review(
            actor, str(notice_id), request.POST.get("decision", ""), request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("notices:queue")


@route(REVIEW)
def diffusions(request: AuthedRequest) -> HttpResponse:
    """Diffusions the GS has not checked yet, oldest first."""
    waiting = list(Diffusion.objects.filter(checked_at__isnull=True).order_by("created_at")[:200])
    return render(request, "notices/diffusions.html", {"waiting": waiting})


@route(REVIEW)
@require_POST
def check(request: AuthedRequest, diffusion_id: uuid.UUID) -> HttpResponse:
    actor = Actor.of(request.user)
    try:
        services.check_diffusion(
            actor, str(diffusion_id), request.POST.get("outcome", ""), request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Check recorded."))
    return redirect("notices:diffusions")


@route(NCB_STAFF)
@require_http_methods(["GET", "POST"])
def request_red(request: AuthedRequest) -> HttpResponse:
    """An NCB's officer asks the GS to publish a Red Notice about one of the bureau's persons records."""
    held = holdings.here()
    if held.keeps_originals:
        raise Http404("Notices are requested from an NCB's node.")
    own = held.owned("persons")
    form = RedNoticeForm(request.POST or None, subjects=[(str(r.pk), r.label) for r in own[:2000]])
    if request.method == "POST" and form.is_valid():
        data = form.notice_data()
        try:
            chosen = own.filter(pk=form.cleaned_data["subject"]).values_list("label", flat=True).first()
            requests.request(request.user, "red", data, title=chosen or "")
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(None, f"{field}: {' '.join(errors)}")
        else:
            messages.success(request, _("Sent to the General Secretariat for its checks and review."))
            return redirect("notices:requests")
    return render(request, "notices/request.html", {"form": form}, status=400 if form.errors else 200)


@route(NCB_STAFF)
def our_requests(request: AuthedRequest) -> HttpResponse:
    return render(
        request, "notices/requests.html", {"requests": NoticeRequest.objects.order_by("-requested_at")[:100]}
    )


@route(NCB_STAFF)
@require_POST
def cancel_request(request: AuthedRequest, request_id: uuid.UUID) -> HttpResponse:
    try:
        requests.cancel(request.user, str(request_id), request.POST.get("reason", ""))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Cancellation sent to the General Secretariat."))
    return redirect("notices:requests")
