"""`ncbnet keys ...` (this node's keys and the key directory) and `ncbnet network run|nats-config`
(the worker, the NATS server's configuration), with `ncbnet network quarantine list|show|retry|drop`:
the network administrator's quarantine on the command line (the same services as the network page,
audited as the operator)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from ncbnet.base.commands import CommandError, Subcommands, command, django_errors, group, setup_django


@contextlib.contextmanager
def _one_line(pk: int | None = None) -> Iterator[None]:
    """The services' refusals as the operator's one-line error (exit code 2)."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    try:
        yield
    except Http404 as exc:
        raise CommandError(f"no quarantined envelope #{pk}") from exc
    except ValidationError as exc:
        raise CommandError(django_errors(exc)) from exc


def _listing(args: argparse.Namespace) -> int:
    setup_django()
    from . import quarantine

    with _one_line():
        rows = list(quarantine.listing(None, None if args.state == "all" else args.state, args.limit))
    if not rows:
        print(f"no {'' if args.state == 'all' else args.state + ' '}envelopes in the quarantine")
        return 0
    print(
        f"{'id':>6}  {'received (UTC)':<19}  {'state':<8}  {'source':<8}  {'from':<4}  {'type':<22}  reason"
    )
    for q in rows:
        dead = "dead " if q.dead else ""
        print(
            f"{q.pk:>6}  {q.received_at:%Y-%m-%d %H:%M:%S}  {q.state:<8}  {q.source:<8}  "
            f"{q.claimed_sender or '?':<4}  {(q.claimed_type or '?')[:22]:<22}  {dead}{q.reason[:120]}"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    setup_django()
    from . import quarantine

    with _one_line(args.id):
        shown = quarantine.show(None, args.id)
    q = shown.entry
    print(
        f"envelope   {q.claimed_id or '?'} ({q.claimed_type or '?'}) claimed from {q.claimed_sender or '?'}"
    )
    print(f"received   {q.received_at:%Y-%m-%d %H:%M:%S} UTC, {q.source} stream position {q.stream_seq}")
    print(f"state      {q.state}{' (dead letter)' if q.dead else ''}, retried {q.retries} times")
    if q.resolved_at:
        print(f"resolved   {q.resolved_at:%Y-%m-%d %H:%M:%S} UTC by {q.resolved_by}")
    print(f"reason     {q.reason}")
    print(f"size       {shown.size} bytes{' (shown cut)' if shown.cut else ''}")
    print(shown.text)
    return 0


def _retry(args: argparse.Namespace) -> int:
    setup_django()
    from . import quarantine

    with _one_line(args.id):
        result = quarantine.retry(None, args.id)
    if result.released:
        print(f"#{args.id} released: the envelope went through")
        return 0
    print(f"#{args.id} still held: {result.reason}")
    return 1


def _drop(args: argparse.Namespace) -> int:
    setup_django()
    from . import quarantine

    with _one_line(args.id):
        quarantine.drop(None, args.id, args.reason)
    print(f"#{args.id} dropped")
    return 0


def cmd_keys_show(args: argparse.Namespace) -> int:
    setup_django()
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
    setup_django()
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
    setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from ncbnet.network import services

    for path in args.files:
        try:
            public = json.loads(Path(path).read_text("utf-8"))
            key = services.register(None, public)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: not a readable public key file ({exc})") from exc
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(f"{path}: {django_errors(exc)}") from exc
        print(f"registered {key.node} key {key.key_id}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import PermissionDenied, ValidationError

    from ncbnet.network import services

    try:
        key = services.revoke(None, args.key_id, args.reason)
    except (ValidationError, PermissionDenied) as exc:
        raise CommandError(django_errors(exc)) from exc
    print(f"revoked {key.node} key {key.key_id}")
    return 0


def cmd_keys_directory(args: argparse.Namespace) -> int:
    setup_django()
    from django.core.exceptions import PermissionDenied

    from ncbnet.base.node import keys
    from ncbnet.network import services

    try:
        print(json.dumps(services.signed_directory(keys()), indent=2))
    except PermissionDenied as exc:
        raise CommandError(str(exc)) from exc
    return 0


def cmd_keys_pin_hub(args: argparse.Namespace) -> int:
    setup_django()
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


def cmd_network_run(args: argparse.Namespace) -> int:
    setup_django()
    import asyncio
    from datetime import timedelta

    from django.conf import settings

    from ncbnet.base import warmup
    from ncbnet.network.worker import Worker

    # Before any envelope, so that no handler loads it holding the write lock; before the worker's
    # signal handlers, so that a stop during the load ends the process at once.
    warmup.run()
    from django.db import connections

    if connections["default"].vendor == "sqlite":
        # The worker keeps its SQLite connection: opening one (its pragmas, Django's functions) on
        # every batch and every look at the outbox cost more CPU than the messages themselves.
        connections["default"].close()
        connections.settings["default"]["CONN_MAX_AGE"] = None
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


def add(sub: Subcommands) -> None:
    """The network app's sub-commands, under `ncbnet keys` and `ncbnet network`."""
    keys = group(sub, "keys", "node keys and the key directory")
    sp = command(keys, "show", cmd_keys_show, "print this node's current public keys and their fingerprint")
    sp.add_argument(
        "--directory",
        action="store_true",
        help="list every node's keys in this node's copy, with fingerprints",
    )
    command(keys, "rotate", cmd_keys_rotate, "create new keys and make them current")
    sp = command(keys, "register", cmd_keys_register, "hub: add nodes' public key files to the directory")
    sp.add_argument("files", nargs="+")
    sp = command(keys, "revoke", cmd_keys_revoke, "hub: revoke a key")
    sp.add_argument("key_id")
    sp.add_argument("--reason", required=True)
    command(keys, "directory", cmd_keys_directory, "hub: print the signed key directory")
    sp = command(keys, "pin-hub", cmd_keys_pin_hub, "node: pin the hub's public key file")
    sp.add_argument("file")

    network = group(sub, "network", "the secure network")
    sp = command(
        network, "run", cmd_network_run, "run this node's network worker (outbox, inbox, relay at the hub)"
    )
    sp.add_argument("--seal-every", type=int, default=300, help="seconds between audit seals (0: never)")
    sp = command(
        network, "nats-config", cmd_network_nats_config, "write the NATS server config and node credentials"
    )
    sp.add_argument("--nodes", required=True, help="comma-separated: hub,FR,BR,…")
    sp.add_argument("--out", required=True)
    sp.add_argument("--port", type=int, default=4222)
    sp.add_argument("--host", default="127.0.0.1", help="address nats-server listens on")

    q = group(
        network, "quarantine", "envelopes this node refused: list, show, retry, drop", "quarantine_action"
    )
    sp = command(q, "list", _listing, "list quarantined envelopes (held ones unless --state says)")
    sp.add_argument("--state", default="held", choices=["held", "released", "dropped", "all"])
    sp.add_argument("--limit", type=int, default=200)
    sp = command(q, "show", _show, "one quarantined envelope as it came, with its reason")
    sp.add_argument("id", type=int)
    sp = command(
        q, "retry", _retry, "put a held envelope through the entrance again (exit 1 if refused again)"
    )
    sp.add_argument("id", type=int)
    sp = command(q, "drop", _drop, "give up on a held envelope, with a reason")
    sp.add_argument("id", type=int)
    sp.add_argument("--reason", required=True)
