"""What needs action now, for the home page: received requests due soonest, overdue alerts, hits
awaiting this bureau's confirmation; for an agency's user, its agency's open tasks and its own
requests for international help.

For the bureau: received requests due soonest, its alerts, hits awaiting its confirmation, the
national tasks past their due date, the agencies' requests for help waiting for its review, and
the cases with entries it has not read. For an agency's user: its agency's open tasks, due soonest,
and its own requests for international help.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.hits import services as hits
from ncbnet.records import approval

from ..models.requests import Alert, Request
from ..models.tasks import HelpRequest, Task
from ..policies import cooperates, is_agency_user
from . import cases, escalation, requests, tasks
from . import help as helping

LIMIT = 20


@dataclass
class Worklist:
    requests: list[Request] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    hits: list[Any] = field(default_factory=list)  # hits.models.HitReport
    tasks: list[Any] = field(default_factory=list)
    cases: list[Any] = field(default_factory=list)
    help_requests: list[Any] = field(default_factory=list)
    # records.models.PendingContribution: the agencies' submissions to approve (the bureau's
    # staff), or the user's own waiting or returned ones (an agency's user)
    contributions: list[Any] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.requests
            or self.alerts
            or self.hits
            or self.tasks
            or self.cases
            or self.help_requests
            or self.contributions
        )


def _audited(actor: Person, w: Worklist, ip: str | None) -> Worklist:
    with transaction.atomic():
        audit.record(
            "cooperation.worklist.read",
            actor=actor,
            ip=ip,
            detail={
                "requests": [str(r.pk) for r in w.requests],
                "alerts": len(w.alerts),
                "hits": len(w.hits),
                "contributions": [str(c.pk) for c in w.contributions],
            },
        )
    return w


def for_officer(actor: Person, ip: str | None = None) -> Worklist:
    """An NCB officer's (or the GS's) work queue; its reading is audited."""
    if not cooperates(actor):
        raise PermissionDenied(_("The bureau's work queue is for its staff and the GS."))
    w = Worklist(
        requests=requests.due_soonest(LIMIT),
        alerts=list(escalation.alerts(actor)[:LIMIT]),
        hits=list(hits.to_answer(actor)[:LIMIT]),
        tasks=list(
            tasks.visible(actor)
            .filter(state__in=Task.OPEN, due_at__lt=clock.now())
            .order_by("due_at")[:LIMIT]
        ),
        help_requests=list(
            helping.visible(actor)
            .filter(state=HelpRequest.State.SUBMITTED)
            .order_by("-urgent", "created_at")[:LIMIT]
        ),
        cases=cases.with_new_entries(actor, limit=LIMIT),
        contributions=list(approval.to_approve(actor)[:LIMIT]),
    )
    return _audited(actor, w, ip)


def for_agency(actor: Person, ip: str | None = None) -> Worklist:
    """A national agency user's queue: its agency's open tasks, due soonest, and its requests for
    international help, the latest first."""
    if not is_agency_user(actor):
        raise PermissionDenied(_("This work queue is for the users of a national agency."))
    w = Worklist(
        tasks=list(tasks.visible(actor).filter(state__in=Task.OPEN).order_by("due_at")[:LIMIT]),
        help_requests=list(helping.visible(actor).order_by("-created_at")[:LIMIT]),
        contributions=list(approval.mine(actor).filter(state__in=("pending", "returned"))[:LIMIT]),
    )
    return _audited(actor, w, ip)
