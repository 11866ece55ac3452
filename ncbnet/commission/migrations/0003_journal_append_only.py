"""The Commission's journal is append-only inside its database too, as the node's audit table is:
UPDATE, DELETE and TRUNCATE are refused by triggers (the model refuses them already; these stop
whoever writes to the database around it)."""

from django.db import migrations

from ncbnet.audit import guards

TABLE = "commission_journalentry"


def forward(apps, schema_editor):
    guards.install(schema_editor.connection, TABLE)


def backward(apps, schema_editor):
    guards.remove(schema_editor.connection, TABLE)


class Migration(migrations.Migration):
    dependencies = [("commission", "0002_owner_decision")]
    operations = [migrations.RunPython(forward, backward, hints={"model_name": "journalentry"})]
