"""Database triggers that make an audit chain's table append-only (UPDATE, DELETE and TRUNCATE
refused): the node's audit table, and the Commission's own journal in its own database."""

from __future__ import annotations

from typing import Any

AUDIT = "audit_auditentry"
# Each guarded table: the prefix of its triggers' names (the node's audit kept its first names) and
# the refusal's message.
GUARDED = {
    AUDIT: ("audit_entry", "audit entries are append-only"),
    "commission_journalentry": ("ccf_journal", "the Commission's journal entries are append-only"),
}


def _message(table: str) -> str:
    return GUARDED[table][1].replace("'", "''")


def _sqlite_on(table: str, name: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {name}_no_update BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, '{_message(table)}'); END;""",
        f"""CREATE TRIGGER IF NOT EXISTS {name}_no_delete BEFORE DELETE ON {table}
       BEGIN SELECT RAISE(ABORT, '{_message(table)}'); END;""",
    ]


def _sqlite_off(table: str, name: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}_no_update;", f"DROP TRIGGER IF EXISTS {name}_no_delete;"]


def _postgres_on(table: str, name: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '{_message(table)}'; END; $$ LANGUAGE plpgsql;""",
        f"""CREATE OR REPLACE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {table}
       FOR EACH ROW EXECUTE FUNCTION {name}_append_only();""",
        f"""CREATE OR REPLACE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {table}
       FOR EACH STATEMENT EXECUTE FUNCTION {name}_append_only();""",
    ]


def _postgres_off(table: str, name: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name}_no_truncate ON {table};",
        f"DROP TRIGGER IF EXISTS {name}_append_only ON {table};",
        f"DROP FUNCTION IF EXISTS {name}_append_only();",
    ]


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection: Any, table: str = AUDIT) -> None:
    make = _postgres_on if connection.vendor == "postgresql" else _sqlite_on
    _run(connection, make(table, GUARDED[table][0]))


def remove(connection: Any, table: str = AUDIT) -> None:
    make = _postgres_off if connection.vendor == "postgresql" else _sqlite_off
    _run(connection, make(table, GUARDED[table][0]))
