"""`ncbnet network quarantine list|show|retry|drop`: the network administrator's quarantine on the
command line (the same services as the network page, audited as the operator)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from ncbnet.base.commands import CommandError, django_errors, setup_django


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


def add(network: Any, add: Callable[..., argparse.ArgumentParser], parser_class: type) -> None:
    """The network app's sub-commands, under `ncbnet network`."""
    q = network.add_parser(
        "quarantine", help="envelopes this node refused: list, show, retry, drop"
    ).add_subparsers(dest="quarantine_action", required=True, parser_class=parser_class)
    sp = add("list", _listing, "list quarantined envelopes (held ones unless --state says)", q)
    sp.add_argument("--state", default="held", choices=["held", "released", "dropped", "all"])
    sp.add_argument("--limit", type=int, default=200)
    sp = add("show", _show, "one quarantined envelope as it came, with its reason", q)
    sp.add_argument("id", type=int)
    sp = add("retry", _retry, "put a held envelope through the entrance again (exit 1 if refused again)", q)
    sp.add_argument("id", type=int)
    sp = add("drop", _drop, "give up on a held envelope, with a reason", q)
    sp.add_argument("id", type=int)
    sp.add_argument("--reason", required=True)
