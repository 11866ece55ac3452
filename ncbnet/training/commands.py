"""`ncbnet training verify FILE|courses|remind`: a certificate verified offline on this node (exit 1,
with the reasons, when it is not valid); the catalogue kept here; the reminders before expiry."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ncbnet.base.commands import CommandError, Subcommands, command, group, setup_django

MAX_FILE = 64_000


def cmd_verify(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_FILE + 1)
    except OSError as exc:
        raise CommandError(f"{args.file}: {exc.strerror}") from None
    if len(raw) > MAX_FILE:
        raise CommandError(f"{args.file}: larger than a certificate can be ({MAX_FILE} bytes)")
    try:
        document = json.loads(raw)
    except ValueError:
        raise CommandError(f"{args.file}: not JSON") from None
    setup_django()
    from ncbnet.training import services

    verdict = services.verify(None, document)
    if verdict.valid:
        checked = "" if verdict.revocation_checked else " (no status list here yet: revocation not checked)"
        who = f"{verdict.name} ({verdict.subject})"
        print(f"valid: {who}, {verdict.course}, until {verdict.valid_until}{checked}")
        return 0
    print("not valid: " + "; ".join(verdict.reasons))
    return 1


def cmd_courses(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.training import services

    required = services.required()
    for c in services.courses():
        roles = ", ".join(r for r, codes in required.items() if c.code in codes) or "-"
        print(f"{c.code}\tv{c.version}\t{c.title_in('en')}\trequired for: {roles}")
    return 0


def cmd_remind(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.training import services

    print(services.remind())
    return 0


def add(sub: Subcommands) -> None:
    """`ncbnet training`."""
    training = group(sub, "training", "courses, certificates and their offline verification")
    sp = command(
        training, "verify", cmd_verify, "verify a certificate (Open Badges 3.0 JSON) offline on this node"
    )
    sp.add_argument("file", help="the certificate's JSON file")
    command(training, "courses", cmd_courses, "the course catalogue kept on this node")
    command(training, "remind", cmd_remind, "re-enrol the holders of certificates expiring within 30 days")
