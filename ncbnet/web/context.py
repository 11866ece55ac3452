"""What every page knows: which node this is and the navigation the signed-in person may use."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from ncbnet.analytics.policies import is_gs_analyst, reads_bureau_figures
from ncbnet.base import holdings, policies
from ncbnet.base.node import role
from ncbnet.conference.policies import reads_conference
from ncbnet.cooperation.policies import cooperates, is_agency_user
from ncbnet.hits.policies import answers_hits, reads_hits
from ncbnet.messaging.policies import can_message
from ncbnet.notices.policies import reads_notices, reviews_notices
from ncbnet.records.policies import reads_records, submits_for_approval
from ncbnet.screening.policies import screens
from ncbnet.security import accounts
from ncbnet.training.policies import enrols_others, is_trainer, learns


def navigation(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    if not user.is_authenticated:
        return []
    items: list[tuple[str, str]] = [("web:home", _("Home"))]
    if can_message(user):
        items.append(("messaging:inbox", _("Messages")))
    if cooperates(user) and user.is_human:
        items.append(("cooperation:requests", _("Requests")))
        items.append(("cooperation:cases", _("Cases")))
        items.append(("cooperation:operations", _("Operations")))
        items.append(("cooperation:tasks", _("National tasks")))
    if is_agency_user(user):
        items.append(("cooperation:tasks", _("Our tasks")))
        items.append(("cooperation:help_list", _("International help")))
    if reads_records(user):
        items.append(("records:search", _("Databases")))
    if submits_for_approval(user):
        items.append(("records:mine", _("My contributions")))
    if policies.is_head_of_ncb(user):
        items.append(("cooperation:escalated", _("Escalated to me")))
    if screens(user) and user.is_human:
        items.append(("screening:screen", _("Screening")))
    if reads_hits(user) and user.is_human:
        items.append(("hits:list", _("Hits")))
    if reads_notices(user):
        items.append(("notices:list", _("Notices")))
    if reviews_notices(user):
        items.append(("notices:queue", _("Review queue")))
    if is_gs_analyst(user):
        items.append(("analytics:gs", _("Analytics")))
    if reads_bureau_figures(user):
        items.append(("analytics:bureau", _("Our figures")))
    if learns(user):
        items.append(("training:home", _("Training")))
    if enrols_others(user):
        items.append(("training:bureau", _("Training in the bureau")))
    if is_trainer(user):
        items.append(("training:gs", _("Training catalogue")))
    if policies.is_commission(user):
        items.append(("commission:requests", _("Commission requests")))
    if policies.is_ncb_staff(user):
        items.append(("commission:consultations", _("The Commission's consultations")))
    if reads_conference(user):
        items.append(("conference:overview", _("Conference")))
    if policies.is_national_user(user):
        items.append(("core:agencies", _("Agencies") if policies.is_ncb_staff(user) else _("My agency")))
    items.append(("core:countries", _("Member countries")))
    if policies.can_manage_users(user):
        items.append(("security:users", _("People")))
    if policies.can_read_audit(user):
        items.append(("audit:log", _("Audit log")))
    if policies.can_read_audit(user):
        items.append(("network:keys", _("Network")))
    items.append(("core:account", _("My account")))
    out = []
    for name, label in items:
        url = reverse(name)
        current = request.path == url if url == "/" else request.path.startswith(url)
        out.append({"url": url, "label": label, "current": current})
    return out


def node(request: HttpRequest) -> dict[str, Any]:
    held = holdings.here()
    return {
        "node_relays": role().relays,  # for the network's page (the hub relays)
        "node_country": settings.NCBNET_COUNTRY,
        "node_label": held.keeper,
        "holdings": held,
        "nav": navigation(request),
        # What an administrator did to this person's account, until they acknowledge it.
        # (a callable: read only by the pages that show it, not by every fragment)
        "account_notices": lambda: accounts.unseen_notices(request.user),
        "can_message": request.user.is_authenticated and can_message(request.user),
        "hit_alerts": request.user.is_authenticated
        and (
            (not held.keeps_originals and answers_hits(request.user))
            or (held.keeps_originals and request.user.kind == "gs")
        ),
    }
