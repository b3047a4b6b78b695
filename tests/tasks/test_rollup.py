"""The roll-up: incremental along the path, checked and repaired level by level."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.organizations import services as orgs
from luoshi.tasks import reporting, rollup, services, workflow
from luoshi.tasks.models import Light, Task
from tests.tasks.conftest import fresh


def kept_subtask(desk, parent: Task, *, weight: int = 1, title: str = "子任务") -> Task:
    """A subtask the street keeps for itself (so it can go any depth), started at once."""
    city = desk.city
    parent = fresh(parent)
    sub = services.task_decompose(
        actor=city.chen,
        parent=parent,
        version=parent.version,
        lead_org=city.tiexi_street,
        title=title,
        due_on=parent.due_on,
        weight=weight,
    )
    return workflow.task_start(actor=city.chen, task=sub, version=sub.version)


def chain_of(desk, depth: int) -> list[Task]:
    """Tasks from the city's task for 铁西区 down to a leaf ``depth`` levels deep."""
    root = desk.acknowledged_city_task()
    tasks = [root, desk.street_task(root)]
    while len(tasks) < depth:
        tasks.append(kept_subtask(desk, tasks[-1]))
    return tasks


def report_queries(desk, leaf: Task, progress: int) -> int:
    leaf = fresh(leaf)
    with CaptureQueriesContext(connection) as ctx:
        reporting.report_progress(
            actor=desk.city.chen, task=leaf, version=leaf.version, progress=progress, narrative="进展"
        )
    return len(ctx.captured_queries)


def test_a_report_costs_the_same_queries_at_any_depth(desk):
    shallow = chain_of(desk, 2)
    deep = chain_of(desk, 7)
    report_queries(desk, shallow[-1], 10)  # warm the per-user scope cache alike for both
    shallow_count = report_queries(desk, shallow[-1], 20)
    deep_count = report_queries(desk, deep[-1], 20)
    assert shallow_count == deep_count
    # Lock the path, the children totals and milestones (the totals also tell that the leaf has no
    # subtasks), the report, the task with its derived values, one batch for the ancestors, the search
    # entry (one upsert copying the task entry's audience), the fingerprint, the audit append (the last
    # event read and the insert, after PostgreSQL's chain lock), and the service's savepoint. The
    # user's scopes were read by the warm-up.
    assert deep_count <= (12 if connection.vendor == "postgresql" else 11)
    assert [fresh(t).progress for t in deep] == [20] * 7
    assert list(rollup.check()) == []


def test_weighted_mean_up_the_tree(desk):
    city = desk.city
    root = desk.acknowledged_city_task()
    street = desk.street_task(root)
    a = kept_subtask(desk, street, weight=3, title="A")
    b = kept_subtask(desk, street, weight=1, title="B")
    reporting.report_progress(actor=city.chen, task=a, version=a.version, progress=80, narrative="x")
    reporting.report_progress(actor=city.chen, task=b, version=b.version, progress=20, narrative="x")
    assert fresh(street).progress == 65  # (3 × 80 + 20) / 4
    assert fresh(root).progress == 65
    # A cancelled child no longer counts; a closed one counts 100.
    workflow.task_cancel(actor=desk.street_head, task=b, version=fresh(b).version, reason="合并")
    assert fresh(street).progress == 80
    workflow.task_request_completion(actor=city.chen, task=a, version=fresh(a).version)
    workflow.task_accept(actor=desk.street_head, task=a, version=fresh(a).version)
    assert (fresh(street).progress, fresh(root).progress) == (100, 100)
    assert list(rollup.check()) == []


def test_a_red_leaf_colours_its_ancestors(desk, clock):
    tasks = chain_of(desk, 4)
    leaf = fresh(tasks[-1])
    clock.set(date(2024, 5, 15))  # about 65 % of the time gone
    reporting.report_progress(
        actor=desk.city.chen, task=leaf, version=leaf.version, progress=5, narrative="滞后"
    )
    assert [fresh(t).light for t in tasks] == [Light.RED] * 4
    assert fresh(tasks[0]).own_light == Light.GREEN
    reporting.report_progress(
        actor=desk.city.chen, task=leaf, version=fresh(leaf).version, progress=70, narrative="赶上进度"
    )
    assert [fresh(t).light for t in tasks] == [Light.GREEN] * 4


def corrupt(task: Task, **values) -> None:
    Task.objects.filter(pk=task.pk).update(**values)


def tree_values() -> list[tuple]:
    return list(Task.objects.order_by("pk").values_list("pk", "progress", "light", "own_light"))


def test_check_reports_and_repair_fixes_corrupted_rows(desk, capsys):
    city = desk.city
    tasks = chain_of(desk, 4)
    extra = kept_subtask(desk, tasks[2], weight=2)
    reporting.report_progress(actor=city.chen, task=extra, version=extra.version, progress=60, narrative="x")
    good = tree_values()
    corrupt(tasks[1], progress=3, light=Light.RED)
    corrupt(tasks[3], progress=99)  # a leaf: its progress must equal what was reported
    corrupt(tasks[0], light=Light.CLOSED)
    found = {(d.task_id, d.field) for d in rollup.check()}
    assert found == {
        (tasks[1].pk, "progress"),
        (tasks[1].pk, "light"),
        (tasks[3].pk, "progress"),
        (tasks[0].pk, "light"),
    }

    with pytest.raises(CommandError, match="4 stored value"):
        call_command("rollup", "--check")
    assert f"task {tasks[1].pk}: progress is 3, expected" in capsys.readouterr().out

    call_command("rollup", "--repair")
    assert "4 value(s) fixed; no differences left" in capsys.readouterr().out
    assert tree_values() == good
    call_command("rollup", "--check")
    assert "no differences" in capsys.readouterr().out


def test_repair_on_sql_matches_the_incremental_values_on_a_wide_tree(desk):
    city = desk.city
    root = desk.acknowledged_city_task()
    street = desk.street_task(root)
    leaves = [kept_subtask(desk, street, weight=w, title=f"L{w}") for w in (1, 2, 5)]
    deeper = [kept_subtask(desk, leaves[0], weight=w) for w in (3, 4)]
    for task, progress in zip([*leaves[1:], *deeper], [33, 67, 10, 95], strict=True):
        reporting.report_progress(
            actor=city.chen, task=task, version=fresh(task).version, progress=progress, narrative="x"
        )
    workflow.task_cancel(actor=desk.street_head, task=leaves[2], version=fresh(leaves[2]).version, reason="x")
    good = tree_values()
    Task.objects.update(progress=0, light=Light.GREEN)
    rollup.repair()
    assert tree_values() == good


def test_today_recomputes_date_dependent_lights(desk, capsys):
    tasks = chain_of(desk, 3)
    assert {fresh(t).light for t in tasks} == {Light.GREEN}
    call_command("rollup", "--check")
    # As of a day after the deadline everything open is overdue.
    with pytest.raises(CommandError):
        call_command("rollup", "--check", "--today", "2024-07-01")
    assert "own_light is 'green', expected 'red'" in capsys.readouterr().out
    call_command("rollup", "--repair", "--today", "2024-07-01")
    assert {fresh(t).light for t in tasks} == {Light.RED}
    with pytest.raises(CommandError, match="--today takes a date"):
        call_command("rollup", "--check", "--today", "1 July")


def test_tasks_follow_their_lead_unit_when_it_moves(desk):
    city = desk.city
    root = desk.acknowledged_city_task()
    sub = desk.street_task(root)
    orgs.organization_move(actor=city.admin, org=city.tiexi_street, new_parent=city.tiedong)
    street = type(city.tiexi_street).objects.get(pk=city.tiexi_street.pk)
    assert fresh(sub).lead_org_path == street.path
    assert fresh(root).lead_org_path == city.tiexi.path
    assert list(Task.objects.led_under(city.tiedong)) == [fresh(sub)]
    moved = services.on_organization_moved(old_prefix=street.path, new_prefix=street.path)
    assert moved == 1
