"""Working days by the national holiday calendar, and the date that lights and deadlines count from.

The State Council publishes each year's holidays and weekend make-up working days (调休) in the autumn
before. ``chinesecalendar`` knows the years it was released with (2004–2026 in 1.11) and refuses later
ones; a deployment adds a year itself, in the ``LUOSHI_EXTRA_HOLIDAYS`` setting or a JSON file named by
``LUOSHI_CALENDAR_FILE``, both shaped ``{"2027": {"holidays": ["2027-01-01", …], "workdays": [...]}}``.
Entries for a year the package knows correct it day by day. A year nobody entered counts Monday to
Friday, and ``calendar_is_known`` tells pages to say so.
"""

from __future__ import annotations

import bisect
import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

logger = logging.getLogger(__name__)


def today() -> date:
    """The date deadlines and lights are judged against: ``LUOSHI_TODAY`` when set (benchmarks, demos
    frozen on a date, tests), otherwise the current date in the deployment's time zone."""
    frozen = getattr(settings, "LUOSHI_TODAY", "")
    if isinstance(frozen, date):
        return frozen
    if frozen:
        try:
            return date.fromisoformat(str(frozen))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"LUOSHI_TODAY must be a date like 2022-09-30, not {frozen!r}"
            ) from exc
    return timezone.localdate()


@dataclass(frozen=True)
class YearCalendar:
    year: int
    known: bool
    # Ordinals (date.toordinal) of the year's working days, ascending, for bisection.
    working: tuple[int, ...]

    def is_working(self, day: date) -> bool:
        index = bisect.bisect_left(self.working, day.toordinal())
        return index < len(self.working) and self.working[index] == day.toordinal()


def _parse_days(year: str, key: str, raw: Any) -> set[date]:
    if raw is None:
        return set()
    if not isinstance(raw, list):
        raise ImproperlyConfigured(f"Holiday calendar {year}.{key} must be a list of dates")
    days = set()
    for item in raw:
        try:
            day = date.fromisoformat(str(item))
        except ValueError as exc:
            raise ImproperlyConfigured(f"Holiday calendar {year}.{key}: {item!r} is not a date") from exc
        if str(day.year) != year:
            raise ImproperlyConfigured(f"Holiday calendar {year}.{key}: {item} is not in {year}")
        days.add(day)
    return days


@lru_cache(maxsize=1)
def _configured() -> dict[int, tuple[set[date], set[date]]]:
    """Years entered by the deployment: year → (days off, make-up working days)."""
    merged: dict[str, Any] = {}
    path = getattr(settings, "LUOSHI_CALENDAR_FILE", "")
    if path:
        try:
            merged.update(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(f"LUOSHI_CALENDAR_FILE {path}: {exc}") from exc
    # The setting wins over the file, so a deployment can correct one year without editing the file.
    merged.update(getattr(settings, "LUOSHI_EXTRA_HOLIDAYS", {}) or {})
    result = {}
    for year, entry in merged.items():
        if not str(year).isdigit() or not isinstance(entry, dict):
            raise ImproperlyConfigured(f"Holiday calendar: {year!r} must map a year to holidays and workdays")
        off = _parse_days(str(year), "holidays", entry.get("holidays"))
        on = _parse_days(str(year), "workdays", entry.get("workdays"))
        if off & on:
            raise ImproperlyConfigured(
                f"Holiday calendar {year}: a day cannot be both a holiday and a workday"
            )
        result[int(year)] = (off, on)
    return result


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def _year(year: int) -> YearCalendar:
    configured = _configured().get(year)
    from_package = _package_knows(year)
    first = date(year, 1, 1)
    days = [first + timedelta(days=n) for n in range((date(year + 1, 1, 1) - first).days)]
    if from_package:
        working = {d for d in days if chinese_calendar.is_workday(d)}
    else:
        working = {d for d in days if d.weekday() < 5}
        if configured is None:
            logger.warning("No holiday calendar for %s: counting Monday to Friday as working days", year)
    if configured is not None:
        off, on = configured
        working = (working - off) | on
    return YearCalendar(
        year=year,
        known=from_package or configured is not None,
        working=tuple(sorted(d.toordinal() for d in working)),
    )


@receiver(setting_changed)
def _forget_calendars(*, setting: str, **kwargs: Any) -> None:
    """Tests and the demo change the calendar settings at run time; the per-year cache must follow."""
    if setting in {"LUOSHI_EXTRA_HOLIDAYS", "LUOSHI_CALENDAR_FILE"}:
        clear_cache()


def clear_cache() -> None:
    _configured.cache_clear()
    _year.cache_clear()


def calendar_is_known(year: int) -> bool:
    """Whether the holidays of ``year`` are known; if not, pages should say that Monday–Friday is assumed."""
    return _year(year).known


def is_working_day(day: date) -> bool:
    return _year(day.year).is_working(day)


def add_working_days(day: date, count: int) -> date:
    """The date ``count`` working days after ``day`` (before it for a negative count; ``day`` for 0)."""
    if count == 0:
        return day
    remaining = abs(count)
    year = day.year
    ordinal = day.toordinal()
    while True:
        cal = _year(year)
        if count > 0:
            index = bisect.bisect_right(cal.working, ordinal)
            found = len(cal.working) - index
            if remaining <= found:
                return date.fromordinal(cal.working[index + remaining - 1])
            year += 1
            ordinal = date(year, 1, 1).toordinal() - 1
        else:
            index = bisect.bisect_left(cal.working, ordinal)
            found = index
            if remaining <= found:
                return date.fromordinal(cal.working[index - remaining])
            year -= 1
            ordinal = date(year, 12, 31).toordinal() + 1
        remaining -= found


def working_days_between(start: date, end: date) -> int:
    """Working days from ``start`` to ``end``, the inverse of ``add_working_days``.

    Forward, the working days after ``start`` up to and including ``end``; backward (``end`` before
    ``start``), minus the working days from ``end`` up to but excluding ``start``. So
    ``working_days_between(d, add_working_days(d, n)) == n`` for any ``n``.
    """
    forward = end >= start
    low, high = (start, end) if forward else (end, start)
    total = 0
    for year in range(low.year, high.year + 1):
        cal = _year(year)
        if forward:
            total += bisect.bisect_right(cal.working, high.toordinal()) - bisect.bisect_right(
                cal.working, low.toordinal()
            )
        else:
            total += bisect.bisect_left(cal.working, high.toordinal()) - bisect.bisect_left(
                cal.working, low.toordinal()
            )
    return total if forward else -total
