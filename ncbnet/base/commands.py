"""What every app's `ncbnet` sub-commands share: the operator's error (one line, exit code 2),
Django's set-up, the parser and its sub-command groups, a progress bar."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import NoReturn

EXIT_USAGE = 2


class CommandError(Exception):
    """A problem the operator can fix; printed as one line, exit code 2."""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ncbnet.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        raise CommandError(str(exc).replace("\n", " ")) from exc


def django_errors(exc: Exception) -> str:
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items())
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


class Parser(argparse.ArgumentParser):
    """Bad input: the usage and a one-line message on standard error, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


Subcommands = argparse._SubParsersAction


def command(
    parent: Subcommands, name: str, fn: Callable[[argparse.Namespace], int], help: str
) -> argparse.ArgumentParser:
    """One sub-command: `fn(args)` runs it and returns the exit code."""
    sp: argparse.ArgumentParser = parent.add_parser(name, help=help, description=help)
    sp.set_defaults(fn=fn)
    return sp


def group(parent: Subcommands, name: str, help: str, dest: str = "action") -> Subcommands:
    """A word that gathers sub-commands (`ncbnet user ...`)."""
    return parent.add_parser(name, help=help).add_subparsers(dest=dest, required=True, parser_class=Parser)


def progress_bar() -> Callable[[str, int, int], None]:
    """A progress bar per label on standard error, with the rate."""
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
