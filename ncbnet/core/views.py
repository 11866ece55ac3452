from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base.http import client_ip
from ncbnet.base.policies import AUTHENTICATED, HUMAN, MANAGE_USERS, NATIONAL, route
from ncbnet.core.http import AuthedRequest

from . import services
from .forms import PreferencesForm, UserForm
from .models import Region


@route(AUTHENTICATED)
def countries(request: AuthedRequest) -> HttpResponse:
    region = request.GET.get("region") or None
    return render(
        request,
        "core/countries.html",
        {
            "countries": services.list_countries(region),
            "regions": Region.objects.order_by("name"),
            "region": region,
        },
    )


@route(NATIONAL)
def agencies(request: AuthedRequest) -> HttpResponse:
    return render(request, "core/agencies.html", {"agencies": services.visible_agencies(request.user)})


@route(NATIONAL)
def agency(request: AuthedRequest, agency_id: int) -> HttpResponse:
    found, users = services.read_agency(request.user, agency_id, client_ip(request))
    return render(request, "core/agency.html", {"agency": found, "users": users})


@route(MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_new(request: AuthedRequest) -> HttpResponse:
    form = UserForm(
        request.POST or None, actor=request.user, agencies=services.visible_agencies(request.user)
    )
    if request.method == "POST" and form.is_valid():
        kind, role = form.kind_and_role()
        agency = form.cleaned_data["agency"]
        try:
            created = services.create_user(
                request.user,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                kind=kind,
                role=role,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                agency_id=agency.pk if agency else None,
                ip=client_ip(request),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = field if field in form.fields else ("role" if field == "kind" else None)
                form.add_error(target, errors)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": created.username})
            return redirect("security:users")
    return render(request, "core/user_new.html", {"form": form}, status=400 if form.errors else 200)


@route(MANAGE_USERS)
@require_POST
def user_active(request: AuthedRequest, username: str) -> HttpResponse:
    active = request.POST.get("active") == "1"
    services.set_active(request.user, username, active, client_ip(request))
    messages.success(
        request,
        (_("Account %(name)s enabled.") if active else _("Account %(name)s disabled.")) % {"name": username},
    )
    return redirect("security:users")


@route(HUMAN)
@require_http_methods(["GET", "POST"])
def account(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"language": user.language or "en", "time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        services.set_preferences(user, **form.cleaned_data)
        response = redirect("core:account")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax")
        messages.success(request, _("Your preferences are saved."))
        return response
    return render(request, "core/account.html", {"form": form})
