"""`ncbnet conference verify-tally|polls`: every bureau recomputes a published tally from the
signed ballots, against its own copy of the key directory (exit code 2, saying which ballot fails,
when anything does not check); the polls kept on this node."""

from __future__ import annotations

import argparse
import sys
import uuid

from ncbnet.base.commands import EXIT_USAGE, CommandError, Subcommands, command, group, setup_django


def _poll_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a poll's id (see ncbnet conference polls)") from None


def cmd_verify_tally(args: argparse.Namespace) -> int:
    """Check every published ballot of the poll and recompute its tally."""
    poll = _poll_id(args.poll)
    setup_django()
    from ncbnet.conference import services
    from ncbnet.conference.models import IllegalStep, Poll

    try:
        verified = services.verify_tally(poll)
    except Poll.DoesNotExist:
        raise CommandError(f"no poll {poll} on this node") from None
    except IllegalStep as exc:
        raise CommandError(str(exc)) from None
    if not verified.ok:
        for problem in verified.problems:
            print(f"ncbnet: TAMPERED: {problem}", file=sys.stderr)
        return EXIT_USAGE
    r = verified.recomputed
    assert r is not None
    print(
        f"poll {poll}: {r.cast} ballots verified of {r.entitled} entitled; yes {r.yes}, no {r.no}, "
        f"abstain {r.abstain}; quorum {'reached' if r.quorum else 'missed'}; {r.majority}: {r.outcome}"
    )
    return 0


def cmd_polls(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.conference.models import Poll

    for p in Poll.objects.select_related("resolution").order_by("created_at"):
        outcome = p.result.get("outcome", "") if p.result else ""
        print(f"{p.pk}  {p.state:9}  {p.majority:10}  {outcome:9}  {p.resolution.title}".rstrip())
    return 0


def add(sub: Subcommands) -> None:
    """`ncbnet conference`."""
    conference = group(sub, "conference", "the Heads of NCB Conference: polls and their published tallies")
    sp = command(
        conference,
        "verify-tally",
        cmd_verify_tally,
        "check every signed ballot of a published poll and recompute its tally (exit code 2 on tampering)",
    )
    sp.add_argument("poll", help="the poll's id")
    command(conference, "polls", cmd_polls, "the polls kept on this node, with their state and outcome")
