"""What every app's `ncbnet` sub-commands share: the operator's error (one line, exit code 2) and
Django's set-up."""

from __future__ import annotations

import os

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
