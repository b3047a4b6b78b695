"""Lights, expected progress and report deadlines as pure functions of facts and a date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from luoshi.tasks import lights
from luoshi.tasks.lights import (
    ChildTotals,
    LightFacts,
    combine,
    expected_progress,
    next_report_due,
    own_light,
)
from luoshi.tasks.models import Light, TaskStatus

START = date(2024, 3, 1)
DUE = date(2024, 3, 31)
FACTS = LightFacts(
    status=TaskStatus.IN_PROGRESS,
    start_on=START,
    due_on=DUE,
    reported_progress=0,
    last_reported_on=None,
    next_report_due=None,
    rejection_count=0,
    open_overdue_urgings=0,
    override_light="",
    override_until=None,
)


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2024, 2, 1), 0), (START, 0), (date(2024, 3, 16), 50), (DUE, 100), (date(2024, 5, 1), 100)],
)
def test_expected_progress_is_linear_without_milestones(today, expected):
    assert expected_progress(START, DUE, (), today) == expected


def test_expected_progress_follows_milestones():
    plan = [(date(2024, 3, 11), 60)]  # front-loaded: 60 % in the first ten days
    assert expected_progress(START, DUE, plan, date(2024, 3, 6)) == 30
    assert expected_progress(START, DUE, plan, date(2024, 3, 11)) == 60
    assert expected_progress(START, DUE, plan, date(2024, 3, 21)) == 80
    # A milestone outside the task's time is ignored; a lower later plan never lowers expectations.
    assert (
        expected_progress(
            START, DUE, [*plan, (date(2024, 3, 21), 10), (date(2025, 1, 1), 5)], date(2024, 3, 21)
        )
        == 60
    )


@pytest.mark.parametrize(
    ("today", "progress", "light", "reasons"),
    [
        (date(2024, 3, 4), 0, Light.YELLOW, ("behind",)),  # 3 of 30 days gone: 10 behind, yellow's threshold
        (date(2024, 3, 4), 1, Light.GREEN, ()),
        (date(2024, 3, 11), 30, Light.GREEN, ()),  # 33 expected, 3 behind
        (date(2024, 3, 11), 20, Light.YELLOW, ("behind",)),  # 13 behind
        (date(2024, 3, 16), 10, Light.RED, ("far_behind",)),  # 40 behind
        (date(2024, 3, 27), 90, Light.BLUE, ("due_soon",)),  # due within three working days
        (date(2024, 4, 1), 99, Light.RED, ("overdue",)),
    ],
)
def test_leaf_light_rules(today, progress, light, reasons):
    verdict = own_light(replace(FACTS, reported_progress=progress), today=today, is_leaf=True)
    assert (verdict.light, verdict.reasons[: len(reasons)]) == (light, reasons)


def test_rejections_urgings_and_no_start_turn_red():
    today = date(2024, 3, 2)
    assert own_light(replace(FACTS, rejection_count=2), today=today, is_leaf=True).light == Light.RED
    assert own_light(replace(FACTS, open_overdue_urgings=1), today=today, is_leaf=False).light == Light.RED
    long = replace(FACTS, start_on=date(2023, 1, 1), due_on=date(2025, 12, 31), reported_progress=0)
    verdict = own_light(long, today=date(2023, 4, 15), is_leaf=True)
    assert "not_started" in verdict.reasons


def test_a_late_report_turns_yellow_for_leaves_at_work_only():
    facts = replace(FACTS, reported_progress=50, next_report_due=date(2024, 3, 5))
    today = date(2024, 3, 6)
    assert own_light(facts, today=today, is_leaf=True).reasons == ("report_late",)
    assert own_light(facts, today=today, is_leaf=False).light == Light.GREEN
    assert (
        own_light(replace(facts, status=TaskStatus.ASSIGNED), today=today, is_leaf=True).light == Light.GREEN
    )


def test_a_parent_is_not_judged_by_its_own_progress():
    verdict = own_light(replace(FACTS, reported_progress=0), today=date(2024, 3, 20), is_leaf=False)
    assert verdict.light == Light.GREEN


def test_closed_cancelled_override_and_public_notice():
    today = date(2024, 5, 1)  # overdue
    assert (
        own_light(replace(FACTS, status=TaskStatus.CLOSED), today=today, is_leaf=True).light == Light.CLOSED
    )
    assert (
        own_light(replace(FACTS, status=TaskStatus.CANCELLED), today=today, is_leaf=True).light == Light.NONE
    )
    overridden = replace(FACTS, override_light=Light.GREEN, override_until=today)
    assert own_light(overridden, today=today, is_leaf=True) == lights.Verdict(
        Light.GREEN, True, ("override",)
    )
    assert own_light(overridden, today=date(2024, 5, 2), is_leaf=True).light == Light.RED
    assert (
        own_light(replace(FACTS, status=TaskStatus.PUBLIC_NOTICE), today=today, is_leaf=True).light
        == Light.GREEN
    )


def test_thresholds_come_from_settings(settings):
    facts = replace(FACTS, reported_progress=20)
    today = date(2024, 3, 11)  # 13 behind
    assert own_light(facts, today=today, is_leaf=True).light == Light.YELLOW
    settings.LUOSHI_LIGHTS = {**settings.LUOSHI_LIGHTS, "yellow_behind": 15}
    assert own_light(facts, today=today, is_leaf=True).light == Light.GREEN


@pytest.mark.parametrize(
    ("cadence", "last", "expected"),
    [
        ("weekly", date(2024, 3, 4), date(2024, 3, 11)),
        ("biweekly", None, date(2024, 3, 15)),
        ("monthly", date(2024, 3, 20), date(2024, 4, 5)),
        ("monthly", date(2024, 12, 3), date(2025, 1, 5)),
        ("quarterly", date(2024, 2, 10), date(2024, 4, 5)),
        ("quarterly", date(2024, 11, 10), date(2025, 1, 5)),
        ("none", date(2024, 3, 4), None),
    ],
)
def test_next_report_due(cadence, last, expected):
    assert next_report_due(cadence, last, START) == expected


def test_combine_weighted_mean_and_worst_light():
    children = ChildTotals()
    children.add(weight=3, progress=100, light=Light.CLOSED)
    children.add(weight=1, progress=10, light=Light.YELLOW)
    assert combine(
        status=TaskStatus.IN_PROGRESS,
        reported_progress=0,
        own=Light.GREEN,
        overridden=False,
        children=children,
    ) == (78, Light.YELLOW)  # (300 + 10) / 4 = 77.5, rounded half up
    assert combine(
        status=TaskStatus.IN_PROGRESS, reported_progress=0, own=Light.RED, overridden=False, children=children
    ) == (78, Light.RED)
    assert combine(
        status=TaskStatus.CLOSED, reported_progress=0, own=Light.CLOSED, overridden=False, children=children
    ) == (100, Light.CLOSED)
    assert combine(
        status=TaskStatus.IN_PROGRESS,
        reported_progress=40,
        own=Light.GREEN,
        overridden=True,
        children=children,
    ) == (78, Light.GREEN)
    assert combine(
        status=TaskStatus.IN_PROGRESS, reported_progress=40, own=Light.BLUE, overridden=False, children=None
    ) == (40, Light.BLUE)


def test_the_order_is_configurable(settings):
    children = ChildTotals()
    children.add(weight=1, progress=0, light=Light.BLUE)
    args = {
        "status": TaskStatus.IN_PROGRESS,
        "reported_progress": 0,
        "overridden": False,
        "children": children,
    }
    assert combine(own=Light.YELLOW, **args)[1] == Light.YELLOW
    settings.LUOSHI_LIGHTS = {**settings.LUOSHI_LIGHTS, "order": ["red", "blue", "yellow", "green", "closed"]}
    assert combine(own=Light.YELLOW, **args)[1] == Light.BLUE
