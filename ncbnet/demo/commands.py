"""`ncbnet demo seed|totp`: demo data for every app and the demo authenticator (refused in
production)."""

from __future__ import annotations

import argparse
import json
import os

from ncbnet.base.commands import CommandError, Subcommands, command, group, progress_bar, setup_django


def cmd_demo_seed(args: argparse.Namespace) -> int:
    if args.persons or args.documents:
        setup_django()
        from ncbnet.records import bulk

        try:
            counts = bulk.seed(args.persons, args.documents, progress=progress_bar())
        except PermissionError as exc:
            raise CommandError(str(exc)) from exc
        print(json.dumps(counts))
        return 0
    setup_django()
    from ncbnet.demo import seed as demo

    try:
        logins = demo.seed()
    except (demo.DemoRefused, PermissionError) as exc:
        raise CommandError(str(exc)) from exc
    print(
        json.dumps([login.__dict__ for login in logins]) if args.json else f"{len(logins)} demo logins ready"
    )
    return 0


def cmd_demo_totp(args: argparse.Namespace) -> int:
    import pyotp

    from ncbnet.demo.credentials import DEMO_TOTP_SECRET

    if os.environ.get("NCBNET_MODE") == "production":
        raise CommandError("the demo authenticator is refused in production mode")
    print(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    return 0


def add(sub: Subcommands) -> None:
    """`ncbnet demo`."""
    demo = group(sub, "demo", "demo data (refused in production)")
    sp = command(
        demo, "seed", cmd_demo_seed, "create demo agencies and accounts on this node (and records at the hub)"
    )
    sp.add_argument("--json", action="store_true")
    sp.add_argument(
        "--persons", type=int, default=0, help="hub: also write this many synthetic persons, in bulk"
    )
    sp.add_argument(
        "--documents", type=int, default=0, help="hub: also write this many travel documents, in bulk"
    )
    command(demo, "totp", cmd_demo_totp, "print the current code of the demo authenticator")
