"""Scale data for the hub: millions of synthetic persons and travel documents, written in
batches (one transaction, one version row per record and one audit entry per batch), with
progress. For demos and benchmarks; refused in production. The nodes on the network receive the
records they may see from a feed job (`records.feed`), in chunks, after each batch is written;
nodes that join later get them in their snapshot."""

from __future__ import annotations

import dataclasses
import json
import random
import string
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.dispatch import Signal

from ncbnet.base import audit, clock, holdings, iccs, tally
from ncbnet.base.dates import add_years
from ncbnet.base.ids import uuid7
from ncbnet.network.envelope import new_id

from . import feed, tables, tallies
from .models import Record, RecordVersion
from .schemas import DocumentData, PersonData, Strict
from .services import label_and_key

NAMES_FILE = Path(__file__).resolve().parent / "data" / "demo_names.json"
OWNERS = ("FR", "BR", "KE")
Progress = Callable[[str, int, int], None]
# Sent with persons=[(id, data), …] after each batch of persons written in bulk (for the indexes
# that other apps keep of persons, such as screening's).
persons_written = Signal()


@cache
def cultures() -> list[dict[str, Any]]:
    return list(json.loads(NAMES_FILE.read_text("utf-8"))["cultures"])


def _join(parts: list[str], separator: str) -> str:
    return separator.join(p for p in parts if p)


def person(rnd: random.Random) -> dict[str, Any]:
    """One synthetic person: a name in its own script and its Latin form, sometimes an alias."""
    c = rnd.choice(cultures())
    sex = rnd.choice("MF")
    given = rnd.choice([g for g in c["given"] if g.get("sex") == sex] or c["given"])
    family = rnd.choice(c["family"])
    fam_native = family.get("native_f", family["native"]) if sex == "F" else family["native"]
    fam_latin = family.get("latin_f", family["latin"]) if sex == "F" else family["latin"]
    native_parts = (
        [given["native"], fam_native] if c["order"] == "given_family" else [fam_native, given["native"]]
    )
    latin_parts = (
        [given["latin"], fam_latin] if c["latin_order"] == "given_family" else [fam_latin, given["latin"]]
    )
    names = [{"value": _join(native_parts, c["separator"]), "script": c["script"], "kind": "primary"}]
    latin = _join(latin_parts, " ")
    if c["script"] != "Latn":
        names.append({"value": latin, "script": "Latn", "kind": "latin"})
    if rnd.random() < 0.1:
        names.append({"value": _join(list(reversed(latin_parts)), " "), "script": "Latn", "kind": "alias"})
    dob: dict[str, int | None] = {"year": rnd.randint(1950, 2006), "month": None, "day": None}
    if rnd.random() < 0.85:
        dob["month"] = rnd.randint(1, 12)
        if rnd.random() < 0.85:
            dob["day"] = rnd.randint(1, 28)
    return {
        "names": names,
        "date_of_birth": dob,
        "sex": sex,
        "nationalities": [rnd.choice(c["countries"])],
        "distinguishing_marks": "",
        "photos": [],
    }


DOCUMENT_TYPES = ("passport", "passport", "passport", "id_card", "visa", "residence_permit")
DOCUMENT_STATES = ("stolen", "lost", "lost", "revoked", "invalidated")
ISSUERS = ("DE", "ES", "NG", "IN", "CN", "US")


def document(rnd: random.Random, owner: str) -> dict[str, Any]:
    """One synthetic travel document: two letters and seven digits, its type, issuer (its owner
    one time in four), status and date, each drawn evenly from one random 96-bit number (ten
    million of them are seeded for a benchmark: a draw each cost four times as much)."""
    r = rnd.getrandbits(96)
    r, first = divmod(r, 26)
    r, second = divmod(r, 26)
    r, digits = divmod(r, 10_000_000)
    r, kind = divmod(r, len(DOCUMENT_TYPES))
    r, issuer = divmod(r, len(ISSUERS) + 2)
    r, status = divmod(r, len(DOCUMENT_STATES))
    r, year = divmod(r, 11)
    r, month = divmod(r, 12)
    day = r % 28
    return {
        "number": f"{string.ascii_uppercase[first]}{string.ascii_uppercase[second]}{digits:07d}",
        "type": DOCUMENT_TYPES[kind],
        "issuing_country": owner if issuer < 2 else ISSUERS[issuer - 2],
        "status": DOCUMENT_STATES[status],
        "date": f"{2016 + year}-{month + 1:02d}-{day + 1:02d}",
    }


# Past this many records written at once, the planner's statistics of the tables are taken again.
ANALYZE_AFTER = 50_000
SCHEMA: dict[str, type[Strict]] = {"persons": PersonData, "documents": DocumentData}


def seed(
    persons: int = 0,
    documents: int = 0,
    batch: int = 5000,
    progress: Progress | None = None,
    seed_value: int = 2026,
    source: str | None = None,
) -> dict[str, int]:
    """Write `persons` and `documents` synthetic records in batches; the feed job named `source`
    (one per call) sends them to the nodes on the network."""
    if settings.NCBNET_MODE == "production":
        raise PermissionError("demo data is refused in production mode")
    if not holdings.here().keeps_originals:
        raise PermissionError("scale data is written at the hub, which keeps the global databases")
    rnd = random.Random(seed_value)
    source = source or f"seed:{new_id()}"
    counts = {}
    for database, total in (("persons", persons), ("documents", documents)):
        done = 0
        while done < total:
            n = min(batch, total - done)
            _batch(database, n, rnd, source)
            done += n
            if progress is not None:
                progress(database, done, total)
        counts[database] = done
    if persons + documents >= ANALYZE_AFTER:
        tables.here().analyze(Record, RecordVersion)
    return counts


RECORD_COLUMNS = (
    "id", "database", "owner", "label", "key", "data", "version", "access", "handling",
    "handling_note", "notify_on_view", "created_at", "updated_at", "retain_until",
)  # fmt: skip
VERSION_COLUMNS = (
    "record_id",
    "version",
    "data",
    "restriction",
    "changed_by",
    "changed_by_country",
    "reason",
    "at",
)


def _batch(database: str, n: int, rnd: random.Random, source: str) -> None:
    """One batch, each table in one statement (`tables`: `executemany` on SQLite, `COPY` on
    PostgreSQL): the ORM's per-field preparation costs more than the data."""
    now = clock.now()
    ops = connection.ops
    # As text, once a batch (on PostgreSQL, `COPY` formats a datetime again for every row).
    at = str(ops.adapt_datetimefield_value(now))
    retain = str(ops.adapt_datetimefield_value(add_years(now, 5)))
    uuid_db = Record._meta.pk.get_db_prep_value
    records, versions, ids, persons, written = [], [], [], [], []
    counted: Counter[tuple[str, str]] = Counter()
    for i in range(n):
        owner = OWNERS[rnd.randrange(len(OWNERS))]
        data = person(rnd) if database == "persons" else document(rnd, owner)
        if i == 0:  # the generator's output is checked against the schema once per batch
            checked = SCHEMA[database].model_validate(data).model_dump(mode="json")
            if checked != data:
                raise ValueError(f"the {database} generator drifted from its schema: {checked} != {data}")
        label, key = label_and_key(database, data)
        counted[owner, iccs.of(data)] += 1
        written.append(uuid7())  # what `new_id` writes, without going through its text
        pk = uuid_db(written[-1], connection)
        text = json.dumps(data)  # as Django writes a JSON field (other scripts escaped: twice as fast)
        ids.append(pk)
        if database == "persons":
            persons.append((pk, data))
        records.append(
            (pk, database, owner, label[:300], key, text, 1, "all", "H0", "", False, at, at, retain)
        )
        versions.append((pk, 1, text, '{"access": "all"}', "demo-seed", owner, "scale demo data", at))
    store = tables.here()
    with transaction.atomic():
        store.write(Record._meta.db_table, RECORD_COLUMNS, records)
        store.write(RecordVersion._meta.db_table, VERSION_COLUMNS, versions)
        if persons:  # raw inserts bypass post_save: say what was written, in this transaction
            persons_written.send(sender=Record, persons=persons)
        audit.record(
            "records.bulk_seed",
            subject="GS",
            detail={"database": database, "count": n, "first": str(ids[0]), "last": str(ids[-1])},
        )
        # one count a batch: a count for each owner and category, as a record contributed alone
        tally.count_all(
            dataclasses.replace(tallies.contributed(owner, database, {"iccs": code}, "all", now), n=n)
            for (owner, code), n in counted.items()
        )
        feed.wrote(source, f"demo seed ({source.removeprefix('seed:')})", written)
