"""Read models for the home pages."""

from __future__ import annotations

from typing import Any

from ncbnet.audit.models import ChainSeal
from ncbnet.base.chain import AuditEntry
from ncbnet.cooperation import policies as cooperation
from ncbnet.cooperation.services import worklist
from ncbnet.core import services as core


def recent_sign_ins(user: Any, limit: int = 5) -> list[AuditEntry]:
    """The person's own latest sign-ins and failed attempts, so misuse of an account shows."""
    actions = ("auth.login", "auth.login_failed", "auth.second_factor_failed", "auth.login_refused_locked")
    return list(AuditEntry.objects.filter(subject=user.username, action__in=actions).order_by("-seq")[:limit])


def owner_alerts(limit: int = 10) -> list[Any]:
    """Views of this bureau's records by other bureaus (where it asked to be told), and hits on them."""
    from ncbnet.records.models import OwnerAlert

    return list(OwnerAlert.objects.order_by("-at")[:limit])


def manager_overview(user: Any) -> dict[str, Any]:
    people = core.manageable_users(user)
    last_seal = ChainSeal.objects.order_by("-seq").first()
    return {
        "people": people.filter(is_active=True).count(),
        "disabled": people.filter(is_active=False).count(),
        "agencies": core.visible_agencies(user).count(),
        "last_seal": last_seal,
    }


def work_queue(user: Any, ip: str | None = None) -> worklist.Worklist | None:
    """What needs action now: the bureau's queue for its staff and the GS, the agency's for an
    agency's user, nothing for others."""
    if cooperation.cooperates(user):
        return worklist.for_officer(user, ip)
    if cooperation.is_agency_user(user):
        return worklist.for_agency(user, ip)
    return None
