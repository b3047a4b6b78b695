"""Reading the deadlines task lists write in words (``luoshi.tasks.deadlines``): pure, no database."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from luoshi.tasks.deadlines import Deadline, UnreadableDeadline, describe, find_deadline, parse_deadline

REF = date(2022, 3, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Year ends
        ("2022年底前", Deadline(due_on=date(2022, 12, 31))),
        ("2022年年底前完成", Deadline(due_on=date(2022, 12, 31))),
        ("2023年底", Deadline(due_on=date(2023, 12, 31))),
        ("年底前", Deadline(due_on=date(2022, 12, 31))),
        ("今年年底", Deadline(due_on=date(2022, 12, 31))),
        ("明年底前", Deadline(due_on=date(2023, 12, 31))),
        ("年内完成", Deadline(due_on=date(2022, 12, 31))),
        ("二〇二三年底前", Deadline(due_on=date(2023, 12, 31))),
        ("2025年", Deadline(due_on=date(2025, 12, 31))),
        ("“十四五”期间", Deadline(due_on=date(2025, 12, 31))),
        # Days and months
        ("9月30日前", Deadline(due_on=date(2022, 9, 30))),
        ("9月30号", Deadline(due_on=date(2022, 9, 30))),
        ("2022年9月30日", Deadline(due_on=date(2022, 9, 30))),
        ("２０２２年９月３０日前", Deadline(due_on=date(2022, 9, 30))),
        ("2022-09-30", Deadline(due_on=date(2022, 9, 30))),
        ("2022/9/30", Deadline(due_on=date(2022, 9, 30))),
        ("2022.9.30", Deadline(due_on=date(2022, 9, 30))),
        ("6月底前", Deadline(due_on=date(2022, 6, 30))),
        ("2月底", Deadline(due_on=date(2023, 2, 28))),  # February has passed on the reference day
        ("3月底前", Deadline(due_on=date(2022, 3, 31))),
        ("十二月底前", Deadline(due_on=date(2022, 12, 31))),
        ("十月中旬", Deadline(due_on=date(2022, 10, 20))),
        ("5月上旬", Deadline(due_on=date(2022, 5, 10))),
        ("11月份", Deadline(due_on=date(2022, 11, 30))),
        ("2024年2月底", Deadline(due_on=date(2024, 2, 29))),
        ("1月10日前", Deadline(due_on=date(2023, 1, 10))),
        # Quarters and halves
        ("第三季度", Deadline(due_on=date(2022, 9, 30))),
        ("三季度末", Deadline(due_on=date(2022, 9, 30))),
        ("2023年第一季度", Deadline(due_on=date(2023, 3, 31))),
        ("上半年", Deadline(due_on=date(2022, 6, 30))),
        ("2022年下半年", Deadline(due_on=date(2022, 12, 31))),
        # Relative
        ("30日内", Deadline(due_on=date(2022, 4, 14))),
        ("三十天内", Deadline(due_on=date(2022, 4, 14))),
        ("3个月内", Deadline(due_on=date(2022, 6, 15))),
        ("两周内", Deadline(due_on=date(2022, 3, 29))),
        # Cadences and ongoing work
        ("每季度", Deadline(cadence="quarterly")),
        ("按季度报送", Deadline(cadence="quarterly")),
        ("每月", Deadline(cadence="monthly")),
        ("每周", Deadline(cadence="weekly")),
        ("每半月", Deadline(cadence="biweekly")),
        ("长期坚持", Deadline(ongoing=True)),
        ("持续推进", Deadline(ongoing=True)),
        ("常态化开展", Deadline(ongoing=True)),
        ("每季度报送进展，年底前完成", Deadline(due_on=date(2022, 12, 31), cadence="quarterly")),
        ("2022年6月底前完成方案，年底前全面完成", Deadline(due_on=date(2022, 12, 31))),
        ("6月底前完成，长期坚持", Deadline(due_on=date(2022, 6, 30), ongoing=True)),
        # English
        ("by the end of the year", Deadline(due_on=date(2022, 12, 31))),
        ("By the end of 2023", Deadline(due_on=date(2023, 12, 31))),
        ("by September 30", Deadline(due_on=date(2022, 9, 30))),
        ("by 30 September 2022", Deadline(due_on=date(2022, 9, 30))),
        ("September 30th, 2023", Deadline(due_on=date(2023, 9, 30))),
        ("by the end of June", Deadline(due_on=date(2022, 6, 30))),
        ("by the end of May", Deadline(due_on=date(2022, 5, 31))),
        ("mid-October", Deadline(due_on=date(2022, 10, 15))),
        ("the third quarter", Deadline(due_on=date(2022, 9, 30))),
        ("Q3 2023", Deadline(due_on=date(2023, 9, 30))),
        ("by the end of the first half of the year", Deadline(due_on=date(2022, 6, 30))),
        ("within 30 days", Deadline(due_on=date(2022, 4, 14))),
        ("within three months", Deadline(due_on=date(2022, 6, 15))),
        ("quarterly", Deadline(cadence="quarterly")),
        ("every month", Deadline(cadence="monthly")),
        ("ongoing", Deadline(ongoing=True)),
        ("Long-term", Deadline(ongoing=True)),
        (
            "report quarterly, finish by the end of the year",
            Deadline(due_on=date(2022, 12, 31), cadence="quarterly"),
        ),
    ],
)
def test_deadline_texts(text, expected):
    assert parse_deadline(text, reference=REF) == expected


@pytest.mark.parametrize(
    "value",
    [date(2022, 9, 30), datetime(2022, 9, 30, 0, 0)],  # noqa: DTZ001 (Excel cells are naive), ids=["date cell", "datetime cell"]
)
def test_excel_date_cells_are_taken_as_they_are(value):
    assert parse_deadline(value, reference=REF) == Deadline(due_on=date(2022, 9, 30))


@pytest.mark.parametrize(
    "text", ["", "   ", None, "尽快", "as soon as possible", "待定", "2月30日", "13月底"]
)
def test_unreadable_deadlines_raise(text):
    with pytest.raises(UnreadableDeadline):
        parse_deadline(text, reference=REF)


def test_working_days_follow_the_calendar():
    # 15 March 2022 is a Tuesday; ten working days later, with no holiday between, is 29 March.
    assert parse_deadline("10个工作日内", reference=REF).due_on == date(2022, 3, 29)


def test_may_the_verb_is_not_a_month():
    assert find_deadline("Units may apply for support.", reference=REF) is None


def test_find_deadline_inside_a_sentence():
    found = find_deadline("要在2022年9月底前完成全部老旧小区改造，并每季度报告进展。", reference=REF)
    assert found == Deadline(due_on=date(2022, 9, 30), cadence="quarterly")
    assert find_deadline("坚决打好污染防治攻坚战。", reference=REF) is None
    assert find_deadline("", reference=REF) is None


def test_due_or_year_end_and_describe():
    assert Deadline(ongoing=True).due_or_year_end(REF) == date(2022, 12, 31)
    assert Deadline(due_on=date(2022, 6, 30)).due_or_year_end(REF) == date(2022, 6, 30)
    assert describe(Deadline(due_on=date(2022, 6, 30), cadence="quarterly", ongoing=True)) == (
        "2022-06-30 · quarterly · ongoing"
    )
