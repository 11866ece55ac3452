"""`ncbnet replica verify|resync|snapshot`: this node's replica of the global databases, compared with what
the hub says it should hold, and resynchronised."""

from __future__ import annotations

import argparse
import sys
from typing import Any

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


def snapshot_lines() -> list[str]:
    """Snapshots as lines: at the hub one per node, on a node one per snapshot it received."""
    from ncbnet.base import holdings
    from ncbnet.records import snapshot

    def pace(p: dict[str, Any]) -> str:
        eta = (
            "done" if p["finished_at"] else (f"ETA {p['eta_s']:.0f} s" if p["eta_s"] is not None else "ETA ?")
        )
        return f"{p['rows_per_s']:,.0f} rows/s, {eta}"

    if holdings.here().keeps_originals:
        return [
            f"{p['node']} {p['snapshot']}: chunks {p['chunks_stored']} stored of {p['chunks_sent']} sent, "
            f"rows {p['rows_stored']:,} stored of {p['total'] or 0:,} ({p['rows_sent']:,} sent, "
            f"{p['resumes']} resumes), {pace(p)}"
            for p in snapshot.progress_at_hub()
        ]
    return [
        f"{p['snapshot']}: chunks {p['chunks_stored']} stored ({p['chunks_refused']} refused), "
        f"rows {p['rows_stored']:,} of {p['total']:,}, {pace(p)}"
        for p in snapshot.progress_at_node()
    ]


def cmd_replica_snapshot(args: argparse.Namespace) -> int:
    setup_django()
    import time

    while True:
        lines = snapshot_lines()
        print("\n".join(lines) if lines else "no snapshot", flush=True)
        if not args.follow:
            return 0
        time.sleep(args.follow)


def show_feed(job_id: str | None = None) -> list[str]:
    """Feed jobs as lines: one per job, then one per node (sent of total)."""
    from ncbnet.records import feed

    lines = []
    for job in feed.status():
        if job_id and job["id"] != job_id:
            continue
        state = "done" if job["finished_at"] else "feeding"
        lines.append(f"{job['id']} {job['what']}: {job['written']:,} records written, {state}")
        for n in job["nodes"]:
            note = " (left the network)" if n["left"] else " done" if n["done"] else ""
            lines.append(f"  {n['node']}: {n['sent']:,} of {n['total']:,} sent{note}")
    return lines


def cmd_records_feed_status(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.base import holdings

    if not holdings.here().keeps_originals:
        raise CommandError("feed jobs are at the hub; on a node, `ncbnet replica verify` checks the replica")
    lines = show_feed(args.job)
    print("\n".join(lines) if lines else "no feed jobs")
    return 0


def feed_until_done(job_id: str, progress: bool = True) -> None:
    """Send a feed job's chunks here and now (the network worker would, in turns), with progress."""
    from ncbnet.base.commands import progress_bar
    from ncbnet.records import feed
    from ncbnet.records.models import FeedJobNode

    bar = progress_bar() if progress else None
    rows = list(FeedJobNode.objects.filter(job__pk=job_id).order_by("node"))
    for row in rows:
        while feed.step(row.pk):
            if bar is not None:
                row.refresh_from_db()
                bar(f"feed to {row.node}", min(row.sent, row.total), row.total)


def _progress(job: Any) -> str:
    from ncbnet.records.imports import progress

    p = progress(job)
    return (
        f"{p['id']} {p['filename']} ({p['database']}): {p['status']}; {p['rows']:,} rows read, "
        f"{p['sent']:,} sent, {p['accepted']:,} accepted, {p['refused']:,} refused"
    )


def cmd_records_import(args: argparse.Namespace) -> int:
    """Read a file of records into a bulk contribution; the network worker sends it to the hub."""
    setup_django()
    import json
    import os
    import time

    from django.core.exceptions import PermissionDenied, ValidationError

    from ncbnet.core.models import User
    from ncbnet.records import imports

    actor = User.objects.filter(username=args.user, is_active=True).first()
    if actor is None:
        raise CommandError(f"no active account {args.user!r} on this node")
    restriction = None
    if args.restriction:
        try:
            restriction = json.loads(args.restriction)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--restriction: not JSON ({exc.msg})") from exc
    try:
        with open(args.file, "rb") as fh:
            job = imports.submit(actor, args.database, os.path.basename(args.file), fh, restriction)
    except OSError as exc:
        raise CommandError(f"{args.file}: {exc.strerror}") from exc
    except (ValidationError, PermissionDenied) as exc:
        raise CommandError(f"{args.file}: {django_errors(exc)}") from exc
    print(_progress(job))
    if not args.wait:
        print(f"sent from `ncbnet network run`; `ncbnet records imports {job.pk}` shows how far it got")
        return 0
    deadline = time.monotonic() + args.wait
    while job.status != job.Status.DONE:
        if time.monotonic() > deadline:
            print(_progress(job), file=sys.stderr)
            print(f"ncbnet: not done within {args.wait:g} s; it goes on from `network run`", file=sys.stderr)
            return 1
        time.sleep(0.5)
        job.refresh_from_db()
    print(_progress(job))
    return 0


def cmd_records_imports(args: argparse.Namespace) -> int:
    """The bulk contributions of this node, or one of them (and its per-row outcome)."""
    setup_django()
    from django.http import Http404

    from ncbnet.core.models import User
    from ncbnet.records import imports

    if not args.job:
        lines = [_progress(job) for job in imports.visible()[:50]]
        print("\n".join(lines) if lines else "no bulk contributions")
        return 0
    try:
        job = imports.get(args.job)
    except Http404 as exc:
        raise CommandError(f"no bulk contribution {args.job} on this node") from exc
    print(_progress(job))
    if args.outcome:
        actor = User.objects.filter(username=args.user, is_active=True).first() if args.user else None
        if args.user and actor is None:
            raise CommandError(f"no active account {args.user!r} on this node")
        with open(args.outcome, "w", encoding="utf-8", newline="") as out:
            imports.download(actor, job)
            for line in imports.outcome_lines(job):
                out.write(line)
        print(f"per-row outcome written to {args.outcome}")
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
    sp = command(
        replica,
        "snapshot",
        cmd_replica_snapshot,
        "hub: each node's snapshot, chunks and rows sent and stored; node: what it stored (rate, ETA)",
    )
    sp.add_argument("--follow", type=float, default=0, help="print again every so many seconds")

    records = group(sub, "records", "the global databases: bulk contributions and feeds")
    sp = command(
        records,
        "feed-status",
        cmd_records_feed_status,
        "hub: how far each bulk write has reached the nodes on the network",
    )
    sp.add_argument("job", nargs="?", help="one feed job's id")
    sp = command(
        records,
        "import",
        cmd_records_import,
        "node: contribute a file of records (CSV with a header, or JSON lines) as one bulk contribution",
    )
    sp.add_argument("file")
    sp.add_argument(
        "--database", required=True, choices=["persons", "documents", "vehicles", "artworks", "firearms"]
    )
    sp.add_argument(
        "--user", required=True, help="the contributing account (an officer or a national system)"
    )
    sp.add_argument("--restriction", help='for every row, as JSON: {"access": "deny", "countries": ["BR"]}')
    sp.add_argument(
        "--wait", type=float, default=0, help="wait up to this many seconds for the hub's answers"
    )
    sp = command(records, "imports", cmd_records_imports, "node: the bulk contributions and their progress")
    sp.add_argument("job", nargs="?", help="one bulk contribution's id")
    sp.add_argument("--outcome", help="write its per-row outcome (CSV) to this file")
    sp.add_argument("--user", help="the account downloading the outcome (audited)")
