from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.views.i18n import set_language

from ncbnet.analytics.policies import is_gs_analyst
from ncbnet.base import policies
from ncbnet.base.http import client_ip
from ncbnet.base.policies import AUTHENTICATED, PUBLIC, route
from ncbnet.core import services as core
from ncbnet.core.http import AuthedRequest

from . import services


@route(AUTHENTICATED)
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "ncb": core.local_ncb(),
        "sign_ins": services.recent_sign_ins(user),
        "is_manager": policies.can_manage_users(user),
        "is_ncb": policies.is_ncb_staff(user),
        "is_agency": user.kind == "agency",
        "is_gs": policies.is_gs_staff(user),
        "is_analyst": is_gs_analyst(user),
    }
    if context["is_ncb"]:
        context["owner_alerts"] = services.owner_alerts()
    if context["is_manager"]:
        context["overview"] = services.manager_overview(user)
    context["work"] = services.work_queue(user, client_ip(request))
    return render(request, "web/home.html", context)


# The language switch must work on the login page, so it is public like the login itself.
language = route(PUBLIC)(set_language)
