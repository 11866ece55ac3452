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

from ncbnet.base import audit, clock, holdings, policies

from .models import NCB, Agency, Country, SubBureau, User


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


def _own_bureau(actor: User | None) -> NCB | None:
    """The NCB whose agencies and Sub-Bureaus `actor` runs: this node's, for its administrator (or
    the operator at the command line, `actor` None); None for anyone else."""
    here = local_ncb()
    if actor is None or here is None:
        return here
    if not policies.is_ncb_admin(actor) or actor.ncb_id != here.pk:
        return None
    return here


def _bureau_of(actor: User | None, refused: str, ip: str | None) -> NCB:
    """The actor's bureau for a creation; a refusal is audited as `refused`."""
    ncb = _own_bureau(actor)
    if ncb is None and actor is None:
        raise ValidationError({"ncb": _("Agencies and Sub-Bureaus exist only on an NCB node.")})
    if ncb is None:
        audit.record_now(refused, actor=actor, ip=ip)
        raise PermissionDenied(_("Only the NCB's administrator runs its agencies and Sub-Bureaus."))
    return ncb


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("A name is required.")})
    if len(name) > 200:
        raise ValidationError({"name": _("At most 200 characters.")})
    return name


def _managed(actor: User | None, model: type[Agency] | type[SubBureau], pk: int, ip: str | None) -> Any:
    """The agency or Sub-Bureau `pk` of the actor's bureau, locked; refused (and audited) with the
    same answer whether it exists elsewhere or not at all."""
    ncb = _own_bureau(actor)
    found = model.objects.select_for_update().filter(pk=pk, ncb=ncb).first() if ncb else None
    if found is None:
        what = "agency" if model is Agency else "sub_bureau"
        audit.record(
            f"registry.{what}.change_refused",
            actor=actor,
            target_type=f"core.{model._meta.model_name}",
            target_id=str(pk),
            ip=ip,
        )
    return found


def list_agencies(actor: User, closed: bool | None = None) -> QuerySet[Agency]:
    """The agencies an actor may see, open or closed or both."""
    qs = visible_agencies(actor)
    if closed is not None:
        qs = qs.filter(closed_at__isnull=not closed)
    return qs


def create_agency(actor: User | None, name: str, kind: str, ip: str | None = None) -> Agency:
    """The NCB's administrator adds a national agency of its own country."""
    ncb = _bureau_of(actor, "registry.agency.create_refused", ip)
    if kind not in Agency.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of agency.")})
    name = _name(name)
    with transaction.atomic():
        if Agency.objects.filter(ncb=ncb, name=name).exists():
            raise ValidationError({"name": _("This bureau already has an agency of that name.")})
        agency = Agency.objects.create(ncb=ncb, name=name, kind=kind)
        audit.record(
            "registry.agency.create", actor=actor, target=agency, detail={"name": name, "kind": kind}, ip=ip
        )
    return agency


def update_agency(
    actor: User | None,
    agency_id: int,
    *,
    name: str | None = None,
    kind: str | None = None,
    close: bool = False,
    ip: str | None = None,
) -> Agency:
    """The administrator renames an agency, changes its kind, or closes it: its users are disabled
    (no sign-in, no token), the rows stay for the audit, and it takes no new users. A closed agency
    stays closed."""
    if kind is not None and kind not in Agency.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of agency.")})
    clean = _name(name) if name is not None else None
    with transaction.atomic():
        agency = _managed(actor, Agency, agency_id, ip)
        if agency is not None:
            before = {"name": agency.name, "kind": agency.kind}
            if clean is not None and clean != agency.name:
                if Agency.objects.filter(ncb_id=agency.ncb_id, name=clean).exclude(pk=agency.pk).exists():
                    raise ValidationError({"name": _("This bureau already has an agency of that name.")})
                agency.name = clean
            if kind is not None:
                agency.kind = kind
            after = {"name": agency.name, "kind": agency.kind}
            if after != before:
                if agency.closed:
                    raise ValidationError({"closed": _("This agency is closed.")})
                agency.save(update_fields=["name", "kind"])
                audit.record(
                    "registry.agency.update",
                    actor=actor,
                    target=agency,
                    detail={"before": before, "after": after},
                    ip=ip,
                )
            if close and not agency.closed:
                agency.closed_at = clock.now()
                agency.save(update_fields=["closed_at"])
                disabled = _disable_all(User.objects.filter(agency=agency))
                audit.record(
                    "registry.agency.close", actor=actor, target=agency, detail={"disabled": disabled}, ip=ip
                )
    if agency is None:
        raise PermissionDenied(_("You do not have access to this agency."))
    return agency


def close_agency(actor: User | None, agency_id: int, ip: str | None = None) -> Agency:
    """The administrator closes an agency (see `update_agency`)."""
    return update_agency(actor, agency_id, close=True, ip=ip)


def _disable_all(users: QuerySet[User]) -> list[str]:
    names = sorted(users.filter(is_active=True).values_list("username", flat=True))
    users.filter(username__in=names).update(is_active=False)
    return names


# --- Sub-Bureaus ---------------------------------------------------------------------------------


def list_sub_bureaus(actor: User, closed: bool | None = None) -> QuerySet[SubBureau]:
    """The bureau's Sub-Bureaus, for its staff."""
    if actor.kind != User.Kind.NCB or actor.ncb_id is None:
        return SubBureau.objects.none()
    qs = SubBureau.objects.filter(ncb_id=actor.ncb_id).order_by("name")
    if closed is not None:
        qs = qs.filter(closed_at__isnull=not closed)
    return qs


def read_sub_bureau(actor: User, pk: int, ip: str | None = None) -> tuple[SubBureau, list[User]]:
    found = list_sub_bureaus(actor).filter(pk=pk).first()
    with transaction.atomic():
        if found is None:
            audit.record(
                "registry.sub_bureau.read_refused",
                actor=actor,
                target_type="core.subbureau",
                target_id=str(pk),
                ip=ip,
            )
        else:
            audit.record("registry.sub_bureau.read", actor=actor, target=found, ip=ip)
    if found is None:
        raise PermissionDenied(_("You do not have access to this Sub-Bureau."))
    return found, list(found.staff.order_by("username"))


def _city(city: str) -> str:
    city = " ".join(city.split())
    if not city:
        raise ValidationError({"city": _("A city is required.")})
    if len(city) > 100:
        raise ValidationError({"city": _("At most 100 characters.")})
    return city


def create_sub_bureau(actor: User | None, name: str, city: str, ip: str | None = None) -> SubBureau:
    """The NCB's administrator opens a Sub-Bureau (a state or regional office)."""
    ncb = _bureau_of(actor, "registry.sub_bureau.create_refused", ip)
    name, city = _name(name), _city(city)
    with transaction.atomic():
        if SubBureau.objects.filter(ncb=ncb, name=name).exists():
            raise ValidationError({"name": _("This bureau already has a Sub-Bureau of that name.")})
        sub = SubBureau.objects.create(ncb=ncb, name=name, city=city)
        audit.record(
            "registry.sub_bureau.create", actor=actor, target=sub, detail={"name": name, "city": city}, ip=ip
        )
    return sub


def update_sub_bureau(
    actor: User | None,
    pk: int,
    *,
    name: str | None = None,
    city: str | None = None,
    close: bool = False,
    ip: str | None = None,
) -> SubBureau:
    """The administrator renames a Sub-Bureau, moves it, or closes it: its staff are disabled, the
    row stays for the audit, and it takes no new staff."""
    clean_name = _name(name) if name is not None else None
    clean_city = _city(city) if city is not None else None
    with transaction.atomic():
        sub = _managed(actor, SubBureau, pk, ip)
        if sub is not None:
            before = {"name": sub.name, "city": sub.city}
            if clean_name is not None and clean_name != sub.name:
                if SubBureau.objects.filter(ncb_id=sub.ncb_id, name=clean_name).exclude(pk=sub.pk).exists():
                    raise ValidationError({"name": _("This bureau already has a Sub-Bureau of that name.")})
                sub.name = clean_name
            if clean_city is not None:
                sub.city = clean_city
            after = {"name": sub.name, "city": sub.city}
            if after != before:
                if sub.closed:
                    raise ValidationError({"closed": _("This Sub-Bureau is closed.")})
                sub.save(update_fields=["name", "city"])
                audit.record(
                    "registry.sub_bureau.update",
                    actor=actor,
                    target=sub,
                    detail={"before": before, "after": after},
                    ip=ip,
                )
            if close and not sub.closed:
                sub.closed_at = clock.now()
                sub.save(update_fields=["closed_at"])
                disabled = _disable_all(User.objects.filter(sub_bureau=sub))
                audit.record(
                    "registry.sub_bureau.close", actor=actor, target=sub, detail={"disabled": disabled}, ip=ip
                )
    if sub is None:
        raise PermissionDenied(_("You do not have access to this Sub-Bureau."))
    return sub


def close_sub_bureau(actor: User | None, pk: int, ip: str | None = None) -> SubBureau:
    """The administrator closes a Sub-Bureau (see `update_sub_bureau`)."""
    return update_sub_bureau(actor, pk, close=True, ip=ip)


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
    sub_bureau_id: int | None = None,
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
    if kind == User.Kind.COMMISSION and ncb is not None:
        errors["kind"] = _("The Commission's accounts exist only on the hub.")
    if kind in (User.Kind.NCB, User.Kind.AGENCY) and ncb is None:
        errors["kind"] = _("NCB and agency accounts exist only on an NCB node.")
    agency = None
    if agency_id is not None:
        agency = Agency.objects.filter(pk=agency_id, ncb=ncb).first() if ncb else None
        if agency is None:
            errors["agency"] = _("No such agency in this bureau.")
        elif agency.closed:
            errors["agency"] = _("This agency is closed: it takes no new users.")
    sub_bureau = None
    if sub_bureau_id is not None:
        sub_bureau = SubBureau.objects.filter(pk=sub_bureau_id, ncb=ncb).first() if ncb else None
        if sub_bureau is None:
            errors["sub_bureau"] = _("No such Sub-Bureau in this bureau.")
        elif sub_bureau.closed:
            errors["sub_bureau"] = _("This Sub-Bureau is closed: it takes no new staff.")
        elif kind != User.Kind.NCB:
            errors["sub_bureau"] = _("Only NCB staff work in a Sub-Bureau.")
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
        sub_bureau=sub_bureau,
        time_zone=time_zone,
        ncb=ncb if kind not in (User.Kind.GS, User.Kind.COMMISSION) else None,
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
            detail={"kind": kind, "role": role, "agency": agency_id, "sub_bureau": sub_bureau_id},
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
        if active and (
            (user.agency is not None and user.agency.closed)
            or (user.sub_bureau is not None and user.sub_bureau.closed)
        ):
            raise ValidationError({"username": _("This account's agency or Sub-Bureau is closed.")})
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
