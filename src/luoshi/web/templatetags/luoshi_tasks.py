"""Template helpers for task pages: the light badge, progress against expected progress, days left.

``{% light_badge task %}`` (or ``{% light_of value %}``), ``{% progress_bar task %}`` and ``{% deadline
task %}`` draw ``web/_light.html``, ``web/_progress.html`` and ``web/_due.html``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from luoshi.core import workdays
from luoshi.tasks import lights
from luoshi.tasks.models import OPEN_STATUSES

register = template.Library()


# A badge depends on nothing but these four values, so each is drawn once per process and language:
# list pages show one per row, and rendering the include each time was a good part of their cost.
_BADGES: dict[tuple[str, str, bool, bool], SafeString] = {}


def badge_html(light: str, closed_late: bool = False, overridden: bool = False) -> SafeString:
    return _badge(translation.get_language() or "", light, closed_late, overridden)


def _badge(language: str, light: str, closed_late: bool, overridden: bool) -> SafeString:
    key = (language, str(light or ""), bool(closed_late), bool(overridden))
    html = _BADGES.get(key)
    if html is None:
        context = {"light": key[1], "closed_late": key[2], "overridden": key[3]}
        html = mark_safe(render_to_string("web/_light.html", context))  # noqa: S308 - our own template
        if not settings.DEBUG:  # while developing, an edited template shows at once
            _BADGES[key] = html
    return html


@register.simple_tag
def light_badge(task: Any) -> SafeString:
    """The badge of a task's stored light; a closed task keeps "closed late" forever."""
    return badge_html(task.light, task.closed_late, getattr(task, "light_overridden", False))


@register.simple_tag
def light_of(light: str, closed_late: bool = False) -> SafeString:
    """The badge of a bare light value (a clause's worst light, a unit's summary)."""
    return badge_html(light, closed_late)


def expected_for(
    task: Any, today: date | None = None, milestones: Sequence[tuple[date, int]] | None = None
) -> int | None:
    """Expected progress (序时进度) of an open task as of today, rounded; None when it has no plan.

    Milestones count when they are given as (due date, planned progress) or were prefetched
    (``prefetch_related("milestones")``); otherwise the plan is linear, so list pages never ask one
    query per row.
    """
    if task.status not in OPEN_STATUSES:
        return None
    if milestones is None:
        cache = getattr(task, "_prefetched_objects_cache", {})
        milestones = [(m.due_on, m.planned_progress) for m in cache.get("milestones", [])]
    value = lights.expected_progress(task.start_on, task.due_on, milestones, today or workdays.today())
    return round(value)


# A progress bar depends on nothing but these values, and a deadline on its date, whether the work is open
# and the working days left: each is drawn once per process and language, as the badges are.
_PROGRESS: dict[tuple[str, int, int | None, bool], SafeString] = {}
_DUE: dict[tuple[str, date, bool, int | None], SafeString] = {}
# Bounds on the two caches (one entry per value, date and language seen): full, they start again.
_MAX_DRAWN = 4096


def _drawn(cache: dict[Any, SafeString], key: Any, template_name: str, context: dict[str, Any]) -> SafeString:
    html = cache.get(key)
    if html is None:
        html = mark_safe(render_to_string(template_name, context))  # noqa: S308 - our own template
        if not settings.DEBUG:  # while developing, an edited template shows at once
            if len(cache) >= _MAX_DRAWN:
                cache.clear()
            cache[key] = html
    return html


# ``progress_bar``'s ``expected`` when the caller did not work it out.
_ASK_THE_TASK: Any = object()


@register.simple_tag
def progress_bar(task: Any, expected: Any = _ASK_THE_TASK) -> SafeString:
    """The task's progress against its expected progress (``web/_progress.html``): ``expected`` as the
    caller worked it out with ``expected_for`` (None for none), or else worked out here."""
    if expected is _ASK_THE_TASK:
        expected = expected_for(task)
    yellow_behind = lights.light_settings()["yellow_behind"]
    return _progress(translation.get_language() or "", task.progress, expected, yellow_behind)


def _progress(language: str, progress: int, expected: int | None, yellow_behind: int) -> SafeString:
    behind = expected is not None and expected - progress >= yellow_behind
    key = (language, progress, expected, behind)
    context = {"progress": progress, "expected": expected, "behind": behind}
    return _drawn(_PROGRESS, key, "web/_progress.html", context)


@register.simple_tag
def deadline(task: Any) -> SafeString:
    """The task's deadline with the working days left or overdue while it is open (``web/_due.html``,
    as ``{% include "web/_due.html" with due=task.due_on open=task.is_open %}`` draws it)."""
    return _deadline(translation.get_language() or "", task, workdays.today())


def _deadline(language: str, task: Any, today: date) -> SafeString:
    is_open = task.is_open
    due_on = task.due_on
    left = None if not is_open or due_on is None else workdays.working_days_between(today, due_on)
    key = (language, due_on, is_open, left)
    return _drawn(_DUE, key, "web/_due.html", {"due": due_on, "open": is_open})


class RowCells:
    """The badge, progress bar and deadline of each of a page's rows, as ``light_badge``,
    ``progress_bar`` and ``deadline`` draw them, with what those tags look up on every call (the
    language, today and the light settings) read once per page."""

    def __init__(self) -> None:
        self.language = translation.get_language() or ""
        self.today = workdays.today()
        self.yellow_behind = lights.light_settings()["yellow_behind"]

    def badge(self, task: Any) -> SafeString:
        return _badge(self.language, task.light, task.closed_late, getattr(task, "light_overridden", False))

    def progress(self, task: Any, expected: int | None) -> SafeString:
        return _progress(self.language, task.progress, expected, self.yellow_behind)

    def deadline(self, task: Any) -> SafeString:
        return _deadline(self.language, task, self.today)


@register.filter
def working_days_left(due_on: date | None) -> int | None:
    """Working days from today to ``due_on`` (negative when past), by the holiday calendar."""
    if due_on is None:
        return None
    return workdays.working_days_between(workdays.today(), due_on)


@register.filter
def absolute(value: int | None) -> int | None:
    return None if value is None else abs(value)


@register.filter
def is_late(day: date | None) -> bool:
    """Whether ``day`` (an acknowledge-by or report-due date) has passed."""
    return day is not None and day < workdays.today()
