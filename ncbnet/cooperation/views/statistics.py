"""The pages of cooperation: the bureau's Art. 18 statistics for a period."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from ncbnet.base.http import client_ip
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from ..policies import COOPERATE
from ..services import statistics


@route(COOPERATE)
def statistics_page(request: AuthedRequest) -> HttpResponse:
    raw_from, raw_to = request.GET.get("from", "").strip(), request.GET.get("to", "").strip()
    context: dict[str, object] = {"raw_from": raw_from, "raw_to": raw_to}
    try:
        p = statistics.period(raw_from, raw_to)
    except ValidationError as exc:
        context["errors"] = exc.message_dict
        return render(request, "cooperation/statistics/page.html", context, status=400)
    s = statistics.compute(request.user, p, client_ip(request))
    query = {"from": p.start.isoformat(), "to": p.end.isoformat()}
    context |= {
        "s": s,
        "raw_from": p.start.isoformat(),
        "raw_to": p.end.isoformat(),
        "csv_url": reverse("api:cooperation_statistics") + "?" + urlencode(query | {"format": "csv"}),
    }
    return render(request, "cooperation/statistics/page.html", context)


urlpatterns: list[URLPattern] = [
    path("cooperation/statistics/", statistics_page, name="statistics"),
]
