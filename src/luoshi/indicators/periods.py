"""Reporting periods of an indicator: ``2026-03`` (monthly), ``2026-Q1`` (quarterly), ``2026`` (yearly)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from luoshi.core.errors import ValidationFailed
from luoshi.indicators.models import Frequency

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
EXAMPLES = {Frequency.MONTHLY: "2026-03", Frequency.QUARTERLY: "2026-Q1", Frequency.YEARLY: "2026"}


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month(year: int, number: int) -> Period:
    return Period(date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1]))


def quarter(year: int, number: int) -> Period:
    first = 3 * (number - 1) + 1
    return Period(month(year, first).start, month(year, first + 2).end)


def year(number: int) -> Period:
    return Period(date(number, 1, 1), date(number, 12, 31))


def containing(frequency: str, day: date) -> Period:
    if frequency == Frequency.MONTHLY:
        return month(day.year, day.month)
    if frequency == Frequency.QUARTERLY:
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return year(day.year)


def key(frequency: str, period_start: date) -> str:
    """The period's name as people write it (the inverse of ``parse``)."""
    if frequency == Frequency.MONTHLY:
        return f"{period_start:%Y-%m}"
    if frequency == Frequency.QUARTERLY:
        return f"{period_start.year}-Q{(period_start.month - 1) // 3 + 1}"
    return str(period_start.year)


def parse(frequency: str, text: str, *, today: date, field: str = "period") -> Period:
    """The period ``text`` names for an indicator reported at ``frequency``; it must have begun by today.

    Anything else (``2026-13``, a quarter for a monthly indicator, a month not yet begun) is refused on
    ``field`` with the form the indicator expects.
    """
    text = (text or "").strip()
    period: Period | None = None
    if frequency == Frequency.MONTHLY and (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
        period = month(int(m[1]), int(m[2]))
    elif frequency == Frequency.QUARTERLY and (m := _QUARTER.match(text)):
        period = quarter(int(m[1]), int(m[2]))
    elif frequency == Frequency.YEARLY and (m := _YEAR.match(text)):
        period = year(int(m[1]))
    if period is None or period.start.year < 1900:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={
                field: [
                    _(
                        "There is no period “%(text)s” for this indicator; it is reported %(frequency)s, "
                        "e.g. %(example)s."
                    )
                    % {
                        "text": text,
                        "frequency": Frequency(frequency).label.lower(),
                        "example": EXAMPLES[Frequency(frequency)],
                    }
                ]
            },
        )
    if period.start > today:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={field: [_("The period %(text)s has not begun yet.") % {"text": text}]},
        )
    return period
