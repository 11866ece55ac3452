"""Training's use cases, one transaction each with its audit entry.

At the hub: the GS's training staff author courses and set the requirements of each role, both sent
to every node (`training.course`, `training.requirements`, again to a node when it joins); the hub
re-grades each completion a node sends (`training.completion`) and issues an Open Badges 3.0
credential signed with its key (`training.certificate`), or says why not; it revokes by its status
list (`training.status_list`).

On a node: enrolment (by the NCB, one by one, by role, by agency; by the user in an open course),
progress as xAPI-style statements, the quiz graded here, completion sent to the hub; certificates
kept and verified offline; the gate on screening and messaging (`base.gates`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticError

from ncbnet.base import audit, clock, gates
from ncbnet.base.actor import Person
from ncbnet.base.ids import uuid7
from ncbnet.base.node import node_id
from ncbnet.network import delivery
from ncbnet.network.wire import problems

from . import credentials, policies, schemas
from .models import Certificate, Completion, Course, Enrolment, Requirement, Statement, StatusList

COURSE = "training.course"
REQUIREMENTS = "training.requirements"
COMPLETION = "training.completion"
CERTIFICATE = "training.certificate"
STATUS = "training.status_list"
REMIND_BEFORE = timedelta(days=30)

User = get_user_model()


def _nodes() -> list[str]:
    return [n for n in delivery.connected_nodes() if n != "hub"]


def _send_all(kind: str, body: dict[str, Any]) -> None:
    if nodes := _nodes():
        delivery.queue(kind, nodes, body, confidential=False)


# --- the catalogue, at the hub ------------------------------------------------------------------


def _course_body(c: Course) -> dict[str, Any]:
    return {
        "id": str(c.pk),
        "code": c.code,
        "version": c.version,
        "title": c.title,
        "summary": c.summary,
        "content": c.content,
        "validity_days": c.validity_days,
        "open_enrolment": c.open_enrolment,
        "authored_by": c.authored_by,
        "published_at": c.published_at.isoformat(),
    }


def _invalid(exc: PydanticError) -> ValidationError:
    """The fields at fault, each with why (the API's problem details name them)."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False)[:10]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        fields.setdefault(where, error["msg"])
    return ValidationError(fields or problems(exc))


@transaction.atomic
def author(user: Person, data: dict[str, Any]) -> Course:
    """The GS's training staff publish a course (a new one, or the next version of one): checked
    as every node will check it, kept here and sent to every node."""
    if not policies.is_trainer(user):
        raise PermissionDenied(_("Only the GS's training staff author courses."))
    known = Course.objects.select_for_update().filter(code=data.get("code")).first()
    body = {
        "id": str(known.pk if known else uuid7()),
        "version": known.version + 1 if known else 1,
        "authored_by": user.get_username(),
        "published_at": clock.now().isoformat(),
        "validity_days": data.get("validity_days", 1461),
        "open_enrolment": data.get("open_enrolment", False),
        "summary": data.get("summary", {}),
        **{k: data.get(k) for k in ("code", "title", "content")},
    }
    try:
        checked = schemas.CourseBody.model_validate(body, strict=False)
    except PydanticError as bad:
        raise _invalid(bad) from None
    course = _store(checked, received=False)
    audit.record(
        "training.course_published",
        actor=user,
        target=course,
        detail={"code": course.code, "version": course.version},
    )
    _send_all(COURSE, _course_body(course))
    return course


def _store(body: schemas.CourseBody, *, received: bool) -> Course:
    values = {
        "id": body.id,
        "version": body.version,
        "title": dict(body.title),
        "summary": dict(body.summary),
        "content": body.content.model_dump(),
        "validity_days": body.validity_days,
        "open_enrolment": body.open_enrolment,
        "authored_by": body.authored_by,
        "published_at": body.published_at,
        "received_at": clock.now() if received else None,
    }
    course, _created = Course.objects.update_or_create(code=body.code, defaults=values)
    return course


def keep_course(body: schemas.CourseBody) -> Course:
    """A node keeps a course the hub sent (the handler checked the sender): a newer version
    replaces the one kept; the same or an older one is refused."""
    known = Course.objects.filter(code=body.code).first()
    if known is not None and known.pk != body.id:
        raise ValueError(f"course {body.code} is kept here under another id")
    if known is not None and known.version >= body.version:
        raise ValueError(f"course {body.code} version {known.version} is kept here already")
    course = _store(body, received=True)
    audit.record(
        "training.course_received",
        subject="hub",
        target=course,
        detail={"code": course.code, "version": course.version},
    )
    return course


def courses() -> list[Course]:
    return list(Course.objects.order_by("code"))


def course(code: str) -> Course:
    found = Course.objects.filter(code=code).first()
    if found is None:
        raise LookupError(f"no course {code!r}")
    return found


# --- requirements -----------------------------------------------------------------------------------


def required() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in Requirement.objects.order_by("role", "course_code"):
        out.setdefault(r.role, []).append(r.course_code)
    return out


def _requirements_body(published_at: datetime) -> dict[str, Any]:
    return {
        "published_at": published_at.isoformat(),
        "requirements": [{"role": r, "courses": c} for r, c in required().items()],
    }


def _replace_requirements(mapping: dict[str, list[str]], published_at: datetime) -> None:
    Requirement.objects.all().delete()
    Requirement.objects.bulk_create(
        Requirement(role=r, course_code=c, published_at=published_at)
        for r, codes in mapping.items()
        for c in sorted(set(codes))
    )


@transaction.atomic
def set_requirements(user: Person, mapping: dict[str, list[str]]) -> dict[str, list[str]]:
    """The GS sets which courses each role needs: kept here and sent to every node."""
    if not policies.is_trainer(user):
        raise PermissionDenied(_("Only the GS's training staff set the courses each role needs."))
    now = clock.now()
    body = {
        "published_at": now.isoformat(),
        "requirements": [{"role": r, "courses": c} for r, c in mapping.items()],
    }
    try:
        checked = schemas.RequirementsBody.model_validate(body, strict=False)
    except PydanticError as bad:
        raise _invalid(bad) from None
    known = set(Course.objects.values_list("code", flat=True))
    unknown = sorted({c for rc in checked.requirements for c in rc.courses} - known)
    if unknown:
        raise ValidationError(_("No such course: %(codes)s") % {"codes": ", ".join(unknown)})
    _replace_requirements({rc.role: list(rc.courses) for rc in checked.requirements}, now)
    audit.record("training.requirements_set", actor=user, detail={"requirements": required()})
    _send_all(REQUIREMENTS, _requirements_body(now))
    return required()


def keep_requirements(body: schemas.RequirementsBody) -> None:
    latest = Requirement.objects.order_by("-published_at").values_list("published_at", flat=True).first()
    if latest is not None and latest >= body.published_at:
        raise ValueError("a set of requirements as recent is kept here already")
    _replace_requirements({rc.role: list(rc.courses) for rc in body.requirements}, body.published_at)
    audit.record("training.requirements_received", subject="hub", detail={"requirements": required()})


def send_all_to(node: str) -> None:
    """A node joining the network gets the catalogue, the requirements and the status list."""
    for c in Course.objects.order_by("code"):
        delivery.queue(COURSE, [node], _course_body(c), confidential=False)
    latest = Requirement.objects.order_by("-published_at").values_list("published_at", flat=True).first()
    if latest is not None:
        delivery.queue(REQUIREMENTS, [node], _requirements_body(latest), confidential=False)
    status = StatusList.objects.filter(list_id=credentials.STATUS_LIST).first()
    if status is not None:
        delivery.queue(STATUS, [node], {"credential": status.credential}, confidential=False)


# --- enrolment and progress, on a node --------------------------------------------------------------


def _statement(e: Enrolment, verb: str, object_id: str, result: dict[str, Any] | None = None) -> Statement:
    return Statement.objects.create(
        id=uuid7(), enrolment=e, verb=verb, object_id=object_id, result=result or {}, timestamp=clock.now()
    )


def _learners_of(actor: Person) -> Any:
    """The active people of the actor's bureau and its agencies."""
    if actor.ncb_id is None:
        return User.objects.none()
    return User.objects.filter(is_active=True, kind__in=("ncb", "agency"), ncb_id=actor.ncb_id)


def _enrol_one(user: Any, c: Course, method: str, by: str) -> Enrolment | None:
    if Enrolment.objects.filter(user=user, course=c, status=Enrolment.Status.ACTIVE).exists():
        return None
    return Enrolment.objects.create(
        id=uuid7(),
        user=user,
        course=c,
        course_version=c.version,
        method=method,
        enrolled_by=by,
        start=clock.now(),
    )


@transaction.atomic
def enrol(
    actor: Person,
    code: str,
    *,
    usernames: list[str] | None = None,
    by_role: str = "",
    agency_id: int | None = None,
    end: datetime | None = None,
) -> list[Enrolment]:
    """The NCB enrols people of its bureau and agencies: named, all of a role, or all of an agency.
    Those already enrolled are left as they are; returns the new enrolments."""
    if not policies.enrols_others(actor):
        raise PermissionDenied(_("Only the bureau's officers, head and administrator enrol others."))
    c = course(code)
    people = _learners_of(actor)
    if usernames:
        people, method = people.filter(username__in=usernames), Enrolment.Method.MANUAL
        missing = sorted(set(usernames) - set(people.values_list("username", flat=True)))
        if missing:
            raise ValidationError(_("Not people of this bureau: %(names)s") % {"names": ", ".join(missing)})
    elif by_role:
        people, method = people.filter(role=by_role), Enrolment.Method.ROLE
    elif agency_id is not None:
        people, method = people.filter(agency_id=agency_id), Enrolment.Method.AGENCY
    else:
        raise ValidationError(_("Name the people, a role or an agency to enrol."))
    if end is not None and (end.tzinfo is None or end <= clock.now()):
        raise ValidationError({"end": _("The end of an enrolment is a time to come, with its time zone.")})
    made = [e for u in people.order_by("username") if (e := _enrol_one(u, c, method, actor.get_username()))]
    if end is not None:
        for e in made:
            e.end = end
            e.save(update_fields=["end"])
    audit.record(
        "training.enrol",
        actor=actor,
        target=c,
        detail={"course": c.code, "method": method, "enrolled": [e.user.get_username() for e in made]},
    )
    return made


@transaction.atomic
def self_enrol(user: Person, code: str) -> Enrolment:
    if not policies.learns(user):
        raise PermissionDenied(_("Your account does not take courses here."))
    c = course(code)
    if not c.open_enrolment and not _needs(user, c.code):
        raise PermissionDenied(_("This course is not open for self-enrolment: ask your bureau."))
    e = _enrol_one(User.objects.get(pk=user.pk), c, Enrolment.Method.SELF, user.get_username())
    if e is None:
        raise ValidationError(_("You are already enrolled in this course."))
    audit.record("training.self_enrol", actor=user, target=c, detail={"course": c.code})
    return e


def enrolment(user: Person, enrolment_id: Any) -> Enrolment:
    """The user's own enrolment (LookupError otherwise)."""
    e = Enrolment.objects.select_related("course", "user").filter(pk=enrolment_id, user_id=user.pk).first()
    if e is None:
        raise LookupError("no such enrolment of yours")
    return e


def _active(user: Person, enrolment_id: Any) -> Enrolment:
    e = enrolment(user, enrolment_id)
    if e.status != Enrolment.Status.ACTIVE:
        raise ValidationError(_("This enrolment is %(status)s.") % {"status": e.get_status_display()})
    if e.end is not None and clock.now() > e.end:
        raise ValidationError(_("This enrolment ended on %(end)s.") % {"end": e.end.date().isoformat()})
    if e.course.version != e.course_version:
        raise ValidationError(_("The course has a new version: enrol again."))
    return e


def _course_iri(e: Enrolment) -> str:
    return f"urn:ncbnet:training:course:{e.course.code}:{e.course_version}"


@transaction.atomic
def open_module(user: Person, enrolment_id: Any, key: str) -> tuple[Enrolment, dict[str, Any]]:
    """The user opens a module: launched and initialized the first time, the module completed."""
    e = _active(user, enrolment_id)
    module = next((m for m in e.course.modules if m["key"] == key), None)
    if module is None:
        raise LookupError(f"no module {key!r}")
    if not e.statements.exists():
        _statement(e, Statement.Verb.LAUNCHED, _course_iri(e))
        _statement(e, Statement.Verb.INITIALIZED, _course_iri(e))
    if key not in e.modules_viewed:
        e.modules_viewed = [*e.modules_viewed, key]
        e.save(update_fields=["modules_viewed"])
        _statement(e, Statement.Verb.COMPLETED, f"{_course_iri(e)}/module/{key}")
        _complete_if_done(e)
    return e, module


def grade(quiz: dict[str, Any], answers: dict[str, list[str]]) -> int:
    """The percentage of questions answered exactly right."""
    questions = quiz.get("questions", [])
    right = sum(1 for q in questions if sorted(answers.get(q["key"], [])) == sorted(q["answer"]))
    return round(100 * right / len(questions)) if questions else 0


@dataclass
class Attempt:
    enrolment: Enrolment
    score: int
    passed: bool


@transaction.atomic
def attempt(user: Person, enrolment_id: Any, answers: Any) -> Attempt:
    """The user answers the quiz: graded here against the pass mark; a pass with every module
    viewed completes the course and sends the completion to the hub."""
    e = _active(user, enrolment_id)
    try:
        given = schemas.answers_of(answers)
    except PydanticError as bad:
        raise _invalid(bad) from None
    quiz = e.course.quiz
    score = grade(quiz, given)
    passed = score >= quiz["pass_mark"]
    e.attempts += 1
    e.best_score = max(score, e.best_score or 0)
    if passed:
        e.passed_answers = given
    e.save(update_fields=["attempts", "best_score", "passed_answers"])
    verb = Statement.Verb.PASSED if passed else Statement.Verb.FAILED
    _statement(e, verb, f"{_course_iri(e)}/quiz", {"score": {"scaled": score / 100}, "success": passed})
    audit.record(
        "training.attempt",
        actor=user,
        target=e,
        detail={"course": e.course.code, "score": score, "passed": passed},
    )
    if passed:
        _complete_if_done(e)
    return Attempt(e, score, passed)


def _complete_if_done(e: Enrolment) -> None:
    if not e.passed_answers or not set(e.course.module_keys()) <= set(e.modules_viewed):
        return
    now = clock.now()
    e.status, e.completed_at, e.certificate = Enrolment.Status.COMPLETED, now, Enrolment.Certificate.PENDING
    e.save(update_fields=["status", "completed_at", "certificate"])
    _statement(e, Statement.Verb.COMPLETED, _course_iri(e))
    _statement(e, Statement.Verb.TERMINATED, _course_iri(e))
    audit.record("training.completed", actor=e.user, target=e, detail={"course": e.course.code})
    delivery.queue(
        COMPLETION,
        ["hub"],
        {
            "registration": str(e.pk),
            "username": e.user.get_username(),
            "name": e.user.get_full_name()[:300],
            "course_code": e.course.code,
            "course_version": e.course_version,
            "modules_viewed": e.modules_viewed,
            "answers": e.passed_answers,
            "completed_at": now.isoformat(),
        },
    )


@transaction.atomic
def abandon(user: Person, enrolment_id: Any) -> Enrolment:
    e = _active(user, enrolment_id)
    e.status = Enrolment.Status.ABANDONED
    e.save(update_fields=["status"])
    _statement(e, Statement.Verb.ABANDONED, _course_iri(e))
    audit.record("training.abandoned", actor=user, target=e, detail={"course": e.course.code})
    return e


def statements(user: Person, enrolment_id: Any) -> list[dict[str, Any]]:
    """The enrolment's statements as xAPI JSON (one registration per enrolment)."""
    e = enrolment(user, enrolment_id)
    actor = {
        "objectType": "Agent",
        "account": {"homePage": f"urn:ncbnet:{node_id()}", "name": e.user.get_username()},
    }
    return [
        {
            "id": str(s.pk),
            "actor": actor,
            "verb": {"id": f"http://adlnet.gov/expapi/verbs/{s.verb}", "display": {"en": s.verb}},
            "object": {"objectType": "Activity", "id": s.object_id},
            **({"result": s.result} if s.result else {}),
            "context": {"registration": str(e.pk)},
            "timestamp": s.timestamp.isoformat(),
        }
        for s in e.statements.order_by("timestamp", "id")
    ]


# --- completions and certificates, at the hub --------------------------------------------------------


def _certificate_body(
    registration: str, state: str, reason: str = "", score: int = 0, credential: Any = None
) -> dict[str, Any]:
    return {
        "registration": registration,
        "state": state,
        "reason": reason,
        "score": score,
        "credential": credential,
    }


def receive_completion(sender: str, body: schemas.CompletionBody) -> Completion:
    """The hub re-grades a node's completion with its own course (never the node's grade) and
    issues the certificate, or tells the node why not."""
    registration = str(body.registration)
    if Completion.objects.filter(registration=body.registration).exists():
        raise ValueError("this completion was received already")
    c = Course.objects.filter(code=body.course_code).first()
    if c is None:
        raise ValueError(f"no course {body.course_code}")
    score, reason = grade(c.quiz, dict(body.answers)), ""
    if c.version != body.course_version:
        reason = f"the course is at version {c.version}: take it again"
    elif not set(c.module_keys()) <= set(body.modules_viewed):
        reason = "not every module was viewed"
    elif score < c.quiz["pass_mark"]:
        reason = f"re-graded at the GS: {score}%, the pass mark is {c.quiz['pass_mark']}%"
    now = clock.now()
    done = Completion.objects.create(
        registration=body.registration,
        node=sender,
        username=body.username,
        course_code=c.code,
        course_version=body.course_version,
        answers=dict(body.answers),
        score=score,
        passed=not reason,
        reason=reason,
        received_at=now,
    )
    if reason:
        audit.record("training.completion_refused", subject=sender, target=done, detail={"reason": reason})
        delivery.queue(CERTIFICATE, [sender], _certificate_body(registration, "notpassing", reason, score))
        return done
    last = Certificate.objects.order_by("-status_index").values_list("status_index", flat=True).first()
    index = 0 if last is None else last + 1
    if index >= credentials.LIST_BITS:
        raise ValueError("the status list is full")
    cid = uuid7()
    until = now + timedelta(days=c.validity_days)
    signed = credentials.sign(
        credentials.open_badge(
            credential_id=str(cid),
            node=sender,
            username=body.username,
            name=body.name,
            course=c,
            valid_from=now,
            valid_until=until,
            status_index=index,
            score=score,
        )
    )
    cert = Certificate.objects.create(
        id=cid,
        node=sender,
        username=body.username,
        course_code=c.code,
        registration=body.registration,
        status_index=index,
        valid_from=now,
        valid_until=until,
        credential=signed,
    )
    done.certificate = cert
    done.save(update_fields=["certificate"])
    audit.record(
        "training.certificate_issued", subject=sender, target=cert, detail={"course": c.code, "score": score}
    )
    delivery.queue(CERTIFICATE, [sender], _certificate_body(registration, "downloadable", "", score, signed))
    return done


def keep_certificate(body: schemas.CertificateBody) -> Enrolment:
    """A node keeps what the hub answered to a completion: the credential (its proof checked
    against the hub's key, its subject this node's user of the enrolment), or the refusal."""
    e = Enrolment.objects.select_related("user", "course").filter(pk=body.registration).first()
    if e is None:
        raise ValueError("no enrolment of this registration here")
    if e.certificate != Enrolment.Certificate.PENDING:
        raise ValueError("this enrolment is not waiting for the GS's answer")
    if body.state == "notpassing":
        e.certificate, e.refusal = Enrolment.Certificate.NOT_PASSING, body.reason
        e.status, e.completed_at, e.passed_answers = Enrolment.Status.ACTIVE, None, {}
        e.save(update_fields=["certificate", "refusal", "status", "completed_at", "passed_answers"])
        audit.record("training.certificate_refused", subject="hub", target=e, detail={"reason": body.reason})
        return e
    document = body.credential
    problem = credentials.proof_problem(document)
    if problem is not None:
        raise ValueError(f"the credential: {problem}")
    subject = document.get("credentialSubject", {})
    if subject.get("id") != credentials.subject_id(node_id(), e.user.get_username()):
        raise ValueError("the credential is not of this enrolment's user")
    if subject.get("achievement", {}).get("id") != _course_iri(e):
        raise ValueError("the credential is not of this enrolment's course")
    verdict = credentials.verify(document, None)
    if not verdict.valid:
        raise ValueError(f"the credential: {'; '.join(verdict.reasons)}")
    status = document.get("credentialStatus", {})
    try:
        cid = str(document["id"]).removeprefix("urn:uuid:")
        index = int(status["statusListIndex"])
        cert = Certificate.objects.create(
            id=cid,
            node=node_id(),
            username=e.user.get_username(),
            course_code=e.course.code,
            registration=e.pk,
            status_index=index,
            valid_from=datetime.fromisoformat(document["validFrom"]),
            valid_until=datetime.fromisoformat(document["validUntil"]),
            credential=document,
            holder=e.user,
        )
    except (KeyError, ValueError, TypeError, ValidationError) as bad:
        raise ValueError(f"the credential's id, dates or status index: {bad}") from None
    e.certificate, e.refusal = Enrolment.Certificate.ISSUED, ""
    e.save(update_fields=["certificate", "refusal"])
    audit.record(
        "training.certificate_received", subject="hub", target=cert, detail={"course": e.course.code}
    )
    return e


def _status() -> dict[str, Any] | None:
    kept = StatusList.objects.filter(list_id=credentials.STATUS_LIST).first()
    return kept.credential if kept is not None else None


@transaction.atomic
def revoke(user: Person, certificate_id: Any, reason: str) -> Certificate:
    """The GS revokes a certificate: its bit set in the status list, signed again, sent to every node."""
    if not policies.is_trainer(user):
        raise PermissionDenied(_("Only the GS's training staff revoke certificates."))
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise ValidationError({"reason": _("Say why, in at most 300 characters.")})
    cert = Certificate.objects.select_for_update().filter(pk=certificate_id, holder__isnull=True).first()
    if cert is None:
        raise LookupError("no certificate of this id issued here")
    if cert.revoked_at is not None:
        raise ValidationError(_("This certificate is revoked already."))
    cert.revoked_at, cert.revocation_reason = clock.now(), reason
    cert.save(update_fields=["revoked_at", "revocation_reason"])
    audit.record("training.revoked", actor=user, target=cert, detail={"reason": reason})
    publish_status_list()
    return cert


def publish_status_list() -> StatusList:
    revoked = set(Certificate.objects.filter(revoked_at__isnull=False).values_list("status_index", flat=True))
    now = clock.now()
    signed = credentials.status_list(revoked, now)
    kept, _created = StatusList.objects.update_or_create(
        list_id=credentials.STATUS_LIST, defaults={"credential": signed, "published_at": now}
    )
    _send_all(STATUS, {"credential": signed})
    return kept


def keep_status_list(body: schemas.StatusListBody) -> StatusList:
    document = body.credential
    problem = credentials.list_problem(document)
    if problem is not None:
        raise ValueError(f"the status list: {problem}")
    published = datetime.fromisoformat(document["validFrom"])
    kept = StatusList.objects.filter(list_id=credentials.STATUS_LIST).first()
    if kept is not None and kept.published_at >= published:
        raise ValueError("a status list as recent is kept here already")
    kept, _created = StatusList.objects.update_or_create(
        list_id=credentials.STATUS_LIST, defaults={"credential": document, "published_at": published}
    )
    audit.record("training.status_list_received", subject="hub", detail={"valid_from": document["validFrom"]})
    return kept


# --- verification, compliance and the gate ----------------------------------------------------------


def verify(actor: Person | None, document: Any) -> credentials.Verdict:
    """Verify a credential offline, against the hub's key and the status list held here."""
    verdict = credentials.verify(document, _status())
    with transaction.atomic():
        audit.record(
            "training.verified",
            actor=actor,
            detail={"valid": verdict.valid, "reasons": verdict.reasons, "subject": verdict.subject},
        )
    return verdict


def _revoked() -> set[int]:
    status = _status()
    if status is None:
        return set()
    bits = credentials.decode_list(status["credentialSubject"]["encodedList"])
    return {i * 8 + b for i, byte in enumerate(bits) if byte for b in range(8) if byte & (0x80 >> b)}


def valid_certificates(user: Any) -> dict[str, Certificate]:
    """The user's certificates in force, by course code (not expired, not revoked)."""
    revoked = _revoked()
    out: dict[str, Certificate] = {}
    for cert in Certificate.objects.filter(holder_id=user.pk, valid_until__gt=clock.now()).order_by(
        "valid_until"
    ):
        if cert.status_index not in revoked:
            out[cert.course_code] = cert
    return out


def _needs(user: Any, code: str) -> bool:
    return Requirement.objects.filter(role=user.role, course_code=code).exists()


def missing_courses(user: Any) -> list[str]:
    """The courses the user's role needs and they hold no certificate in force for."""
    if user.kind not in ("ncb", "agency"):
        return []  # the GS's staff, systems and the Commission are not gated (docs/training.md)
    needed = list(Requirement.objects.filter(role=user.role).values_list("course_code", flat=True))
    if not needed:
        return []
    held = valid_certificates(user)
    return sorted(c for c in needed if c not in held)


def _course_names(codes: list[str]) -> str:
    titles = {c.code: c.title_in("en") for c in Course.objects.filter(code__in=codes)}
    return ", ".join(f"{code} ({titles[code]})" if code in titles else code for code in codes)


@gates.register("training")
def gate(actor: Any, service: str) -> str | None:
    missing = missing_courses(actor)
    if not missing:
        return None
    return _(
        "Training required: before you use %(service)s, pass %(courses)s. Open Training in the menu "
        "to take the course; your bureau can enrol you."
    ) % {"service": service, "courses": _course_names(missing)}


@dataclass
class Standing:
    user: Any
    missing: list[str]
    expiring: list[Certificate]


def compliance(actor: Person) -> list[Standing]:
    """Who in the bureau and its agencies lacks a required certificate, or has one expiring soon."""
    if not policies.sees_compliance(actor):
        raise PermissionDenied(_("The bureau's compliance is for its head and administrator."))
    soon = clock.now() + REMIND_BEFORE
    out = []
    for u in _learners_of(actor).order_by("username"):
        missing = missing_courses(u)
        expiring = [c for c in valid_certificates(u).values() if c.valid_until <= soon]
        if missing or expiring:
            out.append(Standing(u, missing, expiring))
    return out


def coverage(actor: Person) -> list[dict[str, Any]]:
    """At the hub: certificates in force per country and course."""
    if not policies.is_trainer(actor):
        raise PermissionDenied(_("The coverage per country is for the GS's training staff."))
    now = clock.now()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for cert in Certificate.objects.filter(holder__isnull=True):
        row = rows.setdefault(
            (cert.node, cert.course_code),
            {"country": cert.node, "course": cert.course_code, "valid": 0, "expired": 0, "revoked": 0},
        )
        key = "revoked" if cert.revoked_at else ("valid" if cert.valid_until > now else "expired")
        row[key] += 1
    return [rows[k] for k in sorted(rows)]


def issued(actor: Person, limit: int = 200) -> list[Certificate]:
    if not policies.is_trainer(actor):
        raise PermissionDenied(_("The certificates issued are for the GS's training staff."))
    return list(Certificate.objects.filter(holder__isnull=True).order_by("-valid_from")[:limit])


def certificate(actor: Person, certificate_id: Any) -> Certificate:
    """A certificate the actor may see: their own, or any of their bureau's for its head, or any
    issued at the hub for the GS's training staff."""
    cert = Certificate.objects.select_related("holder").filter(pk=certificate_id).first()
    if cert is None:
        raise LookupError("no such certificate")
    if cert.holder_id == actor.pk or policies.is_trainer(actor):
        return cert
    if policies.sees_compliance(actor) and cert.holder is not None and cert.holder.ncb_id == actor.ncb_id:
        return cert
    raise LookupError("no such certificate")


# --- the periodic job: reminders before expiry --------------------------------------------------------


def remind() -> int:
    """Certificates held here that expire within 30 days: the holder is re-enrolled in the course
    (a renewal) and the reminder is audited, once per certificate."""
    soon = clock.now() + REMIND_BEFORE
    n = 0
    with transaction.atomic():
        due = Certificate.objects.select_related("holder").filter(
            holder__isnull=False, reminded_at__isnull=True, valid_until__lte=soon, valid_until__gt=clock.now()
        )
        for cert in due:
            c = Course.objects.filter(code=cert.course_code).first()
            if c is not None and cert.holder is not None and cert.holder.is_active:
                _enrol_one(cert.holder, c, Enrolment.Method.RENEWAL, "reminder")
            cert.reminded_at = clock.now()
            cert.save(update_fields=["reminded_at"])
            audit.record(
                "training.reminder",
                target=cert,
                detail={
                    "course": cert.course_code,
                    "holder": cert.username,
                    "expires": cert.valid_until.isoformat(),
                },
            )
            n += 1
    return n


def my_training(user: Any) -> dict[str, Any]:
    held = valid_certificates(user)
    enrolled = list(Enrolment.objects.select_related("course").filter(user_id=user.pk).order_by("-start"))
    active_codes = {e.course.code for e in enrolled if e.status == Enrolment.Status.ACTIVE}
    return {
        "missing": missing_courses(user),
        "enrolments": enrolled,
        "certificates": list(Certificate.objects.filter(holder_id=user.pk).order_by("-valid_from")),
        "held": held,
        "open": [
            c for c in courses() if (c.open_enrolment or _needs(user, c.code)) and c.code not in active_codes
        ],
        "expiring": [c for c in held.values() if c.valid_until <= clock.now() + REMIND_BEFORE],
    }
