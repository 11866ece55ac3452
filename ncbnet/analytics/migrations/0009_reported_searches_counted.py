from django.db import migrations

EVENT = "screening.reported"


def count_the_reports(apps, schema_editor):
    """The searches the nodes reported, kept before they were counted in the figures: counted, in
    every period's table, as their own rows and their rolled rows by place."""
    connection = schema_editor.connection
    q = connection.ops.quote_name
    reported = q(apps.get_model("analytics", "ReportedFigure")._meta.db_table)
    if connection.vendor == "postgresql":
        periods = {"day": "day", "month": "CAST(date_trunc('month', day) AS date)"}
        periods["year"] = "CAST(date_trunc('year', day) AS date)"
    else:
        periods = {"day": "day", "month": "date(day, 'start of month')", "year": "date(day, 'start of year')"}
    tables = {"day": "DailyFigure", "month": "MonthlyFigure", "year": "YearlyFigure"}
    columns = "day, event, country, owner, " + q("database") + ", kind, iccs, outcome, restricted, rolled, n, seconds, late"
    for period, first in periods.items():
        table = q(apps.get_model("analytics", tables[period])._meta.db_table)
        for rolled, kind in (("", "kind"), ("place", "''")):
            grouped = f"{first}, node, {q('database')}" + (", kind" if rolled == "" else "") + ", outcome"
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) "  # noqa: S608 - names from the models
                    f"SELECT {first}, %s, node, '', {q('database')}, {kind}, '', outcome, %s, %s, SUM(n), 0, 0 "
                    f"FROM {reported} GROUP BY {grouped} HAVING SUM(n) > 0",
                    [EVENT, False, rolled],
                )


def uncount_the_reports(apps, schema_editor):
    for name in ("DailyFigure", "MonthlyFigure", "YearlyFigure"):
        apps.get_model("analytics", name).objects.filter(event=EVENT).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0008_yearly_figures"),
    ]

    operations = [
        migrations.RunPython(count_the_reports, uncount_the_reports, elidable=True),
    ]
