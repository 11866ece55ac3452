"""`ncbnet bench messaging`: a hub and two NCB nodes on loopback; France sends, Brazil receives.

End to end means: the message signed and sealed into France's outbox, published, checked and
kept by the hub, relayed, checked, opened and stored by Brazil, and Brazil's signed delivery
receipt relayed back and recorded by France. Throughput is timed from the first send to the last
receipt recorded; latency per message is receipt-recorded minus created. Beside it, plain nats-py
JetStream publish-and-consume of as many payloads as messages, each the size a message takes on
the wire (its envelope, or its share of a batch envelope), on the same machine, in the same run.

The sender is a machine sender on the bulk path (`services.send_many`, at most `per_call` messages
per call; at an offered rate, what is due every tenth of a second) unless `path` is "single" (`services.send`,
one message per call, as an officer's page does).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ncbnet.bench import cpu
from ncbnet.embedded import DemoNetwork, Node


class BenchNetwork(DemoNetwork):
    COUNTRIES = ("FR", "BR")

    def env(self, node: Node) -> dict[str, str]:
        env = super().env(node)
        if profile := os.environ.get("NCBNET_PROFILE"):  # the workers' cProfile folder (see worker)
            env["NCBNET_PROFILE"] = profile
        return env


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def raw_nats(url: str, seed: Path, count: int, size: int) -> float:
    """Messages per second for plain JetStream publish-and-consume of `size`-byte payloads."""
    import nats
    from nats.js import api

    nc = await nats.connect(url, nkeys_seed=str(seed), inbox_prefix="_INBOX_hub")
    js = nc.jetstream(timeout=30)
    name = "BENCH_RAW"
    with contextlib.suppress(Exception):
        await js.delete_stream(name)
    await js.add_stream(
        api.StreamConfig(name=name, subjects=["ncb.inbox.bench-raw"], storage=api.StorageType.FILE)
    )
    await js.add_consumer(name, api.ConsumerConfig(durable_name="c", ack_policy=api.AckPolicy.EXPLICIT))
    payload = os.urandom(size)
    start = time.perf_counter()
    for i in range(0, count, 200):
        await asyncio.gather(
            *(js.publish("ncb.inbox.bench-raw", payload) for _ in range(min(200, count - i)))
        )
    sub = await js.pull_subscribe_bind(durable="c", stream=name, inbox_prefix=b"_INBOX_hub.")
    got = 0
    while got < count:
        msgs = await sub.fetch(min(500, count - got), timeout=10)
        for m in msgs:
            await m.ack()
        got += len(msgs)
    elapsed = time.perf_counter() - start
    await js.delete_stream(name)
    await nc.close()
    return count / elapsed


def run(
    messages: int, rate: float | None, path: str = "bulk", per_call: int = 200, keep: Path | None = None
) -> dict[str, Any]:
    root = keep or Path(tempfile.mkdtemp(prefix="ncbnet-bench-"))
    from ncbnet.testing.cluster import free_base_port

    base = free_base_port(12)
    net = BenchNetwork(root, base, base + 10)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            net.setup()
        workers = [net.start_worker(n) for n in net.nodes]
        fr: Node = next(n for n in net.nodes if n.name == "FR")
        os.environ.update(net.env(fr))
        import django

        django.setup()
        from ncbnet.core.models import User
        from ncbnet.messaging import services
        from ncbnet.messaging.models import Delivery
        from ncbnet.network.models import NodeKey

        deadline = time.monotonic() + 300  # a busy machine starts the workers slowly
        while NodeKey.objects.filter(node="BR").count() == 0 or not _has_key(root / "br", "FR"):
            if time.monotonic() > deadline:
                raise RuntimeError("France and Brazil never received the key directory")
            time.sleep(0.1)
        # Every worker is past its start (name data, Django) once both bureaus hold the directory:
        # the CPU counted from here is the messages'.
        cpu_before = {n.name: cpu.of_pid(w.pid) for n, w in zip(net.nodes, workers, strict=True)}
        cpu_before["sender"] = cpu.of_pid(os.getpid())
        if os.environ.get("NCBNET_PROFILE"):
            for w in workers:  # their profiles start afresh here
                w.send_signal(signal.SIGUSR1)
        officer = User.objects.get(username="fr-officer")
        body = "x" * 600  # a typical short message
        start = time.perf_counter()
        interval = 1.0 / rate if rate else 0.0
        i = 0
        while i < messages:
            if interval:
                # One message is due every interval; the bulk sender posts what is due every TICK.
                target = start + (i * interval if path == "single" else _next_tick(i * interval))
                delay = target - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            if path == "single":
                services.send(officer, services.Draft(to=["BR"], subject=f"bench {i}", body=body))
                i += 1
                continue
            # A machine sender posts what it has: at an offered rate, what is due by now.
            due = int((time.perf_counter() - start) / interval) + 1 if interval else messages
            n = max(1, min(per_call, due - i, messages - i))
            drafts = [services.Draft(to=["BR"], subject=f"bench {i + k}", body=body) for k in range(n)]
            services.send_many(officer, drafts)
            i += n
        while Delivery.objects.filter(node="BR", status="queued").exists():
            if any(w.poll() is not None for w in workers):
                raise RuntimeError(f"a worker stopped; see {root}/logs")
            time.sleep(0.05)
        used = {
            n.name: cpu.of_pid(w.pid) - cpu_before[n.name] for n, w in zip(net.nodes, workers, strict=True)
        }
        used["sender"] = cpu.of_pid(os.getpid()) - cpu_before["sender"]
        rows = [
            (c, u)
            for c, u in Delivery.objects.filter(node="BR").values_list("message__created_at", "updated_at")
            if u is not None
        ]
        first = min(c for c, _u in rows)
        last = max(u for _c, u in rows)
        seconds = (last - first).total_seconds()
        latencies = [(u - c).total_seconds() * 1000 for c, u in rows]
        raw = asyncio.run(
            raw_nats(
                net.env(net.nodes[0])["NATS_URL"],
                root / "nats" / "creds" / "hub.nk",
                messages,
                _envelope_size(root, messages),
            )
        )
        return {
            "messages": messages,
            "seconds": round(seconds, 3),
            "msgs_per_s": round(messages / seconds, 1),
            "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(_percentile(latencies, 0.99), 1),
            "raw_nats_msgs_per_s": round(raw, 1),
            "offered_rate": rate,
            "path": (
                f"bulk (services.send_many, up to {per_call} per call"
                + (f", what is due every {TICK} s)" if rate else ")")
                if path == "bulk"
                else "single (services.send, one per call)"
            ),
            "cpu_ms_per_msg": {k: round(v * 1000 / messages, 2) for k, v in used.items()},
        }
    finally:
        with contextlib.redirect_stdout(io.StringIO()):
            net.shutdown()


# At an offered rate, the bulk sender posts what is due every TICK seconds (a machine sender
# gathering what it has for a tenth of a second).
TICK = 0.1


def _next_tick(due: float) -> float:
    """The first tick at or after `due` (seconds from the start)."""
    return -(-due // TICK) * TICK


def _has_key(folder: Path, node: str) -> bool:
    import sqlite3

    with contextlib.closing(sqlite3.connect(folder / "db.sqlite3", timeout=30)) as con:
        return con.execute("SELECT 1 FROM network_nodekey WHERE node = ?", (node,)).fetchone() is not None


def _envelope_size(root: Path, messages: int) -> int:
    """The bytes on the wire per message: a single message's envelope, or a batch envelope's share."""
    import sqlite3

    with sqlite3.connect(root / "fr" / "db.sqlite3") as con:
        row = con.execute(
            "SELECT sum(length(payload)) FROM network_outboxenvelope"
            " WHERE kind IN ('message', 'message.batch')"
        ).fetchone()
    return int(row[0] / messages) if row[0] else 1024


def main(messages: int, rate: float | None, path: str = "bulk", per_call: int = 200) -> None:
    print(json.dumps(run(messages, rate, path, per_call)), flush=True)
