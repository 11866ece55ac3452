"""The Commission's tables live in the `commission` database, and nothing else does.

Its requests and the applicants' identity documents are not police data: they are kept apart so
that no query, backup or administrator of the node's database reaches them, and nothing the
Commission does can write into the police databases.
"""

from __future__ import annotations

from typing import Any

ALIAS = "commission"
LABEL = "commission"


class CommissionRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return ALIAS if model._meta.app_label == LABEL else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return ALIAS if model._meta.app_label == LABEL else None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        ours = (obj1._meta.app_label == LABEL, obj2._meta.app_label == LABEL)
        return ours[0] == ours[1] if any(ours) else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return (db == ALIAS) == (app_label == LABEL)
