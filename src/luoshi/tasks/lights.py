"""Lights, expected progress (序时进度) and report deadlines: pure functions of a task's facts and a date.

The rules (DESIGN §4; thresholds in ``settings.LUOSHI_LIGHTS``), first match wins:

- closed → ``closed`` (with ``closed_late`` kept beside it), cancelled → ``none``;
- a manual override that has not expired → its light;
- in public notice (accepted, waiting out the notice period) → green;
- red: overdue, rejected ``red_rejections`` times, an urging unanswered past its date, more than
  ``red_behind`` points behind expected progress, or no progress at all ``red_no_start_days`` after start;
- yellow: ``yellow_behind`` to ``red_behind`` points behind, or a report late;
- blue: due within ``blue_working_days`` working days;
- green.

Progress rules (behind, no start, report late) apply to leaves only: a parent's progress is its
children's, and each child is judged against its own plan. A parent's stored ``light`` is the worst of
its own light and its children's (see ``combine``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db.models import Case, Expression, F, IntegerField, Value, When
from django.dispatch import receiver

from luoshi.core import workdays
from luoshi.tasks.models import REPORTING_STATUSES, Light, ReportCadence, TaskStatus

DEFAULT_LIGHTS: dict[str, Any] = {
    "yellow_behind": 10,
    "red_behind": 30,
    "blue_working_days": 3,
    "red_rejections": 2,
    "red_no_start_days": 90,
    "order": ["red", "yellow", "blue", "green", "closed"],
}
DEFAULT_TASKS: dict[str, int] = {
    "acknowledge_working_days": 3,
    "public_notice_working_days": 5,
    "monthly_report_day": 5,
    "quarterly_report_day": 5,
}
RANKED = {Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN, Light.CLOSED}


@lru_cache(maxsize=1)
def light_settings() -> dict[str, Any]:
    merged = {**DEFAULT_LIGHTS, **getattr(settings, "LUOSHI_LIGHTS", {})}
    if set(merged["order"]) != RANKED or len(merged["order"]) != len(RANKED):
        raise ImproperlyConfigured(
            "LUOSHI_LIGHTS['order'] must list red, yellow, blue, green and closed once each"
        )
    return merged


@lru_cache(maxsize=1)
def task_settings() -> dict[str, int]:
    return {**DEFAULT_TASKS, **getattr(settings, "LUOSHI_TASKS", {})}


@lru_cache(maxsize=1)
def _ranks() -> dict[str, int]:
    return {light: i for i, light in enumerate(light_settings()["order"])}


@receiver(setting_changed)
def _forget_settings(*, setting: str, **kwargs: Any) -> None:
    """The thresholds are read on every light; they are cached, and tests change them at run time."""
    if setting in {"LUOSHI_LIGHTS", "LUOSHI_TASKS"}:
        light_settings.cache_clear()
        task_settings.cache_clear()
        _ranks.cache_clear()


def order() -> list[str]:
    return list(light_settings()["order"])


def rank(light: str) -> int:
    """0 for the worst light; a light outside the order (``none``) ranks after all of them."""
    return _ranks().get(light, len(RANKED))


def worst(lights: Iterable[str]) -> str | None:
    return min(lights, key=rank, default=None)


def rank_expression(field: str | Expression) -> Case:
    """SQL for ``rank`` of a light column, so that databases can take the worst (the minimum)."""
    target = F(field) if isinstance(field, str) else field
    ranks = order()
    return Case(
        *[When(condition=_equals(target, light), then=Value(i)) for i, light in enumerate(ranks)],
        default=Value(len(ranks)),
        output_field=IntegerField(),
    )


def _equals(target: Any, light: str) -> Any:
    from django.db.models.lookups import Exact

    return Exact(target, Value(light))


# --- expected progress and reports ----------------------------------------------------------------


def expected_progress(
    start_on: date, due_on: date, milestones: Sequence[tuple[date, int]], today: date
) -> float:
    """Progress expected by ``today``: linear from 0 at the start to 100 at the deadline, or through the
    milestones' planned progress when there are any (piecewise linear between them)."""
    if today >= due_on:
        return 100.0
    if today <= start_on:
        return 0.0
    points = [(start_on, 0)]
    for day, planned in sorted(milestones):
        if start_on < day < due_on:
            # A plan never expects less later than earlier.
            points.append((day, max(planned, points[-1][1])))
    points.append((due_on, 100))
    for (day0, p0), (day1, p1) in pairwise(points):
        if day0 <= today <= day1:
            span = (day1 - day0).days
            return float(p1) if span == 0 else p0 + (p1 - p0) * (today - day0).days / span
    return 100.0


def next_report_due(cadence: str, last_reported_on: date | None, start_on: date) -> date | None:
    """When the next report is due: a week or two after the last one (or the start), or by the configured
    day of the month after the month (quarter) of the last report."""
    reference = last_reported_on or start_on
    config = task_settings()
    if cadence == ReportCadence.WEEKLY:
        return reference + timedelta(days=7)
    if cadence == ReportCadence.BIWEEKLY:
        return reference + timedelta(days=14)
    if cadence == ReportCadence.MONTHLY:
        return _day_of_month_after(reference.year, reference.month, config["monthly_report_day"])
    if cadence == ReportCadence.QUARTERLY:
        quarter_end = (reference.month - 1) // 3 * 3 + 3
        return _day_of_month_after(reference.year, quarter_end, config["quarterly_report_day"])
    return None


def _day_of_month_after(year: int, month: int, day: int) -> date:
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(year, month, min(max(day, 1), calendar.monthrange(year, month)[1]))


# --- the light of one task ------------------------------------------------------------------------


@dataclass(frozen=True)
class LightFacts:
    """What a task's own light depends on, besides the date and whether it is a leaf."""

    status: str
    start_on: date
    due_on: date
    reported_progress: int
    last_reported_on: date | None
    next_report_due: date | None
    rejection_count: int
    open_overdue_urgings: int
    override_light: str
    override_until: date | None
    milestones: tuple[tuple[date, int], ...] = ()

    @classmethod
    def of(cls, task: Any, milestones: Iterable[tuple[date, int]] = ()) -> LightFacts:
        return cls(
            status=task.status,
            start_on=task.start_on,
            due_on=task.due_on,
            reported_progress=task.reported_progress,
            last_reported_on=task.last_reported_on,
            next_report_due=task.next_report_due,
            rejection_count=task.rejection_count,
            open_overdue_urgings=task.open_overdue_urgings,
            override_light=task.override_light,
            override_until=task.override_until,
            milestones=tuple(milestones),
        )


@dataclass(frozen=True)
class Verdict:
    """A light with the reasons for it (codes that pages translate), e.g. ``("overdue", "report_late")``."""

    light: str
    overridden: bool = False
    reasons: tuple[str, ...] = ()


def own_light(facts: LightFacts, *, today: date, is_leaf: bool) -> Verdict:
    """The light of a task from its own facts as of ``today`` (see the module docstring)."""
    if facts.status == TaskStatus.CLOSED:
        return Verdict(Light.CLOSED)
    if facts.status == TaskStatus.CANCELLED:
        return Verdict(Light.NONE)
    if facts.override_light and facts.override_until is not None and today <= facts.override_until:
        return Verdict(facts.override_light, overridden=True, reasons=("override",))
    if facts.status == TaskStatus.PUBLIC_NOTICE:
        return Verdict(Light.GREEN, reasons=("public_notice",))
    config = light_settings()
    red: list[str] = []
    yellow: list[str] = []
    if today > facts.due_on:
        red.append("overdue")
    if facts.rejection_count >= config["red_rejections"]:
        red.append("rejected")
    if facts.open_overdue_urgings > 0:
        red.append("urging_unanswered")
    if is_leaf and facts.status != TaskStatus.UNDER_REVIEW:
        behind = (
            expected_progress(facts.start_on, facts.due_on, facts.milestones, today) - facts.reported_progress
        )
        if behind > config["red_behind"]:
            red.append("far_behind")
        elif behind >= config["yellow_behind"]:
            yellow.append("behind")
        if (
            facts.reported_progress == 0
            and facts.last_reported_on is None
            and (today - facts.start_on).days > config["red_no_start_days"]
        ):
            red.append("not_started")
        if (
            facts.status in REPORTING_STATUSES
            and facts.next_report_due is not None
            and today > facts.next_report_due
        ):
            yellow.append("report_late")
    if red:
        return Verdict(Light.RED, reasons=tuple(red + yellow))
    if yellow:
        return Verdict(Light.YELLOW, reasons=tuple(yellow))
    if facts.due_on <= workdays.add_working_days(today, config["blue_working_days"]):
        return Verdict(Light.BLUE, reasons=("due_soon",))
    return Verdict(Light.GREEN)


# --- roll-up arithmetic, shared by the incremental update and the full check ----------------------


@dataclass
class ChildTotals:
    """What a parent needs from its non-cancelled children: their count, weights and worst light."""

    count: int = 0
    weight: int = 0
    weighted_progress: int = 0
    worst_light: str | None = None

    def add(self, *, weight: int, progress: int, light: str) -> None:
        self.count += 1
        self.weight += weight
        self.weighted_progress += weight * progress
        if self.worst_light is None or rank(light) < rank(self.worst_light):
            self.worst_light = light

    def merge(self, other: ChildTotals) -> None:
        self.count += other.count
        self.weight += other.weight
        self.weighted_progress += other.weighted_progress
        if other.worst_light is not None and (
            self.worst_light is None or rank(other.worst_light) < rank(self.worst_light)
        ):
            self.worst_light = other.worst_light


def weighted_mean(weighted_progress: int, weight: int) -> int:
    """Rounded half up in integers, exactly as the SQL repair computes it on every database."""
    return (2 * weighted_progress + weight) // (2 * weight)


def combine(
    *, status: str, reported_progress: int, own: str, overridden: bool, children: ChildTotals | None
) -> tuple[int, str]:
    """A task's stored (progress, light) from its own values and its non-cancelled children's."""
    counted = children if children is not None and children.count > 0 else None
    if status == TaskStatus.CLOSED:
        progress = 100
    elif status == TaskStatus.CANCELLED:
        # A cancelled task counts nowhere; it keeps what was last reported on it.
        progress = reported_progress
    elif counted is not None:
        progress = weighted_mean(counted.weighted_progress, counted.weight)
    else:
        progress = reported_progress
    if status in (TaskStatus.CLOSED, TaskStatus.CANCELLED) or overridden or counted is None:
        return progress, own
    below = counted.worst_light or own
    return progress, own if rank(own) <= rank(below) else below
