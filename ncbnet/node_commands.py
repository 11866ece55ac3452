"""`ncbnet check|init|serve|up`: the node's process as a whole (configuration, keys and database,
the web server, the embedded demo network)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ncbnet.base.commands import EXIT_USAGE, Subcommands, command, setup_django


def cmd_check(args: argparse.Namespace) -> int:
    from ncbnet import config

    try:
        cfg = config.load()
    except config.ConfigError as exc:
        for problem in exc.problems:
            print(f"problem: {problem}", file=sys.stderr)
        return EXIT_USAGE
    problems = []
    setup_django()
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


def migrate_databases() -> None:
    """The node's database and the Commission's own (commission.router: its tables and nothing
    else) brought to the latest migrations; Django set up."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", database="commission", interactive=False, verbosity=0)


def cmd_init(args: argparse.Namespace) -> int:
    from ncbnet import config

    data_dir = config.resolve_data_dir(os.environ)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    if os.environ.get("NCBNET_MODE", "production") != "production":
        config.ensure_local_secret(data_dir)
    setup_django()
    from ncbnet.base.node import keys

    store = keys()
    if store.exists:
        identity = store.public()
        created = False
    else:
        identity = store.generate()
        created = True
    migrate_databases()
    from ncbnet.base.node import role

    if role().keeps_directory:  # the hub knows its own key as it knows the nodes'
        from ncbnet.network import services as network

        network.register(None, network.public_file(store))
    state = "created" if created else "kept existing"
    print(f"{identity.node}: keys {state} in {store.root} (key {identity.key_id}); database migrated")
    if args.json:
        print(json.dumps(identity.as_dict()))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    setup_django()
    from ncbnet.embedded import serve

    serve(args.host, args.port, args.workers)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from ncbnet.embedded import DemoNetwork

    return DemoNetwork(Path(args.data).resolve(), args.base_port, args.nats_port).run()


def add(sub: Subcommands) -> None:
    """`ncbnet check`, `init`, `serve` and `up`."""
    command(sub, "check", cmd_check, "check this node's configuration, database and keys")
    sp = command(sub, "init", cmd_init, "create this node's keys and database (keeps existing keys)")
    sp.add_argument("--json", action="store_true", help="also print the public keys as JSON")
    sp = command(sub, "serve", cmd_serve, "serve this node's pages and API with gunicorn")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--workers", type=int, default=2)
    sp = command(sub, "up", cmd_up, "start the embedded demo network: NATS, the hub and NCB nodes FR, BR, KE")
    sp.add_argument("--data", default="var", help="folder for every node's data (default: var)")
    sp.add_argument("--base-port", type=int, default=int(os.environ.get("NCBNET_BASE_PORT", "8000")))
    sp.add_argument("--nats-port", type=int, default=int(os.environ.get("NCBNET_NATS_PORT", "14222")))
