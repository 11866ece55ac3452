"""The pages of national tasks: the list (an agency's inbox, or every task of the bureau with
filters), a task with its log and the agency's steps, and the officer's form to task an agency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base import downloads, uploads
from ncbnet.base.http import client_ip
from ncbnet.base.policies import route
from ncbnet.core import services as core
from ncbnet.core.http import AuthedRequest
from ncbnet.core.models import Agency

from ..models.tasks import Task
from ..policies import COOPERATE, NATIONAL, TASK_ACT, acts_on_tasks, cooperates
from ..services import tasks as services

FILES = uploads.Limit(
    files=services.MAX_FILES_BYTES,
    message=gettext_lazy("The files of a task are limited to 10 MB in all."),
)


class TaskForm(forms.Form):
    parent_kind = forms.ChoiceField(label=gettext_lazy("For"), choices=Task.Parent.choices)
    parent_id = forms.UUIDField(label=gettext_lazy("Id of the request, hit or case"))
    agency = forms.ModelChoiceField(label=gettext_lazy("Agency"), queryset=Agency.objects.none())
    action = forms.CharField(label=gettext_lazy("Action requested"), max_length=300)
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=500)
    details = forms.CharField(
        label=gettext_lazy("Details"), widget=forms.Textarea, max_length=services.MAX_TEXT
    )
    due_at = forms.DateTimeField(
        label=gettext_lazy("Due"),
        required=False,
        help_text=gettext_lazy("Leave empty: half of the time the request or hit has left (a case: 7 days)."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    attachments = uploads.MultipleFileField(label=gettext_lazy("Files"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ncb = core.local_ncb()
        agency = self.fields["agency"]
        if isinstance(agency, forms.ModelChoiceField):  # this bureau's own agencies only
            agency.queryset = Agency.objects.filter(ncb=ncb) if ncb else Agency.objects.none()


class StepForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea, required=False, max_length=services.MAX_TEXT
    )
    attachments = uploads.MultipleFileField(label=gettext_lazy("Evidence files"), required=False)


def _filters(request: AuthedRequest) -> services.Filters:
    return services.Filters(
        q=request.GET.get("q", "").strip(),
        state=request.GET.get("state", ""),
        agency=request.GET.get("agency", ""),
        parent_kind=request.GET.get("parent_kind", ""),
        open_only=request.GET.get("open") == "1",
        overdue=request.GET.get("overdue") == "1",
        late_for_parent=request.GET.get("late") == "1",
    )


@route(NATIONAL)
def task_list(request: AuthedRequest) -> HttpResponse:
    f = _filters(request)
    found = list(services.search(request.user, f, client_ip(request))[:200])
    ncb = core.local_ncb()
    return render(
        request,
        "cooperation/tasks/list.html",
        {
            "tasks": found,
            "f": f,
            "states": Task.State.choices,
            "parents": Task.Parent.choices,
            "agencies": Agency.objects.filter(ncb=ncb) if ncb and cooperates(request.user) else [],
            "officer": cooperates(request.user),
        },
    )


def _errors(form: forms.Form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error("attachments" if name == "files" else name if name in form.fields else None, errors)


@route(COOPERATE)
@require_http_methods(["GET", "POST"])
@uploads.limit(FILES)
def task_new(request: AuthedRequest) -> HttpResponse:
    initial = {k: request.GET[k] for k in ("parent_kind", "parent_id") if k in request.GET}
    form = TaskForm(request.POST or None, request.FILES or None, initial=initial)
    if uploads.refused(request, form):
        return render(request, "cooperation/tasks/new.html", {"form": form}, status=413)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        due: datetime | None = data["due_at"]
        draft = services.Draft(
            parent_kind=data["parent_kind"],
            parent_id=str(data["parent_id"]),
            agency_id=data["agency"].pk,
            action=data["action"],
            legal_basis=data["legal_basis"],
            details=data["details"],
            due_at=due,
        )
        files = [services.Upload(f.name, f.content_type or "", f.read()) for f in data["attachments"]]
        try:
            task = services.create(request.user, draft, files, client_ip(request))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if task.late_for_parent:
                flash.warning(request, _("This task is due after the deadline of what it is for."))
            flash.success(request, _("Task given to %(agency)s.") % {"agency": task.agency.name})
            return redirect("cooperation:task", task_id=task.pk)
    return render(request, "cooperation/tasks/new.html", {"form": form}, status=400 if form.errors else 200)


def _page(
    request: AuthedRequest, task: Task, form: StepForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "cooperation/tasks/task.html",
        {
            "task": task,
            "form": form or StepForm(),
            "can_act": acts_on_tasks(request.user) and task.open,
            "officer": cooperates(request.user),
        },
        status=status,
    )


@route(NATIONAL)
def task_page(request: AuthedRequest, task_id: str) -> HttpResponse:
    return _page(request, services.read(request.user, task_id, client_ip(request)))


STEPS = ("acknowledge", "report", "answer", "decline")


@route(TASK_ACT)
@require_POST
@uploads.limit(FILES)
def task_step(request: AuthedRequest, task_id: str, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404(_("No such step."))
    task = services.read(request.user, task_id, client_ip(request))
    form = StepForm(request.POST, request.FILES)
    if uploads.refused(request, form):
        return _page(request, task, form, 413)
    if not form.is_valid():
        return _page(request, task, form, 400)
    text, ip = form.cleaned_data["text"], client_ip(request)
    files = [
        services.Upload(f.name, f.content_type or "", f.read()) for f in form.cleaned_data["attachments"]
    ]
    try:
        if step == "acknowledge":
            services.acknowledge(request.user, task.pk, text, ip)
        elif step == "report":
            services.report(request.user, task.pk, text, files, ip)
        elif step == "answer":
            services.answer(request.user, task.pk, text, files, ip)
        else:
            services.decline(request.user, task.pk, text, ip)
    except ValidationError as exc:
        for name, errors in exc.message_dict.items():
            field = "attachments" if name == "files" else "text" if name in ("text", "reason") else None
            form.add_error(field, errors)
        return _page(request, task, form, 400)
    flash.success(request, _("Saved."))
    return redirect("cooperation:task", task_id=task.pk)


@route(NATIONAL)
def task_file(request: AuthedRequest, task_id: str, file_id: str) -> StreamingHttpResponse:
    found = services.read_file(request.user, task_id, file_id, client_ip(request))
    response = downloads.download([bytes(found.data)], found.name, size=found.size)
    response["X-Content-SHA256"] = found.sha256
    return response


urlpatterns: list[URLPattern] = [
    path("cooperation/tasks/", task_list, name="tasks"),
    path("cooperation/tasks/new/", task_new, name="task_new"),
    path("cooperation/tasks/<uuid:task_id>/", task_page, name="task"),
    path("cooperation/tasks/<uuid:task_id>/<str:step>/", task_step, name="task_step"),
    path("cooperation/tasks/<uuid:task_id>/files/<uuid:file_id>/", task_file, name="task_file"),
]
