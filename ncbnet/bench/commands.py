"""`ncbnet bench matching|screening|analytics|messaging|feed|fanout|snapshot|public`: one JSON line
each."""

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

    if args.per_call < 1 or args.per_call > 500:
        raise CommandError("--per-call must be from 1 to 500")
    messaging.main(args.messages, args.rate, args.path, args.per_call)
    return 0


def cmd_bench_matching(args: argparse.Namespace) -> int:
    from ncbnet.bench import matching

    matching.main()
    return 0


BACKENDS = ("sqlite", "postgresql")


def cmd_bench_screening(args: argparse.Namespace) -> int:
    """A hub of its own in --data (kept, so a second run reuses what the first seeded): on SQLite
    in its `sqlite` folder, and on PostgreSQL (DATABASE_URL's database, its keys in the
    `postgresql` folder) when DATABASE_URL is set; each in a process of its own, one JSON line each.
    `--backend` runs one of them here."""
    import tempfile

    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="ncbnet-bench-screening-"))
    if args.lookups < 10 or args.manifest_rows < 1:
        raise CommandError("--lookups is at least 10 and --manifest-rows at least 1")
    if args.backend is None:
        return _screening_on_each_backend(args, data)
    url = os.environ.get("DATABASE_URL", "")
    if args.backend == "postgresql" and not url.startswith(("postgres://", "postgresql://")):
        raise CommandError("--backend postgresql needs DATABASE_URL (postgres://user@host:port/name)")
    if args.backend == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    for key in [k for k in os.environ if k.startswith("NCBNET_")]:
        del os.environ[key]
    os.environ.update(
        {"NCBNET_MODE": "demo", "NCBNET_ROLE": "hub", "NCBNET_DATA_DIR": str(data / args.backend)}
    )
    _commission_beside(data / args.backend)
    cmd_init(argparse.Namespace(json=False))
    from ncbnet.bench import screening

    screening.main(
        args.persons,
        args.documents,
        progress=progress_bar(),
        rebuild=not args.keep_index,
        lookups=args.lookups,
        manifest_rows=args.manifest_rows,
    )
    return 0


def _commission_beside(data: Path) -> None:
    """A bench's hub keeps the Commission's database (which no bench measures) in a SQLite file in
    its own folder, unless COMMISSION_DATABASE_URL names one: on DATABASE_URL's PostgreSQL server
    it would otherwise need a second database made for it."""
    os.environ.setdefault("COMMISSION_DATABASE_URL", f"sqlite:///{data / 'commission.sqlite3'}")


def _screening_on_each_backend(args: argparse.Namespace, data: Path) -> int:
    """SQLite always, PostgreSQL when DATABASE_URL is set: the same bench, one after the other (not
    side by side: each would slow the other), each printing its own line."""
    import subprocess
    import sys

    backends = BACKENDS if os.environ.get("DATABASE_URL") else BACKENDS[:1]
    for backend in backends:
        command = [sys.executable, "-m", "ncbnet.cli", "bench", "screening", "--backend", backend]
        command += ["--persons", str(args.persons), "--documents", str(args.documents), "--data", str(data)]
        command += ["--keep-index"] if args.keep_index else []
        command += ["--lookups", str(args.lookups), "--manifest-rows", str(args.manifest_rows)]
        ran = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
        print(ran.stdout, end="", flush=True)
        if ran.returncode != 0:
            raise CommandError(f"the screening bench on {backend} failed (exit code {ran.returncode})")
    return 0


def cmd_bench_analytics(args: argparse.Namespace) -> int:
    """A hub of its own in --data, laid out as the screening bench's (so a screening bench's --data
    is reused with its records): on SQLite, and on PostgreSQL when DATABASE_URL is set, each in a
    process of its own, one JSON line each. `--backend` runs one of them here."""
    import tempfile

    if args.persons < 0 or args.documents < 0:
        raise CommandError("--persons and --documents are at least 0")
    if not 1 <= args.days <= 3660 or args.rounds < 1:
        raise CommandError("--days is from 1 to 3660 and --rounds at least 1")
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="ncbnet-bench-analytics-"))
    if args.backend is None:
        return _analytics_on_each_backend(args, data)
    _bench_hub(args.backend, data)
    from ncbnet.bench import analytics

    try:
        analytics.main(
            args.persons,
            args.documents,
            args.days,
            args.rounds,
            progress=progress_bar(),
            keep_figures=args.keep_figures,
        )
    except analytics.OtherHistory as exc:
        raise CommandError(str(exc)) from exc
    return 0


def _bench_hub(backend: str, data: Path) -> None:
    """This process made the bench's hub on `backend`, in its folder of `data` (DATABASE_URL's
    database on PostgreSQL), its node initialised."""
    url = os.environ.get("DATABASE_URL", "")
    if backend == "postgresql" and not url.startswith(("postgres://", "postgresql://")):
        raise CommandError("--backend postgresql needs DATABASE_URL (postgres://user@host:port/name)")
    if backend == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    for key in [k for k in os.environ if k.startswith("NCBNET_")]:
        del os.environ[key]
    os.environ.update({"NCBNET_MODE": "demo", "NCBNET_ROLE": "hub", "NCBNET_DATA_DIR": str(data / backend)})
    _commission_beside(data / backend)
    cmd_init(argparse.Namespace(json=False))


def _analytics_on_each_backend(args: argparse.Namespace, data: Path) -> int:
    """As `_screening_on_each_backend`: SQLite, then PostgreSQL when DATABASE_URL is set."""
    import subprocess
    import sys

    backends = BACKENDS if os.environ.get("DATABASE_URL") else BACKENDS[:1]
    for backend in backends:
        command = [sys.executable, "-m", "ncbnet.cli", "bench", "analytics", "--backend", backend]
        command += ["--persons", str(args.persons), "--documents", str(args.documents), "--data", str(data)]
        command += ["--days", str(args.days), "--rounds", str(args.rounds)]
        command += ["--keep-figures"] if args.keep_figures else []
        ran = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
        print(ran.stdout, end="", flush=True)
        if ran.returncode != 0:
            raise CommandError(f"the analytics bench on {backend} failed (exit code {ran.returncode})")
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
    _commission_beside(data)
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


def cmd_bench_snapshot(args: argparse.Namespace) -> int:
    """A hub and a node of their own, and nats-server, in a new temporary folder (SQLite)."""
    import shutil
    import tempfile

    if args.persons < 0 or args.documents < 0 or args.persons + args.documents < 1:
        raise CommandError("--persons and --documents are at least 0, and not both 0")
    if args.kill_at is not None and not 0 < args.kill_at < 1:
        raise CommandError("--kill-at is a fraction between 0 and 1 (0.5: midway)")
    if args.chunk_rows is not None and not 10 <= args.chunk_rows <= 5000:
        raise CommandError("--chunk-rows is from 10 to 5000")
    from ncbnet.bench import snapshot

    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="ncbnet-bench-snapshot-"))
    try:
        snapshot.main(args.persons, args.documents, data, args.kill_at, args.chunk_rows)
    finally:
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
    return 0


def cmd_bench_public(args: argparse.Namespace) -> int:
    """A hub of its own in a new temporary folder (or DATABASE_URL's database when that is set),
    served by `ncbnet serve` on loopback."""
    import shutil
    import tempfile

    if not 1 <= args.notices <= 1_000_000:
        raise CommandError("--notices is from 1 to 1000000")
    if not 10 <= args.requests <= 1_000_000:
        raise CommandError("--requests is from 10 to 1000000")
    if not 1 <= args.threads <= 64 or not 1 <= args.workers <= 16:
        raise CommandError("--threads is from 1 to 64 and --workers from 1 to 16")
    data = Path(tempfile.mkdtemp(prefix="ncbnet-bench-public-"))
    for key in [k for k in os.environ if k.startswith("NCBNET_")]:
        del os.environ[key]
    os.environ.update({"NCBNET_MODE": "demo", "NCBNET_ROLE": "hub", "NCBNET_DATA_DIR": str(data)})
    _commission_beside(data)
    cmd_init(argparse.Namespace(json=False))
    from ncbnet.bench import public

    try:
        public.main(args.notices, args.requests, args.threads, args.workers, data)
    finally:
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
    sp.add_argument("--lookups", type=int, default=1000, help="document numbers looked up (and in a batch)")
    sp.add_argument("--manifest-rows", type=int, default=10_000, help="rows of the manifest screened")
    sp.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="run on this database only (default: SQLite, then PostgreSQL when DATABASE_URL is set)",
    )
    sp = command(
        bench,
        "analytics",
        cmd_bench_analytics,
        "a year of the network's activity on a hub of N persons: the figures' rebuild and the dashboards",
    )
    sp.add_argument("--persons", type=int, default=1_000_000)
    sp.add_argument("--documents", type=int, default=10_000_000)
    sp.add_argument("--data", default=None, help="the bench hub's data folder (default: a new temporary one)")
    sp.add_argument("--days", type=int, default=365, help="days of synthetic history before today")
    sp.add_argument("--rounds", type=int, default=50, help="times each dashboard is made")
    sp.add_argument(
        "--keep-figures",
        action="store_true",
        help="keep the figures a run before left in --data (no rebuild, its time not measured)",
    )
    sp.add_argument(
        "--backend",
        choices=BACKENDS,
        default=None,
        help="run on this database only (default: SQLite, then PostgreSQL when DATABASE_URL is set)",
    )
    sp = command(
        bench,
        "public",
        cmd_bench_public,
        "the hub's public notices API (lists and details) through ncbnet serve on loopback",
    )
    sp.add_argument("--notices", type=int, default=10_000, help="published notices with public extracts")
    sp.add_argument("--requests", type=int, default=5000, help="list requests, and as many details")
    sp.add_argument("--threads", type=int, default=8, help="client threads, each on its own connection")
    sp.add_argument("--workers", type=int, default=2, help="the server's worker processes")
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
        bench,
        "snapshot",
        cmd_bench_snapshot,
        "a node joining a hub of N persons and M documents receives its replica by the stream",
    )
    sp.add_argument("--persons", type=int, default=20_000)
    sp.add_argument("--documents", type=int, default=200_000)
    sp.add_argument("--kill-at", type=float, default=None, help="kill the node's worker at this fraction")
    sp.add_argument("--chunk-rows", type=int, default=None, help="records a chunk at most (default 5000)")
    sp.add_argument("--data", default=None, help="the bench's folder (default: a new temporary one)")
    sp.add_argument("--keep", action="store_true", help="keep the bench's folder (logs, databases)")
    sp = command(
        bench, "messaging", cmd_bench_messaging, "hub and two NCB nodes on loopback: end-to-end messaging"
    )
    sp.add_argument("--messages", type=int, default=2000)
    sp.add_argument(
        "--rate", type=float, default=None, help="offered messages per second (default: as fast as possible)"
    )
    sp.add_argument(
        "--path",
        choices=("bulk", "single"),
        default="bulk",
        help="send with services.send_many (a machine sender's bulk path, the default) or services.send",
    )
    sp.add_argument(
        "--per-call", type=int, default=200, help="bulk path: most messages per send_many call (default 200)"
    )
