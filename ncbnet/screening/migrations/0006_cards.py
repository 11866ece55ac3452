from django.conf import settings
from django.db import migrations, models


def index_again(apps, schema_editor):
    """Every person held is indexed again: its card, and its keys naming the card."""
    from ncbnet.screening import index

    model = apps.get_model("records", "Record" if settings.NCBNET_ROLE == "hub" else "ReplicaRecord")
    Card = apps.get_model("screening", "Card")
    persons = model.objects.filter(database="persons")
    if settings.NCBNET_ROLE == "hub":
        persons = persons.filter(deleted_at__isnull=True)
    for page in index.pages(persons, 5000):  # one read per page: the log does not grow by it all
        made = Card.objects.bulk_create([Card(record_id=pk, data=index.card(data)) for pk, data in page])
        index.add_keys([(c.pk, data) for c, (_, data) in zip(made, page, strict=True)])
    index.analyze()


class Migration(migrations.Migration):
    """The keys name a person's card (a number) instead of its record (a UUID): the index is
    smaller, a search groups numbers, and reads each candidate's card with its keys."""

    dependencies = [
        ("screening", "0005_month_stamps"),
    ]

    operations = [
        migrations.DeleteModel(name="NameKey"),
        migrations.CreateModel(
            name="Card",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("record_id", models.UUIDField(unique=True)),
                ("data", models.JSONField()),
            ],
        ),
        migrations.CreateModel(
            name="NameKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=32)),
                (
                    "card",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=models.deletion.DO_NOTHING,
                        related_name="+",
                        to="screening.card",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("key", "card"), name="namekey_once")],
            },
        ),
        migrations.RunPython(index_again, migrations.RunPython.noop),
    ]
