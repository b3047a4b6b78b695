"""The set-based repair writes what the rules in Python compute, row for row, on every database.

``rollup.repair(today=…)`` judges own lights and report due dates in SQL; ``rollup.check(today=…)``
judges every row with ``lights.own_light`` in Python. On a tree whose rows take every combination of
facts the rules read, the two must agree on any day. So must the sweep's ``rollup.advance(today=…)``,
which rolls up only the chains of the rows the day changed.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from luoshi.tasks import rollup
from luoshi.tasks.models import Light, Milestone, ReportCadence, Task, TaskStatus
from tests.tasks.test_rollup import kept_subtask

# Month ends, a leap day, the turn of the year and quarter, and days around the tasks' deadlines.
DAYS = [
    date(2024, 1, 31),
    date(2024, 2, 29),
    date(2024, 3, 1),
    date(2024, 3, 31),
    date(2024, 4, 15),
    date(2024, 5, 30),
    date(2024, 6, 27),
    date(2024, 6, 28),
    date(2024, 7, 1),
    date(2024, 9, 30),
    date(2024, 12, 31),
    date(2025, 4, 2),
]


def scatter(tasks: list[Task], seed: int) -> None:
    """Give every task random facts: states, dates, reports, rejections, urgings, manual lights."""
    rng = random.Random(seed)
    for task in tasks:
        start = date(2023, 11, 1) + timedelta(days=rng.randrange(0, 300))
        due = start + timedelta(days=rng.choice([0, 1, 5, 30, 90, 200, 400]))
        status = rng.choice(list(TaskStatus))
        reported = rng.choice([0, 0, 10, 35, 50, 80, 100])
        last = None if rng.random() < 0.3 else start + timedelta(days=rng.randrange(0, 120))
        override = rng.random() < 0.15
        Task.objects.filter(pk=task.pk).update(
            status=status,
            start_on=start,
            due_on=due,
            closed_on=due if status == TaskStatus.CLOSED else None,
            reported_progress=reported,
            last_reported_on=last,
            report_cadence=rng.choice(list(ReportCadence)),
            rejection_count=rng.choice([0, 0, 1, 2]),
            open_overdue_urgings=rng.choice([0, 0, 0, 1]),
            override_light=rng.choice([Light.RED, Light.GREEN, Light.BLUE]) if override else "",
            override_until=start + timedelta(days=rng.randrange(0, 300)) if override else None,
            weight=rng.randrange(1, 6),
        )
        if rng.random() < 0.2:
            for step in range(rng.randrange(1, 3)):
                Milestone.objects.create(
                    task_id=task.pk,
                    title=f"节点{step}",
                    due_on=start + timedelta(days=rng.randrange(0, 400)),
                    planned_progress=rng.randrange(0, 101),
                )


@pytest.mark.parametrize(
    ("seed", "config"),
    [
        (1, {}),
        (2, {"LUOSHI_TASKS": {"monthly_report_day": 31, "quarterly_report_day": 30}}),
        (
            3,
            {
                "LUOSHI_LIGHTS": {
                    "yellow_behind": 0,
                    "red_behind": 5,
                    "red_rejections": 1,
                    "blue_working_days": 10,
                }
            },
        ),
    ],
)
@pytest.mark.parametrize("step", ["repair", "advance"])
def test_the_sql_of_the_repair_agrees_with_the_rules_in_python(desk, settings, seed, config, step):
    for name, value in config.items():
        setattr(settings, name, value)
    root = desk.acknowledged_city_task()
    street = desk.street_task(root)
    middle = [kept_subtask(desk, street, title=f"M{i}") for i in range(4)]
    leaves = [kept_subtask(desk, parent, title=f"L{i}") for parent in middle for i in range(4)]
    scatter([street, *middle, *leaves], seed)
    rollup.repair(today=DAYS[0])
    # The rules turn on days equal to a task's own dates, so those days are judged too.
    own_days = {
        day
        for row in Task.objects.values_list("start_on", "due_on", "override_until", "next_report_due")
        for day in row
        if day is not None
    }
    rng = random.Random(seed)
    moved = 0
    for day in [*DAYS, *rng.sample(sorted(own_days), min(24, len(own_days)))]:
        if step == "advance":
            moved += rollup.advance(today=day)
            # A second run on the same day finds nothing left to change.
            assert rollup.advance(today=day) == 0
        else:
            rollup.repair(today=day)
        assert list(rollup.check(today=day)) == [], day
        # The quick check of the stored roll-up agrees with the walk.
        assert rollup._consistent()
    assert step == "repair" or moved > 0


def test_the_quick_check_finds_a_wrong_row_anywhere(desk):
    root = desk.acknowledged_city_task()
    street = desk.street_task(root)
    leaf = kept_subtask(desk, street)
    rollup.repair()
    assert rollup._consistent()
    for task, values in [
        (leaf, {"progress": 7}),
        (leaf, {"light": Light.RED}),
        (street, {"progress": 99}),
        (root, {"light": Light.YELLOW}),
    ]:
        Task.objects.filter(pk=task.pk).update(**values)
        assert not rollup._consistent()
        assert list(rollup.check())
        rollup.repair()
        assert rollup._consistent()
        assert list(rollup.check()) == []


def test_advance_carries_a_leafs_new_light_up_its_whole_chain(desk):
    root = desk.acknowledged_city_task()
    street = desk.street_task(root)
    middle = kept_subtask(desk, street, title="M")
    leaf = kept_subtask(desk, middle, title="L")
    sibling = kept_subtask(desk, middle, title="S")
    day = date(2024, 6, 3)
    chain = [root, street, middle, leaf, sibling]
    # Everything on time and far from its deadline on ``day``; only the leaf falls due three weeks later.
    Task.objects.filter(pk__in=[t.pk for t in chain]).update(
        status=TaskStatus.IN_PROGRESS,
        start_on=day - timedelta(days=10),
        due_on=day + timedelta(days=300),
        reported_progress=100,
        last_reported_on=day,
        report_cadence=ReportCadence.MONTHLY,
        rejection_count=0,
        open_overdue_urgings=0,
        override_light="",
    )
    Task.objects.filter(pk=leaf.pk).update(due_on=day + timedelta(days=21))
    rollup.repair(today=day)
    assert set(Task.objects.filter(pk__in=[t.pk for t in chain]).values_list("light", flat=True)) == {
        Light.GREEN
    }

    later = day + timedelta(days=24)
    assert rollup.advance(today=later) >= 1

    lights = dict(Task.objects.filter(pk__in=[t.pk for t in chain]).values_list("pk", "light"))
    assert [lights[t.pk] for t in (leaf, middle, street, root)] == [Light.RED] * 4
    assert lights[sibling.pk] == Light.GREEN
    assert list(rollup.check(today=later)) == []
