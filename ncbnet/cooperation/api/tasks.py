"""The API of cooperation: tasks."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cooperation"])
