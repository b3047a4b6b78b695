"""The sweep's references that the database no longer checks at commit (see NO_DB_CONSTRAINT in
the models): the ORM still protects, cascades and sets null as declared."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0002_encrypt_phone_id_number"),
        ("supervision", "0004_sparse_indexes"),
        ("tasks", "0007_sparse_references_and_path_constraint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="announcedlight",
            name="task",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="+",
                serialize=False,
                to="tasks.task",
                verbose_name="task",
            ),
        ),
        migrations.AlterField(
            model_name="sweepmark",
            name="task",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="tasks.task",
                verbose_name="task",
            ),
        ),
        migrations.AlterField(
            model_name="urging",
            name="issued_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="issued by",
            ),
        ),
        migrations.AlterField(
            model_name="urging",
            name="responded_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="answered by",
            ),
        ),
        migrations.AlterField(
            model_name="urging",
            name="rule",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="urgings",
                to="supervision.escalationrule",
                verbose_name="rule",
            ),
        ),
        migrations.AlterField(
            model_name="urging",
            name="to_org",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="organizations.organization",
                verbose_name="to unit",
            ),
        ),
        migrations.AlterField(
            model_name="urging",
            name="to_person",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="urgings_received",
                to=settings.AUTH_USER_MODEL,
                verbose_name="to person",
            ),
        ),
    ]
