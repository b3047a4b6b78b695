"""Evaluation and bulletin periods: a week, month, quarter or year, named by a key such as ``2022-W39``,
``2022-09``, ``2022-Q3`` or ``2022``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.utils.translation import gettext as _

from luoshi.core.errors import ValidationFailed


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_PATTERNS = (
    (re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE), PeriodKind.WEEK),
    (re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE), PeriodKind.QUARTER),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), PeriodKind.MONTH),
    (re.compile(r"^(\d{4})$"), PeriodKind.YEAR),
)


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    key: str
    start: date
    end: date

    @classmethod
    def parse(cls, text: str, *, field: str = "period") -> Period:
        """``2022-W39`` (ISO week), ``2022-09``, ``2022-Q3`` or ``2022``; anything else names ``field``."""
        raw = (text or "").strip()
        for pattern, kind in _PATTERNS:
            match = pattern.match(raw)
            if not match:
                continue
            year = int(match.group(1))
            try:
                if kind == PeriodKind.WEEK:
                    return cls.week(year, int(match.group(2)))
                if kind == PeriodKind.QUARTER:
                    return cls.quarter(year, int(match.group(2)))
                if kind == PeriodKind.MONTH:
                    return cls.month(year, int(match.group(2)))
                return cls.year(year)
            except ValueError:
                break
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={
                field: [
                    _("“%(value)s” is not a period; write e.g. 2022-W39, 2022-09, 2022-Q3 or 2022.")
                    % {"value": raw}
                ]
            },
        )

    @classmethod
    def week(cls, year: int, week: int) -> Period:
        start = date.fromisocalendar(year, week, 1)
        return cls(PeriodKind.WEEK, f"{year}-W{week:02d}", start, start + timedelta(days=6))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = date(year, month, 1)
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return cls(PeriodKind.MONTH, f"{year}-{month:02d}", start, following - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        start = date(year, 3 * quarter - 2, 1)
        following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return cls(PeriodKind.QUARTER, f"{year}-Q{quarter}", start, following - timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(PeriodKind.YEAR, str(year), date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        if kind == PeriodKind.WEEK:
            iso = day.isocalendar()
            return cls.week(iso.year, iso.week)
        if kind == PeriodKind.MONTH:
            return cls.month(day.year, day.month)
        if kind == PeriodKind.QUARTER:
            return cls.quarter(day.year, (day.month - 1) // 3 + 1)
        return cls.year(day.year)

    def previous(self) -> Period:
        return Period.containing(self.kind, self.start - timedelta(days=1))

    def label(self) -> str:
        """How people write it: 2022年第三季度, 2022年9月, 2022年第39周, 2022年 (or the English)."""
        year = self.start.year
        if self.kind == PeriodKind.WEEK:
            return _("week %(week)d of %(year)d") % {"week": int(self.key.split("W")[1]), "year": year}
        if self.kind == PeriodKind.MONTH:
            return _("%(month)d/%(year)d") % {"month": self.start.month, "year": year}
        if self.kind == PeriodKind.QUARTER:
            return _("Q%(quarter)d %(year)d") % {"quarter": (self.start.month - 1) // 3 + 1, "year": year}
        return str(year)
