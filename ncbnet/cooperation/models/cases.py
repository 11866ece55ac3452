"""The cases of the cooperation app (filled in by its part of the work)."""

from __future__ import annotations

__all__: list[str] = []
