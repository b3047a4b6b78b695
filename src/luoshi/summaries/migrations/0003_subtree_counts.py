"""Count each task for every unit of its lead unit's chain, keyed by the unit's path and level.

The old triggers are dropped first, so that the ``post_migrate`` step (``triggers.install``) finds them
missing, installs the new ones and rebuilds the new tables from the tasks and reports."""

from django.db import migrations, models

TRIGGERS = {
    "summaries_task_insert": "tasks_task",
    "summaries_task_update": "tasks_task",
    "summaries_task_delete": "tasks_task",
    "summaries_report_insert": "tasks_progressreport",
    "summaries_report_delete": "tasks_progressreport",
}
TABLES = ("summaries_tasktally", "summaries_openduetally", "summaries_weeklytally")
SETTINGS = "fillfactor = 50, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.05"


def drop_triggers(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, table in TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))


def storage_settings(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET ({SETTINGS})")


def fields(*extra):
    return [
        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
        ("org_path", models.CharField(max_length=250, verbose_name="unit path")),
        ("level", models.PositiveSmallIntegerField(verbose_name="level")),
        ("n", models.IntegerField(default=0, verbose_name="count")),
        *extra,
    ]


class Migration(migrations.Migration):
    dependencies = [("summaries", "0002_counter_storage")]

    operations = [
        migrations.RunPython(drop_triggers, migrations.RunPython.noop),
        migrations.DeleteModel(name="TaskTally"),
        migrations.DeleteModel(name="OpenDueTally"),
        migrations.DeleteModel(name="WeeklyTally"),
        migrations.CreateModel(
            name="TaskTally",
            fields=fields(
                ("focus_area", models.IntegerField(verbose_name="focus area")),
                ("status", models.CharField(max_length=16, verbose_name="state")),
                ("light", models.CharField(max_length=8, verbose_name="light")),
            ),
            options={
                "verbose_name": "task tally",
                "verbose_name_plural": "task tallies",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("level", "org_path", "focus_area", "status", "light"), name="tasktally_key"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="OpenDueTally",
            fields=fields(
                ("focus_area", models.IntegerField(verbose_name="focus area")),
                ("due_on", models.DateField(verbose_name="due date")),
            ),
            options={
                "verbose_name": "open tasks by due date",
                "verbose_name_plural": "open tasks by due date",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("level", "org_path", "focus_area", "due_on"), name="openduetally_key"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="WeeklyTally",
            fields=fields(
                ("week", models.DateField(verbose_name="week")),
                (
                    "kind",
                    models.CharField(
                        choices=[("closure", "closures"), ("report", "progress reports")],
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
            ),
            options={
                "verbose_name": "weekly tally",
                "verbose_name_plural": "weekly tallies",
                "constraints": [
                    models.UniqueConstraint(fields=("level", "org_path", "week", "kind"), name="weeklytally_key")
                ],
            },
        ),
        migrations.RunPython(storage_settings, migrations.RunPython.noop),
    ]
