"""`ncbnet cooperation statistics`: the yearly figures of EU Directive 2023/977 (Art. 18) from the
requests this node keeps, as the statistics page and API give them, for an operator's report."""

from __future__ import annotations

import argparse
import json
import sys

from ncbnet.base.commands import CommandError, Subcommands, command, django_errors, group, setup_django


def cmd_statistics(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from ncbnet.cooperation.api.statistics import statistics_out
    from ncbnet.cooperation.services import statistics
    from ncbnet.core.models import User

    actor = User.objects.filter(username=args.user, is_active=True).first()
    if actor is None:
        raise CommandError(f"no active account {args.user!r} on this node")
    try:
        figures = statistics.compute(actor, statistics.period(args.start, args.end))
    except ValidationError as exc:
        raise CommandError(django_errors(exc)) from exc
    except PermissionDenied as exc:
        raise CommandError(f"{args.user}: {exc}") from exc
    if args.csv:
        sys.stdout.write(statistics.as_csv(figures))
    else:
        print(json.dumps(statistics_out(figures).model_dump(mode="json"), indent=2))
    return 0


def add(sub: Subcommands) -> None:
    """`ncbnet cooperation`."""
    cooperation = group(sub, "cooperation", "requests between bureaus, their deadlines and figures")
    sp = command(
        cooperation,
        "statistics",
        cmd_statistics,
        "the Art. 18 figures for a period (requests sent, received, answered in time, refusals by ground)",
    )
    sp.add_argument("--user", required=True, help="the account the figures are read as (audited)")
    sp.add_argument("--from", dest="start", default="", help="first day, YYYY-MM-DD (default: 1 January)")
    sp.add_argument("--to", dest="end", default="", help="last day, YYYY-MM-DD (default: 31 December)")
    sp.add_argument("--csv", action="store_true", help="CSV instead of JSON")
