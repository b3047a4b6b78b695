"""Look-backs (回头看): a scheduled re-check of closed work, and what the supervisor found (DESIGN §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.tasks.models import Task


class LookBackOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONSOLIDATED = "consolidated", _("Consolidated")
    RELAPSED = "relapsed", _("Relapsed")


class LookBackOrigin(models.TextChoices):
    """How the look-back came to be scheduled."""

    RULE = "rule", _("By rule after closing")
    MANUAL = "manual", _("By hand")
    SAMPLE = "sample", _("Random sample")


class LookBack(models.Model):
    """A re-check of a closed task on ``due_on``: did the result hold (consolidated) or not (relapsed)?

    A relapse reopens the work as a new red task (``relapse_task``, whose ``relapse_of`` points back here).
    Evidence of the re-check is kept as evidence files of the task, linked through ``evidence_files``.
    """

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="lookbacks", verbose_name=_("task"))
    due_on = models.DateField(_("look-back date"))
    origin = models.CharField(_("scheduled"), max_length=16, choices=LookBackOrigin.choices)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("scheduled by"),
    )
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=LookBackOutcome.choices, default=LookBackOutcome.PENDING
    )
    findings = models.TextField(_("findings"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_on = models.DateField(_("recorded on"), null=True, blank=True)
    relapse_task = models.ForeignKey(
        Task,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("task opened for the relapse"),
    )
    evidence_files = models.ManyToManyField(
        "evidence.EvidenceFile", blank=True, related_name="lookbacks", verbose_name=_("evidence files")
    )
    # When the supervisors were told it is due (by ``lookbacks_due``), so that they are told once.
    notified_on = models.DateField(_("notified on"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("look-back")
        verbose_name_plural = _("look-backs")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["outcome", "due_on"], name="lookback_outcome_due_idx")]
        constraints = [
            # One look-back waits per task at a time; recorded ones are history.
            models.UniqueConstraint(
                fields=["task"], condition=Q(outcome="pending"), name="lookback_one_pending_per_task"
            ),
            models.CheckConstraint(
                condition=Q(outcome="pending") | Q(recorded_on__isnull=False, recorded_by__isnull=False),
                name="lookback_recorded_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="relapsed") | Q(relapse_task__isnull=False),
                name="lookback_relapse_has_task",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.due_on}"
