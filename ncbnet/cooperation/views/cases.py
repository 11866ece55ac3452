"""The pages of cooperation: cases. The list with its filters, a new case, and the case page with
its timeline, tasks and participants, and the forms this bureau's permission allows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base import clock, downloads, uploads
from ncbnet.base.http import client_ip
from ncbnet.base.node import node_id
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest

from ..models.cases import CaseStatus, EntryKind, Permission, Severity, TaskState
from ..policies import COOPERATE
from ..services import cases as services


class CaseForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea, required=False)
    severity = forms.ChoiceField(
        label=gettext_lazy("Severity"), choices=Severity.choices, initial=Severity.MEDIUM
    )
    template = forms.CharField(label=gettext_lazy("Template"), max_length=100, required=False)
    participants = forms.CharField(
        label=gettext_lazy("Participating bureaus"),
        required=False,
        help_text=gettext_lazy("One per line: country code and permission, for example “BR contribute”."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_participants(self) -> dict[str, str]:
        return _participants(self.cleaned_data["participants"])


def _participants(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.replace(",", "\n").splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 1:
            parts.append(Permission.READ)
        if len(parts) != 2:
            raise ValidationError(_("Write each bureau as “code permission”."))
        code, permission = parts
        out[code] = "" if permission.lower() == "remove" else permission.lower()
    return out


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=EntryKind.choices, initial=EntryKind.NOTE)
    text = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    ref = forms.CharField(
        label=gettext_lazy("Linked id"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("The id of the request, hit, record or notice."),
    )
    file = forms.FileField(label=gettext_lazy("File (at most 2 MB)"), required=False)


class TaskForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Task"), max_length=300)
    assignee_node = forms.CharField(label=gettext_lazy("Bureau"), max_length=3, required=False)
    assignee_name = forms.CharField(label=gettext_lazy("Person"), max_length=200, required=False)
    due_at = forms.DateTimeField(
        label=gettext_lazy("Due (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    mandatory = forms.BooleanField(label=gettext_lazy("Mandatory before closing"), required=False)


class TaskUpdateForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"), choices=[("", "—"), *TaskState.choices], required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=10_000, required=False)


class ShareForm(forms.Form):
    participants = forms.CharField(
        label=gettext_lazy("Bureaus"),
        help_text=gettext_lazy("Country code and read, contribute, manage or remove; one per line."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_participants(self) -> dict[str, str]:
        return _participants(self.cleaned_data["participants"])


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=CaseStatus.choices)
    outcome = forms.CharField(
        label=gettext_lazy("Outcome (to close)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


ENTRY_UPLOAD = uploads.Limit(
    files=2 * uploads.MB,
    message=gettext_lazy("A file in a case is limited to 2 MB; send larger ones as a message."),
)


def _errors(form: forms.Form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


@route(COOPERATE)
def case_list(request: AuthedRequest) -> HttpResponse:
    f = services.Filters(
        q=request.GET.get("q", "").strip(),
        status=request.GET.get("status", ""),
        severity=request.GET.get("severity", ""),
    )
    found = services.search(request.user, f, client_ip(request)).prefetch_related("participants")[:200]
    fresh = {c.pk for c in services.with_new_entries(request.user, limit=200)}
    return render(
        request,
        "cooperation/cases/list.html",
        {
            "cases": found,
            "f": f,
            "fresh": fresh,
            "statuses": CaseStatus.choices,
            "severities": Severity.choices,
        },
    )


@route(COOPERATE)
@require_http_methods(["GET", "POST"])
def case_new(request: AuthedRequest) -> HttpResponse:
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = services.Draft(
            title=data["title"],
            description=data["description"],
            severity=data["severity"],
            template=data["template"],
            participants=data["participants"],
        )
        try:
            case = services.create(request.user, draft, client_ip(request))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            flash.success(request, _("Case created and shared."))
            return redirect("cooperation:case", case_id=case.pk)
    return render(request, "cooperation/cases/new.html", {"form": form}, status=400 if form.errors else 200)


def _page(request: AuthedRequest, case_id: str, status: int = 200, **forms_given: forms.Form) -> HttpResponse:
    case = services.read(request.user, case_id, client_ip(request))
    me = node_id()
    context: dict[str, Any] = {
        "case": case,
        "me": me,
        "now": clock.now(),
        "my_permission_label": Permission(case.permission_of(me) or Permission.READ).label,
        "can_contribute": case.allows(me, Permission.CONTRIBUTE) and not case.closed,
        "can_manage": case.allows(me, Permission.MANAGE) and not case.closed,
        "entries": case.entries.defer("file_data"),
        "tasks": case.tasks.all(),
        "participants": case.participants.all(),
        "entry_form": forms_given.get("entry_form") or EntryForm(auto_id="id_entry_%s"),
        "task_form": forms_given.get("task_form") or TaskForm(auto_id="id_task_%s"),
        "share_form": forms_given.get("share_form") or ShareForm(auto_id="id_share_%s"),
        "status_form": forms_given.get("status_form") or StatusForm(auto_id="id_status_%s"),
        "update_form": TaskUpdateForm(auto_id="id_update_%s"),
    }
    return render(request, "cooperation/cases/detail.html", context, status=status)


@route(COOPERATE)
def case_detail(request: AuthedRequest, case_id: str) -> HttpResponse:
    return _page(request, case_id)


def _act(
    request: AuthedRequest,
    case_id: str,
    form: forms.Form,
    name: str,
    act: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            flash.success(request, done)
            return redirect("cooperation:case", case_id=case_id)
    return _page(request, case_id, status=400, **{name: form})


@route(COOPERATE)
@require_POST
@uploads.limit(ENTRY_UPLOAD)
def case_entry(request: AuthedRequest, case_id: str) -> HttpResponse:
    form = EntryForm(request.POST, request.FILES, auto_id="id_entry_%s")
    if uploads.refused(request, form):
        return _page(request, case_id, status=413, entry_form=form)

    def act(data: dict[str, Any]) -> object:
        file = data.get("file")
        upload = (
            services.Upload(file.name, file.content_type or "application/octet-stream", file.read())
            if file
            else None
        )
        return services.add_entry(
            request.user, case_id, data["kind"], data["text"], data["ref"], upload, client_ip(request)
        )

    return _act(request, case_id, form, "entry_form", act, _("Entry added."))


@route(COOPERATE)
@require_POST
def case_task(request: AuthedRequest, case_id: str) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return services.add_task(
            request.user,
            case_id,
            data["title"],
            assignee_node=data["assignee_node"],
            assignee_name=data["assignee_name"],
            due_at=data["due_at"],
            mandatory=data["mandatory"],
            ip=client_ip(request),
        )

    return _act(
        request, case_id, TaskForm(request.POST, auto_id="id_task_%s"), "task_form", act, _("Task added.")
    )


@route(COOPERATE)
@require_POST
def case_task_update(request: AuthedRequest, case_id: str, task_id: str) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return services.update_task(
            request.user, case_id, task_id, state=data["state"], note=data["note"], ip=client_ip(request)
        )

    return _act(
        request,
        case_id,
        TaskUpdateForm(request.POST, auto_id="id_update_%s"),
        "task_form",
        act,
        _("Task updated."),
    )


@route(COOPERATE)
@require_POST
def case_share(request: AuthedRequest, case_id: str) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return services.share(request.user, case_id, data["participants"], client_ip(request))

    return _act(
        request,
        case_id,
        ShareForm(request.POST, auto_id="id_share_%s"),
        "share_form",
        act,
        _("Participants updated."),
    )


@route(COOPERATE)
@require_POST
def case_status(request: AuthedRequest, case_id: str) -> HttpResponse:
    def act(data: dict[str, Any]) -> object:
        return services.change_status(
            request.user, case_id, data["status"], data["outcome"], client_ip(request)
        )

    return _act(
        request,
        case_id,
        StatusForm(request.POST, auto_id="id_status_%s"),
        "status_form",
        act,
        _("Status changed."),
    )


@route(COOPERATE)
def case_file(request: AuthedRequest, case_id: str, entry_id: str) -> StreamingHttpResponse:
    entry = services.entry_file(request.user, case_id, entry_id, client_ip(request))
    response = downloads.download([bytes(entry.file_data or b"")], entry.file_name, size=entry.file_size)
    response["X-Content-SHA256"] = entry.file_sha256
    return response


urlpatterns: list[URLPattern] = [
    path("cooperation/cases/", case_list, name="cases"),
    path("cooperation/cases/new/", case_new, name="case_new"),
    path("cooperation/cases/<uuid:case_id>/", case_detail, name="case"),
    path("cooperation/cases/<uuid:case_id>/entries/", case_entry, name="case_entry"),
    path("cooperation/cases/<uuid:case_id>/tasks/", case_task, name="case_task"),
    path("cooperation/cases/<uuid:case_id>/tasks/<uuid:task_id>/", case_task_update, name="case_task_update"),
    path("cooperation/cases/<uuid:case_id>/share/", case_share, name="case_share"),
    path("cooperation/cases/<uuid:case_id>/status/", case_status, name="case_status"),
    path("cooperation/cases/<uuid:case_id>/files/<uuid:entry_id>/", case_file, name="case_file"),
]
