"""The red list's two indexes hold the red tasks alone.

A task whose light changes is written in every index of the table whose condition it meets; the
night's sweep changes tens of thousands of lights, most of them not to red, and the two indexes that
held every task by light were the widest after the path's (106 MB at province scale).
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("directives", "0002_rectification_conveyance"),
        ("organizations", "0002_encrypt_phone_id_number"),
        ("tasks", "0007_sparse_references_and_path_constraint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="task",
            name="task_light_path_idx",
        ),
        migrations.RemoveIndex(
            model_name="task",
            name="task_light_due_idx",
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("light", "red")), fields=["lead_org_path"], name="task_red_path_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("light", "red")), fields=["due_on", "path"], name="task_red_due_idx"
            ),
        ),
    ]
