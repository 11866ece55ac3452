"""`ncbnet network run`: one per node. Publishes the outbox, consumes the inbox, and at the hub
also consumes the relay and keeps the streams. Also seals the audit chain at intervals.

The database side is in `delivery`; this module only moves bytes to and from NATS JetStream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import nats
from asgiref.sync import sync_to_async
from django.db import close_old_connections
from nats.errors import TimeoutError as NatsTimeout
from nats.js import api
from nats.js.errors import NotFoundError

from ncbnet.audit import anchoring
from ncbnet.audit import services as audit
from ncbnet.core.node import keys, node_id

from . import delivery, directory, handlers, natsconf

log = logging.getLogger("ncbnet.network")
RETENTION = timedelta(days=30)
DUPLICATE_WINDOW = timedelta(minutes=10)
OUTBOX_IDLE = 0.05  # seconds between looks at an empty outbox
BATCH = 200


def db(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run database work in the worker's one database thread, on a connection that is still good
    (a long-running worker outlives database restarts and connection lifetimes)."""

    def fresh(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        return fn(*args, **kwargs)

    return sync_to_async(fresh, thread_sensitive=True)


class Worker:
    def __init__(self, nats_url: str, seed: Path | None, seal_every: timedelta | None = timedelta(minutes=5)):
        self.me = node_id()
        self.servers = [u.strip() for u in nats_url.split(",")]
        self.seed = seed
        self.seal_every = seal_every
        self.stop = asyncio.Event()
        # Copies of each stream a NATS cluster keeps (1 on a single server, 3 on a GS cluster).
        self.replicas = int(os.environ.get("NCBNET_STREAM_REPLICAS", "1"))
        self.streams: set[str] = set()
        self.nc: Any = None
        self.js: Any = None

    async def connect(self) -> None:
        options: dict[str, Any] = {
            "servers": self.servers,
            "name": f"ncbnet-{self.me}",
            "inbox_prefix": natsconf.inbox_prefix(self.me),
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 0.5,
            "error_cb": self._error,
            "disconnected_cb": self._disconnected,
            "reconnected_cb": self._reconnected,
        }
        if self.seed is not None:
            options["nkeys_seed"] = str(self.seed)
        self.nc = await nats.connect(**options)
        self.js = self.nc.jetstream(timeout=10)

    async def _error(self, exc: Exception) -> None:
        log.error("NATS error on %s: %s", self.me, exc)

    async def _disconnected(self) -> None:
        log.warning("%s disconnected from NATS; reconnecting", self.me)

    async def _reconnected(self) -> None:
        log.warning("%s reconnected to NATS", self.me)

    # --- streams (hub) ---------------------------------------------------------------------------

    async def ensure_stream(self, name: str, subject: str, consumer: str) -> None:
        if name in self.streams:
            return
        config = api.StreamConfig(
            name=name,
            num_replicas=self.replicas,
            subjects=[subject],
            retention=api.RetentionPolicy.LIMITS,
            storage=api.StorageType.FILE,
            max_age=RETENTION.total_seconds(),
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
        )
        try:
            await self.js.stream_info(name)
        except NotFoundError:
            await self.js.add_stream(config)
        await self.js.add_consumer(
            name,
            api.ConsumerConfig(
                durable_name=consumer,
                ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=30,
                max_deliver=-1,
                deliver_policy=api.DeliverPolicy.ALL,
            ),
        )
        self.streams.add(name)

    async def ensure_inbox(self, node: str) -> None:
        await self.ensure_stream(
            natsconf.inbox_stream(node), natsconf.inbox_subject(node), natsconf.INBOX_CONSUMER
        )

    async def ensure_streams(self) -> None:
        await self.ensure_stream(natsconf.RELAY_STREAM, "ncb.relay.*", natsconf.RELAY_CONSUMER)
        for node in await db(delivery.connected_nodes)():
            await self.ensure_inbox(node)

    # --- loops -----------------------------------------------------------------------------------

    async def publish(self, subject: str, payload: bytes, msg_id: str) -> None:
        if self.me == "hub":
            await self.ensure_inbox(subject.rsplit(".", 1)[1])
        await self.js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id})

    async def outbox_loop(self) -> None:
        while not self.stop.is_set():
            batch = await db(delivery.pending)(BATCH)
            if not batch:
                await self._pause(OUTBOX_IDLE)
                continue
            sends = [
                self.publish(subj, item.payload, mid)
                for item in batch
                for subj, mid in delivery.publications(item)
            ]
            try:
                await asyncio.gather(*sends)
            except Exception as exc:  # NATS unreachable or slow: keep them queued and try again
                log.warning("%s could not publish %d envelopes (%s); will retry", self.me, len(batch), exc)
                await db(delivery.mark_failed)([item.pk for item in batch], f"{type(exc).__name__}: {exc}")
                await self._pause(1)
                continue
            await db(delivery.mark_sent)([item.pk for item in batch])

    async def consume(
        self, stream: str, consumer: str, handle: Callable[[list[Any]], Awaitable[None]]
    ) -> None:
        """Fetch batches in stream order; a batch is acknowledged only after it is handled and committed."""
        sub = None
        while not self.stop.is_set():
            try:
                if sub is None:
                    sub = await self.js.pull_subscribe_bind(
                        durable=consumer,
                        stream=stream,
                        inbox_prefix=(natsconf.inbox_prefix(self.me) + ".").encode(),
                    )
                msgs = await sub.fetch(BATCH, timeout=1)
            except (TimeoutError, NatsTimeout):
                continue
            except Exception as exc:
                log.warning("%s cannot read %s yet (%s); retrying", self.me, stream, exc)
                sub = None
                await self._pause(1)
                continue
            try:
                await handle(msgs)
            except Exception:
                log.exception("%s failed on a batch from %s; it will be delivered again", self.me, stream)
                await asyncio.gather(*(m.nak(delay=1) for m in msgs), return_exceptions=True)
                await self._pause(1)
                continue
            await asyncio.gather(*(m.ack() for m in msgs))

    async def handle_inbox(self, msgs: list[Any]) -> None:
        await db(delivery.accept_batch)([(m.data, m.metadata.sequence.stream) for m in msgs])

    async def handle_relay(self, msgs: list[Any]) -> None:
        items = [(m.data, m.metadata.sequence.stream, m.subject.rsplit(".", 1)[1]) for m in msgs]
        targets = await db(delivery.relay_batch)(items)
        await asyncio.gather(
            *(
                self.publish(subject, m.data, mid)
                for m, pairs in zip(msgs, targets, strict=True)
                for subject, mid in pairs
            )
        )

    async def seal_loop(self) -> None:
        assert self.seal_every is not None
        store = keys()
        while not self.stop.is_set():
            if await db(audit.seal_due)(self.seal_every):
                await db(anchoring.seal_and_anchor)(store)
            await self._pause(min(self.seal_every.total_seconds(), 60))

    async def job_loop(self, name: str, seconds: float, fn: Callable[[], object]) -> None:
        """An app's periodic job (see `handlers.every`); a failure is logged and tried again next time."""
        while not self.stop.is_set():
            try:
                result = await db(fn)()
                if result:
                    log.info("%s: %s %s", self.me, name, result)
            except Exception:
                log.exception("%s: periodic job %s failed; next run in %s s", self.me, name, seconds)
            await self._pause(seconds)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        await self.connect()
        if self.me == "hub":
            await self.ensure_streams()
        else:
            await db(directory.request_if_missing)()
        tasks = [
            asyncio.create_task(self.outbox_loop()),
            asyncio.create_task(
                self.consume(natsconf.inbox_stream(self.me), natsconf.INBOX_CONSUMER, self.handle_inbox)
            ),
        ]
        if self.me == "hub":
            tasks.append(
                asyncio.create_task(
                    self.consume(natsconf.RELAY_STREAM, natsconf.RELAY_CONSUMER, self.handle_relay)
                )
            )
        if self.seal_every is not None:
            tasks.append(asyncio.create_task(self.seal_loop()))
        for name, seconds, fn in handlers.periodic():
            tasks.append(asyncio.create_task(self.job_loop(name, seconds, fn)))
        log.info("network worker for %s running", self.me)
        await self.stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Drain only a live connection, and not for ever: a stop must not hang while NATS is away.
        try:
            if self.nc.is_connected:
                await asyncio.wait_for(self.nc.drain(), timeout=5)
        except (TimeoutError, nats.errors.Error) as exc:
            log.warning("%s stopped without draining NATS (%s)", self.me, exc)
        finally:
            if not self.nc.is_closed:
                await self.nc.close()
