"""Database triggers that make the audit table append-only (UPDATE, DELETE and TRUNCATE refused)."""

from __future__ import annotations

from typing import Any

SQLITE_ON = [
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;""",
]
SQLITE_OFF = [
    "DROP TRIGGER IF EXISTS audit_entry_no_update;",
    "DROP TRIGGER IF EXISTS audit_entry_no_delete;",
]
POSTGRES_ON = [
    """CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE OR REPLACE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
       FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();""",
    """CREATE OR REPLACE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only();""",
]
POSTGRES_OFF = [
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;",
    "DROP FUNCTION IF EXISTS audit_entry_append_only();",
]


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection: Any) -> None:
    _run(connection, POSTGRES_ON if connection.vendor == "postgresql" else SQLITE_ON)


def remove(connection: Any) -> None:
    _run(connection, POSTGRES_OFF if connection.vendor == "postgresql" else SQLITE_OFF)
