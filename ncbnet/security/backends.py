"""Who is signed in: Django's `ModelBackend`, with the user read on every request by one statement
written once (`base.rows`) rather than a query the ORM writes anew each time."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from ncbnet.base.rows import Reader

_BY_ID = Reader(lambda model: model._default_manager.filter(pk=0), "id")


class UserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user = _BY_ID.instance(model, [user_id])
        except (TypeError, ValueError):
            return None  # an id the session should never hold: nobody
        return user if user is not None and self.user_can_authenticate(user) else None
