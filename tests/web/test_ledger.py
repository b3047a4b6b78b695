"""The ledger (台账): visibility, every filter, sorting, htmx partials, paging and the Excel export."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from luoshi.directives import services as directives
from luoshi.directives.models import Directive, DirectiveKind, DirectiveLevel, FocusArea
from luoshi.tasks import reporting, services, workflow
from luoshi.tasks.models import Task
from luoshi.web.templatetags.luoshi_tasks import expected_for

pytestmark = pytest.mark.usefixtures("english")

ROW = 'class="task-title" href="/tasks/'


@pytest.fixture
def ledger(desk):
    """Tasks of both districts: one red (overdue), one in a focus area, one under another directive."""
    city = desk.city
    green = FocusArea.objects.create(name="绿色发展", code="green")
    desk.city_task(title="铁西区河道治理", due=date(2024, 6, 28), focus_area=green)
    red = desk.acknowledged_city_task(title="铁西区逾期任务", due=date(2024, 3, 1))
    reporting.report_progress(
        actor=city.wang, task=red, version=red.version, narrative="进展缓慢", progress=20
    )
    desk.city_task(title="铁东区供暖改造", lead=city.tiedong, due=date(2024, 9, 30))
    other = directives.directive_create(
        actor=city.zhao,
        issuing_org=city.government,
        title="生态环境保护督察反馈意见",
        level=DirectiveLevel.PROVINCIAL,
        kind=DirectiveKind.INSPECTION,
        issued_on=date(2024, 1, 10),
    )
    clause = directives.clause_add(actor=city.zhao, directive=other, text="整改扬尘污染问题。")
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="铁西区扬尘整治",
        due_on=date(2024, 12, 31),
        clause=clause,
    )
    workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    return {"green": green, "other": other}


def titles(body: str) -> set[str]:
    names = {"铁西区河道治理", "铁西区逾期任务", "铁东区供暖改造", "铁西区扬尘整治"}
    return {n for n in names if n in body}


def get(client, **params):
    return client.get(reverse("web:ledger"), params).content.decode()


def test_the_ledger_shows_what_each_persona_may_see(login, desk, ledger):
    assert titles(get(login(desk.city.zhao))) == {
        "铁西区河道治理",
        "铁西区逾期任务",
        "铁东区供暖改造",
        "铁西区扬尘整治",
    }
    assert titles(get(login(desk.city.wang))) == {"铁西区河道治理", "铁西区逾期任务", "铁西区扬尘整治"}
    sun = get(login(desk.city.sun))
    assert titles(sun) == {"铁东区供暖改造"}


def test_sun_cannot_reach_tiexi_by_choosing_its_unit(login, desk, ledger):
    body = get(login(desk.city.sun), org=desk.city.tiexi.pk)
    assert titles(body) == {"铁东区供暖改造"}  # a unit she cannot see is not a choice: the filter is dropped
    assert "Select a valid choice" in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"org": "tiedong"}, {"铁东区供暖改造"}),
        ({"focus_area": "green"}, {"铁西区河道治理"}),
        ({"light": "red"}, {"铁西区逾期任务"}),
        ({"status": "in_progress"}, {"铁西区逾期任务"}),
        ({"status": "assigned"}, {"铁西区河道治理", "铁东区供暖改造", "铁西区扬尘整治"}),
        ({"due_from": "2024-06-01", "due_to": "2024-09-30"}, {"铁西区河道治理", "铁东区供暖改造"}),
        ({"q": "供暖"}, {"铁东区供暖改造"}),
        ({"directive": "other"}, {"铁西区扬尘整治"}),
    ],
)
def test_each_filter_narrows(login, desk, ledger, params, expected):
    resolved = dict(params)
    if resolved.get("org") == "tiedong":
        resolved["org"] = desk.city.tiedong.pk
    if resolved.get("focus_area") == "green":
        resolved["focus_area"] = ledger["green"].pk
    if resolved.get("directive") == "other":
        resolved["directive"] = ledger["other"].pk
    assert titles(get(login(desk.city.zhao), **resolved)) == expected


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"focus_area": "green"},
        {"light": "red"},
        {"light": "closed_late"},
        {"status": "open"},
        {"status": "assigned"},
        {"due_from": "2024-06-01"},
        {"directive": "other"},
    ],
)
def test_the_count_of_a_covered_unit_is_its_rows(login, desk, ledger, params):
    """Zhao's scope holds 铁西区's subtree, so its ledger is counted from the summaries when only their
    dimensions narrow it, and by counting rows otherwise: either way, the rows it lists."""
    resolved = {"org": desk.city.tiexi.pk, **params}
    if resolved.get("focus_area") == "green":
        resolved["focus_area"] = ledger["green"].pk
    if resolved.get("directive") == "other":
        resolved["directive"] = ledger["other"].pk
    body = get(login(desk.city.zhao), **resolved)
    count = re.search(r'id="ledger-status"[^>]*>(\d+) tasks?<', body)
    assert count is not None
    assert int(count.group(1)) == body.count(ROW)


def test_sorting_by_due_date_both_ways(login, desk, ledger):
    client = login(desk.city.zhao)
    up = get(client, sort="due")
    assert up.index("铁西区逾期任务") < up.index("铁西区河道治理") < up.index("铁西区扬尘整治")
    assert 'aria-sort="ascending"' in up
    down = get(client, sort="-due")
    assert down.index("铁西区扬尘整治") < down.index("铁西区河道治理") < down.index("铁西区逾期任务")
    light = get(client, sort="light")
    assert light.index("铁西区逾期任务") < light.index("铁西区河道治理")


def test_htmx_gets_only_the_table(login, desk, ledger):
    response = login(desk.city.zhao).get(
        reverse("web:ledger"), {"light": "red"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="ledger-results"' in body
    assert titles(body) == {"铁西区逾期任务"}
    assert "HX-Request" in response["Vary"]


def test_rows_show_light_progress_and_expected_progress(login, desk, ledger, clock):
    body = get(login(desk.city.zhao), light="red")
    assert "Red light" in body
    assert "20% · expected 100%" in body
    assert "due today" in body


def test_a_row_shows_its_link_unit_source_state_and_update_time(login, desk):
    """What the page works out once per page for its rows (``views.ledger.LedgerRow``) reads as each row
    would draw it: the task's link, its unit's short name, its parent or directive, its state and when it
    was last changed, in the installation's time zone."""
    city = desk.city
    kept = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.government,
        title="市政府自办任务",
        due_on=date(2024, 6, 28),
        clause=desk.clause,
    )
    parent = desk.acknowledged_city_task(title="老旧小区改造")
    sub = desk.street_task(parent)
    assigned = desk.city_task(title="铁西区待签收任务")
    body = get(login(city.zhao))
    directive = Directive.objects.get(pk=desk.directive.pk)
    assert f'<a class="task-title" href="/tasks/{kept.pk}/">市政府自办任务</a>' in body
    assert f'<span class="task-source">{directive.title} {directive.doc_number}</span>' in body
    assert '<span class="task-source">Subtask of 老旧小区改造</span>' in body
    assert '<td data-label="Lead unit"><div class="cell">市政府</div></td>' in body
    assert f'<td data-label="Lead unit"><div class="cell">{city.tiexi_street.name}</div></td>' in body
    for state in ("Draft", "Assigned", "In progress"):
        assert f'<td data-label="Status"><div class="cell">{state}</div></td>' in body
    for task in (kept, parent, sub, assigned):
        updated = timezone.localtime(Task.objects.get(pk=task.pk).updated_at)
        assert f'<time datetime="{updated.isoformat()}">{updated.date().isoformat()}</time>' in body
    assert all(f'href="/tasks/{task.pk}/"' in body for task in (parent, sub, assigned))


def test_a_row_escapes_what_people_typed(login, desk):
    """The rows are written by the view (``views.ledger.ROW_HTML``): a title, a parent's title and a
    unit's name are escaped as the template escaped them, and every cell names its column."""
    city = desk.city
    parent = desk.acknowledged_city_task(title='<b>"老旧" & 小区</b>')
    desk.street_task(parent)
    body = get(login(city.zhao))
    assert '<b>"老旧"' not in body
    escaped = "&lt;b&gt;&quot;老旧&quot; &amp; 小区&lt;/b&gt;"
    assert f'<a class="task-title" href="/tasks/{parent.pk}/">{escaped}</a>' in body
    assert f'<span class="task-source">Subtask of {escaped}</span>' in body
    for label in ("No.", "Task", "Lead unit", "Due", "Status", "Light", "Progress", "Updated"):
        assert body.count(f'<td data-label="{label}"') == 2


def test_export_has_the_ledger_columns_and_the_filtered_rows(login, desk, ledger):
    response = login(desk.city.zhao).get(
        reverse("web:ledger_export"), {"org": desk.city.tiexi.pk, "sort": "due"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [
        "No.",
        "Task",
        "Lead unit",
        "Cooperating units",
        "Responsible leader",
        "Handler",
        "Deadline",
        "Status",
        "Light",
        "Progress",
        "Latest progress",
    ]
    assert [r[1] for r in rows[1:]] == ["铁西区逾期任务", "铁西区河道治理", "铁西区扬尘整治"]
    first = rows[1]
    assert first[0] == 1
    assert first[2] == "铁西区人民政府"
    assert isinstance(first[6], datetime)
    assert first[6].date() == date(2024, 3, 1)
    assert first[8] == "Red light"
    assert first[9] == pytest.approx(0.2)
    assert first[10] == "进展缓慢"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b


def test_export_holds_only_what_the_reader_may_see(login, desk, ledger):
    response = login(desk.city.sun).get(reverse("web:ledger_export"))
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
    )
    assert [r[1] for r in rows[1:]] == ["铁东区供暖改造"]


def _many(desk, count, start=0):
    for i in range(start, start + count):
        task = desk.city_task(title=f"台账任务{i:03d}", due=date(2024, 4, 1 + i % 28))
        if i % 3 == 0:
            workflow.task_acknowledge(actor=desk.city.wang, task=task, version=task.version)


def test_query_count_does_not_grow(login, desk):
    client = login(desk.city.zhao)
    _many(desk, 10)
    client.get(reverse("web:ledger"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("web:ledger"), {"sort": "light"})
    _many(desk, 50, start=100)
    with CaptureQueriesContext(connection) as large:
        body = client.get(reverse("web:ledger"), {"sort": "light"}).content.decode()
    assert len(large.captured_queries) == len(small.captured_queries)
    assert body.count(ROW) == 50
    assert "page=2" in body


def test_export_query_count_does_not_grow(login, desk):
    client = login(desk.city.zhao)
    _many(desk, 10)
    b"".join(client.get(reverse("web:ledger_export")).streaming_content)
    with CaptureQueriesContext(connection) as small:
        b"".join(client.get(reverse("web:ledger_export")).streaming_content)
    _many(desk, 50, start=100)
    with CaptureQueriesContext(connection) as large:
        content = b"".join(client.get(reverse("web:ledger_export")).streaming_content)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert load_workbook(io.BytesIO(content)).active.max_row == 61


def test_expected_progress_follows_the_milestones_and_they_cost_one_query(login, desk, clock):
    """A row's expected progress follows the task's milestones, read for the whole page in one query
    (as ``expected_for`` reads prefetched ones), and the page asks as many queries with milestones as
    without them."""
    client = login(desk.city.zhao)
    clock.set(date(2024, 3, 1))
    planned = desk.acknowledged_city_task(title="有里程碑的任务", due=date(2024, 12, 31))
    plain = desk.acknowledged_city_task(title="无里程碑的任务", due=date(2024, 12, 31))
    clock.set(date(2024, 3, 8))
    client.get(reverse("web:ledger"))
    with CaptureQueriesContext(connection) as without:
        client.get(reverse("web:ledger"))
    clock.set(date(2024, 3, 1))
    planned.refresh_from_db()
    reporting.milestone_add(
        actor=desk.city.wang,
        task=planned,
        version=planned.version,
        title="方案完成",
        due_on=date(2024, 3, 10),
        planned_progress=90,
    )
    clock.set(date(2024, 3, 8))
    with CaptureQueriesContext(connection) as with_one:
        body = client.get(reverse("web:ledger")).content.decode()
    assert len(with_one.captured_queries) == len(without.captured_queries)
    tasks = Task.objects.prefetch_related("milestones").in_bulk([planned.pk, plain.pk])
    by_milestones, linear = (expected_for(tasks[pk]) for pk in (planned.pk, plain.pk))
    assert by_milestones != linear
    rows = {
        title: row
        for row in body.split("<tr>")[1:]
        for title in ("有里程碑的任务", "无里程碑的任务")
        if title in row
    }
    assert f"expected {by_milestones}%" in rows["有里程碑的任务"]
    assert f"expected {linear}%" in rows["无里程碑的任务"]
