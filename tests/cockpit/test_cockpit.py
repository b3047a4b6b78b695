"""The cockpit: figures that match the ledger they drill down to, a constant number of queries however
many tasks, the subtree chosen by ``?org=`` within what the viewer may see, and the dashboard API."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.directives import selectors as directive_selectors
from luoshi.directives import services as directives
from luoshi.indicators import cockpit
from luoshi.organizations.models import Role
from luoshi.tasks import reporting, rollup, workflow
from tests.conftest import make_person
from tests.tasks.conftest import fresh


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


def _work(desk, clock):
    """Four tasks for 铁西区 (one closed, one overdue, one red by an overdue deadline), one for 铁东区,
    one for the street under 铁西区."""
    city = desk.city
    closed = desk.acknowledged_city_task(title="已办结任务", due=date(2024, 6, 28))
    reporting.report_progress(
        actor=city.wang, task=closed, version=closed.version, narrative="完成", progress=100
    )
    workflow.task_request_completion(actor=city.wang, task=fresh(closed), version=fresh(closed).version)
    workflow.task_accept(actor=city.zhao, task=fresh(closed), version=fresh(closed).version)
    parent = desk.acknowledged_city_task(title="进行中任务", due=date(2024, 12, 31))
    desk.street_task(parent, title="街道子任务")
    desk.city_task(title="逾期任务", due=date(2024, 3, 1))
    desk.city_task(title="铁东区任务", lead=city.tiedong, due=date(2024, 12, 31))
    # Ten days on, after the overnight sweep: the task due on 1 March is overdue and red.
    clock.set(date(2024, 3, 11))
    rollup.repair(today=clock.today)


def test_figures_of_the_city(desk, clock):
    _work(desk, clock)
    city = desk.city
    board = cockpit.dashboard(user=city.zhao, org=city.government, today=clock.today)
    assert board.totals.total == 5
    assert board.totals.closed == 1
    assert board.totals.completion == 20.0
    assert board.totals.overdue == 1
    by_child = {g.label: g.total for g in board.by_child}
    assert by_child == {"铁西区": 4, "铁东区": 1}
    assert board.clauses == 1
    assert board.clauses_covered == 1
    assert board.coverage == 100.0
    assert sum(w.closures for w in board.trend) == 1
    assert sum(w.reports for w in board.trend) >= 1
    assert [t.title for t in board.red_list] == ["逾期任务"]


def test_every_figure_matches_the_ledger_it_links_to(client, desk, clock):
    _work(desk, clock)
    client.force_login(desk.city.zhao)
    page = client.get(reverse("web:cockpit"), {"org": desk.city.tiexi.pk}).content.decode()
    board = cockpit.dashboard(user=desk.city.zhao, org=desk.city.tiexi, today=clock.today)
    checks = [
        (board.totals.ledger, board.totals.total),
        (board.ledger_overdue, board.totals.overdue),
        (board.totals.ledger + "&light=red&status=open", board.totals.red),
        *((q, n) for _light, n, q in board.by_light),
    ]
    for query, expected in checks:
        assert query.replace("&", "&amp;") in page
        ledger = client.get(reverse("web:ledger") + "?" + query).content.decode()
        assert len(re.findall(r'href="/tasks/\d+/"', ledger)) == expected, query


def test_query_count_is_constant(client, desk, clock):
    client.force_login(desk.city.zhao)
    _work(desk, clock)
    url = reverse("web:cockpit")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(12):
        desk.city_task(title=f"更多任务{i}", lead=desk.city.tiedong if i % 2 else desk.city.tiexi)
    with CaptureQueriesContext(connection) as large:
        body = client.get(url).content.decode()
    assert "Cockpit:" in body
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_unit_picker_offers_the_chain_the_siblings_and_the_next_level(client, desk, clock):
    city = desk.city
    client.force_login(city.zhao)
    page = client.get(reverse("web:cockpit"), {"org": city.tiexi.pk}).content.decode()
    picker = page[page.index('id="cockpit-org"') : page.index("</select>")]
    offered = set(re.findall(r'<option value="(\d+)"', picker))
    expected = {city.government, city.tiexi, city.tiedong, city.tiexi_street}
    assert offered >= {str(o.pk) for o in expected}
    assert str(city.tiedong_street.pk) not in offered  # below a sibling: one level at a time
    assert f'<option value="{city.tiexi.pk}" selected>' in picker


def test_a_district_sees_its_own_subtree_and_not_a_sibling(client, desk, clock):
    _work(desk, clock)
    client.force_login(desk.city.wang)
    page = client.get(reverse("web:cockpit")).content.decode()
    assert "Cockpit: 铁西区人民政府" in page
    assert client.get(reverse("web:cockpit"), {"org": desk.city.tiedong.pk}).status_code == 404
    # The city is visible to 王芳 as the chain above her unit, but only the tasks she may see count.
    board = cockpit.dashboard(user=desk.city.wang, org=desk.city.government, today=clock.today)
    assert board.totals.total == 4


def test_leaders_land_on_the_cockpit(client, desk):
    leader = make_person("mayor", "刘建国", desk.city.government, Role.LEADER)
    client.force_login(leader)
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:cockpit")
    assert client.get(reverse("web:home"), {"stay": "1"}).status_code == 200
    client.force_login(desk.city.wang)
    assert client.get(reverse("web:home")).status_code == 200


def test_dashboard_api(client, desk, clock):
    _work(desk, clock)
    client.force_login(desk.city.zhao)
    data = client.get("/api/v1/dashboard", {"org": desk.city.government.pk}).json()
    assert data["total"] == 5
    assert data["closed"] == 1
    assert data["overdue"] == 1
    assert data["completion_rate"] == 20.0
    assert data["clause_coverage"] == 100.0
    assert {g["label"]: g["total"] for g in data["by_child"]} == {"铁西区": 4, "铁东区": 1}
    assert [t["title"] for t in data["red_list"]] == ["逾期任务"]
    assert client.get("/api/v1/dashboard", {"org": 999999}).status_code == 404


def test_clauses_without_tasks_lower_the_coverage(desk, clock):
    _work(desk, clock)
    directives.clause_add(actor=desk.city.zhao, directive=desk.directive, text="完善长效机制。")
    board = cockpit.dashboard(user=desk.city.zhao, org=desk.city.government, today=clock.today)
    assert (board.clauses, board.clauses_covered, board.coverage) == (2, 1, 50.0)


def test_clause_coverage_is_the_same_whichever_way_the_directives_are_found(desk, clock):
    """A small subtree reads the directives carried out in it off its tasks, a large one asks per
    directive: both count the same clauses, from the top and from a unit with tasks of its own."""
    _work(desk, clock)
    directives.clause_add(actor=desk.city.zhao, directive=desk.directive, text="完善长效机制。")
    city = desk.city
    for org in (city.government, city.tiexi, city.tiedong, city.tiexi_street):
        per_directive = directive_selectors.clause_coverage(org.path)
        assert directive_selectors.clause_coverage(org.path, tasks=0) == per_directive
        assert directive_selectors.clause_coverage(org.path, tasks=10**9) == per_directive
    assert directive_selectors.clause_coverage(city.tiexi.path, tasks=0) == (2, 1)


def test_the_red_list_is_the_same_by_either_access_path_and_for_a_partial_viewer(desk, clock):
    """A viewer who sees the whole subtree gets the red list from one written-out statement, by either
    of its two access paths; it lists what the ORM query for a partial viewer would, names included."""
    _work(desk, clock)
    city = desk.city
    for title, due in (("红灯一", date(2024, 2, 1)), ("红灯二", date(2024, 2, 20))):
        task = desk.city_task(title=title, due=due)
        task.handler, task.responsible_leader = city.wang, city.li
        task.save(update_fields=["handler", "responsible_leader"])
    rollup.repair(today=clock.today)
    tasks = cockpit.tasks_under(city.zhao, city.government)
    expected = [
        (t.pk, t.title, t.due_on, t.lead_org.display_name, str(t.handler or "") or None)
        for t in cockpit._red_tasks(tasks).select_related("lead_org", "handler").order_by("due_on", "path")
    ]
    assert [title for _pk, title, *_ in expected] == ["红灯一", "红灯二", "逾期任务"]
    assert expected[0][4] == str(city.wang)
    for many in (False, True):
        lines = cockpit._red_list_in_subtree(city.government, many=many)
        got = [(t.pk, t.title, t.due_on, t.lead_org.display_name, t.handler) for t in lines]
        assert got == expected
        assert lines[0].responsible_leader == str(city.li)
