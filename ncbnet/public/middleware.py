"""The public notices API (/notices/v1/) is read without a session: no cookie is read from the
request, none is set on the answer, and the answer does not vary by cookie or language, so shared
caches may keep it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

PREFIX = "/notices/v1/"
_NOT_VARYING = {"cookie", "accept-language"}


class PublicApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        request.META.pop("HTTP_COOKIE", None)  # before anything reads request.COOKIES
        response = self.get_response(request)
        response.cookies.clear()
        if response.has_header("Vary"):
            kept = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() not in _NOT_VARYING]
            if kept:
                response["Vary"] = ", ".join(kept)
            else:
                del response["Vary"]
        return response
