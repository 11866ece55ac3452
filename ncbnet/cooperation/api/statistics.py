"""The API of cooperation: statistics."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cooperation"])
