"""The summary tables: exact after every kind of write, put back when a trigger goes missing, and the
cockpit's figures from them equal to the figures counted from the task rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from luoshi.indicators import cockpit
from luoshi.organizations import services as organizations
from luoshi.summaries import triggers
from luoshi.summaries.models import TaskTally
from luoshi.tasks import reporting, rollup, workflow
from luoshi.tasks.models import ProgressReport, Task
from tests.cockpit.test_cockpit import _work
from tests.tasks.conftest import fresh

pytestmark = pytest.mark.django_db


def _no_differences() -> None:
    assert triggers.differences() == {
        "summaries_tasktally": 0,
        "summaries_openduetally": 0,
        "summaries_weeklytally": 0,
    }


def _figures(counts: cockpit.Counts) -> dict[str, object]:
    def clean(rows):
        return sorted(
            (tuple(sorted((k, v) for k, v in row.items())) for row in rows if row.get("total", row.get("n"))),
        )

    return {
        "lights": sorted((c["light"], c["status"], c["n"]) for c in counts.combos if c["n"]),
        "overdue": counts.overdue,
        "by_focus_area": clean(counts.by_focus_area),
        "by_branch": {
            k: {f: n for f, n in v.items() if f != "branch"}
            for k, v in counts.by_branch.items()
            if v["total"]
        },
        "closures": {k: v for k, v in counts.closures.items() if v},
        "reports": {k: v for k, v in counts.reports.items() if v},
    }


def test_every_kind_of_write_keeps_the_summaries_exact(desk, clock):
    _work(desk, clock)
    _no_differences()
    city = desk.city
    moved = desk.acknowledged_city_task(title="转办任务", due=date(2024, 5, 31))
    workflow.task_transfer(
        actor=city.zhao,
        task=fresh(moved),
        version=fresh(moved).version,
        to_org=city.tiedong,
        reason="职责调整",
    )
    cancelled = desk.city_task(title="取消任务")
    workflow.task_cancel(
        actor=city.zhao, task=fresh(cancelled), version=fresh(cancelled).version, reason="重复"
    )
    rollup.repair(today=date(2024, 6, 30))
    _no_differences()
    # Writes that go around the services (bulk updates, deletions) are counted as well.
    Task.objects.filter(status="in_progress").update(due_on=date(2024, 12, 30), light="yellow")
    ProgressReport.objects.filter(task__title="街道子任务").delete()
    _no_differences()


def test_summary_figures_equal_the_figures_counted_from_the_tasks(desk, clock):
    _work(desk, clock)
    city = desk.city
    since = date(2024, 1, 1)
    for org in (city.government, city.tiexi, city.tiedong):
        tasks = cockpit.tasks_under(city.zhao, org)
        live = cockpit.live_counts(tasks, org, clock.today, since)
        summed = cockpit.summary_counts(org, clock.today, since)
        assert _figures(summed) == _figures(live), org.name


def test_a_missing_trigger_is_put_back_and_the_tables_rebuilt(desk, clock):
    _work(desk, clock)
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER summaries_task_insert"
            if connection.vendor == "sqlite"
            else "DROP TRIGGER summaries_task_insert ON tasks_task"
        )
    desk.city_task(title="触发器缺失时新建")
    assert triggers.differences()["summaries_tasktally"] > 0
    assert triggers.install() is True
    _no_differences()
    assert triggers.install() is False


def test_a_report_counts_in_its_week_for_the_unit_that_filed_it(desk, clock):
    task = desk.acknowledged_city_task(title="周报统计")
    before = cockpit.summary_counts(desk.city.tiexi, clock.today, date(2024, 1, 1)).reports
    reporting.report_progress(
        actor=desk.city.wang, task=task, version=task.version, narrative="推进", progress=10
    )
    after = cockpit.summary_counts(desk.city.tiexi, clock.today, date(2024, 1, 1)).reports
    assert sum(after.values()) == sum(before.values()) + 1
    assert TaskTally.objects.filter(org_path=desk.city.tiexi.path).exists()


def test_moving_a_unit_moves_its_counts_to_the_new_chain(desk, clock):
    """A street moved from one district to another: its tasks and the reports it filed now count for
    the new district and no longer for the old one."""
    _work(desk, clock)
    city = desk.city
    street = city.tiexi_street
    since = date(2024, 1, 1)
    street_task = Task.objects.get(title="街道子任务")
    reporting.report_progress(
        actor=city.chen, task=street_task, version=street_task.version, narrative="推进", progress=30
    )
    reports_before = sum(cockpit.summary_counts(street, clock.today, since).reports.values())
    assert reports_before > 0
    organizations.organization_move(actor=city.admin, org=street, new_parent=city.tiedong)
    _no_differences()
    street.refresh_from_db()
    assert sum(cockpit.summary_counts(street, clock.today, since).reports.values()) == reports_before
    for org in (city.government, city.tiexi, city.tiedong):
        org.refresh_from_db()
        tasks = cockpit.tasks_under(city.zhao, org)
        live = cockpit.live_counts(tasks, org, clock.today, since)
        assert (
            _figures(cockpit.summary_counts(org, clock.today, since))["by_branch"]
            == _figures(live)["by_branch"]
        ), org.name


def test_the_ledger_count_from_the_summaries_equals_the_rows_it_pages(desk, clock, django_assert_num_queries):
    """For a viewer who sees the whole subtree, the ledger's count comes from the tally when only the
    tally's dimensions narrow it; it is the number of rows the ledger lists, and any other filter (or a
    partial viewer) counts the rows."""
    from luoshi.tasks import selectors

    _work(desk, clock)
    city = desk.city
    narrowings = [
        {},
        {"status_in": ["in_progress", "assigned"]},
        {"light_in": ["red"]},
        {"light_in": ["red", "green"], "status_in": ["in_progress"]},
    ]
    for org in (city.government, city.tiexi, city.tiexi_street):
        for narrowing in narrowings:
            ledger = selectors.ledger(user=city.zhao, org=org, **narrowing)
            with django_assert_num_queries(0):
                known = ledger.count()
            assert known == len(list(ledger)), (org.name, narrowing)
    # Narrowed by a date or a word, or seen in part: the rows are counted.
    assert selectors.ledger(user=city.zhao, org=city.tiexi, q="任务")._known_count is None
    assert selectors.ledger(user=city.zhao, org=city.tiexi, due_to=date(2024, 6, 30))._known_count is None
    assert selectors.ledger(user=city.chen, org=city.tiexi)._known_count is None
    # A further filter drops the known count rather than answering with it.
    assert selectors.ledger(user=city.zhao, org=city.tiexi).filter(light="red")._known_count is None
