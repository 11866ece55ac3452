"""`ncbnet network run`: one per node. Publishes the outbox, consumes the inbox, and at the hub
also consumes the relay and keeps the streams. Also seals the audit chain at intervals.

The database side is in `delivery`; this module only moves bytes to and from NATS JetStream.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import nats
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from nats.errors import TimeoutError as NatsTimeout
from nats.js import api
from nats.js.errors import NotFoundError

from ncbnet.base import bounded
from ncbnet.base.node import node_id, role

from . import delivery, directory, handlers, natsconf, quarantine
from . import envelope as env
from .models import Quarantine

log = logging.getLogger("ncbnet.network")
RETENTION = timedelta(days=30)
DUPLICATE_WINDOW = timedelta(minutes=10)
OUTBOX_IDLE = 0.05  # seconds between looks at an empty outbox
BATCH = 200
FOLLOW_UP = 0.05  # seconds a fetch waits for more once it has one envelope (see Worker._fetch)
PUBLISH_TIMEOUT = 10  # seconds a batch's publications may wait for the streams' acknowledgements
# What one stream may hold, so that no node can fill the GS's disks. The relay and the inboxes are
# work queues: an envelope leaves the stream once its consumer (the hub's relay, the node's
# worker) acknowledges it, so they hold only what is still to be handled; the relay refuses new
# envelopes from a node whose backlog is full (its outbox keeps them and tries again), and the
# relay and each inbox refuse past their size. A message is at most an envelope and its headers.
# The sizes are reserved on the NATS servers' disks (docs/deploy.md: max_file_store).
MAX_MESSAGE = env.MAX_BYTES + 64 * 1024
RELAY_MAX_PER_NODE = 100_000
DEAD_MAX_BYTES = 64 * 1024**2
# A redelivered envelope waits this long (seconds, by deliveries so far) after a failure.
REDELIVERY = (1, 5, 15, 30, 60, 120, 300, 600)


def db_ready() -> bool:
    """Whether this node's database answers: while it does not, the worker fetches nothing, so
    envelopes do not use up their deliveries on a database that is away."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError as exc:
        log.warning("%s: the database does not answer (%s); waiting before fetching", node_id(), exc)
        return False


# With NCBNET_PROFILE set to a folder, the worker profiles its event loop and its database thread
# (cProfile, each thread's CPU time) and writes `<node>-loop.prof` and `<node>-db.prof` there when
# it stops: where a benchmark's CPU goes, process by process. SIGUSR1 starts both profiles afresh
# (a benchmark sends it once the workers are up, so that their start is not counted).
PROFILE_DIR = os.environ.get("NCBNET_PROFILE", "")
_db_profile: cProfile.Profile | None = cProfile.Profile(time.thread_time) if PROFILE_DIR else None


def _restart_profiles(loop_profile: cProfile.Profile) -> cProfile.Profile:
    global _db_profile
    loop_profile.disable()
    _db_profile = cProfile.Profile(time.thread_time)
    fresh = cProfile.Profile(time.thread_time)
    fresh.enable()
    return fresh


def db(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run database work in the worker's one database thread, on a connection that is still good
    (a long-running worker outlives database restarts and connection lifetimes)."""

    def fresh(*args: Any, **kwargs: Any) -> Any:
        close_old_connections()
        if _db_profile is not None:
            return _db_profile.runcall(fn, *args, **kwargs)
        return fn(*args, **kwargs)

    return sync_to_async(fresh, thread_sensitive=True)


class Worker:
    def __init__(self, nats_url: str, seed: Path | None, seal_every: timedelta | None = timedelta(minutes=5)):
        self.me = node_id()
        self.relays = role().relays  # the hub: it forwards envelopes and keeps the inboxes
        self.servers = [u.strip() for u in nats_url.split(",")]
        self.seed = seed
        self.seal_every = seal_every
        self.stop = asyncio.Event()
        # Set when this worker's own handlers queued something (receipts, say), so that the outbox
        # publishes it now rather than at its next look (see outbox_loop).
        self.queued = asyncio.Event()
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

    async def ensure_stream(
        self,
        name: str,
        subject: str,
        consumer: str,
        retention: api.RetentionPolicy = api.RetentionPolicy.WORK_QUEUE,
        **limits: Any,
    ) -> None:
        """The stream with its limits (an existing one is brought to them) and its durable consumer,
        which delivers an envelope at most MAX_DELIVER times."""
        if name in self.streams:
            return
        config = api.StreamConfig(
            name=name,
            num_replicas=self.replicas,
            subjects=[subject],
            retention=retention,
            storage=api.StorageType.FILE,
            max_age=RETENTION.total_seconds(),
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
            **limits,
        )
        try:
            info = await self.js.stream_info(name)
        except NotFoundError:
            await self.js.add_stream(config)
        else:
            if info.config.retention != retention:
                # NATS does not change a stream's retention: one made by an older ncbnet keeps its own.
                log.warning("stream %s keeps its %s retention", name, info.config.retention)
                config.retention = info.config.retention
            await self.js.update_stream(config)
        await self.js.add_consumer(
            name,
            api.ConsumerConfig(
                durable_name=consumer,
                ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=30,
                max_deliver=delivery.MAX_DELIVER,
                deliver_policy=api.DeliverPolicy.ALL,
            ),
        )
        self.streams.add(name)

    async def ensure_inbox(self, node: str) -> None:
        await self.ensure_stream(
            natsconf.inbox_stream(node),
            natsconf.inbox_subject(node),
            natsconf.INBOX_CONSUMER,
            max_bytes=settings.NODE.inbox_max_bytes,
            max_msg_size=MAX_MESSAGE,
            discard=api.DiscardPolicy.NEW,
        )

    async def ensure_streams(self) -> None:
        await self.ensure_stream(
            natsconf.RELAY_STREAM,
            "ncb.relay.*",
            natsconf.RELAY_CONSUMER,
            max_bytes=settings.NODE.relay_max_bytes,
            max_msg_size=MAX_MESSAGE,
            max_msgs_per_subject=RELAY_MAX_PER_NODE,
            discard=api.DiscardPolicy.NEW,
            discard_new_per_subject=True,
        )
        # What a consumer gave up on (delivered MAX_DELIVER times, never acknowledged): the
        # server's advisories, which the hub turns into dead letters in its quarantine.
        await self.ensure_stream(
            natsconf.DEAD_STREAM,
            natsconf.DEAD_SUBJECTS,
            natsconf.DEAD_CONSUMER,
            retention=api.RetentionPolicy.LIMITS,
            max_bytes=DEAD_MAX_BYTES,
        )
        for node in await db(delivery.connected_nodes)():
            await self.ensure_inbox(node)

    # --- loops -----------------------------------------------------------------------------------

    async def publish_in_order(
        self, publications: list[tuple[str, bytes, str]]
    ) -> list[BaseException | None]:
        """Publish (subject, payload, de-duplication id) in the order given, then wait for the
        streams' acknowledgements together: each subject receives its messages in that order,
        whatever the acknowledgements' timing (an envelope to many nodes is not overtaken, in
        one node's inbox, by a later one to that node alone). For each, None once acknowledged,
        or why not."""
        unready: dict[str, BaseException] = {}  # subjects whose inbox stream could not be made
        if self.relays:
            for subject in sorted({subject for subject, _, _ in publications}):
                try:
                    await self.ensure_inbox(subject.rsplit(".", 1)[1])
                except Exception as exc:  # its envelopes fail alone and wait out their backoff
                    unready[subject] = exc
        errors: list[BaseException | None] = [None] * len(publications)
        acks: list[tuple[int, asyncio.Future[Any]]] = []
        for i, (subject, payload, mid) in enumerate(publications):
            if subject in unready:
                errors[i] = unready[subject]
                continue
            headers = {"Nats-Msg-Id": mid}
            try:
                ack = await self.js.publish_async(
                    subject, payload, wait_stall=PUBLISH_TIMEOUT, headers=headers
                )
                acks.append((i, ack))
            except Exception as exc:  # not written to the server
                errors[i] = exc
        if acks:
            await asyncio.wait([f for _, f in acks], timeout=PUBLISH_TIMEOUT)
        for i, future in acks:
            if not future.done():
                future.cancel()
                errors[i] = TimeoutError(f"no acknowledgement in {PUBLISH_TIMEOUT} s")
            elif future.cancelled():
                errors[i] = TimeoutError("the publication was cancelled")
            else:
                errors[i] = future.exception()
        return errors

    async def publish_batch(self, batch: list[delivery.Pending]) -> list[BaseException | None]:
        """The outbox's envelopes, in its order, each to every subject it goes to (the relay, or
        at the hub each recipient's inbox); for each envelope, None once all of them took it."""
        owners: list[int] = []
        publications: list[tuple[str, bytes, str]] = []
        for i, item in enumerate(batch):
            for subject, mid in delivery.publications(item):
                owners.append(i)
                publications.append((subject, item.payload, mid))
        errors: list[BaseException | None] = [None] * len(batch)
        for i, error in zip(owners, await self.publish_in_order(publications), strict=True):
            errors[i] = errors[i] or error
        return errors

    async def outbox_loop(self) -> None:
        """Publish what is queued. Each envelope succeeds or fails on its own: a failed one waits
        out its own backoff (see delivery.mark_failed) and never holds back the others."""
        while not self.stop.is_set():
            batch = await db(delivery.pending)(BATCH)
            if not batch:
                await self._idle()
                continue
            results = await self.publish_batch(batch)
            sent = [item.pk for item, r in zip(batch, results, strict=True) if r is None]
            failed: dict[str, list[int]] = {}
            for item, r in zip(batch, results, strict=True):
                if isinstance(r, BaseException):
                    failed.setdefault(f"{type(r).__name__}: {r}", []).append(item.pk)
            if sent:
                await db(delivery.mark_sent)(sent)
            for error, pks in failed.items():
                log.warning("%s could not publish %d envelopes (%s); will retry", self.me, len(pks), error)
                await db(delivery.mark_failed)(pks, error)
            if failed and not sent:
                await self._pause(1)

    async def consume(
        self,
        stream: str,
        consumer: str,
        handle: Callable[[list[Any]], Awaitable[None]],
        dead: Callable[[Any, str], Awaitable[None]] | None = None,
    ) -> None:
        """Fetch batches in stream order; a batch is acknowledged only after it is handled and
        committed. A batch that fails is taken again one envelope at a time, so that one envelope
        the database keeps failing on holds back nothing else; at its last delivery it is kept as
        a dead letter (`dead`) and acknowledged."""
        sub = None
        while not self.stop.is_set():
            if not await db(db_ready)():
                await self._pause(2)
                continue
            try:
                if sub is None:
                    sub = await self.js.pull_subscribe_bind(
                        durable=consumer,
                        stream=stream,
                        inbox_prefix=(natsconf.inbox_prefix(self.me) + ".").encode(),
                    )
                msgs = await self._fetch(sub)
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
                log.exception(
                    "%s failed on a batch from %s; taking it one envelope at a time", self.me, stream
                )
                await self.one_by_one(stream, msgs, handle, dead)
                continue
            await asyncio.gather(*(m.ack() for m in msgs))

    @staticmethod
    async def _fetch(sub: Any) -> list[Any]:
        """The next batch: wait (up to a second) for one envelope, then take at once what else the
        stream holds, up to BATCH. A single fetch of BATCH that finds the stream empty holds its
        request open until BATCH arrive or its second is up, so an envelope arriving at a quiet
        stream waited up to a second at each hop."""
        msgs: list[Any] = await sub.fetch(1, timeout=1)
        with contextlib.suppress(TimeoutError, NatsTimeout):
            msgs += await sub.fetch(BATCH - 1, timeout=FOLLOW_UP)
        return msgs

    async def one_by_one(
        self,
        stream: str,
        msgs: list[Any],
        handle: Callable[[list[Any]], Awaitable[None]],
        dead: Callable[[Any, str], Awaitable[None]] | None,
    ) -> None:
        for m in msgs:
            try:
                await handle([m])
            except Exception as exc:
                deliveries = int(m.metadata.num_delivered)
                error = f"{type(exc).__name__}: {exc}"
                if dead is not None and deliveries >= delivery.MAX_DELIVER:
                    try:
                        await dead(m, error)
                    except Exception:
                        log.exception("%s could not keep a dead letter from %s", self.me, stream)
                    else:
                        await m.ack()
                        continue
                wait = REDELIVERY[min(deliveries, len(REDELIVERY)) - 1]
                log.warning(
                    "%s: envelope #%s of %s failed (delivery %d of %d, again in %d s): %s",
                    self.me,
                    m.metadata.sequence.stream,
                    stream,
                    deliveries,
                    delivery.MAX_DELIVER,
                    wait,
                    error,
                )
                with contextlib.suppress(Exception):
                    await m.nak(delay=wait)
            else:
                await m.ack()

    async def handle_inbox(self, msgs: list[Any]) -> None:
        await db(delivery.accept_batch)([(m.data, m.metadata.sequence.stream) for m in msgs])
        self.queued.set()

    async def dead_inbox(self, m: Any, error: str) -> None:
        await db(quarantine.dead_letter)(
            m.data, m.metadata.sequence.stream, source=Quarantine.Source.INBOX, error=error
        )

    async def dead_relay(self, m: Any, error: str) -> None:
        await db(quarantine.dead_letter)(
            m.data,
            m.metadata.sequence.stream,
            source=Quarantine.Source.RELAY,
            publisher=m.subject.rsplit(".", 1)[1],
            error=error,
        )

    async def handle_dead(self, msgs: list[Any]) -> None:
        """Hub: each advisory of a consumer that gave up on a message becomes a dead letter in the
        hub's quarantine, with the message's bytes (read from its stream while it keeps them). A
        node's inbox message is kept as a delivery to retry into that inbox."""
        for m in msgs:
            try:
                advisory = bounded.loads(m.data, bounded.Limits(max_bytes=64 * 1024))
                stream, seq = str(advisory["stream"]), int(advisory["stream_seq"])
                deliveries = int(advisory.get("deliveries", delivery.MAX_DELIVER))
            except (bounded.Unbounded, KeyError, TypeError, ValueError):
                log.error("the hub could not read a dead-letter advisory: %r", m.data[:500])
                continue
            if stream == natsconf.RELAY_STREAM:
                source, publisher = Quarantine.Source.RELAY, ""
            elif stream.startswith("INBOX_"):
                source, publisher = Quarantine.Source.DELIVERY, stream.removeprefix("INBOX_")
            else:
                continue
            try:
                stored = await self.js.get_msg(stream, seq)
                raw = bytes(stored.data or b"")
                if source == Quarantine.Source.RELAY:
                    publisher = str(stored.subject or "").rsplit(".", 1)[-1]
            except NotFoundError:
                raw = b""
            await db(quarantine.dead_letter)(
                raw,
                seq,
                source=source,
                publisher=publisher,
                error=f"the {stream} consumer gave up after {deliveries} deliveries",
            )

    async def handle_relay(self, msgs: list[Any]) -> None:
        items = [(m.data, m.metadata.sequence.stream, m.subject.rsplit(".", 1)[1]) for m in msgs]
        targets = await db(delivery.relay_batch)(items)
        publications = [
            (subject, m.data, mid) for m, pairs in zip(msgs, targets, strict=True) for subject, mid in pairs
        ]
        failed = [e for e in await self.publish_in_order(publications) if e is not None]
        if failed:  # the batch is not acknowledged: it comes again, the ids keep it from doubling
            raise failed[0]

    async def seal_loop(self) -> None:
        assert self.seal_every is not None
        job = handlers.seal_job()
        while job is not None and not self.stop.is_set():
            await db(job)(self.seal_every)
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

    async def _idle(self) -> None:
        """Until this worker queued something or OUTBOX_IDLE has passed: what another process
        (the web server) queues is found at the next look."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queued.wait(), timeout=OUTBOX_IDLE)
        self.queued.clear()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), timeout=seconds)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        if not PROFILE_DIR:
            await self._run()
            return
        profiles = [cProfile.Profile(time.thread_time)]
        profiles[0].enable()

        def restart() -> None:
            profiles[0] = _restart_profiles(profiles[0])

        loop.add_signal_handler(signal.SIGUSR1, restart)
        try:
            await self._run()
        finally:
            profiles[0].disable()
            profiles[0].dump_stats(Path(PROFILE_DIR) / f"{self.me}-loop.prof")
            if _db_profile is not None:
                _db_profile.dump_stats(Path(PROFILE_DIR) / f"{self.me}-db.prof")

    async def _run(self) -> None:
        await self.connect()
        if self.relays:
            await self.ensure_streams()
        else:
            await db(directory.request_if_missing)()
        tasks = [
            asyncio.create_task(self.outbox_loop()),
            asyncio.create_task(
                self.consume(
                    natsconf.inbox_stream(self.me),
                    natsconf.INBOX_CONSUMER,
                    self.handle_inbox,
                    self.dead_inbox,
                )
            ),
        ]
        if self.relays:
            tasks.append(
                asyncio.create_task(
                    self.consume(
                        natsconf.RELAY_STREAM, natsconf.RELAY_CONSUMER, self.handle_relay, self.dead_relay
                    )
                )
            )
            tasks.append(
                asyncio.create_task(
                    self.consume(natsconf.DEAD_STREAM, natsconf.DEAD_CONSUMER, self.handle_dead)
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
