"""The pages of help requests: an agency's form and list, and the bureau's review (send abroad as
requests, or return with a reason); each help request shows the requests sent for it and their
answers as far as the answer's handling code allows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base.http import client_ip
from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest
from ncbnet.messaging.models import Handling

from ..models.requests import Access, Action, Kind, UrgencyGround
from ..models.tasks import HelpRequest
from ..policies import AGENCY, COOPERATE, NATIONAL, cooperates
from ..services import help as services

URGENCY = [("", gettext_lazy("Not urgent")), *UrgencyGround.choices]


def _countries(raw: str) -> list[str]:
    return [c.strip() for c in raw.replace(";", ",").replace(" ", ",").split(",") if c.strip()]


def _subjects(persons: str, objects: str) -> list[dict[str, Any]]:
    """Persons one a line ("name, date of birth, nationality"), objects one a line."""
    out: list[dict[str, Any]] = []
    for line in persons.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if not parts[0]:
            continue
        person: dict[str, Any] = {"type": "person", "name": parts[0]}
        if len(parts) > 1 and parts[1]:
            person["date_of_birth"] = parts[1]
        if len(parts) > 2 and parts[2]:
            person["nationality"] = parts[2].upper()
        out.append(person)
    out += [{"type": "object", "description": line.strip()} for line in objects.splitlines() if line.strip()]
    return out


def _lines(subjects: list[dict[str, Any]], kind: str) -> str:
    if kind == "object":
        return "\n".join(s.get("description") or s.get("name", "") for s in subjects if s["type"] == "object")
    return "\n".join(
        ", ".join(filter(None, [s.get("name", ""), s.get("date_of_birth", ""), s.get("nationality", "")]))
        for s in subjects
        if s["type"] == "person"
    )


def _label(s: dict[str, Any]) -> str:
    """A subject as one line: a person's name, date of birth and nationality; an object's name
    and description."""
    keys = ("name", "date_of_birth", "nationality") if s["type"] == "person" else ("name", "description")
    return ", ".join(str(s[k]) for k in keys if s.get(k))


class HelpForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What is it"), choices=HelpRequest.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    details = forms.CharField(label=gettext_lazy("What happened, what you need"), widget=forms.Textarea)
    persons = forms.CharField(
        label=gettext_lazy("Persons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line: name, date of birth (YYYY-MM-DD), nationality (2 letters)."),
    )
    objects = forms.CharField(
        label=gettext_lazy("Objects"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line: a vehicle, a document, a firearm…"),
    )
    countries = forms.CharField(
        label=gettext_lazy("Countries to ask"), help_text=gettext_lazy("Country codes, for example BR, KE.")
    )
    purpose = forms.CharField(label=gettext_lazy("Purpose"), max_length=1000)
    legal_basis = forms.CharField(label=gettext_lazy("Legal basis"), max_length=500)
    urgency_ground = forms.ChoiceField(label=gettext_lazy("Urgency"), choices=URGENCY, required=False)

    def draft(self) -> services.Draft:
        d = self.cleaned_data
        return services.Draft(
            title=d["title"],
            details=d["details"],
            purpose=d["purpose"],
            legal_basis=d["legal_basis"],
            countries=_countries(d["countries"]),
            kind=d["kind"],
            subjects=_subjects(d["persons"], d["objects"]),
            urgent=bool(d["urgency_ground"]),
            urgency_ground=d["urgency_ground"],
        )


class SendForm(HelpForm):
    """The officer's review: the agency's fields, corrected where needed, and how to send."""

    request_kind = forms.ChoiceField(label=gettext_lazy("Request"), choices=Kind.choices)
    action = forms.ChoiceField(
        label=gettext_lazy("Action"), choices=[("", "—"), *Action.choices], required=False
    )
    access = forms.ChoiceField(label=gettext_lazy("Access"), choices=Access.choices)
    handling = forms.ChoiceField(
        label=gettext_lazy("Handling"), choices=Handling.choices, initial=Handling.H1
    )
    handling_note = forms.CharField(label=gettext_lazy("Handling note"), required=False, max_length=500)

    @staticmethod
    def initial_of(h: HelpRequest) -> dict[str, Any]:
        return {
            "kind": h.kind,
            "title": h.title,
            "details": h.details,
            "persons": _lines(h.subjects, "person"),
            "objects": _lines(h.subjects, "object"),
            "countries": ", ".join(h.countries),
            "purpose": h.purpose,
            "legal_basis": h.legal_basis,
            "urgency_ground": h.urgency_ground,
            "handling": Handling.H1,
        }

    def review(self) -> services.Review:
        d, edited = self.cleaned_data, self.draft()
        return services.Review(
            request_kind=d["request_kind"],
            action=d["action"],
            access=d["access"],
            handling=d["handling"],
            handling_note=d["handling_note"],
            title=edited.title,
            details=edited.details,
            purpose=edited.purpose,
            legal_basis=edited.legal_basis,
            countries=edited.countries,
            subjects=edited.subjects,
            urgent=edited.urgent,
            urgency_ground=edited.urgency_ground,
        )


class ReturnForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why it goes back"), widget=forms.Textarea(attrs={"rows": 3}))


def _errors(form: forms.Form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        field = name.split(".")[0]
        form.add_error(field if field in form.fields else None, errors)


@route(NATIONAL)
def help_list(request: AuthedRequest) -> HttpResponse:
    f = services.Filters(
        q=request.GET.get("q", "").strip(),
        state=request.GET.get("state", ""),
        kind=request.GET.get("kind", ""),
        urgent=request.GET.get("urgent") == "1",
    )
    found = list(services.search(request.user, f, client_ip(request))[:200])
    return render(
        request,
        "cooperation/help/list.html",
        {
            "items": found,
            "f": f,
            "states": HelpRequest.State.choices,
            "kinds": HelpRequest.Kind.choices,
            "officer": cooperates(request.user),
        },
    )


@route(AGENCY)
@require_http_methods(["GET", "POST"])
def help_new(request: AuthedRequest) -> HttpResponse:
    form = HelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            h = services.submit(request.user, form.draft(), client_ip(request))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            flash.success(request, _("Your request was sent to your NCB."))
            return redirect("cooperation:help", help_id=h.pk)
    return render(request, "cooperation/help/new.html", {"form": form}, status=400 if form.errors else 200)


def _page(
    request: AuthedRequest,
    h: HelpRequest,
    send_form: SendForm | None = None,
    return_form: ReturnForm | None = None,
    status: int = 200,
) -> HttpResponse:
    officer = cooperates(request.user)
    review = officer and h.state == HelpRequest.State.SUBMITTED
    return render(
        request,
        "cooperation/help/help.html",
        {
            "h": h,
            "subjects": [_label(s) for s in h.subjects],
            "outcomes": services.outcomes(request.user, h),
            "officer": officer,
            "send_form": send_form or (SendForm(initial=SendForm.initial_of(h)) if review else None),
            "return_form": return_form or (ReturnForm() if review else None),
        },
        status=status,
    )


@route(NATIONAL)
def help_page(request: AuthedRequest, help_id: str) -> HttpResponse:
    return _page(request, services.read(request.user, help_id, client_ip(request)))


@route(COOPERATE)
@require_POST
def help_send(request: AuthedRequest, help_id: str) -> HttpResponse:
    h = services.read(request.user, help_id, client_ip(request))
    form = SendForm(request.POST)
    if form.is_valid():
        try:
            sent = services.send(request.user, h.pk, form.review(), client_ip(request))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            flash.success(
                request,
                _("Sent abroad to %(to)s.") % {"to": ", ".join(r.requested for r in sent.requests.all())},
            )
            return redirect("cooperation:help", help_id=h.pk)
    return _page(request, h, send_form=form, status=400)


@route(COOPERATE)
@require_POST
def help_return(request: AuthedRequest, help_id: str) -> HttpResponse:
    h = services.read(request.user, help_id, client_ip(request))
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.return_to_agency(request.user, h.pk, form.cleaned_data["reason"], client_ip(request))
        except ValidationError as exc:
            _errors(form, exc)
        else:
            flash.success(request, _("Returned to the agency."))
            return redirect("cooperation:help", help_id=h.pk)
    return _page(request, h, return_form=form, status=400)


urlpatterns: list[URLPattern] = [
    path("cooperation/help/", help_list, name="help_list"),
    path("cooperation/help/new/", help_new, name="help_new"),
    path("cooperation/help/<uuid:help_id>/", help_page, name="help"),
    path("cooperation/help/<uuid:help_id>/send/", help_send, name="help_send"),
    path("cooperation/help/<uuid:help_id>/return/", help_return, name="help_return"),
]
