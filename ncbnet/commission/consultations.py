"""Consulting the owner bureau of the challenged data over the network.

At the hub, the Commission asks the owner of a record or notice for its position (`ccf.consult`,
sealed to the owner); on its node, the bureau's officers answer before their deadline
(`ccf.position`, sealed to the hub); at the hub the answer joins the request.

Two databases take part at the hub: the Commission's (the consultation, its step and journal
entry) and the node's (the envelope in the outbox, its audit entry). The node's transaction commits
inside the Commission's, so an envelope is never sent for a consultation that the Commission does
not keep unless the Commission's own commit then fails, in which case the owner's answer finds no
consultation and is quarantined (docs/commission.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock, policies
from ncbnet.base.node import HUB, role
from ncbnet.network import delivery
from ncbnet.network.envelope import Rejected
from ncbnet.network.handlers import Arrived, register, require_hub
from ncbnet.notices import services as notice_services
from ncbnet.notices.models import Notice
from ncbnet.records import lifecycle
from ncbnet.records import services as records
from ncbnet.records.models import Record

from . import journal
from .models import OWNER_DAYS, Consultation, IllegalStep, OwnerConsultation, Position, Request, Step
from .router import ALIAS
from .schemas import (
    BLOCK,
    CONSULT,
    DECISION,
    POSITION,
    BlockBody,
    ConsultBody,
    DecisionBody,
    PositionBody,
)


def _subject(database: str, subject: uuid.UUID) -> tuple[str, str]:
    """The label and owner of the record or notice the hub keeps, or a ValidationError."""
    if database == "records":
        record = Record.objects.filter(pk=subject).values("label", "owner").first()
        if record is not None:
            return record["label"], record["owner"]
    elif database == "notices":
        notice = Notice.objects.filter(pk=subject).values("title", "owner").first()
        if notice is not None:
            return notice["title"], notice["owner"]
    raise ValidationError({"subject": _("The hub keeps no such record or notice.")})


def consulted_records(request: Request) -> list[tuple[uuid.UUID, str, dict[str, Any]]]:
    """The records consulted on for a request that the hub still keeps (not withdrawn):
    (consultation id, label, current data), for the Commission to state a correction."""
    found = list(request.consultations.filter(database="records"))
    data = dict(
        Record.objects.filter(pk__in=[c.subject for c in found], deleted_at__isnull=True).values_list(
            "pk", "data"
        )
    )
    return [(c.pk, c.label, data[c.subject]) for c in found if c.subject in data]


def consult(
    actor: Any, request_id: Any, *, database: str, subject: uuid.UUID, question: str, ip: str = ""
) -> Consultation:
    """Ask the owner bureau of a record or notice for its position on an admissible request."""
    if not policies.is_commission(actor):
        raise PermissionDenied(_("Only the Commission's members and secretariat may do this."))
    if not question.strip():
        raise ValidationError({"question": _("Say what the Commission asks the bureau.")})
    label, owner = _subject(database, subject)
    now = clock.now()
    with transaction.atomic(using=ALIAS):
        request = Request.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise LookupError(request_id)
        if request.state != Request.State.ADMISSIBLE:
            raise IllegalStep(_("Only an admissible request is examined with the data's owner."))
        consultation = Consultation.objects.create(
            request=request,
            database=database,
            subject=subject,
            label=label[:300],
            owner=owner,
            question=question.strip(),
            asked_at=now,
            due_at=now + timedelta(days=OWNER_DAYS),
        )
        Step.objects.create(request=request, at=now, kind=Step.Kind.CONSULTED)
        journal.record(
            "ccf.owner.consulted",
            actor=actor,
            request_ref=request.reference,
            ip=ip,
            detail={"consultation": str(consultation.pk), "database": database, "subject": str(subject)},
        )
        with transaction.atomic():  # the node's database: the envelope and its audit entry
            delivery.queue(
                CONSULT,
                [owner],
                {
                    "consultation": str(consultation.pk),
                    "database": database,
                    "subject": str(subject),
                    "label": consultation.label,
                    "kind": request.kind,
                    "question": consultation.question,
                    "asked_at": now.isoformat(),
                    "due_at": consultation.due_at.isoformat(),
                },
            )
            audit.record(
                "commission.owner_consulted",
                actor=actor,
                target_type="commission.consultation",
                target_id=str(consultation.pk),
                detail={"database": database, "subject": str(subject), "owner": owner},
                ip=ip,
            )
    return consultation


def consultation_of(request_id: Any, consultation_id: Any) -> Consultation | None:
    return Consultation.objects.filter(pk=consultation_id, request_id=request_id).first()


@register(CONSULT, ConsultBody)
def consult_arrived(envelope: Arrived, body: ConsultBody) -> None:
    """On the owner's node: keep the question for its officers (once)."""
    require_hub(envelope, "the Commission's consultations")
    if not role().bureau:
        raise Rejected("the Commission consults bureaus, not the hub")
    if OwnerConsultation.objects.filter(pk=body.consultation).exists():
        return
    with transaction.atomic():
        OwnerConsultation.objects.create(
            id=body.consultation,
            database=body.database,
            subject=body.subject,
            label=body.label,
            kind=body.kind,
            question=body.question,
            asked_at=body.asked_at,
            due_at=body.due_at,
            received_at=clock.now(),
        )
        audit.record(
            "commission.consultation.received",
            target_type="commission.ownerconsultation",
            target_id=str(body.consultation),
            detail={"database": body.database, "subject": str(body.subject)},
        )


def owner_consultations(actor: Any) -> list[OwnerConsultation]:
    """The bureau's consultations, unanswered first, soonest due first."""
    if not policies.is_ncb_staff(actor):
        raise PermissionDenied(_("Only the bureau's staff answer the Commission."))
    found = OwnerConsultation.objects.all()
    return sorted(found, key=lambda c: (c.answered, c.due_at))


def owner_consultation(actor: Any, consultation_id: Any, ip: str = "") -> OwnerConsultation | None:
    if not policies.is_ncb_staff(actor):
        raise PermissionDenied(_("Only the bureau's staff answer the Commission."))
    found = OwnerConsultation.objects.filter(pk=consultation_id).first()
    if found is not None:
        with transaction.atomic():
            audit.record("commission.consultation.read", actor=actor, target=found, ip=ip)
    return found


def answer(actor: Any, consultation_id: Any, *, position: str, note: str, ip: str = "") -> OwnerConsultation:
    """The bureau's position, kept here and sent to the Commission at the hub."""
    if not policies.is_ncb_staff(actor):
        raise PermissionDenied(_("Only the bureau's staff answer the Commission."))
    if position not in Position.values:
        raise ValidationError({"position": _("Choose keep, correct or delete.")})
    now = clock.now()
    with transaction.atomic():
        found = OwnerConsultation.objects.select_for_update().filter(pk=consultation_id).first()
        if found is None:
            raise LookupError(consultation_id)
        if found.answered:
            raise IllegalStep(_("This consultation was answered already."))
        found.position, found.note = position, note.strip()[:2000]
        found.answered_at, found.answered_by = now, actor.get_username()
        found.save(update_fields=["position", "note", "answered_at", "answered_by"])
        delivery.queue(
            POSITION,
            [HUB],
            {
                "consultation": str(found.pk),
                "position": position,
                "note": found.note,
                "by": found.answered_by,
                "at": now.isoformat(),
            },
        )
        audit.record(
            "commission.consultation.answered",
            actor=actor,
            target=found,
            detail={"position": position},
            ip=ip,
        )
    return found


@register(
    POSITION,
    PositionBody,
    to_hub="positions go to the Commission at the hub",
    from_bureau="positions come from the owner bureau",
)
def position_arrived(envelope: Arrived, body: PositionBody) -> None:
    """At the hub: the owner's position joins the Commission's request (once, from the owner)."""
    with transaction.atomic(using=ALIAS):
        consultation = (
            Consultation.objects.select_for_update()
            .filter(pk=body.consultation)
            .select_related("request")
            .first()
        )
        if consultation is None:
            raise Rejected("a position on a consultation the Commission does not keep")
        if envelope.sender != consultation.owner:
            raise Rejected("only the data's owner gives its position")
        if consultation.answered_at is not None:
            return
        now = clock.now()
        consultation.position, consultation.note = body.position, body.note
        consultation.answered_at, consultation.answered_by = now, f"{envelope.sender}: {body.by}"
        consultation.save(update_fields=["position", "note", "answered_at", "answered_by"])
        Step.objects.create(request=consultation.request, at=now, kind=Step.Kind.OWNER_ANSWERED)
        journal.record(
            "ccf.owner.answered",
            actor=None,
            request_ref=consultation.request.reference,
            detail={
                "consultation": str(consultation.pk),
                "owner": envelope.sender,
                "position": body.position,
            },
        )


def block(actor: Any, consultation_id: Any, *, blocked: bool, ip: str = "") -> Consultation:
    """A member blocks the consulted record while the request is pending (or unblocks it): it
    leaves every replica, search and screening (records.services.block), and its owner is told."""
    if not policies.is_commission_member(actor):
        raise PermissionDenied(_("Only the Commission's members block data."))
    now = clock.now()
    with transaction.atomic(using=ALIAS):
        consultation = (
            Consultation.objects.select_for_update()
            .filter(pk=consultation_id)
            .select_related("request")
            .first()
        )
        if consultation is None:
            raise LookupError(consultation_id)
        if consultation.database != "records":
            raise IllegalStep(_("Only a record can be blocked."))
        if blocked and consultation.request.state != Request.State.ADMISSIBLE:
            raise IllegalStep(_("Data is blocked only while its request is examined."))
        if (consultation.blocked_at is not None) == blocked:
            return consultation
        consultation.blocked_at = now if blocked else None
        consultation.save(update_fields=["blocked_at"])
        Step.objects.create(
            request=consultation.request, at=now, kind=Step.Kind.BLOCKED if blocked else Step.Kind.UNBLOCKED
        )
        journal.record(
            "ccf.data.blocked" if blocked else "ccf.data.unblocked",
            actor=actor,
            request_ref=consultation.request.reference,
            ip=ip,
            detail={"consultation": str(consultation.pk), "subject": str(consultation.subject)},
        )
        with transaction.atomic():  # the node's database: the record, its feed, the owner's flag
            _block_record(actor, consultation, consultation.request.reference, blocked, now)
    return consultation


def _block_record(actor: Any, consultation: Consultation, reference: str, blocked: bool, now: Any) -> None:
    """In the node's transaction: the consulted record blocked (or unblocked) and its owner told."""
    records.block(actor, consultation.subject, reference, blocked=blocked)
    delivery.queue(
        BLOCK,
        [consultation.owner],
        {
            "consultation": str(consultation.pk),
            "subject": str(consultation.subject),
            "label": consultation.label,
            "blocked": blocked,
            "at": now.isoformat(),
        },
    )


@register(BLOCK, BlockBody)
def block_arrived(envelope: Arrived, body: BlockBody) -> None:
    """On the owner's node: the consultation shows the block, and the owner's alerts say it."""
    require_hub(envelope, "the Commission's blocks")
    if not role().bureau:
        raise Rejected("the Commission's blocks go to the data's owner")
    with transaction.atomic():
        found = OwnerConsultation.objects.select_for_update().filter(pk=body.consultation).first()
        if found is None:
            raise Rejected("a block for a consultation this node does not keep")
        if found.subject != body.subject:
            raise Rejected("a block of other data than the consultation's")
        found.blocked_at = body.at if body.blocked else None
        found.save(update_fields=["blocked_at"])
        records.alert_owner(
            body.subject, body.label, "blocked" if body.blocked else "unblocked", "CCF", clock.now()
        )
        audit.record(
            "commission.consultation.blocked" if body.blocked else "commission.consultation.unblocked",
            target=found,
            detail={"subject": str(body.subject)},
        )


def decide(
    actor: Any,
    request_id: Any,
    *,
    decision: str,
    reasons: str,
    corrections: Mapping[str, dict[str, Any]] | None = None,
    ip: str = "",
) -> Request:
    """A member records the Commission's decision with its reasons (the applicant reads them) and
    it is carried out on the data consulted on, through the records and notices services: deleted
    (a record by the purge path, gone from the hub and every replica; a notice cancelled, its public
    extract with it), corrected (a record's data replaced by the corrected data the decision states,
    `corrections` by consultation id, and unblocked), or kept (unblocked if blocked). Each owner
    bureau is told the decision (`ccf.decision`)."""
    if not policies.is_commission_member(actor):
        raise PermissionDenied(_("Only the Commission's members decide."))
    if decision not in Request.Decision.values:
        raise ValidationError({"decision": _("Choose a decision.")})
    if not reasons.strip():
        raise ValidationError({"reasons": _("A decision gives its reasons.")})
    fixes = {str(k): v for k, v in (corrections or {}).items()}
    now = clock.now()
    with transaction.atomic(using=ALIAS):
        request = Request.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            raise LookupError(request_id)
        consulted = list(request.consultations.select_for_update())
        if decision == Request.Decision.CORRECT:
            _check_corrections(consulted, fixes)
        request.decide(decision, now)
        request.reasons_given = reasons.strip()
        request.save(update_fields=["state", "decision", "decided_at", "reasons_given"])
        Step.objects.create(request=request, at=now, kind=Step.Kind.DECIDED, note=request.reasons_given)
        done = []
        with transaction.atomic():  # the node's database: the data, the feed, the owners told
            for consultation in consulted:
                outcome = _carry_out(actor, request, consultation, decision, fixes, now)
                if outcome:
                    done.append({"subject": str(consultation.subject), "done": outcome})
                consultation.blocked_at = None
                consultation.save(update_fields=["blocked_at"])
                delivery.queue(
                    DECISION,
                    [consultation.owner],
                    {
                        "consultation": str(consultation.pk),
                        "subject": str(consultation.subject),
                        "label": consultation.label,
                        "decision": decision,
                        "reasons": request.reasons_given[:4000],
                        "at": now.isoformat(),
                    },
                )
        journal.record(
            "ccf.request.decided",
            actor=actor,
            request_ref=request.reference,
            ip=ip,
            detail={"decision": decision, "carried_out": done},
        )
    return request


def _check_corrections(consulted: list[Consultation], fixes: Mapping[str, dict[str, Any]]) -> None:
    """A correction states the corrected data of every record consulted on; a notice is not
    corrected by the Commission (its owner changes it, or the Commission decides to delete it)."""
    if any(c.database == "notices" for c in consulted):
        raise IllegalStep(
            _(
                "A notice is not corrected by the Commission: its owner changes it, "
                "or the Commission decides to delete it."
            )
        )
    if not consulted or any(not isinstance(fixes.get(str(c.pk)), dict) for c in consulted):
        raise ValidationError(
            {"corrections": _("A correction states the corrected data of every record consulted on.")}
        )


def _carry_out(
    actor: Any,
    request: Request,
    consultation: Consultation,
    decision: str,
    fixes: Mapping[str, dict[str, Any]],
    now: Any,
) -> str:
    """The decision on one consulted record or notice, in the node's transaction: what was done."""
    why = f"CCF {request.reference}"
    if consultation.database == "notices":
        if decision == Request.Decision.DELETE and Notice.objects.filter(pk=consultation.subject).exists():
            notice_services.cancel_by_commission(actor, consultation.subject, why)
            return "cancelled"
        return ""
    if decision == Request.Decision.DELETE:
        if Record.objects.filter(pk=consultation.subject).exists():
            lifecycle.erase(actor, consultation.subject, why)
            return "erased"
        return ""
    if decision == Request.Decision.CORRECT:
        try:
            records.correct(actor, consultation.subject, fixes[str(consultation.pk)], why)
        except Http404:
            return ""
        except ValidationError as exc:
            raise ValidationError(
                {"corrections": [f"{consultation.label}: {m}" for m in exc.messages]}
            ) from exc
        return "corrected"
    if consultation.blocked_at is not None:
        _block_record(actor, consultation, request.reference, False, now)
        return "unblocked"
    return ""


@register(DECISION, DecisionBody)
def decision_arrived(envelope: Arrived, body: DecisionBody) -> None:
    """On the owner's node: the consultation shows the Commission's decision and its reasons, and
    the owner's alerts say what became of its record."""
    require_hub(envelope, "the Commission's decisions")
    if not role().bureau:
        raise Rejected("the Commission's decisions go to the data's owner")
    with transaction.atomic():
        found = OwnerConsultation.objects.select_for_update().filter(pk=body.consultation).first()
        if found is None:
            raise Rejected("a decision on a consultation this node does not keep")
        if found.subject != body.subject:
            raise Rejected("a decision on other data than the consultation's")
        if found.decided_at is not None:
            return
        found.decision, found.decision_reasons, found.decided_at = body.decision, body.reasons, body.at
        found.blocked_at = None
        found.save(update_fields=["decision", "decision_reasons", "decided_at", "blocked_at"])
        if found.database == "records":
            event = {"delete": "erased", "correct": "corrected"}.get(body.decision, "kept")
            records.alert_owner(body.subject, body.label, event, "CCF", clock.now())
        audit.record(
            "commission.consultation.decided",
            target=found,
            detail={"subject": str(body.subject), "decision": body.decision},
        )
