from django.db import migrations

# What a manifest row keeps of each hit (`manifests.KEPT` when this was written).
KEPT = ("record", "database", "owner", "label", "matched", "score", "status", "report", "due_at")


def forget_record_data(apps, schema_editor):
    """Rows screened before kept each hit's record data: a copy that outlived the record's
    correction or deletion. They keep now what the job's page and its result show."""
    ManifestRow = apps.get_model("screening", "ManifestRow")
    batch = []
    for row in ManifestRow.objects.filter(outcome="hit").only("hits").iterator(chunk_size=2000):
        row.hits = [{k: hit[k] for k in KEPT if k in hit} for hit in row.hits]
        batch.append(row)
        if len(batch) >= 2000:
            ManifestRow.objects.bulk_update(batch, ["hits"])
            batch = []
    ManifestRow.objects.bulk_update(batch, ["hits"])


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0006_cards"),
    ]

    operations = [
        migrations.RunPython(forget_record_data, migrations.RunPython.noop),
    ]
