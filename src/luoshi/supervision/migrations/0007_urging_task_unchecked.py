"""An urging's task is no longer checked by the database at commit either (see NO_DB_CONSTRAINT in
the models): tasks are never deleted, and the ORM still refuses to delete one with urgings."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0006_urging_rule_unindexed"),
        ("tasks", "0008_red_list_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="urging",
            name="task",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="urgings",
                to="tasks.task",
                verbose_name="task",
            ),
        ),
    ]
