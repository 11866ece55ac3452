"""Administrator-set passwords become temporary: `password_must_change` is changed at the next
sign-in before anything else is reachable, and only that sign-in may enrol a second factor.

Existing accounts: every person without a confirmed authenticator has never finished a sign-in, so
their password is still the one an administrator set. They are marked, so that they change it
(and only then enrol) rather than being stuck: enrolment is no longer open to whoever signs in
first with the password. Everyone else keeps their password as it is.
"""

from django.db import migrations, models


def mark_unfinished_accounts(apps, schema_editor):
    User = apps.get_model("core", "User")
    TOTPDevice = apps.get_model("security", "TOTPDevice")
    enrolled = TOTPDevice.objects.filter(confirmed=True).values("user_id")
    User.objects.exclude(kind="system").exclude(pk__in=enrolled).update(password_must_change=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_registry"),
        ("security", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="password_must_change",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_unfinished_accounts, migrations.RunPython.noop),
    ]
