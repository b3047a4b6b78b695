"""PostgreSQL storage settings for the counter tables.

Every counted write updates one row in place, so these small tables churn: half-empty pages let
PostgreSQL keep each new row version on the same page (a HOT update, no index write), and a low
autovacuum threshold clears the old versions before they outgrow the live rows. SQLite needs neither.
"""

from django.db import migrations

TABLES = ("summaries_tasktally", "summaries_openduetally", "summaries_weeklytally")
SETTINGS = "fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(
                f"ALTER TABLE {table} RESET (fillfactor, autovacuum_vacuum_scale_factor, "
                "autovacuum_analyze_scale_factor)"
            )


class Migration(migrations.Migration):
    dependencies = [("summaries", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
