"""Sessions in the database, expiring on the node's clock (`base.clock`) rather than the wall
clock, so that idle expiry is tested by moving time rather than by waiting or by editing rows."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.contrib.sessions.backends import db
from django.core.exceptions import SuspiciousOperation

from ncbnet.base import clock


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        try:
            return self.model.objects.get(session_key=self.session_key, expire_date__gt=clock.now())
        except (self.model.DoesNotExist, SuspiciousOperation) as exc:
            if isinstance(exc, SuspiciousOperation):
                logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))
            self._session_key = None
            return None

    def get_expiry_age(self, **kwargs: Any) -> int:
        kwargs.setdefault("modification", clock.now())
        return int(super().get_expiry_age(**kwargs))

    def get_expiry_date(self, **kwargs: Any) -> datetime:
        kwargs.setdefault("modification", clock.now())
        return super().get_expiry_date(**kwargs)

    @classmethod
    def clear_expired(cls) -> None:
        cls.get_model_class().objects.filter(expire_date__lt=clock.now()).delete()
