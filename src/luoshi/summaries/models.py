"""The summary tables. Rows are derived data: the triggers in ``luoshi.summaries.triggers`` write them,
``triggers.rebuild`` recomputes them from the tasks, and nothing else changes them.

Columns are plain integers rather than foreign keys where a trigger writes them (a focus area of
"none" is 0, so that the unique keys the triggers upsert on never contain NULL, which would never
conflict). The unit is a foreign key without a database constraint, for joins on the unit's path.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.organizations.models import Organization


class TaskTally(models.Model):
    """How many tasks a unit leads, per focus area, state and light."""

    org = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("unit"),
    )
    focus_area = models.IntegerField(_("focus area"))
    status = models.CharField(_("state"), max_length=16)
    light = models.CharField(_("light"), max_length=8)
    n = models.IntegerField(_("tasks"), default=0)

    class Meta:
        verbose_name = _("task tally")
        verbose_name_plural = _("task tallies")
        constraints = [
            models.UniqueConstraint(fields=["org", "focus_area", "status", "light"], name="tasktally_key")
        ]

    def __str__(self) -> str:
        return f"{self.org_id} · {self.focus_area} · {self.status} · {self.light}: {self.n}"


class OpenDueTally(models.Model):
    """How many open tasks a unit leads, per focus area and due date: overdue is a sum up to yesterday."""

    org = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("unit"),
    )
    focus_area = models.IntegerField(_("focus area"))
    due_on = models.DateField(_("due date"))
    n = models.IntegerField(_("tasks"), default=0)

    class Meta:
        verbose_name = _("open tasks by due date")
        verbose_name_plural = _("open tasks by due date")
        constraints = [
            models.UniqueConstraint(fields=["org", "focus_area", "due_on"], name="openduetally_key")
        ]
        indexes = [models.Index(fields=["due_on", "org"], name="openduetally_due_idx")]

    def __str__(self) -> str:
        return f"{self.org_id} · {self.focus_area} · {self.due_on}: {self.n}"


class WeeklyKind(models.TextChoices):
    CLOSURE = "closure", _("closures")
    REPORT = "report", _("progress reports")


class WeeklyTally(models.Model):
    """Closures (by the lead unit, in the week of ``closed_on``) and progress reports (by the reporting
    unit, in the week of ``reported_on``) per unit and week; a week starts on Monday."""

    org = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("unit"),
    )
    week = models.DateField(_("week"))
    kind = models.CharField(_("kind"), max_length=8, choices=WeeklyKind.choices)
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("weekly tally")
        verbose_name_plural = _("weekly tallies")
        constraints = [models.UniqueConstraint(fields=["org", "week", "kind"], name="weeklytally_key")]
        indexes = [models.Index(fields=["week", "kind"], name="weeklytally_week_idx")]

    def __str__(self) -> str:
        return f"{self.org_id} · {self.week} · {self.kind}: {self.n}"
