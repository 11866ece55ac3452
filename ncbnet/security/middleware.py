"""Deny by default: a view runs only if it declared a policy and the request satisfies it."""

from __future__ import annotations

import ipaddress
import logging
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone, translation

from ncbnet.core import clock

from .policies import API_OPERATION, hub_only, policy_of

log = logging.getLogger("ncbnet.security")


class PolicyMiddleware:
    DURING_PASSWORD_CHANGE = frozenset({"security:change_password", "security:logout"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        policy = policy_of(view)
        if policy is None:
            log.error("refused %s: view %r declares no policy", request.path, view)
            return render(request, "403.html", status=403)
        if policy is API_OPERATION:
            return None  # each API operation checks its own policy (see ncbnet.api)
        if (
            getattr(request.user, "password_must_change", False)
            and not policy.public
            and getattr(request.resolver_match, "view_name", "") not in self.DURING_PASSWORD_CHANGE
        ):
            # A temporary password (an administrator set it while this session lived): nothing
            # else is reachable until it is changed.
            return redirect("security:change_password")
        if policy.allows(request.user):
            return None
        if not request.user.is_authenticated:
            if request.headers.get("HX-Request") == "true":
                # A poll or a fragment from a page whose session has ended: send the whole tab
                # to the sign-in page rather than the sign-in page into a corner of the old one.
                response = HttpResponse(status=401)
                response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                return response
            if hub_only(request.user) and request.path == "/":  # the public portal's home
                return redirect("public:home")
            return redirect_to_login(request.get_full_path())
        return render(request, "403.html", status=403)


class UserPreferencesMiddleware:
    """Show each officer the site in their language and their time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


def background(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that pages call by themselves (the 10-second alert polls): its requests do not
    count as use, so a tab left open still reaches the idle expiry."""
    view.ncbnet_background = True  # type: ignore[attr-defined]
    return view


def is_background(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match is not None and getattr(match.func, "ncbnet_background", False))


class IdleSessionMiddleware:
    """A signed-in session ends after `NCBNET_SESSION_IDLE_MINUTES` without a request. Its expiry
    moves with use, written at most once a minute (`REFRESH`) rather than on every request: a
    border system's lookups and an officer's pages would otherwise each end in a second write
    transaction. The limit is kept to within a minute. Background polls (`background`) are not
    use: they leave the session unmodified, so it is not saved and its expiry does not move."""

    REFRESH = 60
    SEEN = "ncbnet_seen"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not is_background(request):
            # signed in (or signing in), not signed out
            now = int(clock.now().timestamp())
            if now - int(session.get(self.SEEN, 0)) >= self.REFRESH:
                session[self.SEEN] = now  # saved by SessionMiddleware, with a new expiry
        return response


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """One hop of X-Forwarded-For: an address, perhaps with a port (1.2.3.4:5678, [2001:db8::1]:443)."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address in network for network in settings.NCBNET_TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """The client's address. REMOTE_ADDR, unless it is one of NCBNET_TRUSTED_PROXIES: then
    X-Forwarded-For is read from the right (each proxy appends the address it saw), skipping
    trusted proxies, and the first address that is not one is the client. What lies left of it
    was written by the client and is not believed. A missing or malformed hop leaves the nearest
    proxy's address, the last one known for certain."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    nearest = _address(remote)
    if nearest is None or not settings.NCBNET_TRUSTED_PROXIES or not _trusted(nearest):
        return remote
    hops = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        nearest = address
        if not _trusted(address):
            break
    return str(nearest)
