"""No index on an urging's rule: nothing looks urgings up by rule, rules are never deleted, and the
night's sweep writes tens of thousands of urgings."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0005_sweep_references_unchecked"),
    ]

    operations = [
        migrations.AlterField(
            model_name="urging",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="urgings",
                to="supervision.escalationrule",
                verbose_name="rule",
            ),
        ),
    ]
