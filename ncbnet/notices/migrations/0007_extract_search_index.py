"""The public notices API's filters read a narrow index rather than the wide extract rows.

A list's total and its page's ids scan the published extracts of one collection with substring
filters (`LIKE '%…%'`): through the table each row read carries its public JSON (about 1 KB), five
times slower than through an index that holds every filtered column. SQLite keeps them all as
index keys (no size limit on a key). PostgreSQL refuses an index entry beyond about 2,700 bytes,
which the name keys of a notice with many names in other scripts may pass, so there the index
includes only the bounded columns (country lists, sex, dates) and the name filters read the table.
"""

from django.db import migrations

TABLE = "notices_publicextract"
KEY = "state, kind, entity, visible, published_at, id"
BOUNDED = "nationalities, warrant_countries, sex_id, born_earliest, born_latest"
NAMES = "forename, name_key, un_reference, un_resolution"


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"CREATE INDEX extract_search ON {TABLE} ({KEY}, {BOUNDED}, {NAMES})")
    elif vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX extract_search ON {TABLE} ({KEY}) INCLUDE ({BOUNDED})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in ("sqlite", "postgresql"):
        schema_editor.execute("DROP INDEX IF EXISTS extract_search")


class Migration(migrations.Migration):
    dependencies = [("notices", "0006_public_extracts")]

    operations = [migrations.RunPython(create, drop)]
