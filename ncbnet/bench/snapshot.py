"""`ncbnet bench snapshot`: a joining node receives its replica by the stream, end to end.

A hub and one NCB node (FR) of their own (a temporary folder, SQLite each) and a `nats-server`
from the wheel. The hub is seeded with N persons and M travel documents (`records.bulk`, the
screening bench's generator, every one visible to FR), then FR's key is registered: the node
joins, and the clock starts as both network workers start. The hub's worker reads, packs, seals
and queues the chunks (`records.snapshot`); FR's worker verifies, opens, checks and stores them in
bulk and indexes the persons for screening; the clock stops when FR has stored the final chunk and
built the indexes its first load deferred.

With `--kill-at F`, FR's worker is killed (SIGKILL) once it has stored that fraction of the rows,
and started again at once. Afterwards `ncbnet replica verify` runs on FR against the hub.

Printed (one JSON line): rows, seconds, rows/s, chunks, what the hub sent beyond the rows
(`rows_resent`: each row sent more than once), chunks FR refused, the resumes, the verify's
differences, FR's screening cards against the persons, each worker's CPU seconds, and the load
average at the start and the end.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ncbnet.bench import cpu
from ncbnet.embedded import DemoNetwork


class SnapshotNetwork(DemoNetwork):
    COUNTRIES = ("FR",)
    extra: dict[str, str] = {}

    def env(self, node: Any) -> dict[str, str]:
        return super().env(node) | self.extra


class Bench:
    """The bench's network; also what the kill test drives."""

    def __init__(self, root: Path, chunk_rows: int | None = None):
        from ncbnet.testing.cluster import free_base_port

        base = free_base_port(12)
        self.root = root
        self.chunk_rows = chunk_rows
        self.net = SnapshotNetwork(root, base, base + 10)
        self.hub, self.fr = self.net.nodes
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.cpu: dict[str, float] = {"hub": 0.0, "FR": 0.0}  # of workers already ended
        if chunk_rows is not None:
            self.net.extra = {"NCBNET_SNAPSHOT_CHUNK_ROWS": str(chunk_rows)}

    def env(self, node: Any) -> dict[str, str]:
        return self.net.env(node)

    def prepare(self, persons: int, documents: int) -> dict[str, Any]:
        """nats-server up, both nodes initialised, the hub seeded (not yet FR's key)."""
        self.net.check_ports()
        self.root.mkdir(parents=True, exist_ok=True)
        with contextlib.redirect_stdout(io.StringIO()):
            self.net.start_nats()
        self.net.ncbnet(self.hub, "init")
        self.net.ncbnet(self.fr, "init")
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "ncbnet.bench.snapshot", "seed", str(persons), str(documents)],
            env=self.env(self.hub),
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"seeding the hub failed: {out.stderr.strip()[-2000:]}")
        return {"seed_seconds": round(time.perf_counter() - started, 1)}

    def join(self) -> float:
        """FR's key registered at the hub (the snapshot starts), the hub's key pinned at FR, both
        workers started; returns when."""
        current = (self.root / "fr" / "keys" / "current").read_text("ascii").strip()
        self.net.ncbnet(
            self.hub, "keys", "register", str(self.root / "fr" / "keys" / current / "public.json")
        )
        hub_current = (self.root / "hub" / "keys" / "current").read_text("ascii").strip()
        shutil.copyfile(
            self.root / "hub" / "keys" / hub_current / "public.json", self.root / "fr" / "hub_key.json"
        )
        at = time.time()
        self.start_worker("hub")
        self.start_worker("FR")
        return at

    def start_worker(self, name: str) -> None:
        node = self.hub if name == "hub" else self.fr
        self.workers[name] = self.net.start_worker(node)

    def kill_worker(self, name: str) -> None:
        proc = self.workers.pop(name)
        proc.send_signal(signal.SIGKILL)
        _pid, _status, usage = os.wait4(proc.pid, 0)
        proc.returncode = -9
        self.cpu[name] += cpu.of_usage(usage)

    def cpu_seconds(self, name: str) -> float:
        proc = self.workers.get(name)
        return self.cpu[name] + (cpu.of_pid(proc.pid) if proc and proc.poll() is None else 0.0)

    def query(self, name: str, sql: str) -> list[tuple[Any, ...]]:
        path = self.root / name.lower() / "db.sqlite3"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as con:
            return list(con.execute(sql).fetchall())

    def node_progress(self) -> dict[str, Any]:
        """FR's cursor: rows received in stored chunks, chunks stored and refused, whether the final
        one is stored and the indexes a first load defers are built."""
        rows = self.query(
            "FR",
            "SELECT received, seq, refused, "
            "finished_at IS NOT NULL AND json_array_length(deferred) = 0, total FROM records_snapshotcursor",
        )
        if not rows:
            return {"rows": 0, "chunks": 0, "refused": 0, "finished": False, "total": None}
        received, seq, refused, finished, total = rows[0]
        return {
            "rows": received,
            "chunks": seq,
            "refused": refused,
            "finished": bool(finished),
            "total": total,
        }

    def stream_times(self) -> tuple[float, float, float | None]:
        """When FR's cursor began (its first chunk stored), finished (the final one stored) and
        had the indexes it deferred built (None: none deferred), as Unix times."""
        [(began, finished, indexed)] = self.query(
            "FR", "SELECT started_at, finished_at, indexed_at FROM records_snapshotcursor"
        )

        def unix(t: str) -> float:
            return datetime.fromisoformat(t).replace(tzinfo=UTC).timestamp()

        return unix(began), unix(finished), unix(indexed) if indexed else None

    def hub_stream(self) -> dict[str, Any]:
        [(total, sent_rows, sent_seq, sent_bytes, resumes)] = self.query(
            "hub",
            "SELECT total, sent_rows, sent_seq, sent_bytes, resumes FROM records_snapshotstream "
            "WHERE node = 'FR'",
        )
        return {
            "total": total,
            "sent_rows": sent_rows,
            "chunks": sent_seq,
            "bytes": sent_bytes,
            "resumes": resumes,
        }

    def check(self) -> None:
        for name, proc in self.workers.items():
            if proc.poll() is not None:
                raise RuntimeError(f"the {name} worker stopped; see {self.root / 'logs'}")

    def wait_stored(self, timeout: float, kill_at: float | None = None, say: Any = None) -> dict[str, Any]:
        """Until FR stored the final chunk; with `kill_at`, FR's worker killed once it stored that
        fraction of the rows, and started again."""
        deadline = time.monotonic() + timeout
        killed: dict[str, Any] = {}
        last_said = 0.0
        while time.monotonic() < deadline:
            self.check()
            p = self.node_progress()
            if p["finished"]:
                return {**p, **killed}
            if kill_at is not None and not killed and p["total"] and p["rows"] >= kill_at * p["total"]:
                self.kill_worker("FR")
                killed = {"killed_at_rows": self.node_progress()["rows"]}
                self.start_worker("FR")
            if say is not None and time.monotonic() - last_said > 5:
                say(p)
                last_said = time.monotonic()
            time.sleep(0.2)
        raise RuntimeError(f"FR did not store the whole snapshot within {timeout} s: {self.node_progress()}")

    def verify(self) -> dict[str, Any]:
        """`ncbnet replica verify` on FR: its first line and the differences it named."""
        result = subprocess.run(
            [sys.executable, "-m", "ncbnet.cli", "replica", "verify", "--timeout", "1200"],
            env=self.env(self.fr),
            capture_output=True,
            text=True,
            check=False,
        )
        lines = result.stdout.strip().splitlines()
        named = [ln for ln in lines[1:] if ln.split(":")[0] in ("missing", "extra", "stale")]
        return {
            "ok": result.returncode == 0,
            "summary": lines[0] if lines else result.stderr.strip()[-300:],
            "differences": len(named),
        }

    def close(self) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            self.net.shutdown()


def run(
    persons: int,
    documents: int,
    root: Path,
    kill_at: float | None = None,
    chunk_rows: int | None = None,
    timeout: float = 3600,
    say: Any = None,
) -> dict[str, Any]:
    bench = Bench(root, chunk_rows)
    load_before = os.getloadavg()
    try:
        seeded = bench.prepare(persons, documents)
        started = bench.join()
        stored = bench.wait_stored(timeout, kill_at, say)
        seconds = time.time() - started
        used = {
            "hub_worker": round(bench.cpu_seconds("hub"), 1),
            "node_worker": round(bench.cpu_seconds("FR"), 1),
        }
        load_after = os.getloadavg()
        stream = bench.hub_stream()
        verified = bench.verify()
        stream_times = bench.stream_times()
        [(cards,)] = bench.query("FR", "SELECT count(*) FROM screening_card")
        [(held,)] = bench.query("FR", "SELECT count(*) FROM records_replicarecord")
    finally:
        bench.close()
    rows = stream["total"]
    return {
        "bench": "snapshot",
        "persons": persons,
        "documents": documents,
        "rows": rows,
        "held": held,
        "seconds": round(seconds, 1),
        "rows_per_s": round(rows / seconds, 1),
        # From the workers' start to FR's first stored chunk (both processes starting, the name
        # data loaded, the streams made), then from that chunk to the last: at scale the rate of
        # the stream is what counts, and the first figure is paid once.
        "first_chunk_s": round(stream_times[0] - started, 1),
        "stream_s": round(stream_times[1] - stream_times[0], 1),
        "stream_rows_per_s": round(rows / max(stream_times[1] - stream_times[0], 1e-3), 1),
        # From the final chunk stored to the indexes a first load defers built (within `seconds`).
        "indexes_s": round(stream_times[2] - stream_times[1], 1) if stream_times[2] else None,
        "chunks": stored["chunks"],
        "chunk_rows": chunk_rows,
        "mib_sent_compressed": round(stream["bytes"] * 3 / 4 / 1024**2, 1),
        "rows_resent": stream["sent_rows"] - rows,
        "chunks_refused": stored["refused"],
        "resumes": stream["resumes"],
        "killed_at_rows": stored.get("killed_at_rows"),
        "verify_ok": verified["ok"],
        "verify": verified["summary"],
        "verify_differences": verified["differences"],
        "screening_cards": cards,
        "cpu_seconds": used,
        **seeded,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
    }


def main(
    persons: int,
    documents: int,
    root: Path,
    kill_at: float | None,
    chunk_rows: int | None,
    progress: bool = True,
) -> dict[str, Any]:
    def say(p: dict[str, Any]) -> None:
        print(
            f"snapshot: {p['rows']:,} of {p['total'] or 0:,} rows stored in {p['chunks']} chunks",
            file=sys.stderr,
            flush=True,
        )

    result = run(persons, documents, root, kill_at, chunk_rows, say=say if progress else None)
    print(json.dumps(result), flush=True)
    return result


def _seed(persons: int, documents: int) -> None:
    from ncbnet.records import bulk

    bulk.seed(persons, documents, batch=5000)


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "seed":
        _seed(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown step {sys.argv[1]!r}")
