"""`ncbnet user add|disable`: accounts on this node, created and disabled by the operator;
`ncbnet agency add|list|close`: the national agencies of this node's NCB."""

from __future__ import annotations

import argparse
import getpass
import sys

from ncbnet.base.commands import CommandError, Subcommands, command, django_errors, setup_django


def cmd_user_add(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from ncbnet.core import services
    from ncbnet.core.models import Agency, SubBureau

    password = ""
    if args.kind != "system":
        password = (
            sys.stdin.readline().rstrip("\n")
            if args.password_stdin
            else getpass.getpass("Temporary password: ")
        )
    agency_id = None
    if args.agency:
        agency = Agency.objects.filter(name=args.agency).first()
        if agency is None:
            raise CommandError(f"no agency named {args.agency!r} in this bureau")
        agency_id = agency.pk
    sub_bureau_id = None
    if args.sub_bureau:
        sub = SubBureau.objects.filter(name=args.sub_bureau).first()
        if sub is None:
            raise CommandError(f"no Sub-Bureau named {args.sub_bureau!r} in this bureau")
        sub_bureau_id = sub.pk
    try:
        user = services.create_user(
            None,
            username=args.username,
            password=password,
            kind=args.kind,
            role=args.role,
            first_name=args.first_name,
            last_name=args.last_name,
            email=args.email,
            agency_id=agency_id,
            sub_bureau_id=sub_bureau_id,
            time_zone=args.time_zone,
        )
    except ValidationError as exc:
        raise CommandError(django_errors(exc)) from exc
    then = (
        ""
        if user.kind == "system"
        else "; at first sign-in the password is changed, then the second factor set up"
    )
    print(f"created {user.username} ({user.kind}, {user.role}){then}")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from ncbnet.core import services

    try:
        services.set_active(None, args.username, False)
    except ValidationError as exc:
        raise CommandError(django_errors(exc)) from exc
    print(f"disabled {args.username}")
    return 0


def _agency_id(name_or_id: str) -> int:
    from ncbnet.core.models import Agency

    found = Agency.objects.filter(ncb__country_id=_country()).filter(name=name_or_id).first()
    if found is None and name_or_id.isdigit():
        found = Agency.objects.filter(ncb__country_id=_country(), pk=int(name_or_id)).first()
    if found is None:
        raise CommandError(f"no agency named {name_or_id!r} in this bureau")
    return found.pk


def _country() -> str:
    from ncbnet.core import services

    ncb = services.local_ncb()
    if ncb is None:
        raise CommandError("agencies exist only on an NCB node")
    return ncb.country_id


def cmd_agency_add(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from ncbnet.core import services

    _country()
    try:
        agency = services.create_agency(None, args.name, args.kind)
    except ValidationError as exc:
        raise CommandError(django_errors(exc)) from exc
    print(f"added agency {agency.pk} {agency.name} ({agency.kind})")
    return 0


def cmd_agency_list(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.core.models import Agency

    rows = Agency.objects.filter(ncb__country_id=_country()).order_by("name")
    if not args.all:
        rows = rows.filter(closed_at__isnull=True)
    for a in rows:
        state = f"closed {a.closed_at:%Y-%m-%d}" if a.closed_at else "open"
        print(f"{a.pk}\t{a.name}\t{a.kind}\t{state}\t{a.users.filter(is_active=True).count()} active users")
    return 0


def cmd_agency_close(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from ncbnet.core import services

    try:
        agency = services.close_agency(None, _agency_id(args.agency))
    except ValidationError as exc:
        raise CommandError(django_errors(exc)) from exc
    print(f"closed agency {agency.name}; its users are disabled")
    return 0


def add_agency(agency: Subcommands) -> None:
    """The core app's sub-commands, under `ncbnet agency`."""
    sp = command(agency, "add", cmd_agency_add, "add a national agency of this node's NCB")
    sp.add_argument("name")
    sp.add_argument("--kind", required=True, choices=["police", "border", "customs", "other"])
    sp = command(agency, "list", cmd_agency_list, "list the national agencies")
    sp.add_argument("--all", action="store_true", help="closed agencies too")
    sp = command(agency, "close", cmd_agency_close, "close an agency and disable its users")
    sp.add_argument("agency", help="the agency's name (or id)")


def add(user: Subcommands) -> None:
    """The core app's sub-commands, under `ncbnet user`."""
    sp = command(user, "add", cmd_user_add, "create an account on this node")
    sp.add_argument("username")
    sp.add_argument("--kind", required=True, choices=["ncb", "agency", "gs", "system", "commission"])
    sp.add_argument("--role", required=True)
    sp.add_argument("--agency", help="agency name (national agency users)")
    sp.add_argument("--sub-bureau", help="Sub-Bureau name (NCB staff working there)")
    sp.add_argument("--first-name", default="")
    sp.add_argument("--last-name", default="")
    sp.add_argument("--email", default="")
    sp.add_argument("--time-zone", default="UTC")
    sp.add_argument("--password-stdin", action="store_true", help="read the temporary password from stdin")
    sp = command(user, "disable", cmd_user_disable, "disable an account")
    sp.add_argument("username")
