"""The status file of a node's processes under `ncbnet up`: its one format, written by the
supervisor (ncbnet/embedded.py) in the node's data directory and read for the network page
(services.processes). It is a file anyone with access to the directory could replace, so it is
read bounded: a regular file only, at most MAX_BYTES, every field typed and limited."""

from __future__ import annotations

import os
import signal
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

FILENAME = "processes.json"
KIND: Final = "ncbnet.processes"
MAX_BYTES = 64 * 1024
# Exits in a row, each soon after its start, from which a process is shown as crashing.
CRASH_LOOP = 3

ProcessName = Literal["web", "network", "jobs", "nats"]
State = Literal["running", "waiting"]
LABELS: dict[str, Promise] = {
    "web": _("Web server"),
    "network": _("Network worker"),
    "jobs": _("Job runner"),
    "nats": _("NATS server (shared by the network)"),
}


class ProcessEntry(BaseModel):
    """One supervised process: `waiting` is the pause (the backoff) before its next start."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: ProcessName
    state: State
    pid: int | None = Field(default=None, ge=1, le=2**31 - 1)
    started_at: AwareDatetime | None = None
    restarts: int = Field(default=0, ge=0, le=2**31 - 1)
    last_exit_code: int | None = Field(default=None, ge=-255, le=255)
    last_exit_at: AwareDatetime | None = None
    next_start_at: AwareDatetime | None = None
    # Exits in a row, each before the process had stayed up a while (reset once it has).
    failing: int = Field(default=0, ge=0, le=2**31 - 1)

    @property
    def label(self) -> Promise:
        return LABELS[self.name]

    @property
    def crashing(self) -> bool:
        return self.failing >= CRASH_LOOP

    @property
    def exit_signal(self) -> str:
        """The signal that ended the process (SIGKILL, …), empty when it exited by itself."""
        if self.last_exit_code is None or self.last_exit_code >= 0:
            return ""
        try:
            return signal.Signals(-self.last_exit_code).name
        except ValueError:
            return f"signal {-self.last_exit_code}"


class ProcessStatus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    kind: Literal["ncbnet.processes"]
    version: Literal[1]
    node: str = Field(min_length=1, max_length=8)
    supervisor_pid: int = Field(ge=1, le=2**31 - 1)
    written_at: AwareDatetime
    processes: list[ProcessEntry] = Field(max_length=16)

    @property
    def restarts(self) -> int:
        return sum(p.restarts for p in self.processes)


@dataclass(frozen=True)
class Reading:
    """What the node's status file said: nothing (no file: not run under `ncbnet up`), the
    status, or why it could not be read."""

    status: ProcessStatus | None = None
    problem: str = ""


def status_path(data_dir: Path) -> Path:
    return data_dir / FILENAME


def read(path: Path) -> Reading:
    """Read the status file bounded: a FIFO or device is not opened for reading, a symbolic link
    is not followed, a file over MAX_BYTES is not read past the cap."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return Reading()
    except OSError as exc:
        return Reading(problem=f"cannot open {path.name}: {exc.strerror or exc}")
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return Reading(problem=f"{path.name} is not a regular file")
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return Reading(problem=f"{path.name} is larger than {MAX_BYTES // 1024} KiB")
    try:
        return Reading(status=ProcessStatus.model_validate_json(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "the file"
        return Reading(problem=f"{path.name} is not a valid status file ({where}: {first['msg']})")


def write(path: Path, status: ProcessStatus) -> None:
    """Replace the status file atomically (a temporary file beside it, then a rename): a reader
    sees the previous status or the new one, never half of one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(status.model_dump_json(indent=1))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
