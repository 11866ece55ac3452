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
        import sys

        from ncbnet.network.envelope import new_id
        from ncbnet.records import bulk
        from ncbnet.records.commands import feed_until_done, show_feed
        from ncbnet.records.models import FeedJob

        source = f"seed:{new_id()}"
        try:
            counts = bulk.seed(args.persons, args.documents, progress=progress_bar(), source=source)
        except PermissionError as exc:
            raise CommandError(str(exc)) from exc
        print(json.dumps(counts))
        job = FeedJob.objects.filter(source=source).first()
        if job is None:
            print(
                "no node on the network: those that join get these records with their snapshot",
                file=sys.stderr,
            )
            return 0
        if not args.no_feed:
            feed_until_done(str(job.pk))
        print("\n".join(show_feed(str(job.pk))), file=sys.stderr)
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


# `demo story` exits with this when the step's input has not arrived over the network yet.
EXIT_NOT_YET = 3


def cmd_demo_story(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.demo import story

    if args.step is None:
        print("\n".join(f"{s.name} (on {s.node})" for s in story.STORY))
        return 0
    try:
        print(story.run(args.step))
    except story.NotYet as exc:
        print(f"not yet: {exc}")
        return EXIT_NOT_YET
    except KeyError as exc:
        raise CommandError(f"no step {exc} in the demo story (see `ncbnet demo story`)") from exc
    except (ValueError, PermissionError) as exc:
        raise CommandError(str(exc)) from exc
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
    sp.add_argument(
        "--no-feed",
        action="store_true",
        help="hub: leave the feed of the bulk records to the nodes to `network run` (`records feed-status`)",
    )
    command(demo, "totp", cmd_demo_totp, "print the current code of the demo authenticator")
    sp = command(
        demo, "story", cmd_demo_story, "run one step of the demo network's story on this node (or list them)"
    )
    sp.add_argument("step", nargs="?", help="the step's name; none lists the steps and their nodes")
