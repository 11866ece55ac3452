from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.security import accounts
from ncbnet.security import services as security
from ncbnet.security.middleware import client_ip
from ncbnet.security.policies import AUTHENTICATED, HUMAN, MANAGE_USERS, NATIONAL, AuthedRequest, route

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
def users(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    found = services.search_users(request.user, query, client_ip(request))
    locked = security.locked_among([u.username for u in found])
    return render(request, "core/users.html", {"users": found, "q": query, "locked": locked})


@route(MANAGE_USERS)
def user_detail(request: AuthedRequest, username: str) -> HttpResponse:
    """One account as its administrator sees it: locked or not, second factor, and what to do."""
    state = accounts.account_state(request.user, username, client_ip(request))
    return render(request, "core/user_detail.html", {"state": state, "target": state.user})


@route(MANAGE_USERS)
@require_POST
def user_unlock(request: AuthedRequest, username: str) -> HttpResponse:
    try:
        accounts.unlock(request.user, username, client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Account %(name)s unlocked. Its owner is told at their next sign-in.") % {"name": username},
        )
    return redirect("core:user_detail", username=username)


def _temporary_password_page(request: AuthedRequest, username: str, second_factor: bool) -> HttpResponse:
    reset = accounts.reset_second_factor if second_factor else accounts.reset_password
    try:
        target, password = reset(request.user, username, client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("core:user_detail", username=username)
    # Rendered, never kept in a message or the session; never cached.
    return render(
        request,
        "core/user_temporary_password.html",
        {"target": target, "password": password, "second_factor": second_factor},
    )


@route(MANAGE_USERS)
@require_POST
@never_cache
def user_password_reset(request: AuthedRequest, username: str) -> HttpResponse:
    return _temporary_password_page(request, username, second_factor=False)


@route(MANAGE_USERS)
@require_POST
@never_cache
def user_second_factor_reset(request: AuthedRequest, username: str) -> HttpResponse:
    return _temporary_password_page(request, username, second_factor=True)


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
            return redirect("core:users")
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
    return redirect("core:users")


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
