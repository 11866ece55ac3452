"""`ncbnet audit verify|seal|anchors`: the audit chain checked, sealed, and the seals the hub holds."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ncbnet.base.commands import CommandError, Subcommands, command, group, setup_django


def cmd_audit_verify(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.audit import services
    from ncbnet.base.node import keys

    anchors = None
    if args.anchors:
        try:
            anchors = json.loads(Path(args.anchors).read_text("utf-8"))
            result = services.verify_chain(keys(), anchors)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CommandError(f"{args.anchors}: not the hub's seals of this node ({exc})") from exc
    else:
        result = services.verify_chain(keys())
    if result.finding is not None:
        print(f"audit chain BROKEN at {result.finding}", file=sys.stderr)
        return 1
    print(
        f"audit chain intact: {result.entries} entries, {result.seals} seals verified"
        + (f" (including {len(anchors)} held by the hub)" if anchors is not None else "")
    )
    return 0


def cmd_audit_anchors(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.audit import anchoring
    from ncbnet.base.node import role

    if not role().keeps_anchors:
        raise CommandError("only the hub holds the nodes' seals")
    print(json.dumps(anchoring.exported(args.node.upper()), indent=2))
    return 0


def cmd_audit_seal(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.audit import anchoring
    from ncbnet.base.node import keys

    seal = anchoring.seal_and_anchor(keys())
    print(f"sealed up to entry #{seal.seq}" if seal else "nothing new to seal")
    return 0


def add(sub: Subcommands) -> None:
    """The audit app's sub-commands, under `ncbnet audit`."""
    audit = group(sub, "audit", "the audit chain")
    sp = command(
        audit,
        "verify",
        cmd_audit_verify,
        "verify the hash chain and seals; exit 1 naming the first bad entry",
    )
    sp.add_argument("--anchors", help="also check against the seals the hub holds (from `audit anchors`)")
    command(audit, "seal", cmd_audit_seal, "sign the chain head now and send the seal to the hub")
    sp = command(
        audit,
        "anchors",
        cmd_audit_anchors,
        "hub: print the seals a node sent, for its `audit verify --anchors`",
    )
    sp.add_argument("--node", required=True)
