"""Regional groups: the GS regional bureaus and the regions with their countries (from the
registry, read-only: `region:<code>`, `bureau:<code>`), and the groups a member defines (kept on
the node that defines them: `group:<code>` or just the code). A message or a request to a group
goes to each member on the network."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from ncbnet.base import audit, clock
from ncbnet.base.actor import Person
from ncbnet.base.node import node_id
from ncbnet.config import member_codes
from ncbnet.core.models import Country, Region, RegionalBureau
from ncbnet.messaging import services as messaging
from ncbnet.messaging.models import Message
from ncbnet.network import delivery as network

from ..models.operations import Group
from ..policies import cooperates

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,47}$")
MAX_MEMBERS = 196


@dataclass(frozen=True)
class GroupView:
    """A group of either kind, as the pages and the API show it."""

    code: str  # "region:AF", "bureau:nairobi", "group:eapcco"
    kind: str  # "region", "bureau", "defined"
    name: str
    members: list[str]
    defined_by: str = ""  # "GS" for the registry's, else the node that defined it
    editable: bool = False


def _require(actor: Person) -> None:
    if not cooperates(actor):
        raise PermissionDenied(_("Groups are for the bureau's staff and the GS."))


def _registry() -> list[GroupView]:
    out = []
    for region in Region.objects.order_by("code"):
        codes = sorted(Country.objects.filter(region=region).values_list("code", flat=True))
        out.append(GroupView(f"region:{region.code}", "region", region.name, codes, "GS"))
    for bureau in RegionalBureau.objects.order_by("code"):
        codes = sorted(Country.objects.filter(regional_bureau=bureau).values_list("code", flat=True))
        out.append(GroupView(f"bureau:{bureau.code}", "bureau", str(bureau), codes, "GS"))
    return out


def _defined(g: Group) -> GroupView:
    return GroupView(f"group:{g.code}", "defined", g.name, list(g.members), g.defined_by, True)


def members(code: str) -> list[str]:
    """The member countries of any group: `region:<code>`, `bureau:<code>`, `group:<code>` or a
    defined group's bare code. An unknown group is a clear error."""
    kind, _sep, rest = code.strip().partition(":")
    if not _sep:
        kind, rest = "group", kind
    if kind == "group" and ":" in rest:  # "group:region:AF", as requests pass it on
        return members(rest)
    found: list[str] | None = None
    if kind == "region" and Region.objects.filter(code=rest.upper()).exists():
        found = list(Country.objects.filter(region_id=rest.upper()).values_list("code", flat=True))
    elif kind == "bureau" and RegionalBureau.objects.filter(code=rest).exists():
        found = list(Country.objects.filter(regional_bureau_id=rest).values_list("code", flat=True))
    elif kind == "group":
        group = Group.objects.filter(code=rest.lower()).first()
        found = list(group.members) if group else None
    if found is None:
        raise ValidationError({"group": _("No group %(code)s on this node.") % {"code": code}})
    return sorted(found)


def on_network(code: str) -> list[str]:
    """The members of a group that are on the network (what a request or message to it reaches)."""
    connected = set(network.connected_nodes())
    reached = [c for c in members(code) if c in connected and c != node_id()]
    if not reached:
        raise ValidationError({"to": _("No member of %(code)s is on the network.") % {"code": code}})
    return reached


def search(actor: Person, q: str = "", kind: str = "", ip: str | None = None) -> list[GroupView]:
    """Every group of both kinds, filtered by kind and by a word of its code, name or members."""
    _require(actor)
    found = [*_registry(), *(_defined(g) for g in Group.objects.all())]
    if kind:
        found = [g for g in found if g.kind == kind]
    if q.strip():
        word = q.strip().casefold()
        found = [
            g
            for g in found
            if word in g.code.casefold() or word in g.name.casefold() or word.upper() in g.members
        ]
    with transaction.atomic():
        audit.record("cooperation.group.search", actor=actor, ip=ip, detail={"q": q, "kind": kind})
    return found


def read(actor: Person, code: str, ip: str | None = None) -> GroupView:
    _require(actor)
    wanted = code.strip() if ":" in code else f"group:{code.strip()}"
    for g in [*_registry(), *(_defined(g) for g in Group.objects.all())]:
        if g.code.casefold() == wanted.casefold():
            with transaction.atomic():
                audit.record(
                    "cooperation.group.read", actor=actor, target_type="group", target_id=g.code, ip=ip
                )
            return g
    raise Http404(_("No such group on this node."))


def _members(raw: Iterable[str]) -> list[str]:
    codes = sorted({c.strip().upper() for c in raw if c.strip()})
    unknown = [c for c in codes if c not in member_codes()]
    if unknown:
        raise ValidationError(
            {"members": _("Not member countries: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    if not codes or len(codes) > MAX_MEMBERS:
        raise ValidationError({"members": _("A group has at least one member country.")})
    return codes


def _checked(code: str, name: str, raw_members: Iterable[str]) -> tuple[str, str, list[str]]:
    errors = {}
    code = code.strip().lower()
    if not CODE.match(code):
        errors["code"] = _("A code of 2 to 48 lower-case letters, digits and hyphens.")
    if not name.strip() or len(name) > 200:
        errors["name"] = _("A name of 1 to 200 characters.")
    try:
        found = _members(raw_members)
    except ValidationError as exc:
        errors |= {k: v[0] for k, v in exc.message_dict.items()}
        found = []
    if errors:
        raise ValidationError(errors)
    return code, name.strip(), found


def create(
    actor: Person, code: str, name: str, member_list: Iterable[str], ip: str | None = None
) -> GroupView:
    """A group this node defines: a code, a name and member countries (unknown ones refused)."""
    _require(actor)
    code, name, found = _checked(code, name, member_list)
    now = clock.now()
    with transaction.atomic():
        if Group.objects.filter(code=code).exists():
            raise ValidationError({"code": _("A group with this code exists already.")})
        g = Group.objects.create(
            code=code, name=name, members=found, defined_by=node_id(), created_at=now, updated_at=now
        )
        audit.record("cooperation.group.create", actor=actor, target=g, ip=ip, detail={"members": found})
    return _defined(g)


def edit(actor: Person, code: str, name: str, member_list: Iterable[str], ip: str | None = None) -> GroupView:
    _require(actor)
    code, name, found = _checked(code.removeprefix("group:"), name, member_list)
    with transaction.atomic():
        g = Group.objects.select_for_update().filter(code=code).first()
        if g is None:
            raise Http404(_("No such group on this node."))
        before = list(g.members)
        g.name, g.members, g.updated_at = name, found, clock.now()
        g.save()
        audit.record(
            "cooperation.group.edit", actor=actor, target=g, ip=ip, detail={"from": before, "to": found}
        )
    return _defined(g)


def message(actor: Person, code: str, subject: str, body: str, ip: str | None = None) -> Message:
    """A message to each member of the group on the network (through messaging, which audits it)."""
    _require(actor)
    group = read(actor, code, ip)
    draft = messaging.Draft(to=on_network(group.code), subject=subject, body=body)
    return messaging.send(actor, draft, ip)
