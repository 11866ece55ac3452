from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("network", "0004_key_rotation_signatures_and_when_seen"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outboxenvelope",
            index=models.Index(
                condition=models.Q(("sent_at__isnull", True)), fields=["id"], name="outbox_unsent"
            ),
        ),
    ]
