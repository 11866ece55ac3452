"""`ncbnet bench matching|screening|messaging|feed|fanout`: the benchmarks, one JSON line each."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ncbnet.base.commands import CommandError, Subcommands, command, group, progress_bar
from ncbnet.node_commands import cmd_init


def cmd_bench_messaging(args: argparse.Namespace) -> int:
    if args.messages < 1:
        raise CommandError("--messages must be at least 1")
    from ncbnet.bench import messaging

    messaging.main(args.messages, args.rate)
    return 0


def cmd_bench_matching(args: argparse.Namespace) -> int:
    from ncbnet.bench import matching

    matching.main()
    return 0


def cmd_bench_screening(args: argparse.Namespace) -> int:
    """A hub of its own in --data (kept, so a second run reuses what the first seeded), or in
    DATABASE_URL's database when that is set."""
    import tempfile

    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="ncbnet-bench-screening-"))
    for key in [k for k in os.environ if k.startswith("NCBNET_")]:
        del os.environ[key]
    os.environ.update({"NCBNET_MODE": "demo", "NCBNET_ROLE": "hub", "NCBNET_DATA_DIR": str(data)})
    cmd_init(argparse.Namespace(json=False))
    from ncbnet.bench import screening

    screening.main(args.persons, args.documents, progress=progress_bar(), rebuild=not args.keep_index)
    return 0


def cmd_bench_feed(args: argparse.Namespace) -> int:
    """A hub of its own in a new temporary folder (or DATABASE_URL's database when that is set)."""
    import tempfile

    if not 1 <= args.nodes <= 10:
        raise CommandError("--nodes is from 1 to 10")
    data = Path(tempfile.mkdtemp(prefix="ncbnet-bench-feed-"))
    for key in [k for k in os.environ if k.startswith("NCBNET_")]:
        del os.environ[key]
    os.environ.update({"NCBNET_MODE": "demo", "NCBNET_ROLE": "hub", "NCBNET_DATA_DIR": str(data)})
    cmd_init(argparse.Namespace(json=False))
    import shutil

    from ncbnet.bench import feed

    try:
        feed.main(args.documents, args.nodes, data / "bench-node-keys")
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return 0


def cmd_bench_fanout(args: argparse.Namespace) -> int:
    """A hub of its own, nats-server and the simulated bureaus in a new temporary folder."""
    import shutil
    import tempfile

    from ncbnet.config import member_codes

    if not 1 <= args.nodes <= len(member_codes()) - 1:
        raise CommandError(f"--nodes is from 1 to {len(member_codes()) - 1}")
    if args.changes < 1:
        raise CommandError("--changes must be at least 1")
    if not 1 <= args.processes <= 16:
        raise CommandError("--processes is from 1 to 16")
    from ncbnet.bench import fanout

    data = Path(tempfile.mkdtemp(prefix="ncbnet-bench-fanout-"))
    try:
        fanout.main(args.nodes, args.changes, data, shards=args.processes)
    finally:
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
    return 0


def add(sub: Subcommands) -> None:
    """`ncbnet bench`."""
    bench = group(sub, "bench", "benchmarks (one JSON line each)")
    command(
        bench,
        "matching",
        cmd_bench_matching,
        "precision, recall and F1 of the name matcher on the labelled pairs",
    )
    sp = command(
        bench,
        "screening",
        cmd_bench_screening,
        "index build, name search, document lookups and a 10,000-row manifest on a hub of N persons",
    )
    sp.add_argument("--persons", type=int, default=100_000)
    sp.add_argument("--documents", type=int, default=100_000)
    sp.add_argument("--data", default=None, help="the bench hub's data folder (default: a new temporary one)")
    sp.add_argument(
        "--keep-index",
        action="store_true",
        help="keep the person index a run before left in --data (no rebuild, build time not measured)",
    )
    sp = command(
        bench,
        "feed",
        cmd_bench_feed,
        "records written in bulk at a hub, fed to N nodes in chunks (the hub's side: sealed and queued)",
    )
    sp.add_argument("--documents", type=int, default=20_000)
    sp.add_argument("--nodes", type=int, default=3)
    sp = command(
        bench,
        "fanout",
        cmd_bench_fanout,
        "the hub's change feed to N simulated bureaus over a real nats-server, verified and counted",
    )
    sp.add_argument("--nodes", type=int, default=10)
    sp.add_argument("--changes", type=int, default=1000)
    sp.add_argument(
        "--processes", type=int, default=2, help="processes the simulated bureaus share (default: 2)"
    )
    sp.add_argument("--keep", action="store_true", help="keep the bench's folder (logs, databases)")
    sp = command(
        bench, "messaging", cmd_bench_messaging, "hub and two NCB nodes on loopback: end-to-end messaging"
    )
    sp.add_argument("--messages", type=int, default=2000)
    sp.add_argument(
        "--rate", type=float, default=None, help="offered messages per second (default: as fast as possible)"
    )
