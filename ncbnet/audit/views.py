from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from ncbnet.base.http import client_ip
from ncbnet.base.policies import READ_AUDIT, route
from ncbnet.core.http import AuthedRequest

from . import services


@route(READ_AUDIT)
def log(request: AuthedRequest) -> HttpResponse:
    filters = {k: request.GET.get(k, "").strip() for k in ("actor", "action", "subject")}
    before = request.GET.get("before", "")
    entries = services.search(
        request.user,
        who=filters["actor"],
        action=filters["action"],
        subject=filters["subject"],
        before=int(before) if before.isdigit() else None,
        ip=client_ip(request),
    )
    context = {
        "entries": entries,
        "filters": filters,
        "next_before": entries[-1].seq if len(entries) == services.PAGE else None,
    }
    template = "audit/rows.html" if request.headers.get("HX-Request") else "audit/log.html"
    return render(request, template, context)
