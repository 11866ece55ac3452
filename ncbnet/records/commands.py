"""`ncbnet replica verify|resync`: this node's replica of the global databases, compared with what
the hub says it should hold, and resynchronised."""

from __future__ import annotations

import argparse
import sys

from ncbnet.base.commands import CommandError, Subcommands, command, django_errors, group, setup_django


def cmd_replica_verify(args: argparse.Namespace) -> int:
    setup_django()
    import time

    from ncbnet.base import holdings
    from ncbnet.records import replication

    if holdings.here().keeps_originals:
        raise CommandError("the hub holds the databases themselves; run this on an NCB node")
    check = replication.request_check()
    deadline = time.monotonic() + args.timeout
    while (result := replication.check_result(check.pk)) is None:
        if time.monotonic() > deadline:
            print(
                f"ncbnet: the hub did not answer within {args.timeout} s (is `network run` up? the hub "
                "answers at most 6 checks of a node an hour)",
                file=sys.stderr,
            )
            return 1
        time.sleep(0.2)
    print(
        f"expected {result['expected']} records (digest {result['expected_digest'][:16]}), "
        f"holding {result['held']} (digest {result['held_digest'][:16]})"
    )
    for name in ("missing", "extra", "stale"):
        for rid in result[name][:20]:
            print(f"{name}: {rid}")
        if len(result[name]) > 20:
            print(f"{name}: … and {len(result[name]) - 20} more")
    return 0 if not (result["missing"] or result["extra"] or result["stale"]) else 1


def cmd_replica_resync(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from ncbnet.base import holdings
    from ncbnet.records import resync

    try:
        if holdings.here().keeps_originals:
            if not args.node:
                raise CommandError("name the node to resynchronise (a country code, e.g. FR)")
            started = resync.resync(None, args.node.upper(), args.reason)
            print(f"resync {started} sent to {args.node.upper()}")
        else:
            if args.node:
                raise CommandError("a node asks for its own resync: give no node")
            resync.request_resync(None, args.reason)
            print("asked the hub for a resync; `ncbnet replica verify` shows the replica once it is done")
    except (ValidationError, PermissionDenied) as exc:
        raise CommandError(django_errors(exc)) from exc
    return 0


def add(sub: Subcommands) -> None:
    """The records app's sub-commands, under `ncbnet replica`."""
    replica = group(sub, "replica", "this node's replica of the global databases")
    sp = command(
        replica, "verify", cmd_replica_verify, "compare the replica with what the hub says it should hold"
    )
    sp.add_argument("--timeout", type=float, default=60)
    sp = command(
        replica,
        "resync",
        cmd_replica_resync,
        "hub: send NODE its set now; node: ask the hub for a resync (drop what it may not hold, "
        "fetch what it lacks)",
    )
    sp.add_argument("node", nargs="?", help="hub: the node's country code")
    sp.add_argument("--reason", default="", help="why (kept in the audit trail)")
