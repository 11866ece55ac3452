"""Make the audit table append-only inside the database too: UPDATE, DELETE and TRUNCATE are refused."""

from django.db import migrations

from ncbnet.audit import guards


def forward(apps, schema_editor):
    guards.install(schema_editor.connection)


def backward(apps, schema_editor):
    guards.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
