"""`ncbnet user add|disable`: accounts on this node, created and disabled by the operator."""

from __future__ import annotations

import argparse
import getpass
import sys

from ncbnet.base.commands import CommandError, Subcommands, command, django_errors, setup_django


def cmd_user_add(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError

    from ncbnet.core import services
    from ncbnet.core.models import Agency

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


def add(user: Subcommands) -> None:
    """The core app's sub-commands, under `ncbnet user`."""
    sp = command(user, "add", cmd_user_add, "create an account on this node")
    sp.add_argument("username")
    sp.add_argument("--kind", required=True, choices=["ncb", "agency", "gs", "system"])
    sp.add_argument("--role", required=True)
    sp.add_argument("--agency", help="agency name (national agency users)")
    sp.add_argument("--first-name", default="")
    sp.add_argument("--last-name", default="")
    sp.add_argument("--email", default="")
    sp.add_argument("--time-zone", default="UTC")
    sp.add_argument("--password-stdin", action="store_true", help="read the temporary password from stdin")
    sp = command(user, "disable", cmd_user_disable, "disable an account")
    sp.add_argument("username")
