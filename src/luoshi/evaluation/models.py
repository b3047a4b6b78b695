"""Scoring schemes, evaluations (one snapshot per scheme and period), the scores in them, and flags.

Scores are never typed in: ``luoshi.evaluation.engine`` computes them from the record and
``services.evaluation_run`` stores the table, so that rank movement since the previous period can be shown
and an old table can be compared with a recomputation.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.organizations.models import Organization


class Component(models.TextChoices):
    """What a scheme weighs. Each is a score of 0–100 for a unit or person in a period."""

    ON_TIME = "on_time", _("On-time completion")
    VERIFICATION = "verification", _("Verification pass rate")
    REPORTS = "reports", _("Report timeliness")
    URGINGS = "urgings", _("Urgings received")
    INDICATORS = "indicators", _("Indicator attainment")
    RELAPSES = "relapses", _("Relapses")


# The scheme's weight field for each component, in the order the table shows them.
WEIGHT_FIELDS = {
    Component.ON_TIME: "weight_on_time",
    Component.VERIFICATION: "weight_verification",
    Component.REPORTS: "weight_reports",
    Component.URGINGS: "weight_urgings",
    Component.INDICATORS: "weight_indicators",
    Component.RELAPSES: "weight_relapses",
}

DEFAULT_URGING_POINTS = {
    "reminder": 2,
    "notice": 5,
    "order_blue": 10,
    "order_orange": 15,
    "order_red": 20,
    "talk": 30,
    "referral": 50,
}


def _default_urging_points() -> dict[str, int]:
    return dict(DEFAULT_URGING_POINTS)


def _weight(label: Any, default: int) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, default=default, validators=[MaxValueValidator(100)])


class Scheme(models.Model):
    """How scores are made (考核办法): a weight per component (adding up to 100) and the penalties.

    Exactly one scheme is active; evaluations keep a copy of the scheme they were computed with.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    weight_on_time = _weight(_("weight: on-time completion"), 30)
    weight_verification = _weight(_("weight: verification pass rate"), 15)
    weight_reports = _weight(_("weight: report timeliness"), 15)
    weight_urgings = _weight(_("weight: urgings received"), 15)
    weight_indicators = _weight(_("weight: indicator attainment"), 15)
    weight_relapses = _weight(_("weight: relapses"), 10)
    # Points taken from the urgings component (of 100) for each urging received, by level.
    urging_points = models.JSONField(_("points per urging, by level"), default=_default_urging_points)
    relapse_points = models.PositiveSmallIntegerField(
        _("points per relapse"), default=25, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # Flags: a jump to 100 % on the due day of at least this many points; a relapse within these days.
    flag_jump_points = models.PositiveSmallIntegerField(
        _("flag a jump to 100 percent of at least (points)"), default=50, validators=[MaxValueValidator(100)]
    )
    flag_relapse_days = models.PositiveSmallIntegerField(
        _("flag a relapse within (days of closure)"), default=90
    )
    # Reports shorter than this (after normalization) are not compared for copying: "无" is not a copy.
    flag_copy_min_chars = models.PositiveSmallIntegerField(
        _("compare reports of at least (characters)"), default=20
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="scheme_one_active"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def weights(self) -> dict[str, int]:
        return {str(c): int(getattr(self, f)) for c, f in WEIGHT_FIELDS.items()}

    def as_data(self) -> dict[str, object]:
        """The scheme as evaluations keep it (what the published formula is made from)."""
        return {
            "name": self.name,
            "weights": self.weights(),
            "urging_points": dict(self.urging_points),
            "relapse_points": self.relapse_points,
            "flag_jump_points": self.flag_jump_points,
            "flag_relapse_days": self.flag_relapse_days,
            "flag_copy_min_chars": self.flag_copy_min_chars,
        }


class Evaluation(models.Model):
    """The stored table of one period under one scheme: every unit's and person's score and rank."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("scheme")
    )
    period_kind = models.CharField(_("period kind"), max_length=8)
    period_key = models.CharField(_("period"), max_length=10)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    # The record is read up to this day (the period's end, or today while the period runs).
    as_of = models.DateField(_("as of"))
    scheme_data = models.JSONField(_("scheme used"))
    # Components without a source in this installation (e.g. indicators not installed): scored as no data.
    unavailable = models.JSONField(_("components without data"), default=list)
    # A digest of the stored table, so a recomputation can be compared at a glance.
    digest = models.CharField(_("digest"), max_length=64)
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("computed by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["-period_start", "period_kind", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "period_key"], name="evaluation_one_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period_key} · {self.scheme_data.get('name', '')}"


class SubjectKind(models.TextChoices):
    UNIT = "unit", _("Unit")
    PERSON = "person", _("Person")


class Score(models.Model):
    """One unit's (over the tasks it and the units below it lead) or one person's (as handler) score.

    ``components`` holds, per component, the score (null = no data), the counts behind it and the weight
    it carried after redistribution. Units are ranked among their siblings, people among all people.
    """

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="scores", verbose_name=_("evaluation")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=SubjectKind.choices)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("unit"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    # The peer group ranked together: the unit's parent (units), null for people.
    peer_group = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("peer group"),
    )
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    components = models.JSONField(_("components"), default=dict)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    previous_rank = models.PositiveIntegerField(_("previous rank"), null=True, blank=True)
    previous_score = models.DecimalField(
        _("previous score"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    flag_count = models.PositiveIntegerField(_("flags"), default=0)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["evaluation", "kind", "peer_group_id", "rank", "pk"]
        indexes = [models.Index(fields=["evaluation", "kind", "peer_group"], name="score_table_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "organization"], condition=Q(kind="unit"), name="score_one_per_unit"
            ),
            models.UniqueConstraint(
                fields=["evaluation", "person"], condition=Q(kind="person"), name="score_one_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_name} · {self.score}"

    @property
    def subject_name(self) -> str:
        if self.kind == SubjectKind.UNIT and self.organization is not None:
            return self.organization.display_name
        return str(self.person) if self.person is not None else ""

    @property
    def movement(self) -> int | None:
        """Places gained (positive) or lost since the previous period; None when unranked then or now."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def points_lost(self) -> Decimal | None:
        return None if self.score is None else Decimal(100) - self.score


class FlagKind(models.TextChoices):
    JUMP_ON_DUE_DAY = "jump", _("Progress jumped to 100 percent on the due day")
    COPIED_REPORT = "copied", _("Report copied from an earlier or another unit's report")
    QUICK_RELAPSE = "relapse", _("Closure followed quickly by a relapse")


class Flag(models.Model):
    """A suspicious pattern found while evaluating a period; it does not change the score, it asks a
    supervisor to look."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="flags", verbose_name=_("evaluation")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=FlagKind.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name=_("unit")
    )
    # Stored as ids, not keys: a flag must outlive nothing and block no deletion of what it points at.
    task_id = models.IntegerField(_("task"))
    report_id = models.IntegerField(_("report"), null=True, blank=True)
    other_report_id = models.IntegerField(_("matching report"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["evaluation", "kind", "task_id", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.task_id}"


class ReportFingerprint(models.Model):
    """The digest of a progress report's normalized text, so copies are found by one GROUP BY."""

    report = models.OneToOneField(
        "tasks.ProgressReport", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    digest = models.CharField(_("digest"), max_length=64)
    length = models.PositiveIntegerField(_("normalized length"))

    class Meta:
        verbose_name = _("report fingerprint")
        verbose_name_plural = _("report fingerprints")
        # Declared here rather than with db_index=True, which on PostgreSQL adds a second index for LIKE
        # lookups that nothing makes: every report written would update both.
        indexes = [models.Index(fields=["digest"], name="fingerprint_digest_idx")]

    def __str__(self) -> str:
        return self.digest
