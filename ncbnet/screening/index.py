"""Keeping the person candidate index in step with the persons this node holds, and reading it.

Every token of every name (`names.key_tokens`, in each of its readings, and as written in one
word where the name writes it in several) gives keys: its spelling skeleton, its consonants
(vowels written otherwise, or not at all in Arabic and Hebrew script), its first and last three
letters (one typo leaves one of them whole), and each Wikidata name item it is a form of
(`rigour`: Zhang and Chang, מיכל and Michal) unless it is a form of more than `SYMBOLS_KEYED`.
The skeleton, the consonants and the name items are also kept stamped with the date of birth
(`record_stamps`: the year, and the full date, or the year and month or the year marked partial;
"?" when unknown), so that a query with a date of birth reads only the records whose date can
agree with it.
Particles and initials give none. A candidate is a record sharing keys with the query, ranked by
how many, read with its card (`card`: its names and what the qualifiers weigh), so that a search
reads no record but its hits.

The subjects of the notices this node holds (`holdings.every_notice`: published notices at the
hub; on a node, the notices and diffusions it received) are indexed alike, with their keys marked
`NOTICE` so that they are searched apart from the records and never crowd them out; a notice whose
subject is a persons record also keys that record's id (`RECORD_OF_NOTICE`), so that a hit on the
record finds the notices out for it in one read of the index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ncbnet.base import holdings, warmup
from ncbnet.notices.models import Notice, ReplicaNotice, State
from ncbnet.records import tables
from ncbnet.records.bulk import persons_written
from ncbnet.records.models import Record, ReplicaRecord
from ncbnet.records.snapshot import deferring_indexes

from . import names
from .models import Card, NameKey

CANDIDATES = 100
NOTICE_CANDIDATES = 20
NOTICE = "!"  # the mark of a notice subject's keys
RECORD_OF_NOTICE = NOTICE + "r"  # a notice's key naming its subject's record (its id in hex)
warmup.register("the name data for the person index")(names.warm)
SHARE_OF_BEST = 0.6
# A word that is a form of more Wikidata name items than this (Yi, Li, a Chinese syllable in
# its own script) gets no name-item keys: they would each hold a crowd.
SYMBOLS_KEYED = 3


def keys(name: str, stamps: Iterable[int | str] = ()) -> set[str]:
    """The name's blocking keys; with date stamps (`record_stamps`), also each token's skeleton,
    consonants and name items with each stamp."""
    out = set()
    for t in (t for reading in names.readings(name) for t in names.key_tokens(reading)):
        if len(t.symbols) <= SYMBOLS_KEYED:  # one name in other languages and scripts
            for symbol in t.symbols:
                out.add("n" + symbol)
                for stamp in map(str, stamps):
                    out.add(f"q{stamp}{symbol}"[:32])
        if len(t.text) < 2:
            continue
        out.add("s" + t.key[:31])
        if len(t.consonants) >= 2:
            out.add("c" + t.consonants[:31])
        if len(t.key) >= 5:
            out.add("<" + t.key[:3])
            out.add(">" + t.key[-3:])
        for stamp in map(str, stamps):
            out.add(f"y{stamp}{t.key[: 31 - len(stamp)]}")
            if len(t.consonants) >= 2:
                out.add(f"z{stamp}{t.consonants[: 31 - len(stamp)]}")
    return out


def _full(dob: dict[str, Any]) -> dt.date | None:
    try:
        return dt.date(int(dob["year"]), int(dob["month"]), int(dob["day"]))
    except (KeyError, TypeError, ValueError):
        return None


def record_stamps(dob: dict[str, Any] | None) -> list[str]:
    """How a record's date of birth marks its keys: its year ("1980"), and its full date
    ("19800512") or, when it has no full date, its year and month marked partial ("198005~") or
    its year marked partial ("1980~"); "?" when the year is unknown."""
    year = (dob or {}).get("year")
    if not year:
        return ["?"]
    full = _full(dob or {})
    if full:
        return [str(int(year)), full.strftime("%Y%m%d")]
    month = (dob or {}).get("month")
    return [str(int(year)), f"{int(year)}{int(month):02d}~" if month else f"{int(year)}~"]


def query_stamps(dob: dict[str, Any]) -> list[str]:
    """The stamps of the records whose date of birth can agree with the query's
    (`services.qualifiers`). With a full date: the same date, day and month swapped, the year one
    off; a record known by its year and month, the same month a year either side; by its year
    alone, a year either side; not known at all. With a year alone (or a year and a month), that
    year or one either side, or unknown. A record reached is one the qualifier keeps (with a full
    date, exactly those)."""
    year = int(dob["year"])
    full = _full(dob)
    if full is None:
        return [str(year - 1), str(year), str(year + 1), "?"]
    dates = {full}
    for y, m, d in (
        (year, full.day, full.month),
        (year - 1, full.month, full.day),
        (year + 1, full.month, full.day),
    ):
        with contextlib.suppress(ValueError):  # no such date (a day above 12 as a month, 29 February)
            dates.add(dt.date(y, m, d))
    years = (year - 1, year, year + 1)
    return [
        *sorted(d.strftime("%Y%m%d") for d in dates),
        *(f"{y}{full.month:02d}~" for y in years),
        *(f"{y}~" for y in years),
        "?",
    ]


def record_keys(data: dict[str, Any]) -> set[str]:
    stamps = record_stamps(data.get("date_of_birth"))
    return set().union(*(keys(n["value"], stamps) for n in data.get("names", [])))


def card(data: dict[str, Any]) -> dict[str, Any]:
    """What a search weighs of a person besides the keys (`services.qualifiers`)."""
    return {
        "names": [n["value"] for n in data.get("names", [])],
        "date_of_birth": data.get("date_of_birth"),
        "sex": data.get("sex", "U"),
        "nationalities": data.get("nationalities") or [],
    }


def add_keys(cards: Iterable[tuple[int, dict[str, Any]]], store: tables.Tables | None = None) -> int:
    """Write the keys of person records by their cards (card id, record data) in one statement per
    batch (`tables`: a `COPY` on PostgreSQL); returns keys written."""
    rows = ((k, pk) for pk, data in cards for k in sorted(record_keys(data)))
    with transaction.atomic(savepoint=False):
        return (store or tables.here()).write(NameKey._meta.db_table, ("key", "card_id"), rows)


def add(pairs: Iterable[tuple[Any, dict[str, Any]]], store: tables.Tables | None = None) -> int:
    """Index new person records (id, data): their cards and keys, each table in one statement (a
    `COPY` on PostgreSQL), through `store` (a rebuild's); returns keys written. All or nothing,
    within the caller's transaction if there is one."""
    pairs = list(pairs)
    if not pairs:
        return 0
    store = store or tables.here()
    record_id = Card._meta.get_field("record_id")
    with transaction.atomic(savepoint=False):
        ids = store.new_ids(Card, len(pairs))
        store.write(
            Card._meta.db_table,
            ("id", "record_id", "data"),
            (
                (i, record_id.get_db_prep_value(pk, connection), json.dumps(card(data)))
                for i, (pk, data) in zip(ids, pairs, strict=True)
            ),
        )
        return add_keys(zip(ids, (data for _, data in pairs), strict=True), store)


def replace(pk: Any, data: dict[str, Any] | None) -> None:
    """The record's keys and card as its data now says (none when it is gone)."""
    with transaction.atomic():
        NameKey.objects.filter(card__in=Card.objects.filter(record_id=pk)).delete()
        Card.objects.filter(record_id=pk).delete()
        if data is not None:
            add([(pk, data)])


def rebuild(
    progress: Callable[[str, int, int], None] | None = None, batch: int = 5000, label: str = "persons"
) -> int:
    """Index every person this node holds from scratch (after an upgrade, or to measure the build):
    loaded the fastest way the database has (`tables.rebuilding`: on PostgreSQL, in one
    transaction, by `COPY`, with the indexes built after the load)."""
    persons = holdings.here().every("persons")
    total = persons.count()
    store = tables.here()
    done = written = 0
    with store.rebuilding(NameKey, Card) as load:
        for chunk in store.pages(persons, ("pk", "data"), batch):
            written += add(chunk, load)
            done += len(chunk)
            if progress:
                progress(label, done, total)
    if progress and not done:
        progress(label, done, total)
    index_notices()
    return written


def analyze() -> None:
    """After the whole index is written at once: PostgreSQL's planner has no statistics of it
    until then (without them, a search scanned the 27M keys: about 1 s)."""
    tables.here().analyze(NameKey, Card)


def pages(persons: Any, size: int) -> Iterable[list[tuple[Any, dict[str, Any]]]]:
    """The persons (id, data), a page at a time (`tables.pages`)."""
    return tables.here().pages(persons, ("pk", "data"), size)


class Candidate(NamedTuple):
    found: Any  # the record's id as the database gives it: made a UUID only for a hit (`record_id`)
    card: dict[str, Any]  # `card`

    @property
    def record_id(self) -> uuid.UUID:
        return Card._meta.get_field("record_id").to_python(self.found)


def candidates(
    name: str, limit: int = CANDIDATES, dob: dict[str, Any] | None = None, mark: str = ""
) -> list[Candidate]:
    """The records sharing the most keys with the name, most first, with their cards, and at least
    three fifths as many as the best (a record sharing one name of two with the query shares
    half its keys; one written in another script shares about one key a name, so the best is
    low too).

    With a date of birth (or a year), only the keys of a token with a date stamp whose date of
    birth can agree (`query_stamps`): records born on other days would fail the date of birth
    qualifier anyway, among many people of one name they would crowd out the one sought, and
    these keys are rare, so the search reads a few index entries instead of tens of thousands.
    A record is then found through any one name token written alike (or with the same
    consonants, or a form of the same name)."""
    return candidates_many([(name, dob)], limit, mark)[0]


def _wanted(name: str, dob: dict[str, Any] | None, mark: str) -> list[str]:
    if dob and dob.get("year"):
        wanted = sorted(k for k in keys(name, query_stamps(dob)) if k[0] in "yzq")
    else:
        wanted = sorted(keys(name))
    return [mark + k[: 32 - len(mark)] for k in wanted]


def _candidates(wanted: list[str], limit: int) -> list[Candidate]:
    """The candidates of one name by its keys (`candidates`)."""
    if not wanted:
        return []
    marks = ", ".join(["%s"] * len(wanted))
    sql = (
        "WITH found AS ("  # noqa: S608 - placeholders only
        f'SELECT card_id, COUNT(*) AS n FROM screening_namekey WHERE "key" IN ({marks}) '
        "GROUP BY card_id ORDER BY COUNT(*) DESC, card_id LIMIT %s) "
        "SELECT card.record_id, card.data FROM found JOIN screening_card card ON card.id = found.card_id "
        "WHERE found.n >= %s * (SELECT MAX(n) FROM found) ORDER BY found.n DESC, found.card_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*wanted, limit, SHARE_OF_BEST])
        rows = cursor.fetchall()
    # Both backends give a JSON column's text as it is (Django decodes it in `from_db_value`).
    return [Candidate(found, json.loads(card)) for found, card in rows]


def candidates_many(
    queries: Sequence[tuple[str, dict[str, Any] | None]], limit: int = CANDIDATES, mark: str = ""
) -> list[list[Candidate]]:
    """`candidates` of each (name, date of birth), in order: where a statement costs a round trip
    to the database server (`tables.Tables.round_trips`), a batch in one statement for them all (a
    manifest's chunk: one round trip rather than one a passenger); otherwise, and for one name,
    a statement each (SQLite, in process, reads each name's keys faster on its own)."""
    if len(queries) <= 1 or not tables.here().round_trips:
        return [_candidates(_wanted(name, dob, mark), limit) for name, dob in queries]
    pairs = [(q, key) for q, (name, dob) in enumerate(queries) for key in _wanted(name, dob, mark)]
    out: list[list[Candidate]] = [[] for _ in queries]
    if not pairs:
        return out
    wanted, params = tables.here().rows_of((("q", "integer"), ("wkey", "text")), pairs)
    # Each name's cards counted on their own (a `LATERAL` subquery a name: a few hundred keys'
    # rows grouped in memory), not all names' (name, card) pairs grouped and ranked at once, which
    # at 1M persons grouped 270,000 pairs a chunk of 500 names and took twice as long (0.36 s
    # against 0.62 to 0.69 s, the same cards in the same order).
    sql = (
        f"WITH wanted AS ({wanted}), "  # noqa: S608 - placeholders only
        "asked AS (SELECT q, array_agg(wkey) AS keys FROM wanted GROUP BY q), "
        "top AS (SELECT asked.q, t.card_id, t.n, MAX(t.n) OVER (PARTITION BY asked.q) AS most "
        "FROM asked, LATERAL (SELECT k.card_id, COUNT(*) AS n FROM screening_namekey k "
        'WHERE k."key" = ANY(asked.keys) GROUP BY k.card_id ORDER BY COUNT(*) DESC, k.card_id LIMIT %s) t) '
        # Each card read by its id (a plain join let PostgreSQL's planner read every card into a hash).
        "SELECT top.q, c.record_id, c.data FROM top "
        "JOIN LATERAL (SELECT record_id, data FROM screening_card WHERE id = top.card_id) c ON true "
        "WHERE top.n >= %s * top.most ORDER BY top.q, top.n DESC, top.card_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, SHARE_OF_BEST])
        rows = cursor.fetchall()
    # Both backends give a JSON column's text as it is (Django decodes it in `from_db_value`).
    for q, found, data in rows:
        out[q].append(Candidate(found, json.loads(data)))
    return out


def notice_candidates(name: str, dob: dict[str, Any] | None = None) -> list[Candidate]:
    """The notice subjects sharing the most keys with the name (as `candidates`), with their cards
    (`notice_card`): the card's `notice` says which notice."""
    return candidates(name, NOTICE_CANDIDATES, dob, mark=NOTICE)


def notice_candidates_many(queries: Sequence[tuple[str, dict[str, Any] | None]]) -> list[list[Candidate]]:
    """`notice_candidates` of each (name, date of birth), in one statement."""
    return candidates_many(queries, NOTICE_CANDIDATES, mark=NOTICE)


def _record_key(record_id: Any) -> str:
    return (RECORD_OF_NOTICE + uuid.UUID(str(record_id)).hex)[:32]


def notices_on(record_ids: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """The cards of the notices whose subject is one of these records, by the record's id."""
    wanted = {_record_key(pk): str(pk) for pk in record_ids}
    if not wanted:
        return {}
    found: dict[str, list[dict[str, Any]]] = {}
    rows = Card.objects.filter(
        pk__in=NameKey.objects.filter(key__in=list(wanted)).values("card_id")
    ).values_list("record_id", "data")
    for notice_id, data in rows:
        of = data.get("notice") or {}
        if of.get("record") in wanted.values():
            found.setdefault(of["record"], []).append({**data, "id": str(notice_id)})
    return found


def notice_card(notice: Any) -> tuple[dict[str, Any], set[str]] | None:
    """What a search weighs of a notice's subject (as `card`, with the notice it comes from) and
    its keys, or None when the notice names no person. A subject given only as a record (at the
    hub, before the record's identity is copied into the notice) is read from that record."""
    data = notice.data if isinstance(notice.data, dict) else {}
    subject = data.get("subject") if isinstance(data.get("subject"), dict) else None
    if subject is None:
        return None
    record = str(subject.get("record_id") or "")
    person = subject
    if not subject.get("names") and record:
        held = holdings.here().every("persons").filter(pk=_uuid(record)).values_list("data", flat=True)
        person = next(iter(held), None) or subject
    made = card(person)
    if not made["names"] and not record:
        return None
    made["notice"] = {"kind": notice.kind, "owner": notice.owner, "title": notice.title, "record": record}
    marked = {NOTICE + k[:31] for k in record_keys(person)}
    if _uuid(record) is not None:
        marked.add(_record_key(record))
    return made, marked


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def replace_notice(notice_id: Any, notice: Any | None) -> None:
    """The notice's subject in the index as the notice now says (none when it is gone)."""
    with transaction.atomic():
        NameKey.objects.filter(card__in=Card.objects.filter(record_id=notice_id)).delete()
        Card.objects.filter(record_id=notice_id).delete()
        made = notice_card(notice) if notice is not None else None
        if made is not None:
            data, marked = made
            c = Card.objects.create(record_id=notice_id, data=data)
            NameKey.objects.bulk_create([NameKey(key=k, card=c) for k in sorted(marked)])


def index_notices() -> int:
    """Index the subject of every notice this node holds (after `rebuild` cleared the index)."""
    n = 0
    for notice in holdings.here().every_notice():
        replace_notice(notice.pk, notice)
        n += 1
    return n


@receiver(post_save, sender=Notice)
def notice_saved(sender: Any, instance: Notice, **kwargs: Any) -> None:
    """At the hub, a notice is searched while it is published."""
    if holdings.here().keeps_originals:
        replace_notice(instance.pk, instance if instance.state == State.PUBLISHED else None)


@receiver(post_save, sender=ReplicaNotice)
def replica_notice_saved(sender: Any, instance: ReplicaNotice, **kwargs: Any) -> None:
    replace_notice(instance.pk, instance)


@receiver(post_delete, sender=ReplicaNotice)
def replica_notice_removed(sender: Any, instance: ReplicaNotice, **kwargs: Any) -> None:
    replace_notice(instance.pk, None)


@receiver(post_save, sender=Record)
def record_saved(sender: Any, instance: Record, **kwargs: Any) -> None:
    if instance.database == "persons":
        live = instance.deleted_at is None and instance.blocked_at is None
        replace(instance.pk, instance.data if live else None)


@receiver(post_save, sender=ReplicaRecord)
def replica_saved(sender: Any, instance: ReplicaRecord, **kwargs: Any) -> None:
    if instance.database == "persons":
        replace(instance.pk, instance.data)


@receiver(deferring_indexes, sender=ReplicaRecord)
def defer_keys(sender: Any, **kwargs: Any) -> list[str]:
    """A node's first load: the keys' index by key dropped until it is whole (the one by card is
    kept: a change from the feed meanwhile removes a card's keys by it)."""
    return tables.here().defer_indexes(NameKey, keep=("card_id",))


@receiver(persons_written, sender=Record)
def bulk_written(sender: Any, persons: list[tuple[Any, dict[str, Any]]], **kwargs: Any) -> None:
    add(persons)


@receiver(persons_written, sender=ReplicaRecord)
def replica_bulk_written(sender: Any, persons: list[tuple[Any, dict[str, Any]]], **kwargs: Any) -> None:
    """On a node, the persons of a snapshot's chunk, written in bulk in its transaction."""
    add(persons)


@receiver(post_delete, sender=ReplicaRecord)
def replica_removed(sender: Any, instance: ReplicaRecord, **kwargs: Any) -> None:
    replace(instance.pk, None)


@receiver(post_delete, sender=Record)
def record_purged(sender: Any, instance: Record, **kwargs: Any) -> None:
    """At the hub, a record purged at the end of its retention leaves the index with its card."""
    if instance.database == "persons":
        replace(instance.pk, None)
