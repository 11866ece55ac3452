"""`ncbnet user unlock|reset` and `ncbnet token create|revoke`: sign-in trouble and API tokens."""

from __future__ import annotations

import argparse
import sys

from ncbnet.base.commands import CommandError, Subcommands, command, django_errors, group, setup_django


def cmd_user_unlock(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from ncbnet.security import accounts

    try:
        accounts.unlock(None, args.username)
    except (ValidationError, Http404) as exc:
        raise CommandError(django_errors(exc)) from exc
    print(f"unlocked {args.username}; they are told at their next sign-in")
    return 0


def cmd_user_reset(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from ncbnet.security import accounts

    reset = accounts.reset_second_factor if args.second_factor else accounts.reset_password
    try:
        _user, password = reset(None, args.username)
    except (ValidationError, Http404) as exc:
        raise CommandError(django_errors(exc)) from exc
    print(password)
    then = "change it, then set up their authenticator again" if args.second_factor else "change it"
    print(
        f"temporary password for {args.username} (shown only now; hand it over in person): "
        f"at their next sign-in they {then}",
        file=sys.stderr,
    )
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.core.models import User
    from ncbnet.security import services

    account = User.objects.filter(username=args.user).first()
    if account is None:
        raise CommandError(f"no account named {args.user!r}")
    try:
        token, raw = services.create_token(None, account, args.name, args.days, scopes=args.scope or [])
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    print(raw)
    print(
        f"token {token.prefix} for {account.username} ({', '.join(token.scopes)}), "
        f"expires {token.expires_at:%Y-%m-%d}; it is shown only now",
        file=sys.stderr,
    )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.security import services
    from ncbnet.security.models import ApiToken

    prefix = args.prefix.split("_")[1] if args.prefix.startswith("ncb_") else args.prefix
    try:
        services.revoke_token(None, prefix)
    except ApiToken.DoesNotExist as exc:
        raise CommandError(f"no token {prefix}") from exc
    print(f"revoked token {prefix}")
    return 0


def add(sub: Subcommands, user: Subcommands) -> None:
    """The security app's sub-commands: two under `ncbnet user`, and `ncbnet token`."""
    sp = command(user, "unlock", cmd_user_unlock, "unlock an account locked after failed sign-ins")
    sp.add_argument("username")
    sp = command(user, "reset", cmd_user_reset, "give an account a temporary password (printed once)")
    sp.add_argument("username")
    sp.add_argument(
        "--second-factor", action="store_true", help="also remove the authenticator: set up again after"
    )

    token = group(sub, "token", "API tokens for system accounts")
    sp = command(token, "create", cmd_token_create, "issue a token (printed once)")
    sp.add_argument("--user", required=True, help="the system account")
    sp.add_argument("--name", required=True, help="what the token is for")
    sp.add_argument("--days", type=int, default=365)
    sp.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help="what the token may do, repeatable: read_messages, send_messages, screening, "
        "contributions, restricted (content under H2 and H3)",
    )
    sp = command(token, "revoke", cmd_token_revoke, "revoke a token by its prefix")
    sp.add_argument("prefix")
