"""Writing and reading tables in bulk, each backend its fastest way, behind one small interface
(`here()`): the records' bulk writes (`bulk`) and the screening index (`screening.index`) call it
and never ask which database they are on.

- SQLite (the embedded default) is in this process: a statement costs no round trip, so many rows
  go in through `executemany` in the caller's transaction, and a list of keys is looked up with
  `IN (…)`.
- PostgreSQL (the production hub) is a server: rows go in through `COPY` (psycopg's
  `cursor.copy`), a table rebuilt from scratch is loaded without its secondary indexes and they are
  built once after the load, then `ANALYZE` gives the planner its statistics; a long read streams
  through a server-side cursor; a list of keys is one array parameter (`= ANY(%s)`), one plan
  whatever its length.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, Protocol

from django.db import connection, models, transaction
from django.db.models import Lookup


class Tables(Protocol):
    round_trips: bool  # a statement costs a round trip to a server: send a batch as one

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert the rows (values in the database's own form: `Field.get_db_prep_value`, JSON as
        text) inside the caller's transaction; returns how many."""
        ...

    def new_ids(self, model: type[models.Model], n: int) -> list[int]:
        """`n` ids of the model's auto-increment primary key that no other writer will take, for
        rows written with `write` that other rows name."""
        ...

    def rebuilding(self, *models_: type[models.Model]) -> contextlib.AbstractContextManager[Tables]:
        """Empty these tables and load them again inside the block, through the `Tables` it gives
        (in one transaction where that pays, so that readers see the old rows until the new ones
        are whole)."""
        ...

    def defer_indexes(self, model: type[models.Model], keep: Collection[str] = ()) -> list[str]:
        """Inside the caller's transaction, drop the model's secondary indexes (and, where the
        database can, its unique constraints), all but those whose first column is in `keep`
        (what the load itself reads by); returns the statements that build them again as they
        were (`build_indexes`). For a big load into an empty table: each index built once after
        it, in one pass, instead of kept up to date row by row at random places."""
        ...

    def build_indexes(self, statements: Sequence[str]) -> None:
        """Run statements from `defer_indexes` (inside the caller's transaction), and give the
        planner its statistics of the tables they index."""
        ...

    def pages(self, rows: models.QuerySet[Any], fields: Sequence[str], size: int) -> Iterator[list[Any]]:
        """The queryset's `fields` (as `values_list`), a page of `size` at a time."""
        ...

    def analyze(self, *models_: type[models.Model]) -> None:
        """Give the planner its statistics after a big load."""
        ...

    def roomy(self) -> None:
        """Before a big write into indexed tables that grow (a snapshot's chunk): room for their
        indexes' pages in memory, for this connection."""
        ...

    def audit_only_commit(self) -> None:
        """Inside a transaction of its own that writes only the audit of a read and what it found:
        commit without waiting for the disk (see `Postgres.audit_only_commit`)."""
        ...

    def rows_of(
        self, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> tuple[str, list[Any]]:
        """A SELECT giving `rows` as a table of `columns` (name, PostgreSQL type), and its
        parameters: a batch of values a statement joins on, sent as one or two parameters."""
        ...


class SQLite:
    """In process: `executemany`, pages read one at a time by id."""

    round_trips = False

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        rows = list(rows)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608 - names from models
        return len(rows)

    def new_ids(self, model: type[models.Model], n: int) -> list[int]:
        """Taken from `sqlite_sequence` (the AUTOINCREMENT counter) in the caller's write
        transaction (the node's transactions take the write lock as they begin: IMMEDIATE)."""
        table = model._meta.db_table
        if not connection.in_atomic_block:
            raise RuntimeError("ids are reserved inside the transaction that writes them")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - a model's table
            highest = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0)
            if row:
                cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [start + n, table])
            else:
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, start + n])
        return list(range(start + 1, start + n + 1))

    @contextlib.contextmanager
    def rebuilding(self, *models_: type[models.Model]) -> Iterator[Tables]:
        """Emptied, then loaded a page per transaction by the caller: no read stays open across
        the writes, so the write-ahead log starts over after each checkpoint instead of growing
        by the whole load."""
        for model in models_:
            model._base_manager.all().delete()
        yield self

    def defer_indexes(self, model: type[models.Model], keep: Collection[str] = ()) -> list[str]:
        """The indexes made by `CREATE INDEX` (SQLite keeps their statements; a primary key's or a
        table constraint's cannot be dropped, and has none)."""
        table = model._meta.db_table
        again = []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL ORDER BY name",
                [table],
            )
            for name, statement in cursor.fetchall():
                cursor.execute(f"PRAGMA index_info({connection.ops.quote_name(name)})")
                first = cursor.fetchone()
                if first is not None and first[2] in keep:
                    continue
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                again.append(statement)
        return again

    def build_indexes(self, statements: Sequence[str]) -> None:
        """With the page cache of a big write (`roomy`): SQLite sorts the keys in it."""
        self.roomy()
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def pages(self, rows: models.QuerySet[Any], fields: Sequence[str], size: int) -> Iterator[list[Any]]:
        """Each page read on its own, by id (a filter on the database would have SQLite scan them
        all for every page)."""
        ids = list(rows.order_by().values_list("pk", flat=True))
        by_id = rows.model._base_manager.order_by()
        for start in range(0, len(ids), size):
            yield list(by_id.filter(pk__in=ids[start : start + size]).values_list(*fields))

    def analyze(self, *models_: type[models.Model]) -> None:
        """SQLite plans by its indexes alone (no `ANALYZE` is ever run here)."""

    def roomy(self) -> None:
        """A page cache of `SQLITE_CACHE` instead of SQLite's 2 MB: the rows of a chunk go into
        four indexes each (the id, the key, the database and key, the folded key), whose pages
        are then read from the disk once, not once a row."""
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE // 1024}")

    def audit_only_commit(self) -> None:
        """Already so: the write-ahead log is synced at checkpoints, not at each commit
        (`synchronous=NORMAL`, settings)."""

    def rows_of(
        self, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> tuple[str, list[Any]]:
        """One JSON parameter, read by `json_each`."""
        picks = ", ".join(f"json_extract(value, '$[{i}]') AS {name}" for i, (name, _) in enumerate(columns))
        return f"SELECT {picks} FROM json_each(%s)", [json.dumps(rows)]  # noqa: S608 - names from the caller


# The page cache a connection writing a big chunk gets (`SQLite.roomy`).
SQLITE_CACHE = 256 * 1024 * 1024
# Between the values of a column sent as one text (`Postgres.rows_of`): the unit separator.
SEPARATOR = "\x1f"
# What `rebuilding` gives PostgreSQL to build the indexes again after the load.
MAINTENANCE_WORK_MEM = "1GB"


class Postgres:
    """A server: `COPY`, indexes built after the load, `ANALYZE`, server-side cursors."""

    round_trips = True

    def write(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        n = 0
        statement = f"COPY {table} ({names}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n

    def new_ids(self, model: type[models.Model], n: int) -> list[int]:
        table = model._meta.db_table
        column = model._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, n],
            )
            return [row[0] for row in cursor.fetchall()]

    @contextlib.contextmanager
    def rebuilding(self, *models_: type[models.Model]) -> Iterator[Tables]:
        """In one transaction: the tables truncated, their secondary indexes and unique
        constraints dropped, the caller's load, then each index built again in one pass over the
        loaded rows (far faster than keeping it up to date row by row). Then, once committed,
        `VACUUM ANALYZE`: the planner's statistics, and the map of the pages every transaction
        sees whole, without which a search visits each row its index names to check that it is
        visible (inside a caller's transaction, where no `VACUUM` runs, `ANALYZE` alone)."""
        tables = [m._meta.db_table for m in models_]
        outermost = not connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
            again: list[str] = []
            for table in tables:
                again += _drop_secondary(cursor, table)
            yield self
            for statement in again:
                cursor.execute(statement)
            if not outermost:
                cursor.execute(f"ANALYZE {', '.join(tables)}")
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")

    def defer_indexes(self, model: type[models.Model], keep: Collection[str] = ()) -> list[str]:
        with connection.cursor() as cursor:
            return _drop_secondary(cursor, model._meta.db_table, keep)

    def build_indexes(self, statements: Sequence[str]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
            for statement in statements:
                cursor.execute(statement)
            tables = sorted({m.group(1) for m in map(_ON_TABLE.search, statements) if m})
            if tables:
                cursor.execute(f"ANALYZE {', '.join(tables)}")

    def pages(self, rows: models.QuerySet[Any], fields: Sequence[str], size: int) -> Iterator[list[Any]]:
        """Through one server-side cursor (Django's `iterator` on PostgreSQL), `size` rows a fetch."""
        page: list[Any] = []
        for row in rows.order_by().values_list(*fields).iterator(chunk_size=size):
            page.append(row)
            if len(page) >= size:
                yield page
                page = []
        if page:
            yield page

    def analyze(self, *models_: type[models.Model]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(m._meta.db_table for m in models_)}")

    def roomy(self) -> None:
        """The server's shared buffers serve every connection: nothing to set here."""

    def rows_of(
        self, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> tuple[str, list[Any]]:
        """One parameter a column, read by `unnest`: the column's values as one text, split by
        the server (`string_to_array`), which psycopg sends many times faster than a list of as
        many values (a manifest chunk's names give thirty thousand keys); as a list when a value
        is empty or holds the separator."""
        values = [[str(r[i]) for r in rows] for i in range(len(columns))]
        names = ", ".join(name for name, _ in columns)
        if all(v and SEPARATOR not in v for column in values for v in column):
            split = ", ".join(f"string_to_array(%s, chr({ord(SEPARATOR)}))::{kind}[]" for _, kind in columns)
            return f"SELECT * FROM unnest({split}) AS t({names})", [SEPARATOR.join(v) for v in values]  # noqa: S608
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
        return f"SELECT * FROM unnest({arrays}) AS t({names})", [  # noqa: S608 - names from the caller
            [r[i] for r in rows] for i in range(len(columns))
        ]

    def audit_only_commit(self) -> None:
        """`synchronous_commit` off for this transaction: its commit returns before its log is on
        disk (saving a disk flush, about 4 ms here, on every screening). A crash of the database
        server in the next fraction of a second (three times `wal_writer_delay`) can lose the whole
        transaction, never part of it; and any later transaction committed as usual (a hit report's
        envelope marked sent, for one) first puts this one on disk, since the log is written in
        order. That is what SQLite's `synchronous=NORMAL` promises every transaction here.
        Only for a transaction of its own: inside a caller's, whatever else it writes commits as
        usual."""
        if len(connection.atomic_blocks) != 1:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


# The table a statement of `_drop_secondary` builds an index of.
_ON_TABLE = re.compile(r"^(?:ALTER TABLE|CREATE (?:UNIQUE )?INDEX \S+ ON)(?: ONLY)? (\S+)")


def _drop_secondary(cursor: Any, table: str, keep: Collection[str] = ()) -> list[str]:
    """Drop the table's indexes and unique constraints but its primary key (and those whose first
    column is in `keep`); returns the statements that make them again, as they were."""
    cursor.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid), a.attname FROM pg_constraint c "
        "LEFT JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
        "WHERE c.conrelid = %s::regclass AND c.contype IN ('u', 'x') ORDER BY c.conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), a.attname FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0] "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
        [table],
    )
    indexes = cursor.fetchall()
    quote = connection.ops.quote_name
    again = []
    for name, definition, first in constraints:
        if first in keep:
            continue
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        again.append(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
    for name, definition, first in indexes:
        if first in keep:
            continue
        cursor.execute(f"DROP INDEX {quote(name)}")
        again.append(definition)
    return again


def here() -> Tables:
    """The way of the database this node runs on."""
    return Postgres() if connection.vendor == "postgresql" else SQLite()


@models.CharField.register_lookup
class AnyOf(Lookup):
    """`field__any_of=[…]`: the field equals one of the values. On PostgreSQL one array parameter
    (`= ANY(%s)`), so that a batch of a thousand keys is one short statement with one plan; on
    SQLite `IN (…)`, as `__in`."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [list(value)]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]
