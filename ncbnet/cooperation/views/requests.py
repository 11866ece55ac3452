"""The pages of cooperation: requests between bureaus. The boxes (received, sent) with filters and a
search box and the time left on each row; one request with its timeline, the cross-check matches,
the files and the forms of the steps this side may take now; the form of a new request."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base import clock, downloads, uploads
from ncbnet.base import iccs as categories
from ncbnet.base.http import client_ip
from ncbnet.base.policies import HEAD_OF_NCB, route
from ncbnet.core.http import AuthedRequest
from ncbnet.messaging.models import Handling, InformationAccuracy, SourceReliability
from ncbnet.network.delivery import connected_nodes

from ..models.requests import Access, Action, Kind, RefusalGround, Request, State, UrgencyGround
from ..policies import COOPERATE
from ..schemas.requests import MAX_STEP_FILES_BYTES
from ..services import escalation, tasks
from ..services import requests as services

SUBJECT_ROWS = 3


class RequestForm(forms.Form):
    to = forms.CharField(
        label=gettext_lazy("To"),
        max_length=2000,
        help_text=gettext_lazy("Country codes separated by commas (BR, KE), hub, region:AF or group:<code>."),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind of request"), choices=Kind.choices)
    action = forms.ChoiceField(
        label=gettext_lazy("Action asked"), choices=[("", "—"), *Action.choices], required=False
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    details = forms.CharField(label=gettext_lazy("Details"), widget=forms.Textarea(attrs={"rows": 8}))
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=500)
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=1000)
    urgent = forms.BooleanField(label=gettext_lazy("Urgent"), required=False)
    urgency_ground = forms.ChoiceField(
        label=gettext_lazy("Urgency ground (Art. 4)"),
        choices=[("", "—"), *UrgencyGround.choices],
        required=False,
    )
    iccs = categories.form_field()  # the crime category, as a record's
    access = forms.ChoiceField(label=gettext_lazy("Access to the information"), choices=Access.choices)
    handling = forms.ChoiceField(
        label=gettext_lazy("Handling code"), choices=Handling.choices, initial=Handling.H0
    )
    handling_note = forms.CharField(label=gettext_lazy("Restriction (H3)"), max_length=500, required=False)
    source_reliability = forms.ChoiceField(
        label=gettext_lazy("Source reliability"),
        choices=SourceReliability.choices,
        initial=SourceReliability.X,
    )
    information_accuracy = forms.ChoiceField(
        label=gettext_lazy("Information accuracy"),
        choices=InformationAccuracy.choices,
        initial=InformationAccuracy.FOUR,
    )


class SubjectForm(forms.Form):
    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[("person", gettext_lazy("Person")), ("object", gettext_lazy("Object"))],
    )
    name = forms.CharField(label=gettext_lazy("Name or object"), max_length=300, required=False)
    date_of_birth = forms.CharField(label=gettext_lazy("Date of birth"), max_length=10, required=False)
    sex = forms.ChoiceField(
        label=gettext_lazy("Sex"),
        choices=[("", "—"), ("F", "F"), ("M", "M"), ("U", gettext_lazy("Unknown"))],
        required=False,
    )
    nationality = forms.CharField(label=gettext_lazy("Nationality"), max_length=2, required=False)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=2000, required=False)

    def subject(self) -> dict[str, Any] | None:
        """The subject the row describes (None for an empty row)."""
        data = {k: v.strip() if isinstance(v, str) else v for k, v in self.cleaned_data.items()}
        if not (data.get("name") or data.get("description")):
            return None
        return {k: v for k, v in data.items() if v}


class TextForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ClarifyForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Clarification"), widget=forms.Textarea(attrs={"rows": 4}))


class PauseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why (judicial authorisation)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_hours = forms.IntegerField(label=gettext_lazy("Hours expected"), min_value=1, max_value=90 * 24)


class AnswerForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 8}))
    handling = forms.ChoiceField(
        label=gettext_lazy("Handling code"),
        choices=[("", gettext_lazy("As the request")), *Handling.choices],
        required=False,
    )
    attachments = uploads.MultipleFileField(label=gettext_lazy("Files (2 MB in all)"), required=False)


class RefuseForm(forms.Form):
    ground = forms.ChoiceField(label=gettext_lazy("Ground (Art. 6)"), choices=RefusalGround.choices)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


STEP_FORMS: dict[str, type[forms.Form]] = {
    "acknowledge": TextForm,
    "clarify": ClarifyForm,
    "pause": PauseForm,
    "answer": AnswerForm,
    "refuse": RefuseForm,
    "close": TextForm,
}


def _take(request: AuthedRequest, r: Request, step: str, data: dict[str, Any]) -> Request:
    """The step's service, with the form's cleaned data."""
    ip, who = client_ip(request), request.user
    if step == "acknowledge":
        return services.acknowledge(who, r.pk, data["text"], ip)
    if step == "clarify":
        return services.clarification(who, r.pk, data["text"], ip)
    if step == "pause":
        return services.pause(who, r.pk, data["reason"], data["expected_hours"], ip)
    if step == "answer":
        files = [
            services.Upload(f.name, f.content_type or "application/octet-stream", f.read())
            for f in data["attachments"]
        ]
        return services.answer(who, r.pk, data["text"], files, data["handling"], ip)
    if step == "refuse":
        return services.refuse(who, r.pk, data["ground"], data["reason"], ip)
    return services.close(who, r.pk, data["text"], ip)


def _filters(request: AuthedRequest) -> services.Filters:
    box = request.GET.get("box", "in")
    return services.Filters(
        box=box if box in ("in", "out") else "in",
        q=request.GET.get("q", "").strip(),
        state=request.GET.get("state", ""),
        urgent=request.GET.get("urgent") == "1",
        country=request.GET.get("country", "").strip()[:8],
        open_only=request.GET.get("open") == "1",
    )


def _row(r: Request, now: Any) -> dict[str, Any]:
    left = r.time_left(now)
    return {"r": r, "left": _hours(left), "overdue": services.seen_overdue(r, now)}


def _hours(left: timedelta | None) -> str:
    """Time left as an officer reads it: "5 h 20 min", "-2 h 05 min" (late), or "" when none runs."""
    if left is None:
        return ""
    minutes = int(abs(left.total_seconds()) // 60)
    sign = "-" if left < timedelta(0) else ""
    days, rest = divmod(minutes, 24 * 60)
    text = f"{rest // 60} h {rest % 60:02d} min"
    return sign + (f"{days} d {text}" if days else text)


@route(COOPERATE)
def request_list(request: AuthedRequest) -> HttpResponse:
    f = _filters(request)
    now = clock.now()
    found = services.search(request.user, f, client_ip(request))[:200]
    return render(
        request,
        "cooperation/requests/list.html",
        {"rows": [_row(r, now) for r in found], "f": f, "states": State.choices},
    )


def _detail(
    request: AuthedRequest, r: Request, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    now = clock.now()
    steps = services.steps_open(r)
    # Each step's form has ids of its own: several forms on one page, each label to its own field.
    step_forms = {s: (bound or {}).get(s) or STEP_FORMS[s](auto_id=f"id_{s}_%s") for s in steps}
    return render(
        request,
        "cooperation/requests/detail.html",
        {
            "r": r,
            "left": _hours(r.time_left(now)),
            "overdue": services.seen_overdue(r, now),
            "events": r.events.prefetch_related("attachments"),
            "matches": r.crosschecks.all(),
            "tasks": tasks.of_parent("request", r.pk),
            "step_forms": step_forms,
        },
        status=status,
    )


@route(COOPERATE)
def request_detail(request: AuthedRequest, request_id: str) -> HttpResponse:
    return _detail(request, services.read(request.user, request_id, client_ip(request)))


ANSWER_FILES = uploads.Limit(
    files=MAX_STEP_FILES_BYTES,
    message=gettext_lazy("Files with an answer are limited to 2 MB in all; send larger ones as a message."),
)


@route(COOPERATE)
@require_POST
@uploads.limit(ANSWER_FILES)
def request_step(request: AuthedRequest, request_id: str, step: str) -> HttpResponse:
    r = services.read(request.user, request_id, client_ip(request))
    if step not in STEP_FORMS:
        raise PermissionDenied(_("No such step."))
    form = STEP_FORMS[step](request.POST, request.FILES, auto_id=f"id_{step}_%s")
    if uploads.refused(request, form):
        return _detail(request, r, {step: form}, status=413)
    if form.is_valid():
        try:
            _take(request, r, step, form.cleaned_data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            flash.success(request, _("Done: the other bureau is told."))
            return redirect("cooperation:request", request_id=r.pk)
    return _detail(request, r, {step: form}, status=400)


@route(COOPERATE)
@require_http_methods(["GET", "POST"])
def request_new(request: AuthedRequest) -> HttpResponse:
    form = RequestForm(request.POST or None)
    rows = [SubjectForm(request.POST or None, prefix=f"s{i}") for i in range(SUBJECT_ROWS)]
    if request.method == "POST" and form.is_valid() and all(s.is_valid() for s in rows):
        data = form.cleaned_data
        draft = services.Draft(
            to=[t for t in data.pop("to").replace(";", ",").split(",") if t.strip()],
            subjects=[s for row in rows if (s := row.subject()) is not None],
            **data,
        )
        try:
            made = services.send(request.user, draft, client_ip(request))
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            flash.success(
                request, _("Request sent to %(to)s.") % {"to": ", ".join(r.requested for r in made)}
            )
            if len(made) == 1:
                return redirect("cooperation:request", request_id=made[0].pk)
            return redirect(reverse("cooperation:requests") + "?box=out")
    invalid = bool(form.errors) or any(s.errors for s in rows)
    return render(
        request,
        "cooperation/requests/new.html",
        {"form": form, "rows": rows, "nodes": connected_nodes()},
        status=400 if invalid else 200,
    )


@route(COOPERATE)
def request_file(request: AuthedRequest, request_id: str, file_id: str) -> StreamingHttpResponse:
    """A file of a step, as a download whatever content type it was given (base.downloads)."""
    found = services.attachment(request.user, request_id, file_id, client_ip(request))
    response = downloads.download([bytes(found.data)], found.name, size=found.size)
    response["X-Content-SHA256"] = found.sha256
    return response


@route(COOPERATE)
def request_alerts(request: AuthedRequest) -> HttpResponse:
    """The bureau's open alerts on overdue requests (the head's too, for a head of NCB)."""
    return render(
        request, "cooperation/requests/alerts.html", {"alerts": escalation.alerts(request.user)[:100]}
    )


@route(HEAD_OF_NCB)
def escalated_to_me(request: AuthedRequest) -> HttpResponse:
    """The head of NCB's own list: the requests and hits escalated to them."""
    return render(
        request,
        "cooperation/requests/escalated.html",
        {"alerts": escalation.escalated_to_me(request.user)[:200]},
    )


urlpatterns: list[URLPattern] = [
    path("cooperation/escalated/", escalated_to_me, name="escalated"),
    path("cooperation/requests/", request_list, name="requests"),
    path("cooperation/requests/new/", request_new, name="request_new"),
    path("cooperation/requests/alerts/", request_alerts, name="request_alerts"),
    path("cooperation/requests/<uuid:request_id>/", request_detail, name="request"),
    path("cooperation/requests/<uuid:request_id>/<str:step>/", request_step, name="request_step"),
    path("cooperation/requests/<uuid:request_id>/files/<uuid:file_id>/", request_file, name="request_file"),
]
