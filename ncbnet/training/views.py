"""Training's pages: the learner's (required courses, enrolments with progress, modules, the quiz,
certificates), the bureau's (enrol people, who is not compliant), the GS's training staff's
(author courses, set requirements, coverage per country, revoke) and the verify page. Each parses,
calls a service and renders; the printable certificate carries an SVG QR code drawn on the server
(no inline script or style: the content security policy holds)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime, time
from typing import Any

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ncbnet.base.policies import route
from ncbnet.core.http import AuthedRequest
from ncbnet.core.models import Agency, User

from . import policies, services
from .models import Enrolment
from .policies import CATALOGUE, ENROL, LEARNER, TRAINER, VERIFY

MAX_PASTE = 64_000


def _language() -> str:
    lang = (get_language() or "en")[:2]
    return lang if lang in ("en", "fr", "es", "ar") else "en"


def _errors(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


@route(LEARNER)
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    mine = services.my_training(request.user)
    lang = _language()
    titles = {c.code: c.title_in(lang) for c in services.courses()}
    return render(
        request,
        "training/home.html",
        {
            **mine,
            "lang": lang,
            "missing_titled": [(code, titles.get(code, code)) for code in mine["missing"]],
            "enrolments_titled": [(e, e.course.title_in(lang)) for e in mine["enrolments"]],
            "open_titled": [(c, c.title_in(lang)) for c in mine["open"]],
            "enrols_others": policies.enrols_others(request.user),
        },
    )


@route(LEARNER)
@require_POST
def self_enrol(request: AuthedRequest, code: str) -> HttpResponse:
    try:
        e = services.self_enrol(request.user, code)
    except LookupError as missing:
        raise Http404(str(missing)) from None
    except ValidationError as bad:
        messages.error(request, _errors(bad))
        return redirect("training:home")
    return redirect("training:enrolment", enrolment_id=e.pk)


def _enrolment(request: AuthedRequest, enrolment_id: uuid.UUID) -> Enrolment:
    try:
        return services.enrolment(request.user, enrolment_id)
    except LookupError:
        raise Http404(_("No such enrolment of yours.")) from None


@route(LEARNER)
@require_GET
def enrolment(request: AuthedRequest, enrolment_id: uuid.UUID) -> HttpResponse:
    e = _enrolment(request, enrolment_id)
    lang = _language()
    modules = [
        {"key": m["key"], "title": e.course.text(m["title"], lang), "viewed": m["key"] in e.modules_viewed}
        for m in e.course.modules
    ]
    return render(
        request,
        "training/enrolment.html",
        {"e": e, "course": e.course, "title": e.course.title_in(lang), "modules": modules, "lang": lang},
    )


@route(LEARNER)
@require_GET
def module(request: AuthedRequest, enrolment_id: uuid.UUID, key: str) -> HttpResponse:
    try:
        e, m = services.open_module(request.user, enrolment_id, key)
    except LookupError:
        raise Http404(_("No such module.")) from None
    except ValidationError as bad:
        messages.error(request, _errors(bad))
        return redirect("training:enrolment", enrolment_id=enrolment_id)
    lang = _language()
    page = m.get("pages", {}).get(lang) or m.get("pages", {}).get("en", "")
    material = [(i, f) for i, f in enumerate(m.get("material", []))]
    return render(
        request,
        "training/module.html",
        {"e": e, "module": m, "title": e.course.text(m["title"], lang), "page": page, "material": material},
    )


@route(LEARNER)
@require_GET
def material(request: AuthedRequest, enrolment_id: uuid.UUID, key: str, index: int) -> HttpResponse:
    e = _enrolment(request, enrolment_id)
    m = next((m for m in e.course.modules if m["key"] == key), None)
    if m is None or not 0 <= index < len(m.get("material", [])):
        raise Http404(_("No such file."))
    f = m["material"][index]
    response = HttpResponse(base64.b64decode(f["data"]), content_type=f["media_type"])
    response["Content-Disposition"] = f'attachment; filename="{f["filename"]}"'
    return response


@route(LEARNER)
@require_http_methods(["GET", "POST"])
def quiz(request: AuthedRequest, enrolment_id: uuid.UUID) -> HttpResponse:
    e = _enrolment(request, enrolment_id)
    lang = _language()
    result = None
    if request.method == "POST":
        answers = {q["key"]: request.POST.getlist(q["key"])[:8] for q in e.course.quiz.get("questions", [])}
        try:
            result = services.attempt(request.user, enrolment_id, answers)
        except ValidationError as bad:
            messages.error(request, _errors(bad))
            return redirect("training:enrolment", enrolment_id=enrolment_id)
        e = result.enrolment
    questions = [
        {
            "key": q["key"],
            "text": e.course.text(q["text"], lang),
            "multiple": len(q["answer"]) > 1,
            "choices": [{"key": c["key"], "text": e.course.text(c["text"], lang)} for c in q["choices"]],
        }
        for q in e.course.quiz.get("questions", [])
    ]
    return render(
        request,
        "training/quiz.html",
        {"e": e, "questions": questions, "result": result, "pass_mark": e.course.quiz.get("pass_mark")},
    )


@route(LEARNER)
@require_POST
def abandon(request: AuthedRequest, enrolment_id: uuid.UUID) -> HttpResponse:
    try:
        services.abandon(request.user, enrolment_id)
    except LookupError:
        raise Http404(_("No such enrolment of yours.")) from None
    except ValidationError as bad:
        messages.error(request, _errors(bad))
    return redirect("training:home")


@route(LEARNER)
@require_GET
def statements(request: AuthedRequest, enrolment_id: uuid.UUID) -> HttpResponse:
    try:
        out = services.statements(request.user, enrolment_id)
    except LookupError:
        raise Http404(_("No such enrolment of yours.")) from None
    response = JsonResponse(out, safe=False, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="statements-{enrolment_id}.json"'
    return response


@route(ENROL)
@require_http_methods(["GET", "POST"])
def bureau(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        how = request.POST.get("how", "")
        agency = request.POST.get("agency", "")
        try:
            end = _end_of(request.POST.get("end", ""))
            made = services.enrol(
                user,
                request.POST.get("course", ""),
                usernames=[u.strip() for u in request.POST.get("usernames", "").split(",") if u.strip()]
                if how == "people"
                else None,
                by_role=request.POST.get("role", "") if how == "role" else "",
                agency_id=int(agency) if how == "agency" and agency.isdigit() else None,
                end=end,
            )
        except LookupError as missing:
            messages.error(request, str(missing))
        except ValidationError as bad:
            messages.error(request, _errors(bad))
        else:
            messages.success(request, _("%(n)s enrolled.") % {"n": len(made)})
        return redirect("training:bureau")
    lang = _language()
    return render(
        request,
        "training/bureau.html",
        {
            "courses": [(c.code, c.title_in(lang)) for c in services.courses()],
            "roles": [
                (r, label)
                for r, label in User.Role.choices
                if r in ("officer", "head", "admin", "query", "contribute")
            ],
            "agencies": Agency.objects.filter(ncb_id=user.ncb_id or 0).order_by("name"),
            "standing": services.compliance(user) if policies.sees_compliance(user) else None,
            "required": services.required(),
        },
    )


def _end_of(text: str) -> datetime | None:
    """The last day of an enrolment (YYYY-MM-DD), to its end in the node's time zone."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"end": _("Write the last day as YYYY-MM-DD.")}) from None
    return timezone.make_aware(datetime.combine(day, time.max))


def _certificate(request: AuthedRequest, certificate_id: uuid.UUID) -> Any:
    try:
        return services.certificate(request.user, certificate_id)
    except LookupError:
        raise Http404(_("No such certificate.")) from None


@route(CATALOGUE)
@require_GET
def certificate(request: AuthedRequest, certificate_id: uuid.UUID) -> HttpResponse:
    cert = _certificate(request, certificate_id)
    doc = cert.credential
    verdict = services.verify(request.user, doc)
    qr = segno.make(f"{doc['id']} {doc['proof']['proofValue']}", error="m")
    return render(
        request,
        "training/certificate.html",
        {
            "cert": cert,
            "doc": doc,
            "verdict": verdict,
            "qr": qr.svg_inline(scale=3, title=_("Certificate id and signature")),
            "json": json.dumps(doc, ensure_ascii=False, indent=1),
        },
    )


@route(CATALOGUE)
@require_GET
def certificate_json(request: AuthedRequest, certificate_id: uuid.UUID) -> HttpResponse:
    cert = _certificate(request, certificate_id)
    response = JsonResponse(cert.credential, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'attachment; filename="certificate-{cert.pk}.json"'
    return response


@route(VERIFY)
@require_http_methods(["GET", "POST"])
def verify(request: AuthedRequest) -> HttpResponse:
    verdict, error = None, ""
    if request.method == "POST":
        text = request.POST.get("credential", "")
        upload = request.FILES.get("file")
        if upload is not None:
            text = upload.read(MAX_PASTE + 1).decode("utf-8", "replace")
        if len(text) > MAX_PASTE:
            error = _("A certificate is a few kilobytes: this is too large.")
        else:
            try:
                document = json.loads(text)
            except ValueError:
                error = _("This is not JSON: paste the certificate's JSON or upload its file.")
            else:
                verdict = services.verify(request.user, document)
    return render(request, "training/verify.html", {"verdict": verdict, "error": error})


@route(TRAINER)
@require_http_methods(["GET", "POST"])
def gs(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        try:
            if request.POST.get("action") == "course":
                data = json.loads(request.POST.get("course", "") or "null")
                if not isinstance(data, dict):
                    raise ValidationError(_("The course is a JSON object (see docs/training.md)."))
                c = services.author(user, data)
                messages.success(
                    request,
                    _("%(code)s version %(v)s published to every node.") % {"code": c.code, "v": c.version},
                )
            elif request.POST.get("action") == "requirements":
                mapping = {
                    r: [c.strip() for c in request.POST.get(f"role-{r}", "").split(",") if c.strip()]
                    for r in ("officer", "head", "admin", "query", "contribute")
                }
                services.set_requirements(user, mapping)
                messages.success(request, _("Requirements published to every node."))
        except ValueError:
            messages.error(request, _("The course is not JSON."))
        except ValidationError as bad:
            messages.error(request, _errors(bad))
        return redirect("training:gs")
    required = services.required()
    return render(
        request,
        "training/gs.html",
        {
            "courses": services.courses(),
            "roles": [
                (r, label, ", ".join(required.get(r, [])))
                for r, label in User.Role.choices
                if r in ("officer", "head", "admin", "query", "contribute")
            ],
            "coverage": services.coverage(user),
            "issued": services.issued(user),
        },
    )


@route(TRAINER)
@require_POST
def revoke(request: AuthedRequest, certificate_id: uuid.UUID) -> HttpResponse:
    try:
        services.revoke(request.user, certificate_id, request.POST.get("reason", ""))
    except LookupError:
        raise Http404(_("No such certificate.")) from None
    except ValidationError as bad:
        messages.error(request, _errors(bad))
    else:
        messages.success(request, _("Revoked: the status list is sent to every node."))
    return redirect(reverse("training:gs"))
