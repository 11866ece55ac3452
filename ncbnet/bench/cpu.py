"""CPU seconds (user plus system) as the benches count them: a running process's by its pid, an
ended one's from what `os.wait4` gave back, this process's own and its ended children's."""

from __future__ import annotations

import os
import resource
from pathlib import Path


def of_pid(pid: int) -> float:
    """A running process's so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def of_usage(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def own() -> float:
    return of_usage(resource.getrusage(resource.RUSAGE_SELF))


def children() -> float:
    """This process's children that ended and were waited for."""
    return of_usage(resource.getrusage(resource.RUSAGE_CHILDREN))
