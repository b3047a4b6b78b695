"""Room on every page of the task table for the next version of its rows (PostgreSQL).

A report rewrites its task and every ancestor (progress, the report dates, the version); unless a light
or a status changes too, no indexed column changes, so PostgreSQL can keep the new version on the same
page and skip the table's twenty indexes (a "heap-only tuple"), but only if the page has room, and
pages filled to the brim by a load or by years of inserts have none. Pages written from now on keep
15 % free; ``VACUUM FULL`` (or a ``luoshi bench load``) gives the existing rows the same.
"""

from django.db import migrations

FILLFACTOR = 85


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE tasks_task SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE tasks_task RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0005_parent_status_index")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
