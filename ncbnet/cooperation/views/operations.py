"""The pages of cooperation: groups, and operations with their results."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ncbnet.base import iccs as categories
from ncbnet.base.http import client_ip
from ncbnet.base.node import node_id
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from ..models.operations import OperationState, ResultKind
from ..policies import COOPERATE
from ..services import groups
from ..services import operations as ops


def _codes(text: str) -> list[str]:
    return [c for c in text.replace(",", " ").split() if c]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _agencies(text: str) -> list[dict[str, str]]:
    """One agency a line: "FR | OCLCO | contact"."""
    out = []
    for line in text.splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")] + ["", ""]
            out.append({"country": parts[0].upper(), "agency": parts[1], "contact": parts[2]})
    return out


def _errors(exc: ValidationError) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


@route(COOPERATE)
@require_http_methods(["GET", "POST"])
def group_list(request: AuthedRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            made = groups.create(
                request.user,
                request.POST.get("code", ""),
                request.POST.get("name", ""),
                _codes(request.POST.get("members", "")),
                client_ip(request),
            )
            flash.success(request, _("Group %(code)s created.") % {"code": made.code})
            return redirect("cooperation:groups")
        except ValidationError as exc:
            errors = _errors(exc)
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    found = groups.search(request.user, q, kind, client_ip(request))
    return render(
        request,
        "cooperation/groups/list.html",
        {"groups": found, "q": q, "kind": kind, "errors": errors, "posted": request.POST},
    )


@route(COOPERATE)
@require_http_methods(["GET", "POST"])
def group_message(request: AuthedRequest, code: str) -> HttpResponse:
    group = groups.read(request.user, code, client_ip(request))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            sent = groups.message(
                request.user,
                code,
                request.POST.get("subject", ""),
                request.POST.get("body", ""),
                client_ip(request),
            )
            flash.success(request, _("Message sent to %(to)s.") % {"to": ", ".join(sent.recipients)})
            return redirect("cooperation:groups")
        except ValidationError as exc:
            errors = _errors(exc)
    return render(
        request, "cooperation/groups/message.html", {"group": group, "errors": errors, "posted": request.POST}
    )


@route(COOPERATE)
def operation_list(request: AuthedRequest) -> HttpResponse:
    f = ops.Filters(
        q=request.GET.get("q", "").strip(),
        state=request.GET.get("state", ""),
        series=request.GET.get("series", ""),
    )
    found = ops.search(request.user, f, client_ip(request))[:200]
    return render(
        request,
        "cooperation/operations/list.html",
        {"operations": found, "f": f, "states": OperationState.choices, "series": ops.series_names()},
    )


def _draft(request: AuthedRequest) -> ops.Draft:
    p = request.POST
    return ops.Draft(
        code_name=p.get("code_name", ""),
        target_crime=p.get("target_crime", ""),
        period_start=p.get("period_start", ""),
        period_end=p.get("period_end", ""),
        participants=_codes(p.get("participants", "")),
        group=p.get("group", "").strip(),
        series=p.get("series", ""),
        coordinating_body=p.get("coordinating_body", ""),
        agencies=_agencies(p.get("agencies", "")),
        operational_hub=p.get("operational_hub", ""),
        commodities=_lines(p.get("commodities", "")),
        tools=_lines(p.get("tools", "")),
        state=p.get("state", OperationState.PLANNED),
    )


@route(COOPERATE)
@require_http_methods(["GET", "POST"])
def operation_new(request: AuthedRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            op = ops.create(request.user, _draft(request), client_ip(request))
            flash.success(
                request,
                _("Operation %(name)s created and sent to its participants.") % {"name": op.code_name},
            )
            return redirect("cooperation:operation", operation_id=op.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    return render(
        request,
        "cooperation/operations/new.html",
        {"errors": errors, "posted": request.POST, "states": OperationState.choices},
    )


class CategoryForm(forms.Form):
    """The crime category of a result, chosen as a record's is (the rest of the result's form is
    written out in its template)."""

    iccs = categories.form_field()


def _result(request: AuthedRequest) -> ops.ResultDraft:
    p = request.POST
    count = p.get("count", "1").strip() or "1"
    if not count.isdigit():
        raise ValidationError({"count": _("A count from 1 to 1,000,000.")})
    return ops.ResultDraft(
        kind=p.get("kind", ""),
        date=p.get("date", ""),
        person_name=p.get("person_name", ""),
        date_of_birth=p.get("date_of_birth", ""),
        nationality=p.get("nationality", ""),
        notice_subject=p.get("notice_subject") == "1",
        notice_id=p.get("notice_id", ""),
        commodity=p.get("commodity", ""),
        quantity=p.get("quantity", ""),
        unit=p.get("unit", ""),
        value_usd=p.get("value_usd", ""),
        count=int(count),
        place=p.get("place", ""),
        note=p.get("note", ""),
        iccs=p.get("iccs", ""),
    )


@route(COOPERATE)
@require_http_methods(["GET", "POST"])
def operation_page(request: AuthedRequest, operation_id: str) -> HttpResponse:
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if request.POST.get("step") == "finish":
                op = ops.read(request.user, operation_id, client_ip(request))
                ops.update(
                    request.user, op.pk, ops.draft_of(op, state=OperationState.FINISHED), client_ip(request)
                )
                flash.success(request, _("Operation finished; the participants are told."))
            else:
                ops.report(request.user, operation_id, _result(request), client_ip(request))
                flash.success(request, _("Result reported to the coordinator and the other participants."))
            return redirect("cooperation:operation", operation_id=operation_id)
        except ValidationError as exc:
            errors = _errors(exc)
    op = ops.read(request.user, operation_id, client_ip(request))
    _op, found, summary = ops.totals(request.user, operation_id, client_ip(request))
    return render(
        request,
        "cooperation/operations/detail.html",
        {
            "op": op,
            "results": found,
            "summary": summary,
            "errors": errors,
            "posted": request.POST,
            "kinds": ResultKind.choices,
            "category": CategoryForm(request.POST if request.method == "POST" else None),
            "coordinating": op.coordinator == node_id(),
            "in_it": op.takes_part(node_id()),
        },
    )


@route(COOPERATE)
def operation_csv(request: AuthedRequest, operation_id: str) -> HttpResponse:
    op, text = ops.results_csv(request.user, operation_id, client_ip(request))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = "".join(c if c.isalnum() else "-" for c in op.code_name)[:60] or "operation"
    response["Content-Disposition"] = f'attachment; filename="{name}-results.csv"'
    return response


urlpatterns: list[URLPattern] = [
    path("cooperation/groups/", group_list, name="groups"),
    path("cooperation/groups/<str:code>/message/", group_message, name="group_message"),
    path("cooperation/operations/", operation_list, name="operations"),
    path("cooperation/operations/new/", operation_new, name="operation_new"),
    path("cooperation/operations/<uuid:operation_id>/", operation_page, name="operation"),
    path("cooperation/operations/<uuid:operation_id>/results.csv", operation_csv, name="operation_csv"),
]
