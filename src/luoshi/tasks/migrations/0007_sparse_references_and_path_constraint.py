"""Fewer indexes to keep on every write of a task row.

The references nearly every task leaves empty (its responsible leader, the relapse it reopens, the
author of a manual light, its creator when loaded in bulk) are indexed only where set; the path's
unique index no longer brings a second one for LIKE lookups, which nothing makes (subtrees are ranges of
the path). A night's sweep rewrites tens of thousands of task rows whose light changed, and each row
written costs one entry in every index of the table.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directives", "0002_rectification_conveyance"),
        ("organizations", "0002_encrypt_phone_id_number"),
        ("tasks", "0006_task_fillfactor"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="task",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="created by",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="override_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="manual light set by",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="path",
            field=models.CharField(editable=False, max_length=250, verbose_name="path"),
        ),
        migrations.AlterField(
            model_name="task",
            name="relapse_of",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="relapses",
                to="tasks.task",
                verbose_name="relapse of",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="responsible_leader",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="responsible leader",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("responsible_leader__isnull", False)),
                fields=["responsible_leader"],
                name="task_responsible_leader_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("relapse_of__isnull", False)),
                fields=["relapse_of"],
                name="task_relapse_of_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("override_by__isnull", False)),
                fields=["override_by"],
                name="task_override_by_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("created_by__isnull", False)),
                fields=["created_by"],
                name="task_created_by_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="task",
            constraint=models.UniqueConstraint(fields=("path",), name="task_path_unique"),
        ),
    ]
