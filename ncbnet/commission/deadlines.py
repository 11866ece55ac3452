"""The statutory clock, on the node's clock (base.clock): a decision within 4 months of
admissibility for access, 9 for correction or deletion (models.DECISION_MONTHS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import Request

# A request whose decision is due within this is shown to the Commission as due soon.
SOON = timedelta(days=30)


@dataclass(frozen=True)
class Clock:
    """Where a request stands against its deadline at `now`."""

    due_at: datetime | None
    now: datetime

    @property
    def running(self) -> bool:
        return self.due_at is not None

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and self.now > self.due_at

    @property
    def due_soon(self) -> bool:
        return self.due_at is not None and not self.overdue and self.due_at - self.now <= SOON

    @property
    def days_left(self) -> int | None:
        if self.due_at is None:
            return None
        return (self.due_at - self.now).days


def clock_of(request: Request, now: datetime) -> Clock:
    return Clock(request.due_at if request.state == Request.State.ADMISSIBLE else None, now)


def alerts(now: datetime) -> tuple[list[Request], list[Request]]:
    """Requests under examination that are overdue, and those due within `SOON`, soonest first."""
    running = Request.objects.filter(state=Request.State.ADMISSIBLE).order_by("due_at")
    overdue = list(running.filter(due_at__lt=now))
    soon = list(running.filter(due_at__gte=now, due_at__lte=now + SOON))
    return overdue, soon
