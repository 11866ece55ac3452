"""The API of cooperation: operations."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cooperation"])
