"""The summary tables. Rows are derived data: the triggers in ``luoshi.summaries.triggers`` write them,
``triggers.rebuild`` recomputes them from the tasks, and nothing else changes them.

Every row counts a unit's whole subtree: a task is counted once for its lead unit and once for each
unit above it, under that unit's path. So the figures of any subtree, and of each unit directly below
it, are read from a few hundred rows whatever the number of tasks: the province's root reads its own
rows and its cities' rows, never its townships'. A unit's own tasks are its row minus its children's.

Rows are keyed by the unit's path and level (depth) rather than its id, because the triggers derive
the ancestors from the task's ``lead_org_path`` without a lookup, and one index on (level, path) serves
both "this unit" and "the units directly below". Columns are plain integers where a trigger writes
them (a focus area of "none" is 0, so that the unique keys the triggers upsert on never hold NULL,
which would never conflict).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SubtreeCount(models.Model):
    """A count for the subtree of the unit at ``org_path``."""

    org_path = models.CharField(_("unit path"), max_length=250)
    level = models.PositiveSmallIntegerField(_("level"))
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        abstract = True


class TaskTally(SubtreeCount):
    """How many tasks are led in a unit's subtree, per focus area, state and light."""

    focus_area = models.IntegerField(_("focus area"))
    status = models.CharField(_("state"), max_length=16)
    light = models.CharField(_("light"), max_length=8)

    class Meta:
        verbose_name = _("task tally")
        verbose_name_plural = _("task tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "org_path", "focus_area", "status", "light"], name="tasktally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_path} · {self.focus_area} · {self.status} · {self.light}: {self.n}"


class OpenDueTally(SubtreeCount):
    """How many open tasks are led in a unit's subtree, per focus area and due date: overdue is a sum
    up to yesterday."""

    focus_area = models.IntegerField(_("focus area"))
    due_on = models.DateField(_("due date"))

    class Meta:
        verbose_name = _("open tasks by due date")
        verbose_name_plural = _("open tasks by due date")
        constraints = [
            models.UniqueConstraint(
                fields=["level", "org_path", "focus_area", "due_on"], name="openduetally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.org_path} · {self.focus_area} · {self.due_on}: {self.n}"


class WeeklyKind(models.TextChoices):
    CLOSURE = "closure", _("closures")
    REPORT = "report", _("progress reports")


class WeeklyTally(SubtreeCount):
    """Closures (by the lead unit, in the week of ``closed_on``) and progress reports (by the reporting
    unit, in the week of ``reported_on``) per unit subtree and week; a week starts on Monday."""

    week = models.DateField(_("week"))
    kind = models.CharField(_("kind"), max_length=8, choices=WeeklyKind.choices)

    class Meta:
        verbose_name = _("weekly tally")
        verbose_name_plural = _("weekly tallies")
        constraints = [
            models.UniqueConstraint(fields=["level", "org_path", "week", "kind"], name="weeklytally_key")
        ]

    def __str__(self) -> str:
        return f"{self.org_path} · {self.week} · {self.kind}: {self.n}"
