"""Sessions in the database, expiring on the node's clock (`base.clock`) rather than the wall
clock, so that idle expiry is tested by moving time rather than by waiting or by editing rows.

A session is read on every signed-in request (a border system's lookup among them), so it is read
by one statement written once (`base.rows.Reader`) rather than by a query the ORM writes anew each
time, which cost more than running it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation

from ncbnet.base import clock
from ncbnet.base.rows import Reader

_SESSION = Reader(
    lambda model: (
        model.objects.filter(session_key="").filter(expire_date__gt=clock.now()).values_list("session_data")
    ),
    "session_key",
    "expire_date",
)


class Loaded:
    """What `load` reads of a session row."""

    def __init__(self, session_data: str):
        self.session_data = session_data


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        try:
            row = _SESSION.first(self.model, [self.session_key, clock.now()])
        except SuspiciousOperation as exc:
            logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            row = None
        if row is None:
            self._session_key = None
            return None
        return Loaded(row[0])

    def get_expiry_age(self, **kwargs: Any) -> int:
        kwargs.setdefault("modification", clock.now())
        return int(super().get_expiry_age(**kwargs))

    def get_expiry_date(self, **kwargs: Any) -> datetime:
        kwargs.setdefault("modification", clock.now())
        return super().get_expiry_date(**kwargs)

    @classmethod
    def clear_expired(cls) -> None:
        cls.get_model_class().objects.filter(expire_date__lt=clock.now()).delete()
