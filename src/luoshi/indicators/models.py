"""Indicators (指标), their targets per unit and plan period, and the values units report (DESIGN §7).

A derived indicator (e.g. energy use per unit of GDP) has a ``formula`` over other indicators' codes and
no values of its own: they are computed from its components' values for the same unit and period
(``luoshi.indicators.formulas``). Reported values are never overwritten: a correction is a new revision,
and the earlier ones stay (provisional and final alike).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from luoshi.organizations.models import Organization

code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,39}$",
    _("A code is lower-case letters, digits and underscores, starting with a letter, e.g. energy_total."),
)


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")


class Measure(models.TextChoices):
    """How values combine: totals add up across units and over the periods of a plan; levels do not."""

    TOTAL = "total", _("Total (adds up across units and periods)")
    LEVEL = "level", _("Level (a rate, ratio or concentration)")


class ValueStatus(models.TextChoices):
    PROVISIONAL = "provisional", _("Provisional")
    FINAL = "final", _("Final")


class Indicator(models.Model):
    """A measure the city steers by: what it is, which way is better, how often it comes, who owns it."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100, unique=True)
    unit_of_measure = models.CharField(_("unit of measure"), max_length=40)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    frequency = models.CharField(
        _("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    measure = models.CharField(_("measure"), max_length=8, choices=Measure.choices, default=Measure.LEVEL)
    owner_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="owned_indicators", verbose_name=_("owner unit")
    )
    # An arithmetic expression over other indicators' codes, e.g. "energy_total / gdp * 10000".
    formula = models.CharField(_("formula"), max_length=400, blank=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_derived(self) -> bool:
        return bool(self.formula)


class Target(models.Model):
    """What a unit must reach by the end of a plan period, from where it stood before (the baseline).

    For a total, ``baseline`` and ``target_value`` are amounts over the whole plan period (e.g. tonnes of
    coal equivalent in the year); for a level they are the level at the start and the level to reach.
    """

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="targets", verbose_name=_("indicator")
    )
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    period_start = models.DateField(_("plan period from"))
    period_end = models.DateField(_("plan period to"))
    baseline = models.DecimalField(_("baseline"), max_digits=18, decimal_places=4)
    target_value = models.DecimalField(_("target"), max_digits=18, decimal_places=4)
    note = models.TextField(_("note"), blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["indicator", "period_start", "org__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "org", "period_start", "period_end"], name="target_one_per_unit_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="target_period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.org} · {self.period_start:%Y}"


class IndicatorValue(models.Model):
    """One revision of the value a unit reported for one period; only the newest revision is current."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="values", verbose_name=_("indicator")
    )
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    status = models.CharField(
        _("status"), max_length=12, choices=ValueStatus.choices, default=ValueStatus.PROVISIONAL
    )
    source = models.CharField(_("source"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    is_current = models.BooleanField(_("current"), default=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reporter")
    )
    reported_at = models.DateTimeField(_("reported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "org", "period_start", "revision"]
        indexes = [
            models.Index(fields=["indicator", "org", "period_start"], name="indicator_value_lookup_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "org", "period_start"],
                condition=Q(is_current=True),
                name="indicator_value_one_current",
            ),
            models.UniqueConstraint(
                fields=["indicator", "org", "period_start", "revision"],
                name="indicator_value_revision_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.org} · {self.period_start:%Y-%m} = {self.value}"


class TaskIndicatorLink(models.Model):
    """A task declares which indicator (for which unit) it should move, and by how much."""

    task = models.ForeignKey(
        "tasks.Task", on_delete=models.CASCADE, related_name="indicator_links", verbose_name=_("task")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="task_links", verbose_name=_("indicator")
    )
    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    # Signed, in the indicator's unit of measure: e.g. -0.02 for "lower intensity by 0.02".
    expected_change = models.DecimalField(
        _("expected change"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("linked by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("task indicator link")
        verbose_name_plural = _("task indicator links")
        ordering = ["task", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "indicator", "org"], name="task_indicator_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.task} → {self.indicator}"
