"""Registry reads and the management of people on this node."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ncbnet.base import audit, holdings, policies

from .models import NCB, Agency, Country, User


class UnknownCountry(ValueError):
    pass


def local_ncb() -> NCB | None:
    """The NCB this node serves (None on the hub)."""
    bureau = holdings.here().bureau
    if bureau is None:
        return None
    return NCB.objects.select_related("country").get(country_id=bureau)


def get_country(code: str) -> Country:
    code = code.strip().upper()
    country = Country.objects.select_related("region", "regional_bureau").filter(code=code).first()
    if country is None:
        raise UnknownCountry(
            _("Unknown country code %(code)s: use an ISO 3166-1 alpha-2 code of a member country.")
            % {"code": code}
        )
    return country


def list_countries(region: str | None = None) -> QuerySet[Country]:
    qs = Country.objects.select_related("region", "regional_bureau").order_by("code")
    if region:
        qs = qs.filter(region_id=region)
    return qs


# --- agencies ------------------------------------------------------------------------------------


def visible_agencies(actor: User) -> QuerySet[Agency]:
    """The agencies an actor may see: all of their NCB's (staff) or only their own (agency user)."""
    qs = Agency.objects.select_related("ncb").order_by("name")
    if actor.kind == User.Kind.NCB and actor.ncb_id is not None:
        return qs.filter(ncb_id=actor.ncb_id)
    if actor.kind == User.Kind.AGENCY and actor.agency_id is not None:
        return qs.filter(pk=actor.agency_id)
    return qs.none()


def read_agency(actor: User, agency_id: int, ip: str | None = None) -> tuple[Agency, list[User]]:
    """Read one agency and its users; refused (and audited) for anyone the policy does not allow."""
    agency = Agency.objects.select_related("ncb").filter(pk=agency_id).first()
    with transaction.atomic():
        if agency is None or not policies.can_view_agency(actor, agency):
            audit.record(
                "registry.agency.read_refused",
                actor=actor,
                target_type="core.agency",
                target_id=str(agency_id),
                ip=ip,
            )
            refused = True
        else:
            audit.record("registry.agency.read", actor=actor, target=agency, ip=ip)
            refused = False
    if refused:
        # Same answer whether the agency exists or not: nothing leaks across agencies.
        raise PermissionDenied(_("You do not have access to this agency."))
    assert agency is not None
    return agency, list(agency.users.order_by("username"))


def create_agency(actor: User, name: str, kind: str, ip: str | None = None) -> Agency:
    ncb_id = actor.ncb_id
    if not policies.is_ncb_manager(actor) or ncb_id is None:
        raise PermissionDenied(_("Only the head of NCB or an administrator adds agencies."))
    if kind not in Agency.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of agency.")})
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("An agency needs a name.")})
    with transaction.atomic():
        if Agency.objects.filter(ncb_id=ncb_id, name=name).exists():
            raise ValidationError({"name": _("This bureau already has an agency of that name.")})
        agency = Agency.objects.create(ncb_id=ncb_id, name=name, kind=kind)
        audit.record(
            "registry.agency.create", actor=actor, target=agency, detail={"name": name, "kind": kind}, ip=ip
        )
    return agency


# --- people --------------------------------------------------------------------------------------


def manageable_users(actor: User) -> QuerySet[User]:
    qs = User.objects.select_related("ncb", "agency").order_by("username")
    if policies.is_ncb_manager(actor) and actor.ncb_id is not None:
        return qs.filter(ncb_id=actor.ncb_id)
    if policies.is_network_admin(actor):
        return qs.filter(ncb__isnull=True)
    return qs.none()


def search_users(actor: User, query: str = "", ip: str | None = None) -> list[User]:
    if not policies.can_manage_users(actor):
        raise PermissionDenied(_("You do not manage accounts."))
    qs = manageable_users(actor)
    if query:
        qs = qs.filter(username__icontains=query) | qs.filter(last_name__icontains=query)
    with transaction.atomic():
        audit.record("people.user.search", actor=actor, detail={"query": query}, ip=ip)
    return list(qs[:500])


def create_user(
    actor: User | None,
    *,
    username: str,
    password: str,
    kind: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    agency_id: int | None = None,
    time_zone: str = "UTC",
    ip: str | None = None,
    temporary: bool = True,
) -> User:
    """Create an account on this node.

    `actor` None means the node's operator at the command line (`ncbnet user add`).
    NCB accounts belong to this node's NCB; GS accounts exist only on the hub.
    The password is a temporary one the person changes at first sign-in (then enrols their
    second factor); only the demo seed and the test fixtures, which set up the second factor
    themselves, pass `temporary=False`.
    """
    ncb = local_ncb()
    errors: dict[str, str] = {}
    if kind == User.Kind.GS and ncb is not None:
        errors["kind"] = _("General Secretariat accounts exist only on the hub.")
    if kind in (User.Kind.NCB, User.Kind.AGENCY) and ncb is None:
        errors["kind"] = _("NCB and agency accounts exist only on an NCB node.")
    agency = None
    if agency_id is not None:
        agency = Agency.objects.filter(pk=agency_id, ncb=ncb).first() if ncb else None
        if agency is None:
            errors["agency"] = _("No such agency in this bureau.")
    if time_zone not in available_timezones():
        errors["time_zone"] = _("Unknown time zone.")
    if User.objects.filter(username=username).exists():
        errors["username"] = _("This username is taken.")
    user = User(
        username=username.strip(),
        first_name=first_name,
        last_name=last_name,
        email=email,
        kind=kind,
        role=role,
        agency=agency,
        time_zone=time_zone,
        ncb=ncb if kind != User.Kind.GS else None,
    )
    if actor is not None and not policies.can_manage_user(actor, user):
        raise PermissionDenied(_("You may not create this kind of account."))
    if kind != User.Kind.SYSTEM:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, " ".join(messages))
    if errors:
        raise ValidationError(errors)
    if kind == User.Kind.SYSTEM:
        user.set_unusable_password()
    else:
        user.set_password(password)
        user.password_must_change = temporary
    with transaction.atomic():
        user.created_by = actor
        user.save()
        audit.record(
            "people.user.create",
            actor=actor,
            target=user,
            subject=user.username,
            detail={"kind": kind, "role": role, "agency": agency_id},
            ip=ip,
        )
    return user


def set_active(actor: User | None, username: str, active: bool, ip: str | None = None) -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            raise ValidationError({"username": _("No such user.")})
        if actor is not None and not policies.can_manage_user(actor, user):
            raise PermissionDenied(_("You may not change this account."))
        if user.is_active != active:
            user.is_active = active
            user.save(update_fields=["is_active"])
            audit.record(
                "people.user.enable" if active else "people.user.disable",
                actor=actor,
                target=user,
                subject=user.username,
                ip=ip,
            )
    return user


def set_preferences(actor: User, *, language: str, time_zone: str) -> User:
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    if time_zone not in available_timezones():
        raise ValidationError({"time_zone": _("Unknown time zone.")})
    with transaction.atomic():
        actor.language, actor.time_zone = language, time_zone
        actor.save(update_fields=["language", "time_zone"])
        audit.record(
            "people.user.preferences",
            actor=actor,
            target=actor,
            detail={"language": language, "time_zone": time_zone},
        )
    return actor


def describe(user: Any) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.get_full_name(),
        "kind": user.kind,
        "role": user.role,
        "country": user.country_code,
        "agency": user.agency.name if user.agency_id else None,
    }
