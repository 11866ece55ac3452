from __future__ import annotations

import uuid
from typing import Any

import pycountry
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_http_methods, require_POST

from ncbnet.base import clock, holdings
from ncbnet.base.actor import Actor
from ncbnet.base.holdings import NoticeFilters
from ncbnet.base.http import client_ip
from ncbnet.base.node import node_id
from ncbnet.base.policies import NCB_STAFF, route
from ncbnet.config import member_codes
from ncbnet.core.http import AuthedRequest
from ncbnet.records import national_law

from . import checks, extracts, requests, services
from .forms import DiffusionForm, NoticeForm, shown
from .forms import initial as forms_initial
from .models import PUBLIC_KINDS, Diffusion, Kind, NoticeRequest
from .policies import READ_NOTICES, REVIEW


def _refused(request: AuthedRequest, exc: ValidationError) -> None:
    """Say on the next page why the service refused, field by field."""
    messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()))


class FilterForm(forms.Form):
    """The notices list's filters (the API takes the same)."""

    kind = forms.ChoiceField(label=_l("Kind"), choices=[("", _l("All")), *Kind.choices], required=False)
    name = forms.CharField(label=_l("Name, in any script"), max_length=200, required=False)
    owner = forms.CharField(label=_l("Requested by (country code)"), max_length=2, required=False)
    nationality = forms.CharField(label=_l("Nationality (country code)"), max_length=2, required=False)
    published_from = forms.DateField(
        label=_l("Published from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    published_to = forms.DateField(
        label=_l("Published to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> NoticeFilters:
        d = self.cleaned_data if self.is_valid() else {}
        return NoticeFilters(
            kind=d.get("kind", ""),
            owner=d.get("owner", ""),
            name=d.get("name", ""),
            nationality=d.get("nationality", ""),
            published_from=d.get("published_from"),
            published_to=d.get("published_to"),
        )


PER_PAGE = 50


@route(READ_NOTICES)
def notice_list(request: AuthedRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    found = holdings.here().notices(request.user, form.filters(), client_ip(request))
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notices/list.html",
        {"form": form, "page": page, "notices": page.object_list, "query": query.urlencode()},
        status=400 if form.errors else 200,
    )


@route(READ_NOTICES)
def notice_detail(request: AuthedRequest, notice_id: uuid.UUID) -> HttpResponse:
    notice = holdings.here().notice(request.user, notice_id, client_ip(request))
    return render(
        request, "notices/detail.html", {"notice": notice, "fields": shown(notice.kind, notice.data)}
    )


@route(REVIEW)
def queue(request: AuthedRequest) -> HttpResponse:
    waiting = list(services.review_queue())
    asked = extracts.waiting()
    for notice in waiting:
        notice.public_extract = asked.pop(notice.pk, None)  # type: ignore[attr-defined]
    languages = dict(settings.LANGUAGES)
    for notice in waiting:
        notice.shown = shown(notice.kind, notice.data)  # type: ignore[attr-defined]
        for flag in notice.flags:
            if flag["check"] == "neutrality":
                flag["character_label"] = checks.CHARACTERS.get(flag["character"], flag["character"])
                flag["language_label"] = languages.get(flag["language"], flag["language"])
    return render(
        request,
        "notices/queue.html",
        {"waiting": waiting, "extracts": list(asked.values()), "now": clock.now()},
    )


@route(REVIEW)
@require_POST
def decide(request: AuthedRequest, notice_id: uuid.UUID) -> HttpResponse:
    actor = Actor.of(request.user)
    try:
        services.review(
            actor,
            str(notice_id),
            request.POST.get("decision", ""),
            request.POST.get("reason", ""),
            extract=request.POST.get("extract") or None,
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("notices:queue")


@route(REVIEW)
@require_POST
def decide_extract(request: AuthedRequest, notice_id: uuid.UUID) -> HttpResponse:
    """The public extract of a notice already published, asked for after its review."""
    decision = request.POST.get("decision", "")
    try:
        if decision not in ("approve", "refuse"):
            raise ValidationError({"decision": _("Approve or refuse.")})
        extracts.decide(
            Actor.of(request.user), str(notice_id), decision == "approve", request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("notices:queue")


@route(REVIEW)
def diffusions(request: AuthedRequest) -> HttpResponse:
    """Diffusions the GS has not checked yet, oldest first."""
    waiting = list(Diffusion.objects.filter(checked_at__isnull=True).order_by("created_at")[:200])
    return render(request, "notices/diffusions.html", {"waiting": waiting})


@route(REVIEW)
@require_POST
def check(request: AuthedRequest, diffusion_id: uuid.UUID) -> HttpResponse:
    actor = Actor.of(request.user)
    try:
        services.check_diffusion(
            actor, str(diffusion_id), request.POST.get("outcome", ""), request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Check recorded."))
    return redirect("notices:diffusions")


def _node_only() -> Any:
    held = holdings.here()
    if held.keeps_originals:
        raise Http404("Notices are requested from an NCB's node.")
    return held


def _kind(kind: str) -> str:
    if kind not in Kind.values:
        raise Http404("No such kind of notice.")
    return kind


def _subjects(held: Any) -> Any:
    """The bureau's own persons records a subject may be chosen from."""
    return held.owned("persons")


def _title(own: Any, data: dict[str, Any]) -> str:
    """What the bureau's list shows of its request: the chosen record's label, or the name given."""
    subject = data.get("subject") or {}
    if subject.get("record_id"):
        return own.filter(pk=subject["record_id"]).values_list("label", flat=True).first() or ""
    names = services.subject_names(data)
    return names[0] if names else ""


@route(NCB_STAFF)
@require_http_methods(["GET", "POST"])
def request_notice(request: AuthedRequest, kind: str) -> HttpResponse:
    """An NCB's officer asks the GS to publish a notice of any kind, with the kind's fields."""
    own = _subjects(_node_only())
    form = NoticeForm(
        request.POST or None, kind=_kind(kind), subjects=[(str(r.pk), r.label) for r in own[:2000]]
    )
    if request.method == "POST" and form.is_valid():
        data = form.notice_data()
        try:
            requests.request(request.user, kind, data, title=_title(own, data))
        except ValidationError as exc:
            form.refused(exc)
        else:
            messages.success(request, _("Sent to the General Secretariat for its checks and review."))
            return redirect("notices:requests")
    return render(
        request, "notices/request.html", {"form": form, "kind": kind}, status=400 if form.errors else 200
    )


@route(NCB_STAFF)
@require_http_methods(["GET", "POST"])
def edit_request(request: AuthedRequest, request_id: uuid.UUID) -> HttpResponse:
    """The officer edits a request the GS sent back for changes (its reason shown) and resubmits it."""
    own = _subjects(_node_only())
    r = NoticeRequest.objects.filter(pk=request_id).first()
    if r is None:
        raise Http404("No such request from this bureau.")
    form = NoticeForm(
        request.POST or None,
        kind=r.kind,
        subjects=[(str(x.pk), x.label) for x in own[:2000]],
        initial=forms_initial(r.kind, r.data),
    )
    if request.method == "POST" and r.editable and form.is_valid():
        data = form.notice_data()
        try:
            requests.revise(request.user, str(r.pk), data, title=_title(own, data))
        except ValidationError as exc:
            form.refused(exc)
        else:
            messages.success(request, _("Resubmitted to the General Secretariat."))
            return redirect("notices:requests")
    return render(request, "notices/edit.html", {"form": form, "r": r}, status=400 if form.errors else 200)


@route(NCB_STAFF)
def our_requests(request: AuthedRequest) -> HttpResponse:
    page = Paginator(NoticeRequest.objects.order_by("-requested_at"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notices/requests.html",
        {
            "requests": page.object_list,
            "page": page,
            "kinds": Kind.choices,
            "query": "",
            "public_kinds": PUBLIC_KINDS if national_law.policy(node_id()).public_extracts else (),
        },
    )


@route(NCB_STAFF)
def review_due(request: AuthedRequest) -> HttpResponse:
    """The bureau's published notices whose periodic review is due within six months."""
    _node_only()
    return render(request, "notices/review_due.html", {"due": requests.due_for_review(), "now": clock.now()})


@route(NCB_STAFF)
@require_POST
def extend_request(request: AuthedRequest, request_id: uuid.UUID) -> HttpResponse:
    try:
        requests.extend(request.user, str(request_id), request.POST.get("reason", ""))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Extension sent to the General Secretariat."))
    return redirect("notices:review_due")


@route(NCB_STAFF)
@require_http_methods(["GET", "POST"])
def diffuse(request: AuthedRequest, kind: str) -> HttpResponse:
    """An NCB's officer sends a diffusion straight to chosen countries, the GS in copy."""
    held = _node_only()
    own = _subjects(held)
    countries = [(c, _country_name(c)) for c in sorted(member_codes()) if c != held.bureau]
    form = DiffusionForm(
        request.POST or None,
        kind=_kind(kind),
        subjects=[(str(r.pk), r.label) for r in own[:2000]],
        countries=countries,
    )
    if request.method == "POST" and form.is_valid():
        data = _with_identity(own, form.notice_data())
        try:
            requests.diffuse(request.user, kind, form.cleaned_data["recipients"], data)
        except ValidationError as exc:
            form.refused(exc)
        else:
            messages.success(request, _("Diffusion sent; the General Secretariat checks it afterwards."))
            return redirect("notices:list")
    return render(
        request, "notices/diffuse.html", {"form": form, "kind": kind}, status=400 if form.errors else 200
    )


def _country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return f"{code} — {country.name}" if country else code


def _with_identity(own: Any, data: dict[str, Any]) -> dict[str, Any]:
    """A diffusion goes to countries that may not hold the bureau's record: the subject's identity
    is copied from it, so the diffusion stands on its own."""
    subject = dict(data.get("subject") or {})
    record = own.filter(pk=subject.get("record_id")).first() if subject.get("record_id") else None
    if record is not None:
        for field in ("names", "date_of_birth", "nationalities"):
            if record.data.get(field) and not subject.get(field):
                subject[field] = record.data[field]
        data = {**data, "subject": subject}
    return data


class ExtractForm(forms.Form):
    """What the bureau asks to publish of its notice beyond the notice itself (every field may be
    left empty; the kind's own fields only). Photos come from the subject's record, or through the
    API (`public_extract.photos`)."""

    forename = forms.CharField(label=_l("Forename, as published"), max_length=100, required=False)
    name = forms.CharField(label=_l("Family name, as published"), max_length=100, required=False)
    sex = forms.ChoiceField(
        label=_l("Sex"),
        choices=[("", "—"), ("F", _l("Female")), ("M", _l("Male")), ("U", _l("Unknown"))],
        required=False,
    )
    height = forms.DecimalField(label=_l("Height (metres)"), min_value=0.3, max_value=2.8, required=False)
    weight = forms.IntegerField(label=_l("Weight (kg)"), min_value=1, max_value=500, required=False)
    eyes_colors_id = forms.RegexField(
        label=_l("Eye colour (code, e.g. BRO)"), regex=r"^[A-Z]{3}$", required=False
    )
    hairs_id = forms.RegexField(label=_l("Hair colour (code, e.g. BLA)"), regex=r"^[A-Z]{3}$", required=False)
    distinguishing_marks = forms.CharField(label=_l("Distinguishing marks"), max_length=2000, required=False)
    languages = forms.CharField(
        label=_l("Languages spoken (ISO 639 codes, comma-separated)"), max_length=100, required=False
    )
    place_of_birth = forms.CharField(label=_l("Place of birth"), max_length=200, required=False)
    country_of_birth = forms.CharField(label=_l("Country of birth (code)"), max_length=2, required=False)

    def __init__(self, *args: Any, kind: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if kind == "yellow":
            for name, label in (
                ("birth_name", _l("Name at birth")),
                ("country", _l("Country where the person went missing (code)")),
                ("father_forename", _l("Father's forename")),
                ("mother_name", _l("Mother's family name")),
                ("mother_forename", _l("Mother's forename")),
            ):
                self.fields[name] = forms.CharField(label=label, max_length=200, required=False)
        if kind == "unsc":
            self.fields["entity"] = forms.BooleanField(
                label=_l("A listed entity, not a person"), required=False
            )
            self.fields["un_reference"] = forms.CharField(label=_l("UN reference"), max_length=60)
            self.fields["un_resolution"] = forms.CharField(
                label=_l("UN resolution"), max_length=200, required=False
            )
            self.fields["un_reference_date"] = forms.DateField(label=_l("Listed on"), required=False)
            for name, label in (
                ("identity_documents", _l("Identity documents (one a line)")),
                ("adresses", _l("Addresses (one a line)")),
            ):
                self.fields[name] = forms.CharField(
                    label=label, widget=forms.Textarea, max_length=2000, required=False
                )

    def details(self) -> dict[str, Any]:
        """The form's answers as the extract's details (`notices.schemas.ExtractDetails`)."""
        out: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if value in (None, "", False):
                continue
            if name == "languages":
                value = [v.strip() for v in value.split(",") if v.strip()]
            elif name in ("identity_documents", "adresses"):
                value = [line.strip() for line in value.splitlines() if line.strip()]
            elif name == "height":
                value = float(value)
            elif name == "un_reference_date":
                value = value.isoformat()
            elif name in ("country", "country_of_birth"):
                value = value.upper()
            out[name] = value
        return out

    def refused(self, exc: ValidationError) -> None:
        """The service's refusal, beside the field it names (a list's item on the list)."""
        for field, errors in exc.message_dict.items():
            name = field.split(".")[0]
            self.add_error(name if name in self.fields else None, errors)


@route(NCB_STAFF)
@require_http_methods(["GET", "POST"])
def request_extract(request: AuthedRequest, request_id: uuid.UUID) -> HttpResponse:
    """The bureau asks the GS to publish a public extract of a notice it requested."""
    _node_only()
    r = NoticeRequest.objects.filter(pk=request_id).first()
    if r is None or r.kind not in PUBLIC_KINDS:
        raise Http404("No such request from this bureau.")
    form = ExtractForm(request.POST or None, kind=r.kind)
    if request.method == "POST" and form.is_valid():
        try:
            requests.request_extract(request.user, str(r.pk), form.details())
        except ValidationError as exc:
            form.refused(exc)
        else:
            messages.success(request, _("Public extract asked of the General Secretariat."))
            return redirect("notices:requests")
    allowed = national_law.policy(node_id()).public_extracts
    return render(
        request,
        "notices/extract.html",
        {"form": form, "r": r, "allowed": allowed},
        status=400 if form.errors else 200,
    )


@route(NCB_STAFF)
@require_POST
def cancel_request(request: AuthedRequest, request_id: uuid.UUID) -> HttpResponse:
    try:
        requests.cancel(request.user, str(request_id), request.POST.get("reason", ""))
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Cancellation sent to the General Secretariat."))
    return redirect("notices:requests")
