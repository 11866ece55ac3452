"""The Commission's tables live in the `commission` database, and nothing else does.

Its requests and the applicants' identity documents are not police data: they are kept apart so
that no query, backup or administrator of the node's database reaches them, and nothing the
Commission does can write into the police databases.
"""

from __future__ import annotations

from typing import Any

ALIAS = "commission"
LABEL = "commission"
# The app's tables that are the node's own, not the Commission's: an owner bureau's side of a
# consultation, written in the transaction that receives the envelope (network.handlers).
NODE_MODELS = frozenset({"ownerconsultation"})


def _commissions(app_label: str, model_name: str | None) -> bool:
    return app_label == LABEL and model_name not in NODE_MODELS


class CommissionRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return ALIAS if _commissions(model._meta.app_label, model._meta.model_name) else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return self.db_for_read(model)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        ours = [_commissions(o._meta.app_label, o._meta.model_name) for o in (obj1, obj2)]
        return ours[0] == ours[1] if any(ours) else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return (db == ALIAS) == _commissions(app_label, model_name)
