"""The API of cooperation: cases."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cooperation"])
