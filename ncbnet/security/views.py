"""Sign-in in steps (password; the authenticator's code; a temporary password replaced; an
authenticator enrolled right after that), the person's own password change, and sign-out."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout, update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base.http import client_ip
from ncbnet.base.policies import AUTHENTICATED, HUMAN, MANAGE_USERS, PUBLIC, route
from ncbnet.core import services as core
from ncbnet.core.http import AuthedRequest

from . import accounts, services, throttle
from .forms import ChangePasswordForm, CodeForm, NewPasswordForm, PasswordForm

PENDING = "ncbnet_pending_user"
NEXT = "ncbnet_next"
FACTOR_PASSED = "ncbnet_factor_passed"  # the code was right; a temporary password is still to change
ENROL_TICKET = "ncbnet_enrol_ticket"  # this sign-in just replaced a temporary password


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


def _complete(request: HttpRequest, user: Any) -> HttpResponse:
    target = _next_url(request)
    for key in (PENDING, FACTOR_PASSED, ENROL_TICKET):
        request.session.pop(key, None)
    login(request, user)
    return redirect(target)


def _field_errors(form: Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@route(PUBLIC)
@require_http_methods(["GET", "POST"])
def login_password(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("web:home")
    form = PasswordForm(request.POST or None)
    error, status, retry_after = "", 200, 0
    if request.method == "POST" and form.is_valid():
        try:
            user = services.check_password(
                form.cleaned_data["username"], form.cleaned_data["password"], client_ip(request)
            )
            step = services.next_step(user, client_ip(request))
        except services.SignInError as exc:
            error, status = str(exc), 400
        except throttle.TooManyAttempts as exc:
            error, status, retry_after = str(exc), 429, exc.retry_after
        else:
            next_url = request.GET.get("next", "")
            request.session.cycle_key()
            request.session[PENDING] = user.pk
            request.session[NEXT] = next_url
            return redirect("security:verify" if step == "verify" else "security:first_password")
    response = render(request, "security/login.html", {"form": form, "error": error}, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


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
            if user.password_must_change:
                request.session[FACTOR_PASSED] = user.pk
                return redirect("security:first_password")
            return _complete(request, user)
    return render(
        request,
        "security/verify.html",
        {"form": form, "error": error, "pending": user},
        status=400 if error else 200,
    )


@route(PUBLIC)
@require_http_methods(["GET", "POST"])
def login_first_password(request: HttpRequest) -> HttpResponse:
    """A temporary password is replaced before anything else: after the code where an
    authenticator is set up, else right after the password (and enrolment follows)."""
    user = _pending_user(request)
    if user is None or not user.password_must_change:
        return redirect("security:login")
    enrolled = hasattr(user, "totp") and user.totp.confirmed
    if enrolled and request.session.get(FACTOR_PASSED) != user.pk:
        return redirect("security:verify")
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = accounts.replace_temporary_password(
                user, form.cleaned_data["new_password1"], client_ip(request)
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        else:
            if ticket is None:
                return _complete(request, user)
            request.session[ENROL_TICKET] = ticket
            return redirect("security:enrol")
    return render(
        request,
        "security/first_password.html",
        {"form": form, "pending": user, "enrolled": enrolled},
        status=400 if form.errors else 200,
    )


@route(PUBLIC)
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("security:login")
    ticket = request.session.get(ENROL_TICKET)
    try:
        device = services.start_enrolment(user, ticket)
    except services.SignInError as exc:
        messages.error(request, str(exc))
        return redirect("security:login")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_enrolment(user, form.cleaned_data["code"], ticket, client_ip(request))
        except services.SignInError as exc:
            error = str(exc)
        else:
            return _complete(request, user)
    uri = services.provisioning_uri(device)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return render(
        request,
        "security/enrol.html",
        {"form": form, "error": error, "secret": device.secret, "qr": qr, "pending": user},
        status=400 if error else 200,
    )


@route(HUMAN)
@require_http_methods(["GET", "POST"])
def change_password(request: AuthedRequest) -> HttpResponse:
    """The signed-in person's own password: this session goes on, their other sessions end."""
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.change_password(
                request.user,
                form.cleaned_data["old_password"],
                form.cleaned_data["new_password1"],
                client_ip(request),
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            update_session_auth_hash(request, request.user)
            messages.success(
                request, _("Your password is changed. Your sessions on other devices have ended.")
            )
            return redirect("core:account")
    return render(
        request, "security/change_password.html", {"form": form}, status=400 if form.errors else 200
    )


@route(HUMAN)
@require_POST
def notice_seen(request: AuthedRequest, notice_id: int) -> HttpResponse:
    accounts.acknowledge(request.user, notice_id, client_ip(request))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target or "/")


@route(AUTHENTICATED)
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.record_logout(request.user, client_ip(request))
    logout(request)
    return redirect("security:login")


# The people of this node as their administrator manages their sign-in: locked or not, and the
# temporary password or second factor they are given back. (Creating and disabling accounts is core's.)


@route(MANAGE_USERS)
def users(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    found = core.search_users(request.user, query, client_ip(request))
    locked = services.locked_among([u.username for u in found])
    return render(request, "security/users.html", {"users": found, "q": query, "locked": locked})


@route(MANAGE_USERS)
def user_detail(request: AuthedRequest, username: str) -> HttpResponse:
    """One account as its administrator sees it: locked or not, second factor, and what to do."""
    state = accounts.account_state(request.user, username, client_ip(request))
    return render(request, "security/user_detail.html", {"state": state, "target": state.user})


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
    return redirect("security:user_detail", username=username)


def _temporary_password_page(request: AuthedRequest, username: str, second_factor: bool) -> HttpResponse:
    reset = accounts.reset_second_factor if second_factor else accounts.reset_password
    try:
        target, password = reset(request.user, username, client_ip(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("security:user_detail", username=username)
    # Rendered, never kept in a message or the session; never cached.
    return render(
        request,
        "security/user_temporary_password.html",
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
