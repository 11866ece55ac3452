"""The `ncbnet` command: one entry point for operators. Each app contributes its sub-commands
from its own `commands.py`; this module only assembles them, in the order `ncbnet --help` lists.

Bad input gets a one-line message on standard error and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ncbnet import node_commands
from ncbnet.analytics import commands as analytics
from ncbnet.audit import commands as audit
from ncbnet.base.commands import EXIT_USAGE, CommandError, Parser, group
from ncbnet.bench import commands as bench
from ncbnet.conference import commands as conference
from ncbnet.cooperation import commands as cooperation
from ncbnet.core import commands as core
from ncbnet.demo import commands as demo
from ncbnet.network import commands as network
from ncbnet.records import commands as records
from ncbnet.screening import commands as screening
from ncbnet.security import commands as security
from ncbnet.training import commands as training


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="ncbnet", description="Run and administer one ncbnet node (or the embedded demo network)."
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    node_commands.add(sub)  # check, init, serve, up
    user = group(sub, "user", "manage accounts")
    core.add(user)  # user add, disable
    core.add_agency(group(sub, "agency", "national agencies of this node's NCB"))  # agency add, list, close
    security.add(sub, user)  # user unlock, reset; token
    audit.add(sub)  # audit
    network.add(sub)  # keys, network
    screening.add(sub)  # screening
    records.add(sub)  # replica
    cooperation.add(sub)  # cooperation
    analytics.add(sub)  # analytics
    conference.add(sub)  # conference
    training.add(sub)  # training
    bench.add(sub)  # bench
    demo.add(sub)  # demo
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except CommandError as exc:
        print(f"ncbnet: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
