from django.db import migrations


def load_registry(apps, schema_editor):
    from ncbnet.core import registry

    registry.load(
        apps.get_model("core", "Region"),
        apps.get_model("core", "RegionalBureau"),
        apps.get_model("core", "Country"),
        apps.get_model("core", "NCB"),
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load_registry, migrations.RunPython.noop)]
