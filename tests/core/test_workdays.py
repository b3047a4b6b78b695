"""Working days by the national calendar, with make-up days, configured years and the Monday–Friday
fallback."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given, settings
from hypothesis import strategies as st

from luoshi.core import workdays
from luoshi.core.workdays import (
    add_working_days,
    calendar_is_known,
    is_working_day,
    working_days_between,
)


class TestSpringFestival2024:
    """放假调休: 10–17 February off; Sunday 4 and Sunday 18 February are working days."""

    @pytest.mark.parametrize("day", [date(2024, 2, 4), date(2024, 2, 8), date(2024, 2, 9), date(2024, 2, 18)])
    def test_working(self, day):
        assert is_working_day(day)

    @pytest.mark.parametrize(
        "day", [date(2024, 2, 10), date(2024, 2, 12), date(2024, 2, 16), date(2024, 2, 17)]
    )
    def test_off(self, day):
        assert not is_working_day(day)

    def test_counting_over_the_holiday(self):
        # Friday 9 February + 1 working day is the make-up Sunday after the holiday.
        assert add_working_days(date(2024, 2, 9), 1) == date(2024, 2, 18)
        assert add_working_days(date(2024, 2, 8), 3) == date(2024, 2, 19)
        assert add_working_days(date(2024, 2, 18), -1) == date(2024, 2, 9)
        assert working_days_between(date(2024, 2, 9), date(2024, 2, 19)) == 2
        assert working_days_between(date(2024, 2, 19), date(2024, 2, 9)) == -2
        assert add_working_days(date(2024, 2, 10), 0) == date(2024, 2, 10)


def test_a_make_up_saturday_is_a_working_day():
    # National Day 2023: Saturday 7 and Sunday 8 October were make-up working days.
    assert is_working_day(date(2023, 10, 7))
    assert not is_working_day(date(2023, 10, 6))
    assert add_working_days(date(2023, 9, 28), 1) == date(2023, 10, 7)


def test_counting_across_a_year_end():
    assert add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 2)  # 1 January is a holiday
    assert working_days_between(date(2024, 12, 30), date(2025, 1, 3)) == 3


def test_a_year_nobody_entered_falls_back_to_monday_to_friday(caplog):
    workdays.clear_cache()
    assert not calendar_is_known(2027)
    with caplog.at_level(logging.WARNING, logger="luoshi.core.workdays"):
        assert is_working_day(date(2027, 1, 1))  # a Friday, and nobody said it is a holiday
    assert not is_working_day(date(2027, 1, 2))
    assert calendar_is_known(2026)
    workdays.clear_cache()
    with caplog.at_level(logging.WARNING, logger="luoshi.core.workdays"):
        is_working_day(date(2027, 3, 3))
    assert "No holiday calendar for 2027" in caplog.text


def test_a_deployment_enters_2027_in_settings(settings):
    settings.LUOSHI_EXTRA_HOLIDAYS = {"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-02-06"]}}
    assert calendar_is_known(2027)
    assert not is_working_day(date(2027, 1, 1))
    assert is_working_day(date(2027, 2, 6))  # a Saturday
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_a_deployment_enters_2027_in_a_file(settings, tmp_path):
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"2027": {"holidays": ["2027-10-01", "2027-10-04"], "workdays": []}}))
    settings.LUOSHI_CALENDAR_FILE = str(path)
    assert calendar_is_known(2027)
    assert not is_working_day(date(2027, 10, 4))
    # A year the package knows can be corrected day by day.
    settings.LUOSHI_EXTRA_HOLIDAYS = {"2026": {"holidays": ["2026-03-03"]}}
    assert not is_working_day(date(2026, 3, 3))
    assert not is_working_day(date(2027, 10, 1))


@pytest.mark.parametrize(
    "config",
    [
        {"2027": {"holidays": ["2027-13-01"]}},
        {"2027": {"holidays": ["2028-01-01"]}},
        {"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-01"]}},
        {"next": {}},
    ],
)
def test_malformed_configuration_is_reported(settings, config):
    settings.LUOSHI_EXTRA_HOLIDAYS = config
    with pytest.raises(ImproperlyConfigured):
        is_working_day(date(2027, 1, 4))


def test_today_can_be_frozen(settings):
    settings.LUOSHI_TODAY = "2022-09-30"
    assert workdays.today() == date(2022, 9, 30)
    settings.LUOSHI_TODAY = "yesterday"
    with pytest.raises(ImproperlyConfigured):
        workdays.today()


@settings(max_examples=50, deadline=None)
@given(start=st.dates(date(2023, 6, 1), date(2026, 6, 30)), count=st.integers(-300, 300))
def test_adding_and_counting_agree(start, count):
    end = add_working_days(start, count)
    assert working_days_between(start, end) == count
    if count:
        assert is_working_day(end)
        # Nothing skipped: every day strictly between was counted or is a day off.
        step = 1 if count > 0 else -1
        days = [start + timedelta(days=step * i) for i in range(1, abs((end - start).days))]
        assert sum(is_working_day(d) for d in days) == abs(count) - 1
