from django.conf import settings
from django.db import migrations


def restamp(apps, schema_editor):
    """A person whose date of birth is known by its year and month alone is now stamped with both
    ("198005~", where it was "1980~"): the keys of those persons are written again, here."""
    from ncbnet.screening import index

    model = apps.get_model("records", "Record" if settings.NCBNET_ROLE == "hub" else "ReplicaRecord")
    NameKey = apps.get_model("screening", "NameKey")
    persons = model.objects.filter(database="persons")
    if settings.NCBNET_ROLE == "hub":
        persons = persons.filter(deleted_at__isnull=True)
    for page in index.pages(persons, 5000):  # one read per page: the log does not grow by it all
        dated = [(pk, data) for pk, data in page if _restamped(data.get("date_of_birth") or {})]
        NameKey.objects.filter(record_id__in=[pk for pk, _ in dated]).delete()
        NameKey.objects.bulk_create(
            [NameKey(key=k, record_id=pk) for pk, data in dated for k in sorted(index.record_keys(data))]
        )


def _restamped(dob):
    """Whether the index now stamps this date otherwise: a partial date's stamp, by the index's
    own rule, that is no longer its year's ("1980~")."""
    from ncbnet.screening import index

    partial = index.record_stamps(dob)[-1]
    return partial.endswith("~") and partial != f"{int(dob['year'])}~"


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0004_manifest_lease"),
    ]

    operations = [
        migrations.RunPython(restamp, migrations.RunPython.noop),
    ]
