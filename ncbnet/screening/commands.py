"""`ncbnet screening compare|manifest|work`: name pairs scored, a manifest screened here and now,
and the worker that runs the manifest jobs submitted on the pages and the API."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from ncbnet.base.commands import CommandError, Subcommands, command, group, progress_bar, setup_django


def cmd_screening_compare(args: argparse.Namespace) -> int:
    """Read a CSV with name1,name2 (other columns kept) and write it back with score and match."""
    import csv

    from ncbnet.base import csvsafe
    from ncbnet.screening import names

    try:
        fh = sys.stdin if args.csv == "-" else open(args.csv, encoding="utf-8", newline="")  # noqa: SIM115
    except OSError as exc:
        raise CommandError(f"{args.csv}: {exc.strerror}") from exc
    with fh:
        reader = csv.DictReader(fh)
        missing = {"name1", "name2"} - set(reader.fieldnames or [])
        if missing:
            absent = ", ".join(sorted(missing))
            raise CommandError(f"{args.csv}: the CSV needs the columns name1 and name2 (missing: {absent})")
        writer = csvsafe.DictWriter(sys.stdout, fieldnames=[*(reader.fieldnames or []), "score", "match"])
        writer.writeheader()
        for row in reader:
            result = names.compare(row["name1"] or "", row["name2"] or "")
            writer.writerow(
                row | {"score": f"{result.score:.4f}", "match": "true" if result.match else "false"}
            )
    return 0


def cmd_screening_manifest(args: argparse.Namespace) -> int:
    """Screen a manifest as one job, here and now, with a progress bar; write the result CSV."""
    setup_django()
    from django.core.exceptions import ValidationError

    from ncbnet.core.models import User
    from ncbnet.screening import manifests

    actor = User.objects.filter(username=args.user, is_active=True).first()
    if actor is None:
        raise CommandError(f"no active account {args.user!r} on this node")
    try:
        with open(args.file, "rb") as fh:
            content = fh.read()
    except OSError as exc:
        raise CommandError(f"{args.file}: {exc.strerror}") from exc
    context = {"reason": args.reason, "place": args.place, "urgent": args.urgent}
    try:
        job = manifests.submit(actor, os.path.basename(args.file), content, context, here=True)
    except ValidationError as exc:
        raise CommandError(
            f"{args.file}: " + " ".join(" ".join(v) for v in exc.message_dict.values())
        ) from exc
    job = manifests.run(job, actor, progress=progress_bar())
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8", newline="")  # noqa: SIM115
    with out if out is not sys.stdout else contextlib.nullcontext(out):
        for line in manifests.result_lines(job):
            out.write(line)
    print(
        f"manifest {job.pk}: {job.total:,} rows, {job.hits:,} with possible matches "
        f"(reported to their owners), {job.problems:,} with problems",
        file=sys.stderr,
    )
    return 0


def cmd_screening_work(args: argparse.Namespace) -> int:
    """Run the manifest jobs submitted on the pages and the API, one after another, until stopped."""
    setup_django()
    import logging
    import signal
    import threading

    from django.db import close_old_connections

    from ncbnet.screening import manifests

    log = logging.getLogger("ncbnet.screening")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        close_old_connections()
        job = manifests.claim()
        if job is None:
            stop.wait(args.poll)
            continue
        log.info("manifest %s: %s rows from row %s", job.pk, job.total, job.done + 1)
        try:
            manifests.run(job)
        except manifests.Busy as exc:
            log.warning("%s", exc)
        except Exception:
            log.exception("manifest %s failed", job.pk)
    return 0


def add(sub: Subcommands) -> None:
    """The screening app's sub-commands, under `ncbnet screening`."""
    screening = group(sub, "screening", "screening tools")
    sp = command(
        screening,
        "compare",
        cmd_screening_compare,
        "score name pairs from a CSV (name1,name2) to standard output",
    )
    sp.add_argument("--csv", required=True, help="the CSV file, or - for standard input")
    sp = command(
        screening,
        "manifest",
        cmd_screening_manifest,
        "screen a passenger manifest (CSV or JSON) as one job; every hit is reported to its owner",
    )
    sp.add_argument(
        "file",
        help="CSV with a header, or JSON (a list of objects): name, date_of_birth, sex, "
        "nationality, document_number, issuing_country",
    )
    sp.add_argument("--user", required=True, help="the account that screens (an officer or a border system)")
    sp.add_argument("--out", default="-", help="where the result CSV goes (default: standard output)")
    sp.add_argument("--reason", default="", help="why (sent with every hit report)")
    sp.add_argument("--place", default="", help="where (sent with every hit report)")
    sp.add_argument("--urgent", action="store_true", help="the passengers are here now: 10-minute answers")
    sp = command(
        screening, "work", cmd_screening_work, "run manifest jobs submitted on the pages and the API"
    )
    sp.add_argument("--poll", type=float, default=1.0, help="seconds between looks for new jobs")
