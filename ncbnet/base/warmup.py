"""Data a long-running process loads once, when it starts, before it takes any work.

An app registers what its work needs loaded (the screening engine: its name data, several
seconds and some hundreds of MB). The network worker loads it all before it takes an envelope,
so that no handler loads it inside the envelope's transaction: a node's first replica batch
indexes persons while it holds SQLite's write lock, and every other writer (an officer signing
in) would wait for the load, and fail after 20 s on a busy machine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("ncbnet")
_steps: list[tuple[str, Callable[[], object]]] = []


def register(name: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    def decorate(fn: Callable[[], object]) -> Callable[[], object]:
        if all(n != name for n, _ in _steps):
            _steps.append((name, fn))
        return fn

    return decorate


def run() -> None:
    """Load everything registered, logging how long each took."""
    for name, fn in _steps:
        start = time.perf_counter()
        fn()
        log.info("loaded %s in %.1f s", name, time.perf_counter() - start)
