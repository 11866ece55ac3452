from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base.http import client_ip
from ncbnet.base.policies import (
    AUTHENTICATED,
    HUMAN,
    MANAGE_AGENCIES,
    MANAGE_USERS,
    NATIONAL,
    NCB_STAFF,
    is_ncb_admin,
    route,
)
from ncbnet.core.http import AuthedRequest

from . import services
from .forms import AgencyForm, AgencyUserForm, PreferencesForm, SubBureauForm, UserForm
from .models import Region, User


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


def _field_errors(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@route(NATIONAL)
def agencies(request: AuthedRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    closed = {"open": False, "closed": True}.get(show)
    return render(
        request,
        "core/agencies.html",
        {
            "agencies": services.list_agencies(request.user, closed),
            "show": show,
            "can_manage": is_ncb_admin(request.user),
        },
    )


@route(MANAGE_AGENCIES)
@require_http_methods(["GET", "POST"])
def agency_new(request: AuthedRequest) -> HttpResponse:
    form = AgencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_agency(
                request.user, form.cleaned_data["name"], form.cleaned_data["kind"], client_ip(request)
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("Agency %(name)s added.") % {"name": created.name})
            return redirect("core:agency", created.pk)
    return render(
        request,
        "core/agency_form.html",
        {"form": form, "title": _("Add a national agency")},
        status=400 if form.errors else 200,
    )


@route(NATIONAL)
def agency(request: AuthedRequest, agency_id: int) -> HttpResponse:
    found, users = services.read_agency(request.user, agency_id, client_ip(request))
    manage = is_ncb_admin(request.user) and not found.closed
    return render(
        request,
        "core/agency.html",
        {
            "agency": found,
            "users": users,
            "can_manage": manage,
            "edit_form": AgencyForm(initial={"name": found.name, "kind": found.kind}) if manage else None,
            "user_form": AgencyUserForm() if manage else None,
        },
    )


@route(MANAGE_AGENCIES)
@require_POST
def agency_edit(request: AuthedRequest, agency_id: int) -> HttpResponse:
    form = AgencyForm(request.POST)
    if form.is_valid():
        try:
            services.update_agency(
                request.user,
                agency_id,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("The agency is saved."))
            return redirect("core:agency", agency_id)
    return render(
        request,
        "core/agency_form.html",
        {"form": form, "title": _("Edit the agency")},
        status=400,
    )


@route(MANAGE_AGENCIES)
@require_POST
def agency_close(request: AuthedRequest, agency_id: int) -> HttpResponse:
    closed = services.close_agency(request.user, agency_id, client_ip(request))
    messages.success(request, _("Agency %(name)s closed; its users are disabled.") % {"name": closed.name})
    return redirect("core:agency", agency_id)


@route(MANAGE_AGENCIES)
@require_POST
def agency_user_new(request: AuthedRequest, agency_id: int) -> HttpResponse:
    """The administrator grants a user of the agency access (query, or query and contribute)."""
    found, users = services.read_agency(request.user, agency_id, client_ip(request))
    form = AgencyUserForm(request.POST)
    if form.is_valid():
        try:
            created = services.create_user(
                request.user,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                kind=User.Kind.AGENCY,
                role=form.cleaned_data["role"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                agency_id=found.pk,
                ip=client_ip(request),
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": created.username})
            return redirect("core:agency", found.pk)
    return render(
        request,
        "core/agency.html",
        {
            "agency": found,
            "users": users,
            "can_manage": not found.closed,
            "edit_form": AgencyForm(initial={"name": found.name, "kind": found.kind}),
            "user_form": form,
        },
        status=400,
    )


@route(NCB_STAFF)
def sub_bureaus(request: AuthedRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    closed = {"open": False, "closed": True}.get(show)
    return render(
        request,
        "core/sub_bureaus.html",
        {
            "sub_bureaus": services.list_sub_bureaus(request.user, closed),
            "show": show,
            "can_manage": is_ncb_admin(request.user),
        },
    )


@route(MANAGE_AGENCIES)
@require_http_methods(["GET", "POST"])
def sub_bureau_new(request: AuthedRequest) -> HttpResponse:
    form = SubBureauForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_sub_bureau(
                request.user, form.cleaned_data["name"], form.cleaned_data["city"], client_ip(request)
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("Sub-Bureau %(name)s added.") % {"name": created.name})
            return redirect("core:sub_bureau", created.pk)
    return render(
        request,
        "core/agency_form.html",
        {"form": form, "title": _("Add a Sub-Bureau")},
        status=400 if form.errors else 200,
    )


@route(NCB_STAFF)
def sub_bureau(request: AuthedRequest, pk: int) -> HttpResponse:
    found, staff = services.read_sub_bureau(request.user, pk, client_ip(request))
    manage = is_ncb_admin(request.user) and not found.closed
    return render(
        request,
        "core/sub_bureau.html",
        {
            "sub": found,
            "staff": staff,
            "can_manage": manage,
            "edit_form": SubBureauForm(initial={"name": found.name, "city": found.city}) if manage else None,
        },
    )


@route(MANAGE_AGENCIES)
@require_POST
def sub_bureau_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    form = SubBureauForm(request.POST)
    if form.is_valid():
        try:
            services.update_sub_bureau(
                request.user,
                pk,
                name=form.cleaned_data["name"],
                city=form.cleaned_data["city"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, _("The Sub-Bureau is saved."))
            return redirect("core:sub_bureau", pk)
    return render(
        request,
        "core/agency_form.html",
        {"form": form, "title": _("Edit the Sub-Bureau")},
        status=400,
    )


@route(MANAGE_AGENCIES)
@require_POST
def sub_bureau_close(request: AuthedRequest, pk: int) -> HttpResponse:
    closed = services.close_sub_bureau(request.user, pk, client_ip(request))
    messages.success(
        request, _("Sub-Bureau %(name)s closed; its staff are disabled.") % {"name": closed.name}
    )
    return redirect("core:sub_bureau", pk)


@route(MANAGE_USERS)
@require_http_methods(["GET", "POST"])
def user_new(request: AuthedRequest) -> HttpResponse:
    form = UserForm(
        request.POST or None,
        actor=request.user,
        agencies=services.list_agencies(request.user, closed=False),
        sub_bureaus=services.list_sub_bureaus(request.user, closed=False),
    )
    if request.method == "POST" and form.is_valid():
        kind, role = form.kind_and_role()
        agency = form.cleaned_data["agency"]
        sub_bureau = form.cleaned_data["sub_bureau"]
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
                sub_bureau_id=sub_bureau.pk if sub_bureau else None,
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
