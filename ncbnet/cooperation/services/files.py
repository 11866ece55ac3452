"""A file given with a step, an entry or a task, as a page or the API received it (bounded by them
before it gets here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    data: bytes
