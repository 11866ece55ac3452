"""API tokens get scopes: read_messages, send_messages, screening, contributions, restricted.

Tokens that exist already keep today's behaviour, so no border or customs system stops working on
upgrade: every token reached every operation its system account's policies allowed (messages read
and sent, screening and hits, the replica, contributions) and saw the content of H2 and H3
messages. Each gets all five scopes. Narrow them by issuing a new token with the scopes it needs
(`ncbnet token create --scope ...`) and revoking the old one.
"""

from django.db import migrations, models

TODAYS_BEHAVIOUR = ["read_messages", "send_messages", "screening", "contributions", "restricted"]


def keep_todays_behaviour(apps, schema_editor):
    apps.get_model("security", "ApiToken").objects.update(scopes=TODAYS_BEHAVIOUR)


class Migration(migrations.Migration):
    dependencies = [("security", "0003_clientthrottle")]

    operations = [
        migrations.AddField(model_name="apitoken", name="scopes", field=models.JSONField(default=list)),
        migrations.RunPython(keep_todays_behaviour, migrations.RunPython.noop),
    ]
