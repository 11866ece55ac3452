"""`ncbnet bench public`: the hub's public notices API through the whole stack on loopback.

A hub of its own (in a temporary folder, SQLite, or DATABASE_URL's database when set) gets N
published Red, Yellow and UN notices with their public extracts (built by `notices.extracts.build`,
as the GS's approval builds them), then `ncbnet serve` (gunicorn, its threaded workers, every
middleware) answers list and detail requests from client threads on keep-alive connections.
One JSON line: requests per second and p95 latency for lists and for details.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

FIRST = ["Marc", "Ana", "Amira", "Ivan", "Li", "Sofia", "Kwame", "Yusuf", "Elena", "Tomas"]
LAST = ["Dupont", "Souza", "Haddad", "Petrov", "Wei", "Garcia", "Mensah", "Demir", "Rossi", "Novak"]
NATIONS = ["FR", "BR", "DZ", "RU", "CN", "ES", "GH", "TR", "IT", "CZ"]


def _data(kind: str, i: int) -> dict[str, Any]:
    subject = {
        "names": [{"value": f"{FIRST[i % 10]} {LAST[(i // 10) % 10]}{i}"}],
        "date_of_birth": {"year": 1950 + i % 60, "month": 1 + i % 12, "day": 1 + i % 28},
        "nationalities": [NATIONS[i % 10]],
    }
    if kind == "red":
        return {"subject": subject, "charges": ["armed robbery"], "purpose": "prosecution"}
    if kind == "yellow":
        return {"subject": subject, "missing_since": "2026-01-02", "place": "Marseille"}
    return {"subject": subject, "regime": "1267", "measures": ["asset_freeze"]}


def seed(count: int) -> list[tuple[str, str]]:
    """N published notices with extracts, in bulk; returns (collection, path id) of each."""
    from django.db import transaction

    from ncbnet.base import clock
    from ncbnet.notices import extracts
    from ncbnet.notices.models import Notice, PublicExtract

    kinds = ["red", "red", "yellow", "unsc"]
    now = clock.now()
    made: list[tuple[str, str]] = []
    with transaction.atomic():
        for start in range(0, count, 1000):
            notices, rows = [], []
            for i in range(start, min(count, start + 1000)):
                kind = kinds[i % 4]
                n = Notice(
                    id=uuid.uuid4(),
                    kind=kind,
                    owner="FR",
                    title=f"bench {i}",
                    data=_data(kind, i),
                    state="published",
                    created_at=now,
                    published_at=now - timedelta(seconds=count - i),
                    periodic_review_at=now + timedelta(days=1800),
                )
                details = {"height": 1.75, "languages": ["FRE"]}
                if kind == "unsc":
                    details["un_reference"] = f"QDi.{i:05d}"
                data, _photos, keys = extracts.build(n, details, None)
                entity_id = f"{now.year}/{i + 1:05d}"
                rows.append(
                    PublicExtract(
                        notice=n,
                        kind=kind,
                        entity_id=entity_id,
                        state="published",
                        details=details,
                        requested_by="bench",
                        requested_at=now,
                        decided_by="bench",
                        decided_at=now,
                        published_at=n.published_at,
                        data=data,
                        **keys,
                    )
                )
                notices.append(n)
                path = {"red": "red", "yellow": "yellow", "unsc": "un/persons"}[kind]
                made.append((path, entity_id.replace("/", "-")))
            Notice.objects.bulk_create(notices)
            PublicExtract.objects.bulk_create(rows)
    return made


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"ncbnet serve exited with {server.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/notices/v1/red?resultPerPage=1")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)  # polling a starting server: there is no event to wait on
    raise RuntimeError("ncbnet serve did not answer within a minute")


def _load(port: int, paths: list[str], threads: int) -> tuple[float, list[float]]:
    """Every path requested once, by `threads` clients on keep-alive connections: (requests a
    second, latencies in ms). Any answer but 200 stops the bench."""
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    def worker(mine: list[str]) -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        own = []
        for path in mine:
            t = time.perf_counter()
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            own.append((time.perf_counter() - t) * 1000)
            if r.status != 200:
                failures.append(f"{path}: {r.status}")
                break
        with lock:
            latencies.extend(own)

    chunks = [paths[i::threads] for i in range(threads)]
    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"the public API refused: {failures[0]}")
    return len(latencies) / elapsed, latencies


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(notices: int, requests: int, threads: int, workers: int, data: Path) -> dict[str, Any]:
    made = seed(notices)
    port = _free_port()
    env = {**os.environ, "NCBNET_PUBLIC_API_PER_MINUTE": "10000000"}
    log = (data / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ncbnet.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *("--workers", str(workers)),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait(port, server)
        rng = random.Random(18)  # noqa: S311 - the bench's queries, not a secret
        pages = max(1, notices // 2 // 20)  # half the notices are red, 20 to a page
        lists = []
        for _ in range(requests):
            query = f"page={rng.randint(1, min(pages, 50))}&resultPerPage=20"
            if rng.random() < 0.3:
                query += f"&nationality={rng.choice(NATIONS)}"
            if rng.random() < 0.2:
                query += f"&name={rng.choice(LAST).lower()}"
            lists.append(f"/notices/v1/red?{query}")
        details = [f"/notices/v1/{c}/{i}" for c, i in (rng.choice(made) for _ in range(requests))]
        _load(port, lists[: max(1, requests // 10)], threads)  # warm up the workers
        list_rps, list_ms = _load(port, lists, threads)
        detail_rps, detail_ms = _load(port, details, threads)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    result = {
        "bench": "public",
        "notices": notices,
        "requests": requests,
        "client_threads": threads,
        "server_workers": workers,
        "list_rps": round(list_rps, 1),
        "list_p95_ms": round(_p95(list_ms), 2),
        "list_median_ms": round(statistics.median(list_ms), 2),
        "detail_rps": round(detail_rps, 1),
        "detail_p95_ms": round(_p95(detail_ms), 2),
        "detail_median_ms": round(statistics.median(detail_ms), 2),
        "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
    }
    print(json.dumps(result), flush=True)
    return result
