"""Sign-in in two steps (password, then the authenticator code), enrolment and sign-out."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib.auth import get_user_model, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import CodeForm, PasswordForm
from .middleware import client_ip
from .policies import AUTHENTICATED, PUBLIC, route

PENDING = "ncbnet_pending_user"
NEXT = "ncbnet_next"


def _pending_user(request: HttpRequest) -> Any:
    pk = request.session.get(PENDING)
    if pk is None:
        return None
    return get_user_model().objects.filter(pk=pk, is_active=True).first()


def _next_url(request: HttpRequest) -> str:
    target = request.session.pop(NEXT, "") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return str(target)
    return "/"


@route(PUBLIC)
@require_http_methods(["GET", "POST"])
def login_password(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    form = PasswordForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = services.check_password(
                form.cleaned_data["username"], form.cleaned_data["password"], client_ip(request)
            )
        except services.SignInError as exc:
            error = str(exc)
        else:
            next_url = request.GET.get("next", "")
            request.session.cycle_key()
            request.session[PENDING] = user.pk
            request.session[NEXT] = next_url
            has_device = hasattr(user, "totp") and user.totp.confirmed
            return redirect("security:verify" if has_device else "security:enrol")
    return render(
        request, "security/login.html", {"form": form, "error": error}, status=400 if error else 200
    )


@route(PUBLIC)
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("security:login")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.check_second_factor(user, form.cleaned_data["code"], client_ip(request))
        except services.SignInError as exc:
            error = str(exc)
        else:
            target = _next_url(request)
            request.session.pop(PENDING, None)
            login(request, user)
            return redirect(target)
    return render(
        request,
        "security/verify.html",
        {"form": form, "error": error, "pending": user},
        status=400 if error else 200,
    )


@route(PUBLIC)
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("security:login")
    try:
        device = services.start_enrolment(user)
    except services.SignInError:
        return redirect("security:verify")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_enrolment(user, form.cleaned_data["code"], client_ip(request))
        except services.SignInError as exc:
            error = str(exc)
        else:
            target = _next_url(request)
            request.session.pop(PENDING, None)
            login(request, user)
            return redirect(target)
    uri = services.provisioning_uri(device)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return render(
        request,
        "security/enrol.html",
        {"form": form, "error": error, "secret": device.secret, "qr": qr, "pending": user},
        status=400 if error else 200,
    )


@route(AUTHENTICATED)
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.record_logout(request.user, client_ip(request))
    logout(request)
    return redirect("security:login")
