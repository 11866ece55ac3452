"""Who may do what. Deny by default: every page and API route names one of these.

A policy is a small pure function of the user (and, for object checks, the object).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol

from ncbnet.base.actor import Person
from ncbnet.base.node import role


class Agency(Protocol):
    """A national agency as the policies read it (`core.models.Agency`)."""

    @property
    def pk(self) -> Any: ...
    @property
    def ncb_id(self) -> int: ...


K_NCB, K_AGENCY, K_GS, K_SYSTEM = "ncb", "agency", "gs", "system"
# The Commission for the Control of Files: members and secretariat, on the hub, independent of the
# GS (whose staff neither manage their accounts nor reach their pages) and of every bureau.
K_COMMISSION = "commission"


@dataclass(frozen=True)
class Policy:
    """A named rule for a route. `public` routes are open to anyone (login, the hub's portal)."""

    name: str
    check: Callable[[Any], bool]
    public: bool = False

    def allows(self, user: Any) -> bool:
        if self.public:
            return bool(self.check(user))
        if user is None or not user.is_authenticated or not user.is_active:
            return False
        return bool(self.check(user))


def _always(user: Any) -> bool:
    return True


def is_ncb_staff(user: Person) -> bool:
    return user.kind == K_NCB


def is_ncb_manager(user: Person) -> bool:
    """Head of NCB or NCB administrator: manages the bureau's users and agencies."""
    return user.kind == K_NCB and user.role in ("head", "admin")


def is_ncb_admin(user: Person) -> bool:
    """The NCB's administrator: creates, edits and closes its national agencies and Sub-Bureaus."""
    return user.kind == K_NCB and user.role == "admin"


def is_head_of_ncb(user: Person) -> bool:
    return user.kind == K_NCB and user.role == "head"


def is_gs_staff(user: Person) -> bool:
    return user.kind == K_GS


def is_network_admin(user: Person) -> bool:
    return user.kind == K_GS and user.role == "network_admin"


def is_human(user: Person) -> bool:
    return user.kind in (K_NCB, K_AGENCY, K_GS, K_COMMISSION)


def is_commission(user: Person) -> bool:
    """A member or the secretariat of the Commission, on the hub (where the Commission sits)."""
    return user.kind == K_COMMISSION and role().public_portal


def is_commission_secretariat(user: Person) -> bool:
    return is_commission(user) and user.role == "secretariat"


def is_commission_member(user: Person) -> bool:
    return is_commission(user) and user.role == "member"


def is_national_user(user: Person) -> bool:
    return user.kind in (K_NCB, K_AGENCY)


def can_manage_users(user: Person) -> bool:
    return is_ncb_manager(user) or is_network_admin(user)


def can_read_audit(user: Person) -> bool:
    return is_ncb_manager(user) or is_network_admin(user)


def can_view_agency(user: Person, agency: Agency) -> bool:
    """NCB staff see every agency of their country; an agency user sees only their own."""
    if user.kind == K_NCB:
        return user.ncb_id == agency.ncb_id
    if user.kind == K_AGENCY:
        return user.agency_id == agency.pk
    return False


def can_manage_user(actor: Person, target: Person) -> bool:
    """Managers act on accounts of their own bureau (NCB) or of the GS (hub)."""
    if actor.pk == target.pk:
        return False
    if is_ncb_manager(actor):
        return target.kind in (K_NCB, K_AGENCY, K_SYSTEM) and target.ncb_id == actor.ncb_id
    if is_network_admin(actor):
        return target.kind in (K_GS, K_SYSTEM) and target.ncb_id is None
    return False


def has_scope(user: Any, scope: str) -> bool:
    """A person's session is not limited by scopes; a request with a bearer token is limited to
    its token's (security.models.Scope)."""
    token = getattr(user, "api_token", None)
    return token is None or scope in (token.scopes or ())


def hub_only(user: Any) -> bool:
    return role().public_portal


PUBLIC = Policy("public", _always, public=True)
AUTHENTICATED = Policy("authenticated", _always)
HUMAN = Policy("human", is_human)
NCB_STAFF = Policy("ncb-staff", is_ncb_staff)
NATIONAL = Policy("national-user", is_national_user)
MANAGE_USERS = Policy("manage-users", can_manage_users)
MANAGE_AGENCIES = Policy("manage-agencies", is_ncb_admin)
HEAD_OF_NCB = Policy("head-of-ncb", is_head_of_ncb)
READ_AUDIT = Policy("read-audit", can_read_audit)
NETWORK_ADMIN = Policy("network-admin", is_network_admin)
COMMISSION = Policy("commission", is_commission)
COMMISSION_SECRETARIAT = Policy("commission-secretariat", is_commission_secretariat)
COMMISSION_MEMBER = Policy("commission-member", is_commission_member)
# The hub's public portal: open to anyone on the hub; on an NCB node it does not exist.
PUBLIC_PORTAL = Policy("public-portal", hub_only, public=True)
# The hub's public notices API (/notices/v1/): anyone, no session; on an NCB node its views
# answer 404 (the paths do not exist there), so the policy itself lets every request through.
PUBLIC_NOTICES_API = Policy("public-notices-api", _always, public=True)


def route(policy: Policy) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the policy of a Django view; PolicyMiddleware enforces it before the view runs."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        wrapper.ncbnet_policy = policy  # type: ignore[attr-defined]
        return wrapper

    return decorate


def policy_of(view: Any) -> Policy | None:
    """The declared policy of a resolved view (function or class-based)."""
    found = getattr(view, "ncbnet_policy", None)
    if found is None and hasattr(view, "view_class"):
        found = getattr(view.view_class, "ncbnet_policy", None)
    return found if isinstance(found, Policy) else None


# Marks the URL patterns of the JSON API: each API operation declares its own policy.
API_OPERATION = Policy("api-operation", _always, public=True)
