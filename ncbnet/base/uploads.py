"""Request bodies bounded while they stream, before anything parses them.

Each page or API operation that takes files declares a `Limit` (`@uploads.limit(...)` on a view,
`allow(POLICY, upload=...)` on an API operation); everything else takes no file and at most
`DEFAULT.fields` bytes of form or JSON. Two checks hold it:

- before a byte is read: a `Content-Length` beyond the limit's `ceiling` is refused outright
  (Django reads no more than `Content-Length`, so this bounds every body);
- while a multipart body streams: `BoundedUploadHandler`, the first upload handler, counts each
  file's bytes and drops the rest of a file (`SkipFile`, nothing of it kept) once the request's
  files pass `files` in all or `per_file` alone. The ceiling leaves room for a file up to twice
  the limit to be read and dropped, so that an officer whose file is a little too large gets the
  form back with the reason beside the field rather than a bare error.

A refusal is a 413: problem details on the API (`UploadRefused`), the form with its error on a
page (`refused`), or this app's 413 page past the ceiling; each is audited (`upload.refused`)
when the request comes from an account.

For the API, `guard` also reads a JSON body within bounds (`JSON_DEPTH`, `JSON_ITEMS`; the API's
parser takes it from there) and refuses, naming the field, a NUL character in any text, which
PostgreSQL cannot store (pages refuse it in their query; their forms refuse it themselves).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ncbnet.base import bounded
from ncbnet.base.actor import Person
from ncbnet.base.policies import API_OPERATION, PUBLIC_NOTICES_API, policy_of

log = logging.getLogger("ncbnet.web")
MB = 1024 * 1024
ATTRIBUTE = "ncbnet_upload"
REFUSED = "ncbnet_upload_refused"
ACTOR = "ncbnet_upload_actor"
PARSED = "ncbnet_json"
# A JSON body (of any API operation): how deep and how many values, keys and containers. The
# largest legitimate one, a batch of 1,000 documents, holds about 5,000.
JSON_DEPTH = 32
JSON_ITEMS = 100_000
NUL = gettext_lazy("A NUL character (U+0000) is not allowed in any field.")


@dataclass(frozen=True)
class Limit:
    """What one page or API operation reads: `files` bytes of files in all (`per_file` each),
    `fields` bytes of everything else (form fields, or a JSON body); `message` says it to the
    person refused."""

    files: int = 0
    fields: int = MB
    per_file: int | None = None
    message: str | Promise = ""
    # A page anyone may send to (the Commission's filing form): its limit holds for anonymous
    # callers too, who otherwise get `DEFAULT` whatever the page declares.
    anonymous: bool = False

    @property
    def ceiling(self) -> int:
        """The largest body read at all (files past their limit are read and dropped, up to the
        limit again, so that the form can say why)."""
        return 2 * self.files + self.fields

    def says(self) -> str:
        if self.message:
            return str(self.message)
        if not self.files:
            return _("This request takes no files, and at most %(size)s.") % {
                "size": filesizeformat(self.fields)
            }
        return _("The files are limited to %(size)s in all.") % {"size": filesizeformat(self.files)}


DEFAULT = Limit()


@dataclass(frozen=True)
class Refusal:
    field: str | None
    message: str
    status: int = 413


class UploadRefused(Exception):
    """An API request beyond its operation's limit, or with input no field may hold (answered as
    problem details)."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message)
        self.refusal = refusal


def limit(value: Limit) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare what a page view reads (`UploadLimitMiddleware` holds it)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, ATTRIBUTE, value)
        return view

    return decorate


def limit_of(request: HttpRequest) -> Limit:
    found = getattr(request, ATTRIBUTE, None)
    return found if isinstance(found, Limit) else DEFAULT


def content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _actor(request: HttpRequest) -> Any:
    actor = getattr(request, ACTOR, None)
    if actor is None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    return actor


def refuse(request: HttpRequest, refusal: Refusal, **detail: Any) -> Refusal:
    """Keep the refusal on the request and audit it (once), when an account sent it."""
    if getattr(request, REFUSED, None) is not None:
        return refusal
    setattr(request, REFUSED, refusal)
    actor = _actor(request)
    if actor is None:  # anonymous: no audit entry for anyone who can send a header
        log.warning("refused an upload to %s: %s %s", request.path, refusal.message, detail)
        return refusal
    from ncbnet.base import audit
    from ncbnet.base.http import client_ip

    with transaction.atomic():
        audit.record(
            "upload.refused",
            actor=actor,
            ip=client_ip(request),
            detail={
                "path": request.path,
                "field": refusal.field,
                "content_length": content_length(request),
                "limit": limit_of(request).files or limit_of(request).fields,
                **detail,
            },
        )
    return refusal


class BoundedUploadHandler(FileUploadHandler):
    """Counts the files' bytes as they arrive; past the request's limit, the file is dropped."""

    def __init__(self, request: HttpRequest | None = None):
        super().__init__(request)
        self.total = 0
        self.this_file = 0

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.this_file = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        bound = limit_of(self.request) if self.request is not None else DEFAULT
        self.total += len(raw_data)
        self.this_file += len(raw_data)
        if self.total > bound.files or (bound.per_file is not None and self.this_file > bound.per_file):
            if self.request is not None:
                refuse(
                    self.request,
                    Refusal(self.field_name, bound.says()),
                    file=self.file_name,
                    read=self.total,
                )
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) keeps the file


def refused(request: HttpRequest, form: Form | None = None) -> Refusal | None:
    """The request's refusal, if its body was beyond the limit; with a form, the form is checked
    (so its other errors show) and the refusal replaces the errors of the field it names."""
    refusal = getattr(request, REFUSED, None)
    if refusal is None or form is None:
        return refusal
    form.is_valid()
    field = refusal.field if refusal.field in form.fields else NON_FIELD_ERRORS
    form.errors[field] = form.error_class([refusal.message])
    return refusal


def guard(request: HttpRequest, actor: Person, bound: Limit) -> None:
    """For an API operation, once its caller is known: refuse a body beyond `bound` before it is
    read; read a multipart body through the handlers, a JSON body within `JSON_DEPTH` and
    `JSON_ITEMS` (kept for the API's parser, `parsed`); refuse a NUL character anywhere (a
    database cannot keep it). `UploadRefused` says why, naming the field where there is one."""
    setattr(request, ATTRIBUTE, bound)
    setattr(request, ACTOR, actor)
    if content_length(request) > bound.ceiling:
        raise UploadRefused(refuse(request, Refusal(None, bound.says())))
    if "\x00" in request.path_info:
        raise UploadRefused(Refusal(None, str(NUL), 422))
    _no_nul(request.GET.lists())
    if request.method in ("POST", "PUT", "PATCH") and request.content_type == "multipart/form-data":
        try:
            request.FILES  # noqa: B018 - parsed here, through BoundedUploadHandler
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
            raise UploadRefused(refuse(request, _too_many(exc, bound))) from exc
        refusal = refused(request)
        if refusal is not None:
            raise UploadRefused(refusal)
        _no_nul(request.POST.lists())
    elif request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        _no_nul(request.POST.lists())
    elif content_length(request) and (request.content_type or "").split("+")[-1] in (
        "application/json",
        "json",
    ):
        parsed(request)


def parsed(request: HttpRequest) -> Any:
    """The request's body read as JSON within `JSON_DEPTH` and `JSON_ITEMS`, once (the API's
    parser asks for it too, whatever the content type), with no NUL character in any key or text."""
    if not hasattr(request, PARSED):
        ceiling = limit_of(request).ceiling
        try:
            data = bounded.loads(
                request.body,
                bounded.Limits(
                    max_bytes=ceiling, max_depth=JSON_DEPTH, max_items=JSON_ITEMS, max_string=ceiling
                ),
            )
        except bounded.Unbounded as exc:
            if exc.nul:
                raise UploadRefused(Refusal(exc.where or None, str(NUL), 422)) from exc
            raise UploadRefused(Refusal(None, _("The JSON body: %(why)s.") % {"why": exc}, 400)) from exc
        setattr(request, PARSED, data)
    return getattr(request, PARSED)


def _no_nul(items: Iterable[tuple[str, list[Any]]]) -> None:
    for key, values in items:
        if "\x00" in key or any(isinstance(v, str) and "\x00" in v for v in values):
            raise UploadRefused(Refusal(key.replace("\x00", "") or None, str(NUL), 422))


def _too_many(exc: Exception, bound: Limit) -> Refusal:
    if isinstance(exc, TooManyFilesSent):
        return Refusal(None, _("Too many files in one request."), 400)
    if isinstance(exc, TooManyFieldsSent):
        return Refusal(None, _("Too many fields in one request."), 400)
    return Refusal(None, bound.says())


class UploadLimitMiddleware:
    """For pages (before CsrfViewMiddleware, which reads a form's body): the view's `Limit`, or
    `DEFAULT` for a view that declares none and for anyone not signed in; a body beyond its
    ceiling is refused before it is read. The API's operations guard their own (`guard`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if policy_of(view) is API_OPERATION:
            return None
        declared = getattr(view, ATTRIBUTE, DEFAULT)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        bound = declared if signed_in or (isinstance(declared, Limit) and declared.anonymous) else DEFAULT
        setattr(request, ATTRIBUTE, bound)
        if content_length(request) > bound.ceiling:
            refusal = refuse(request, Refusal(None, bound.says()))
            return render(request, "413.html", {"refusal": refusal, "back": request.path}, status=413)
        try:
            _no_nul(request.GET.lists())
        except UploadRefused as exc:  # forms refuse it themselves; a search box read raw does not
            if policy_of(view) is PUBLIC_NOTICES_API:
                return None  # it answers problem details naming the parameter itself
            return render(request, "400.html", {"message": exc.refusal.message}, status=400)
        return None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one form field (each checked as a file); the request's `Limit` bounds them."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []
