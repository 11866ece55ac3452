"""The Commission's pages: on the hub's public portal, filing and following a request without an
account; for its members and secretariat, the requests, their files and their deadlines."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from ncbnet.base import clock, uploads
from ncbnet.base.downloads import download
from ncbnet.base.http import client_ip
from ncbnet.base.policies import (
    COMMISSION,
    COMMISSION_MEMBER,
    COMMISSION_SECRETARIAT,
    NCB_STAFF,
    PUBLIC_PORTAL,
    is_commission_member,
    is_commission_secretariat,
    route,
)
from ncbnet.base.uploads import Limit
from ncbnet.core.http import AuthedRequest

from . import consultations, files, services
from .deadlines import clock_of
from .forms import AdmissibilityForm, ConsultForm, DecisionForm, FilingForm, FollowForm, PositionForm
from .models import IllegalStep, Request

FILING_LIMIT = Limit(files=files.FILES, per_file=files.PER_FILE, fields=64 * 1024, anonymous=True)


def _private(response: HttpResponse) -> HttpResponse:
    """Pages with an applicant's data or secret: never kept by a cache or the browser's history."""
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


def _too_many(
    request: HttpRequest, template: str, form: object, exc: services.TooManyAttempts
) -> HttpResponse:
    response = render(request, template, {"form": form, "refused": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return _private(response)


@route(PUBLIC_PORTAL)
def portal(request: HttpRequest) -> HttpResponse:
    return render(request, "commission/portal.html")


@route(PUBLIC_PORTAL)
@uploads.limit(FILING_LIMIT)
@require_http_methods(["GET", "POST"])
def file(request: HttpRequest) -> HttpResponse:
    template = "commission/file.html"
    if request.method != "POST":
        return render(request, template, {"form": FilingForm()})
    ip = client_ip(request)
    form = FilingForm(request.POST, request.FILES)
    try:
        services.check_rate("file", ip, services.FILING)
    except services.TooManyAttempts as exc:
        return _too_many(request, template, form, exc)
    refusal = uploads.refused(request, form)
    if refusal is not None or not form.is_valid():
        return _private(render(request, template, {"form": form}, status=413 if refusal else 400))
    services.count_attempt("file", ip, services.FILING)
    filed, secret = services.file_request(form.filing(), form.uploads(), ip)
    return _private(render(request, "commission/filed.html", {"filed": filed, "secret": secret}, status=201))


@route(PUBLIC_PORTAL)
@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    template = "commission/follow.html"
    if request.method != "POST":
        return render(request, template, {"form": FollowForm()})
    form = FollowForm(request.POST)
    if not form.is_valid():
        return _private(render(request, template, {"form": form}, status=400))
    try:
        found = services.follow(
            form.cleaned_data["reference"], form.cleaned_data["secret"], client_ip(request)
        )
    except services.TooManyAttempts as exc:
        return _too_many(request, template, FollowForm(), exc)
    if found is None:
        return _private(render(request, template, {"form": FollowForm(), "unknown": True}, status=404))
    return _private(
        render(
            request,
            "commission/status.html",
            {"filed": found, "steps": found.steps.all(), "clock": clock_of(found, clock.now())},
        )
    )


@route(COMMISSION)
def requests(request: AuthedRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in Request.State.values:
        state = ""
    now = clock.now()
    found = services.requests(request.user, state, client_ip(request))
    return _private(
        render(
            request,
            "commission/requests.html",
            {
                "found": [(r, clock_of(r, now)) for r in found],
                "state": state,
                "states": Request.State.choices,
                "due": services.due(now),
            },
        )
    )


def _detail(request: AuthedRequest, request_id: UUID, status: int = 200, **context: object) -> HttpResponse:
    found = services.read(request.user, request_id, client_ip(request))
    if found is None:
        raise Http404
    return _private(
        render(
            request,
            "commission/detail.html",
            {
                "filed": found,
                "steps": found.steps.all(),
                "documents": found.documents.defer("content"),
                "consultations": found.consultations.all(),
                "clock": clock_of(found, clock.now()),
                "now": clock.now(),
                "form": AdmissibilityForm(),
                "consult_form": ConsultForm(),
                "decision_form": DecisionForm(records=consultations.consulted_records(found)),
                "secretariat": is_commission_secretariat(request.user),
                "member": is_commission_member(request.user),
                **context,
            },
            status=status,
        )
    )


@route(COMMISSION)
def detail(request: AuthedRequest, request_id: UUID) -> HttpResponse:
    return _detail(request, request_id)


@route(COMMISSION)
@require_http_methods(["POST"])
def consult(request: AuthedRequest, request_id: UUID) -> HttpResponse:
    form = ConsultForm(request.POST)
    error = None
    if form.is_valid():
        try:
            consultations.consult(
                request.user,
                request_id,
                database=form.cleaned_data["database"],
                subject=form.cleaned_data["subject"],
                question=form.cleaned_data["question"],
                ip=client_ip(request),
            )
        except LookupError as exc:
            raise Http404 from exc
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        except IllegalStep as exc:
            error = str(exc)
        else:
            return redirect("commission:detail", request_id=request_id)
    return _detail(request, request_id, 400, consult_form=form, consult_error=error)


@route(COMMISSION_SECRETARIAT)
@require_http_methods(["POST"])
def admissibility(request: AuthedRequest, request_id: UUID) -> HttpResponse:
    form = AdmissibilityForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.decide_admissibility(
                request.user,
                request_id,
                admissible=form.cleaned_data["decision"] == "admissible",
                note=form.cleaned_data["note"],
                ip=client_ip(request),
            )
        except LookupError as exc:
            raise Http404 from exc
        except IllegalStep as exc:
            error = str(exc)
        else:
            return redirect("commission:detail", request_id=request_id)
    return _detail(request, request_id, 400, form=form, error=error)


@route(COMMISSION)
def document(request: AuthedRequest, request_id: UUID, document_id: int) -> StreamingHttpResponse:
    found = services.document(request.user, request_id, document_id, client_ip(request))
    if found is None:
        raise Http404
    return download([bytes(found.content)], found.name, size=found.size)


@route(COMMISSION_MEMBER)
@require_http_methods(["POST"])
def block(request: AuthedRequest, request_id: UUID, consultation_id: UUID) -> HttpResponse:
    found = consultations.consultation_of(request_id, consultation_id)
    if found is None:
        raise Http404
    try:
        consultations.block(
            request.user, consultation_id, blocked=request.POST.get("blocked") == "1", ip=client_ip(request)
        )
    except IllegalStep as exc:
        return _detail(request, request_id, 400, consult_error=str(exc))
    return redirect("commission:detail", request_id=request_id)


@route(COMMISSION_MEMBER)
@require_http_methods(["POST"])
def decide(request: AuthedRequest, request_id: UUID) -> HttpResponse:
    found = services.read(request.user, request_id, client_ip(request))
    if found is None:
        raise Http404
    form = DecisionForm(request.POST, records=consultations.consulted_records(found))
    error = None
    if form.is_valid():
        try:
            consultations.decide(
                request.user,
                request_id,
                decision=form.cleaned_data["decision"],
                reasons=form.cleaned_data["reasons"],
                corrections=form.cleaned_data["corrections"],
                ip=client_ip(request),
            )
        except LookupError as exc:
            raise Http404 from exc
        except IllegalStep as exc:
            error = str(exc)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("commission:detail", request_id=request_id)
    return _detail(request, request_id, 400, decision_form=form, decision_error=error)


@route(COMMISSION)
def figures(request: AuthedRequest) -> HttpResponse:
    this_year = clock.now().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, 2000), this_year)
    return render(
        request,
        "commission/figures.html",
        {"figures": services.figures(request.user, year), "years": range(this_year, this_year - 10, -1)},
    )


# --- the owner bureau's side, on its node -------------------------------------------------------


@route(NCB_STAFF)
def consultations_list(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "commission/consultations.html",
        {"found": consultations.owner_consultations(request.user), "now": clock.now()},
    )


@route(NCB_STAFF)
@require_http_methods(["GET", "POST"])
def consultation(request: AuthedRequest, consultation_id: UUID) -> HttpResponse:
    form = PositionForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            consultations.answer(
                request.user,
                consultation_id,
                position=form.cleaned_data["position"],
                note=form.cleaned_data["note"],
                ip=client_ip(request),
            )
        except LookupError as exc:
            raise Http404 from exc
        except IllegalStep as exc:
            error = str(exc)
        else:
            return redirect("commission:consultation", consultation_id=consultation_id)
    found = consultations.owner_consultation(request.user, consultation_id, client_ip(request))
    if found is None:
        raise Http404
    return render(
        request,
        "commission/consultation.html",
        {"c": found, "form": form, "error": error, "now": clock.now()},
        status=400 if request.method == "POST" else 200,
    )
