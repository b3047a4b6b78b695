"""The issuer and the answerer of an urging are indexed only where set: the sweep's urgings (tens of
thousands a night) have no issuer, and no urging has an answer when it is written."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0002_encrypt_phone_id_number"),
        ("supervision", "0003_fewer_urging_indexes"),
        ("tasks", "0007_sparse_references_and_path_constraint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="urging",
            name="issued_by",
            field=models.ForeignKey(
                blank=True,
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
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="answered by",
            ),
        ),
        migrations.AddIndex(
            model_name="urging",
            index=models.Index(
                condition=models.Q(("issued_by__isnull", False)),
                fields=["issued_by"],
                name="urging_issued_by_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="urging",
            index=models.Index(
                condition=models.Q(("responded_by__isnull", False)),
                fields=["responded_by"],
                name="urging_responded_by_idx",
            ),
        ),
    ]
