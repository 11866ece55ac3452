"""`ncbnet bench screening`: the screening engine at scale, on a hub holding N persons and M travel
documents (synthetic, `demo seed`'s generator), in this process against its database.

- index build: the person candidate index rebuilt from scratch over the N persons (with
  `--keep-index`, the index a run before left on the same data is kept and not timed);
- name search: queries made from persons held, each changed the way names arrive at a border
  (family name first, a letter wrong, a name left out, the native script) and screened with date
  of birth; latency per query, and how often the person queried for was among the results;
- document lookup: single lookups through the API (the full Django stack, in process) and batches
  of 1,000 through the batch API; one number in ten is held (border traffic hits far less often:
  about 1.1 million hits in 5.4 billion searches in 2018);
- manifest: a 10,000-row manifest screened as one job, each row a passenger with a name, a date
  of birth and a travel document number; one passenger in ten is a person held (name changed as
  above), the others new people with the same generator's names.

Hit reports are written as in service (to owners whose keys are unknown here, so they wait unsent).
"""

from __future__ import annotations

import csv
import io
import json
import random
import resource
import secrets
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from ncbnet.bench import cpu


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _vary(rnd: random.Random, name: str) -> str:
    parts = name.split()
    how = rnd.randrange(4)
    if how == 0 and len(parts) > 1:
        return " ".join([parts[-1].upper(), *parts[:-1]])  # family name first, in capitals
    if how == 1:
        word = max(parts, key=len)
        if len(word) > 4:
            i = rnd.randrange(1, len(word) - 1)
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two letters swapped
            return name.replace(word, typo, 1)
    if how == 2 and len(parts) > 2:
        return " ".join([parts[0], parts[-1]])  # a middle name left out
    return name


def _sample(database: str, n: int, rnd: random.Random) -> list[Any]:
    """About n records of the database, picked at random through the primary key's index alone:
    ids are UUIDv7, so a random id between the first and the last record falls among them, and
    the next record of the database at or after it is taken (without loading ten million ids, and
    without a filter on the database that would make the planner scan it)."""
    from ncbnet.records.models import Record

    ids = Record.objects.values_list("pk", flat=True)
    first, last = ids.order_by("pk").first(), ids.order_by("-pk").first()  # PostgreSQL has no MIN(uuid)
    if first is None or last is None:
        return []
    low, high = first.int, last.int
    picked: set[Any] = set()
    for _ in range(n * 100):
        if len(picked) >= n:
            break
        at = uuid.UUID(int=rnd.randint(low, high))
        window = Record.objects.filter(pk__gte=at).order_by("pk").values_list("pk", "database")[:64]
        picked.update(pk for pk, db in window[:64] if db == database)
    return list(Record.objects.filter(pk__in=sorted(picked, key=str)[:n]).order_by())


def _dob_text(data: dict[str, Any]) -> str:
    dob = data.get("date_of_birth") or {}  # by name: PostgreSQL's jsonb keeps no key order
    parts = [dob.get(k) for k in ("year", "month", "day")]
    known = parts[: parts.index(None)] if None in parts else parts
    return "-".join(str(v) if i == 0 else f"{v:02d}" for i, v in enumerate(known))


def run(
    persons: int,
    documents: int,
    queries: int = 300,
    lookups: int = 1000,
    manifest_rows: int = 10_000,
    progress: Callable[[str, int, int], None] | None = None,
    rebuild: bool = True,
) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from ncbnet.core import services as core
    from ncbnet.network import storage
    from ncbnet.records import bulk
    from ncbnet.records.models import Record
    from ncbnet.screening import index, manifests, names, services
    from ncbnet.screening.models import NameKey

    have = {d: Record.objects.filter(database=d).count() for d in ("persons", "documents")}
    bulk.seed(
        max(0, persons - have["persons"]),
        max(0, documents - have["documents"]),
        progress=progress,
        seed_value=2026 + have["persons"] + have["documents"],
    )
    out: dict[str, Any] = {
        "persons": Record.objects.filter(database="persons").count(),
        "documents": Record.objects.filter(database="documents").count(),
        "database": connection.vendor,
    }

    if rebuild or not NameKey.objects.exists():
        start = time.perf_counter()
        out["index_keys"] = index.rebuild(progress=progress, label="index")
        out["index_build_s"] = round(time.perf_counter() - start, 1)
    else:
        out["index_keys"] = NameKey.objects.count()
    storage.checkpoint()  # as a node's network worker does every 5 s: the rebuild's log, copied back
    names.warm()  # as a node's first screening does, once per process

    analyst = core.User.objects.filter(username="bench-analyst").first() or core.create_user(
        None,
        username="bench-analyst",
        password=secrets.token_urlsafe(24),
        kind="gs",
        role="analyst",
        temporary=False,  # the bench signs in through the API, which refuses a temporary password
    )
    rnd = random.Random(7)  # noqa: S311 - reproducible sample, not a secret
    people = _sample("persons", queries, rnd)
    latencies, found = [], 0
    for i, record in enumerate(people):
        name = rnd.choice(record.data["names"])["value"]
        query = _vary(rnd, name)
        dob_text = _dob_text(record.data)
        t = time.perf_counter()
        hits = services.find_persons(analyst, query, services.partial_date(dob_text), "", "", names.THRESHOLD)
        latencies.append((time.perf_counter() - t) * 1000)
        found += any(h.record == str(record.pk) for h in hits)
        if progress and (i + 1) % 50 == 0:
            progress("names", i + 1, len(people))
    if latencies:
        out["name_search_ms"] = {
            q: round(_percentile(latencies, p), 1) for q, p in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
        }
        out["name_search_found_share"] = round(found / len(people), 3)

    client = Client()
    client.force_login(analyst)
    held = [r.data["number"] for r in _sample("documents", lookups // 10, rnd)]
    numbers = [f"ZX{rnd.randrange(10**8):08d}" for _ in range(lookups - len(held))] + held
    rnd.shuffle(numbers)
    out["document_hit_share"] = round(len(held) / lookups, 2)
    if numbers:
        single: list[float] = []
        hit: list[float] = []
        miss: list[float] = []
        cpu_at = cpu.own()
        for number in numbers:
            t = time.perf_counter()
            response = client.post(
                "/api/v1/screening/documents", {"number": number}, content_type="application/json"
            )
            single.append((time.perf_counter() - t) * 1000)
            if response.status_code != 200:
                raise RuntimeError(
                    f"document lookup failed: {response.status_code} {response.content[:200]!r}"
                )
            (hit if response.json()["hits"] else miss).append(single[-1])
        used = cpu.own() - cpu_at
        # The p99 of one lookup in ten a hit is a hit's latency: each kind's median beside it, and
        # this process's CPU a lookup (the database server's is not in it).
        out["document_lookup_ms"] = {
            "p50": round(_percentile(single, 0.5), 2),
            "p99": round(_percentile(single, 0.99), 2),
            "hit_p50": round(_percentile(hit, 0.5), 2) if hit else None,
            "miss_p50": round(_percentile(miss, 0.5), 2) if miss else None,
            "cpu_per_lookup": round(used * 1000 / len(numbers), 2),
        }
        batch = [{"number": n} for n in numbers[:1000]]
        # 20 batches: long enough that a full collection of the garbage collector (about 0.4 s with the
        # name data loaded) falls in the measure in proportion, not all or nothing as over 5.
        rounds = max(1, 20_000 // len(batch))
        t = time.perf_counter()
        for _ in range(rounds):
            response = client.post(
                "/api/v1/screening/documents/batch", {"documents": batch}, content_type="application/json"
            )
            if response.status_code != 200:
                raise RuntimeError(f"batch lookup failed: {response.status_code}")
        out["document_lookups_per_s_batched"] = round(rounds * len(batch) / (time.perf_counter() - t))

    # Passengers as an airline's manifest gives them: name, date of birth, document number. One in
    # ten is a person held (name changed as above); the others are new people from the same
    # generator, so with the same names, born on other days.
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["name", "date_of_birth", "document_number"])
    for i in range(manifest_rows):
        if i % 10 == 0 and people:
            data = people[(i // 10) % len(people)].data
            name = _vary(rnd, data["names"][0]["value"])
        else:
            data = bulk.person(rnd)
            name = data["names"][-1]["value"]
        writer.writerow([name, _dob_text(data), numbers[i % len(numbers)] if numbers else f"ZX{i:08d}"])
    t = time.perf_counter()
    before = cpu.own(), cpu.children()
    job = manifests.submit(analyst, "bench.csv", rows.getvalue().encode(), {"reason": "benchmark"})
    manifests.run(job, analyst, progress=progress)
    elapsed = time.perf_counter() - t
    # CPU seconds of this process (which writes each chunk's rows and hit reports, and screens them
    # itself when it runs alone) and of the screening processes it forked (counted once they ended).
    out["manifest_cpu_s"] = {
        "writer": round(cpu.own() - before[0], 1),
        "screeners": round(cpu.children() - before[1], 1),
    }
    out["manifest_rows"] = manifest_rows
    out["manifest_rows_with_hits"] = job.hits
    out["manifest_s"] = round(elapsed, 1)
    out["manifest_rows_per_s"] = round(manifest_rows / elapsed)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["mean_name_ms"] = round(statistics.fmean(latencies), 1) if latencies else None
    return out


def main(
    persons: int,
    documents: int,
    progress: Callable[[str, int, int], None] | None = None,
    rebuild: bool = True,
    lookups: int = 1000,
    manifest_rows: int = 10_000,
) -> None:
    figures = run(
        persons, documents, lookups=lookups, manifest_rows=manifest_rows, progress=progress, rebuild=rebuild
    )
    print(json.dumps(figures), flush=True)
