from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ncbnet.base import clock
from ncbnet.base.node import node_id
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest
from ncbnet.security.middleware import background

from . import services
from .forms import AnswerForm
from .policies import READ_HITS, answers_hits


@route(READ_HITS)
def hit_list(request: AuthedRequest) -> HttpResponse:
    """Hits on our records to answer first (most urgent first), then every hit this node keeps."""
    return render(
        request,
        "hits/list.html",
        {
            "to_answer": list(services.to_answer(request.user)[:100]),
            "escalated": list(services.escalated_to_gs(request.user)[:100]),
            "reports": list(services.visible(request.user)[:200]),
            "now": clock.now(),
        },
    )


@route(READ_HITS)
@require_http_methods(["GET", "POST"])
def hit_detail(request: AuthedRequest, report_id: uuid.UUID) -> HttpResponse:
    report = services.read(request.user, report_id)
    may_answer = report.awaiting and answers_hits(request.user) and report.owner == request.user.country_code
    form = (AnswerForm(request.POST if request.method == "POST" else None)) if may_answer else None
    if request.method == "POST" and form is not None and form.is_valid():
        d = form.cleaned_data
        try:
            services.answer(request.user, report.pk, d["outcome"], d["note"], d["minutes"])
        except ValidationError as exc:
            messages.error(request, " ".join(" ".join(v) for v in exc.message_dict.values()))
        else:
            messages.success(
                request, _("Your answer is on its way to the bureau that screened and to the GS.")
            )
        return redirect("hits:detail", report.pk)
    return render(
        request, "hits/detail.html", {"report": report, "form": form, "now": clock.now(), "here": node_id()}
    )


@route(READ_HITS)
@background
def alerts(request: AuthedRequest) -> HttpResponse:
    """The on-screen alert (polled by every page): on the owner's node, hits on our records still
    awaiting our answer; at the hub, hits escalated to the GS."""
    gs = request.user.kind == "gs"
    waiting = list((services.escalated_to_gs(request.user) if gs else services.to_answer(request.user))[:10])
    return render(request, "hits/alerts.html", {"waiting": waiting, "now": clock.now(), "gs": gs})
