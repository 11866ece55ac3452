"""The `ncbnet` command: one entry point for operators.

Bad input gets a one-line message on standard error and exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ncbnet.base.commands import EXIT_USAGE, CommandError
from ncbnet.base.commands import django_errors as _django_errors
from ncbnet.base.commands import setup_django as _setup_django

# --- commands ------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from ncbnet import config

    try:
        cfg = config.load()
    except config.ConfigError as exc:
        for problem in exc.problems:
            print(f"problem: {problem}", file=sys.stderr)
        return EXIT_USAGE
    problems = []
    _setup_django()
    from django.db import connection
    from django.db.utils import OperationalError

    from ncbnet.base.crypto import KeyProblem
    from ncbnet.base.node import keys

    try:
        connection.ensure_connection()
    except OperationalError as exc:
        problems.append(f"the database cannot be reached: {str(exc).strip().splitlines()[0]}")
    try:
        keys().signing_key()
    except KeyProblem as exc:
        problems.append(str(exc))
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    print(f"ok: {cfg.node_id} node ({cfg.mode} mode), data in {cfg.data_dir}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from ncbnet import config

    data_dir = config.resolve_data_dir(os.environ)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    if os.environ.get("NCBNET_MODE", "production") != "production":
        config.ensure_local_secret(data_dir)
    _setup_django()
    from django.core.management import call_command

    from ncbnet.base.node import keys

    store = keys()
    if store.exists:
        identity = store.public()
        created = False
    else:
        identity = store.generate()
        created = True
    call_command("migrate", interactive=False, verbosity=0)
    from django.conf import settings

    if settings.NCBNET_ROLE == "hub":
        from ncbnet.network import services as network

        network.register(None, network.public_file(store))
    state = "created" if created else "kept existing"
    print(f"{identity.node}: keys {state} in {store.root} (key {identity.key_id}); database migrated")
    if args.json:
        print(json.dumps(identity.as_dict()))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    from ncbnet.embedded import serve

    serve(args.host, args.port, args.workers)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from ncbnet.embedded import DemoNetwork

    return DemoNetwork(Path(args.data).resolve(), args.base_port, args.nats_port).run()


def cmd_user_add(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import ValidationError

    from ncbnet.core import services
    from ncbnet.core.models import Agency

    password = ""
    if args.kind != "system":
        password = (
            sys.stdin.readline().rstrip("\n")
            if args.password_stdin
            else getpass.getpass("Temporary password: ")
        )
    agency_id = None
    if args.agency:
        agency = Agency.objects.filter(name=args.agency).first()
        if agency is None:
            raise CommandError(f"no agency named {args.agency!r} in this bureau")
        agency_id = agency.pk
    try:
        user = services.create_user(
            None,
            username=args.username,
            password=password,
            kind=args.kind,
            role=args.role,
            first_name=args.first_name,
            last_name=args.last_name,
            email=args.email,
            agency_id=agency_id,
            time_zone=args.time_zone,
        )
    except ValidationError as exc:
        raise CommandError(_django_errors(exc)) from exc
    then = (
        ""
        if user.kind == "system"
        else "; at first sign-in the password is changed, then the second factor set up"
    )
    print(f"created {user.username} ({user.kind}, {user.role}){then}")
    return 0


def cmd_user_disable(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import ValidationError

    from ncbnet.core import services

    try:
        services.set_active(None, args.username, False)
    except ValidationError as exc:
        raise CommandError(_django_errors(exc)) from exc
    print(f"disabled {args.username}")
    return 0


def cmd_user_unlock(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from ncbnet.security import accounts

    try:
        accounts.unlock(None, args.username)
    except (ValidationError, Http404) as exc:
        raise CommandError(_django_errors(exc)) from exc
    print(f"unlocked {args.username}; they are told at their next sign-in")
    return 0


def cmd_user_reset(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from ncbnet.security import accounts

    reset = accounts.reset_second_factor if args.second_factor else accounts.reset_password
    try:
        _user, password = reset(None, args.username)
    except (ValidationError, Http404) as exc:
        raise CommandError(_django_errors(exc)) from exc
    print(password)
    then = "change it, then set up their authenticator again" if args.second_factor else "change it"
    print(
        f"temporary password for {args.username} (shown only now; hand it over in person): "
        f"at their next sign-in they {then}",
        file=sys.stderr,
    )
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    _setup_django()
    from ncbnet.core.models import User
    from ncbnet.security import services

    account = User.objects.filter(username=args.user).first()
    if account is None:
        raise CommandError(f"no account named {args.user!r}")
    try:
        token, raw = services.create_token(None, account, args.name, args.days, scopes=args.scope or [])
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    print(raw)
    print(
        f"token {token.prefix} for {account.username} ({', '.join(token.scopes)}), "
        f"expires {token.expires_at:%Y-%m-%d}; it is shown only now",
        file=sys.stderr,
    )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _setup_django()
    from ncbnet.security import services
    from ncbnet.security.models import ApiToken

    prefix = args.prefix.split("_")[1] if args.prefix.startswith("ncb_") else args.prefix
    try:
        services.revoke_token(None, prefix)
    except ApiToken.DoesNotExist as exc:
        raise CommandError(f"no token {prefix}") from exc
    print(f"revoked token {prefix}")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    _setup_django()
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
    _setup_django()
    from django.conf import settings

    from ncbnet.audit import anchoring

    if settings.NCBNET_ROLE != "hub":
        raise CommandError("only the hub holds the nodes' seals")
    print(json.dumps(anchoring.exported(args.node.upper()), indent=2))
    return 0


def cmd_audit_seal(args: argparse.Namespace) -> int:
    _setup_django()
    from ncbnet.audit import anchoring
    from ncbnet.base.node import keys

    seal = anchoring.seal_and_anchor(keys())
    print(f"sealed up to entry #{seal.seq}" if seal else "nothing new to seal")
    return 0


def cmd_keys_show(args: argparse.Namespace) -> int:
    _setup_django()
    from ncbnet.base.node import keys
    from ncbnet.network import services

    if args.directory:
        rows = services.directory_listing(None)
        if not rows:
            print("no keys in this node's directory", file=sys.stderr)
        for k in rows:
            print(f"{k.node:<4} {k.key_id} {k.status:<7} {k.fingerprint}")
        return 0
    public = services.public_file(keys())
    print(json.dumps(public, indent=2))
    print(
        f"fingerprint of {public['node']}'s key {public['key_id']}: {public['fingerprint']}", file=sys.stderr
    )
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    _setup_django()
    from ncbnet.base.node import keys
    from ncbnet.network import services

    store = keys()
    previous = store.current_id() if store.exists else None
    identity = store.generate()
    if previous is not None:
        services.sign_rotation(store, previous, identity)
    public = services.public_file(store)
    print(json.dumps(public, indent=2))
    print(
        f"new keys are current (fingerprint {public['fingerprint']})"
        + (f", signed by the previous key {previous}" if previous else "")
        + "; send the public part above to the hub (`ncbnet keys register FILE`)",
        file=sys.stderr,
    )
    return 0


def cmd_keys_register(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from ncbnet.network import services

    for path in args.files:
        try:
            public = json.loads(Path(path).read_text("utf-8"))
            key = services.register(None, public)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: not a readable public key file ({exc})") from exc
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(f"{path}: {_django_errors(exc)}") from exc
        print(f"registered {key.node} key {key.key_id}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from ncbnet.network import services

    try:
        key = services.revoke(None, args.key_id, args.reason)
    except (ValidationError, PermissionDenied) as exc:
        raise CommandError(_django_errors(exc)) from exc
    print(f"revoked {key.node} key {key.key_id}")
    return 0


def cmd_keys_directory(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.exceptions import PermissionDenied

    from ncbnet.base.node import keys
    from ncbnet.network import services

    try:
        print(json.dumps(services.signed_directory(keys()), indent=2))
    except PermissionDenied as exc:
        raise CommandError(str(exc)) from exc
    return 0


def cmd_network_run(args: argparse.Namespace) -> int:
    _setup_django()
    import asyncio
    from datetime import timedelta

    from django.conf import settings

    from ncbnet.core import warmup
    from ncbnet.network.worker import Worker

    # Before any envelope, so that no handler loads it holding the write lock; before the worker's
    # signal handlers, so that a stop during the load ends the process at once.
    warmup.run()
    seal = timedelta(seconds=args.seal_every) if args.seal_every > 0 else None
    asyncio.run(Worker(settings.NODE.nats_url, settings.NODE.nats_seed, seal).run())
    return 0


def cmd_network_nats_config(args: argparse.Namespace) -> int:
    from ncbnet.network import natsconf

    nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
    from ncbnet.config import member_codes

    bad = [n for n in nodes if n != "hub" and n not in member_codes()]
    if bad:
        raise CommandError(f"unknown node ids: {', '.join(bad)} (use 'hub' and member country codes)")
    out = Path(args.out).resolve()
    conf = natsconf.generate(nodes, out, port=args.port, host=args.host, store_dir=out / "jetstream")
    print(f"wrote {conf} and one credential (nkey seed) per node in {out / 'creds'}")
    return 0


def cmd_keys_pin_hub(args: argparse.Namespace) -> int:
    _setup_django()
    import shutil

    from ncbnet.network.delivery import hub_key_file

    try:
        data = json.loads(Path(args.file).read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CommandError(f"{args.file}: not a readable public key file ({exc})") from exc
    if data.get("node") != "hub":
        raise CommandError(f"{args.file} is not the hub's public key file")
    from ncbnet.base.crypto import key_id, unb64

    try:
        computed = key_id(unb64(data["signing_public"]))
    except (KeyError, ValueError) as exc:
        raise CommandError(f"{args.file}: no valid signing_public key") from exc
    if computed != data.get("key_id"):
        raise CommandError(f"{args.file}: key_id does not match the signing key (expected {computed})")
    shutil.copyfile(args.file, hub_key_file())
    print(f"pinned hub key {data['key_id']}")
    return 0


def cmd_replica_verify(args: argparse.Namespace) -> int:
    _setup_django()
    import time

    from django.conf import settings

    from ncbnet.records import replication

    if settings.NCBNET_ROLE == "hub":
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
    _setup_django()
    from django.conf import settings
    from django.core.exceptions import PermissionDenied, ValidationError

    from ncbnet.records import resync

    try:
        if settings.NCBNET_ROLE == "hub":
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
        raise CommandError(_django_errors(exc)) from exc
    return 0


def cmd_bench_messaging(args: argparse.Namespace) -> int:
    if args.messages < 1:
        raise CommandError("--messages must be at least 1")
    from ncbnet.bench import messaging

    messaging.main(args.messages, args.rate)
    return 0


def _progress_bar() -> Callable[[str, int, int], None]:
    import time

    started: dict[str, float] = {}

    def show(label: str, done: int, total: int) -> None:
        start = started.setdefault(label, time.monotonic())
        rate = done / max(time.monotonic() - start, 1e-6)
        filled = int(30 * done / total) if total else 30
        print(
            f"\r{label:<10} [{'#' * filled}{'.' * (30 - filled)}] {done:>11,}/{total:,}  {rate:,.0f}/s",
            end="\n" if done >= total else "",
            file=sys.stderr,
            flush=True,
        )

    return show


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

    screening.main(args.persons, args.documents, progress=_progress_bar(), rebuild=not args.keep_index)
    return 0


def cmd_screening_compare(args: argparse.Namespace) -> int:
    """Read a CSV with name1,name2 (other columns kept) and write it back with score and match."""
    import csv

    from ncbnet.screening import csvsafe, names

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
    _setup_django()
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
    job = manifests.run(job, actor, progress=_progress_bar())
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
    _setup_django()
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


def cmd_demo_seed(args: argparse.Namespace) -> int:
    if args.persons or args.documents:
        _setup_django()
        from ncbnet.records import bulk

        try:
            counts = bulk.seed(args.persons, args.documents, progress=_progress_bar())
        except PermissionError as exc:
            raise CommandError(str(exc)) from exc
        print(json.dumps(counts))
        return 0
    _setup_django()
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


# --- parser --------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="ncbnet", description="Run and administer one ncbnet node (or the embedded demo network)."
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add(
        name: str, fn: Callable[[argparse.Namespace], int], help: str, parent: Any = sub
    ) -> argparse.ArgumentParser:
        sp = parent.add_parser(name, help=help, description=help)
        sp.set_defaults(fn=fn)
        return sp

    add("check", cmd_check, "check this node's configuration, database and keys")
    sp = add("init", cmd_init, "create this node's keys and database (keeps existing keys)")
    sp.add_argument("--json", action="store_true", help="also print the public keys as JSON")
    sp = add("serve", cmd_serve, "serve this node's pages and API with gunicorn")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--workers", type=int, default=2)
    sp = add("up", cmd_up, "start the embedded demo network: NATS, the hub and NCB nodes FR, BR, KE")
    sp.add_argument("--data", default="var", help="folder for every node's data (default: var)")
    sp.add_argument("--base-port", type=int, default=int(os.environ.get("NCBNET_BASE_PORT", "8000")))
    sp.add_argument("--nats-port", type=int, default=int(os.environ.get("NCBNET_NATS_PORT", "14222")))

    user = sub.add_parser("user", help="manage accounts").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    sp = add("add", cmd_user_add, "create an account on this node", user)
    sp.add_argument("username")
    sp.add_argument("--kind", required=True, choices=["ncb", "agency", "gs", "system"])
    sp.add_argument("--role", required=True)
    sp.add_argument("--agency", help="agency name (national agency users)")
    sp.add_argument("--first-name", default="")
    sp.add_argument("--last-name", default="")
    sp.add_argument("--email", default="")
    sp.add_argument("--time-zone", default="UTC")
    sp.add_argument("--password-stdin", action="store_true", help="read the temporary password from stdin")
    sp = add("disable", cmd_user_disable, "disable an account", user)
    sp.add_argument("username")
    sp = add("unlock", cmd_user_unlock, "unlock an account locked after failed sign-ins", user)
    sp.add_argument("username")
    sp = add("reset", cmd_user_reset, "give an account a temporary password (printed once)", user)
    sp.add_argument("username")
    sp.add_argument(
        "--second-factor", action="store_true", help="also remove the authenticator: set up again after"
    )

    token = sub.add_parser("token", help="API tokens for system accounts").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    sp = add("create", cmd_token_create, "issue a token (printed once)", token)
    sp.add_argument("--user", required=True, help="the system account")
    sp.add_argument("--name", required=True, help="what the token is for")
    sp.add_argument("--days", type=int, default=365)
    sp.add_argument(
        "--scope",
        action="append",
        metavar="SCOPE",
        help="what the token may do, repeatable: read_messages, send_messages, screening, "
        "contributions, restricted (content under H2 and H3)",
    )
    sp = add("revoke", cmd_token_revoke, "revoke a token by its prefix", token)
    sp.add_argument("prefix")

    audit = sub.add_parser("audit", help="the audit chain").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    sp = add(
        "verify",
        cmd_audit_verify,
        "verify the hash chain and seals; exit 1 naming the first bad entry",
        audit,
    )
    sp.add_argument("--anchors", help="also check against the seals the hub holds (from `audit anchors`)")
    add("seal", cmd_audit_seal, "sign the chain head now and send the seal to the hub", audit)
    sp = add(
        "anchors",
        cmd_audit_anchors,
        "hub: print the seals a node sent, for its `audit verify --anchors`",
        audit,
    )
    sp.add_argument("--node", required=True)

    keys = sub.add_parser("keys", help="node keys and the key directory").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    sp = add("show", cmd_keys_show, "print this node's current public keys and their fingerprint", keys)
    sp.add_argument(
        "--directory",
        action="store_true",
        help="list every node's keys in this node's copy, with fingerprints",
    )
    add("rotate", cmd_keys_rotate, "create new keys and make them current", keys)
    sp = add("register", cmd_keys_register, "hub: add nodes' public key files to the directory", keys)
    sp.add_argument("files", nargs="+")
    sp = add("revoke", cmd_keys_revoke, "hub: revoke a key", keys)
    sp.add_argument("key_id")
    sp.add_argument("--reason", required=True)
    add("directory", cmd_keys_directory, "hub: print the signed key directory", keys)
    sp = add("pin-hub", cmd_keys_pin_hub, "node: pin the hub's public key file", keys)
    sp.add_argument("file")

    network = sub.add_parser("network", help="the secure network").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    sp = add(
        "run", cmd_network_run, "run this node's network worker (outbox, inbox, relay at the hub)", network
    )
    sp.add_argument("--seal-every", type=int, default=300, help="seconds between audit seals (0: never)")
    sp = add(
        "nats-config", cmd_network_nats_config, "write the NATS server config and node credentials", network
    )
    sp.add_argument("--nodes", required=True, help="comma-separated: hub,FR,BR,…")
    sp.add_argument("--out", required=True)
    sp.add_argument("--port", type=int, default=4222)
    sp.add_argument("--host", default="127.0.0.1", help="address nats-server listens on")
    from ncbnet.network import commands as network_commands

    network_commands.add(network, add, _Parser)

    screening = sub.add_parser("screening", help="screening tools").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    sp = add(
        "compare",
        cmd_screening_compare,
        "score name pairs from a CSV (name1,name2) to standard output",
        screening,
    )
    sp.add_argument("--csv", required=True, help="the CSV file, or - for standard input")
    sp = add(
        "manifest",
        cmd_screening_manifest,
        "screen a passenger manifest (CSV or JSON) as one job; every hit is reported to its owner",
        screening,
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
    sp = add("work", cmd_screening_work, "run manifest jobs submitted on the pages and the API", screening)
    sp.add_argument("--poll", type=float, default=1.0, help="seconds between looks for new jobs")

    replica = sub.add_parser("replica", help="this node's replica of the global databases").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    sp = add(
        "verify", cmd_replica_verify, "compare the replica with what the hub says it should hold", replica
    )
    sp.add_argument("--timeout", type=float, default=60)
    sp = add(
        "resync",
        cmd_replica_resync,
        "hub: send NODE its set now; node: ask the hub for a resync (drop what it may not hold, "
        "fetch what it lacks)",
        replica,
    )
    sp.add_argument("node", nargs="?", help="hub: the node's country code")
    sp.add_argument("--reason", default="", help="why (kept in the audit trail)")

    bench = sub.add_parser("bench", help="benchmarks (one JSON line each)").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    add(
        "matching",
        cmd_bench_matching,
        "precision, recall and F1 of the name matcher on the labelled pairs",
        bench,
    )
    sp = add(
        "screening",
        cmd_bench_screening,
        "index build, name search, document lookups and a 10,000-row manifest on a hub of N persons",
        bench,
    )
    sp.add_argument("--persons", type=int, default=100_000)
    sp.add_argument("--documents", type=int, default=100_000)
    sp.add_argument("--data", default=None, help="the bench hub's data folder (default: a new temporary one)")
    sp.add_argument(
        "--keep-index",
        action="store_true",
        help="keep the person index a run before left in --data (no rebuild, build time not measured)",
    )
    sp = add(
        "messaging", cmd_bench_messaging, "hub and two NCB nodes on loopback: end-to-end messaging", bench
    )
    sp.add_argument("--messages", type=int, default=2000)
    sp.add_argument(
        "--rate", type=float, default=None, help="offered messages per second (default: as fast as possible)"
    )

    demo = sub.add_parser("demo", help="demo data (refused in production)").add_subparsers(
        dest="action", required=True, parser_class=_Parser
    )
    sp = add(
        "seed", cmd_demo_seed, "create demo agencies and accounts on this node (and records at the hub)", demo
    )
    sp.add_argument("--json", action="store_true")
    sp.add_argument(
        "--persons", type=int, default=0, help="hub: also write this many synthetic persons, in bulk"
    )
    sp.add_argument(
        "--documents", type=int, default=0, help="hub: also write this many travel documents, in bulk"
    )
    add("totp", cmd_demo_totp, "print the current code of the demo authenticator", demo)
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
