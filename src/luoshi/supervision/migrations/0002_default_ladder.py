"""The default escalation ladder (DESIGN §5); administrators change it on the escalation rules page."""

from django.db import migrations

# level, working days after the due date, the same for urgent tasks, working days to answer, sent to
DEFAULT_LADDER = [
    ("reminder", -3, -5, None, "handler"),
    ("notice", 0, None, 3, "lead_unit"),
    ("order_blue", 5, 0, 3, "leader"),
    ("order_orange", 10, 5, 3, "leader"),
    ("order_red", 15, 10, 2, "leader"),
    ("talk", 20, 15, 5, "leader"),
    ("referral", 30, 20, 10, "leader"),
]


def seed(apps, schema_editor):
    EscalationRule = apps.get_model("supervision", "EscalationRule")
    for level, days, urgent, respond, recipients in DEFAULT_LADDER:
        EscalationRule.objects.get_or_create(
            level=level,
            defaults={
                "days_after_due": days,
                "urgent_days_after_due": urgent,
                "respond_working_days": respond,
                "recipients": recipients,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("supervision", "EscalationRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
