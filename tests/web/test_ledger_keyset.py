"""The ledger page's navigation: "Next" follows a cursor (every task once, in the order page numbers give,
filters kept, no more queries however deep), page numbers and "Go to page" still jump anywhere, and a
link that went bad falls back to the first page with a notice."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.tasks import selectors as task_selectors
from luoshi.tasks import workflow
from luoshi.tasks.models import Task
from luoshi.web import tasklists
from luoshi.web.views.ledger import ROW_NAMES, page_window

pytestmark = pytest.mark.usefixtures("english")

ROW = re.compile(r'class="task-title" href="/tasks/(\d+)/')
NEXT = re.compile(r'rel="next" href="\?([^"]+)"')
SIZE = 3


@pytest.fixture(autouse=True)
def _small_pages(settings):
    settings.LUOSHI_PAGE_SIZE = SIZE


def add_tasks(desk, count: int, start: int = 0) -> list[Task]:
    """Tasks on four deadlines (so pages end inside runs of equal dates), two in three for 铁西区."""
    tasks = []
    for n in range(start, start + count):
        lead = desk.city.tiedong if n % 3 == 2 else desk.city.tiexi
        task = desk.city_task(title=f"台账任务{n:03d}", lead=lead, due=date(2024, 4 + n % 4, 28))
        if n % 3 == 0:
            task = workflow.task_acknowledge(actor=desk.city.wang, task=task, version=task.version)
        tasks.append(task)
    return tasks


@pytest.fixture
def tasks(desk):
    return add_tasks(desk, 11)


def page(client, query: str = "", **headers) -> str:
    response = client.get(reverse("web:ledger") + ("?" + query if query else ""), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def rows(body: str) -> list[int]:
    return [int(pk) for pk in ROW.findall(body)]


def next_query(body: str) -> str | None:
    found = NEXT.search(body)
    return html.unescape(found.group(1)) if found else None


def walk(client, query: str = "") -> list[list[int]]:
    """Every page from the first, following "Next"."""
    pages = []
    body = page(client, query)
    while True:
        pages.append(rows(body))
        following = next_query(body)
        if following is None:
            return pages
        assert "after=" in following
        assert "page=" not in following
        assert len(pages) < 50, "the walk does not end"
        body = page(client, following)


@pytest.mark.parametrize("sort", ["due", "-due", "light", "progress", "-updated"])
def test_next_walks_every_task_once_in_page_number_order(login, desk, tasks, sort):
    client = login(desk.city.zhao)
    walked = walk(client, f"sort={sort}")
    numbered = [rows(page(client, f"sort={sort}&page={n}")) for n in range(1, 5)]
    assert walked == numbered
    assert sorted(pk for rows_ in walked for pk in rows_) == sorted(t.pk for t in tasks)
    assert [len(r) for r in walked] == [3, 3, 3, 2]


def test_next_keeps_the_filters(login, desk, tasks):
    client = login(desk.city.zhao)
    query = f"org={desk.city.tiexi.pk}&status=assigned"
    walked = [pk for rows_ in walk(client, query) for pk in rows_]
    expected = Task.objects.filter(lead_org=desk.city.tiexi, status="assigned").order_by("due_on", "path")
    assert walked == [t.pk for t in expected]


def test_a_page_reached_by_next_says_its_number_and_offers_the_others(login, desk, tasks):
    client = login(desk.city.zhao)
    second = page(client, next_query(page(client)))
    assert "Page 2 of 4" in second
    assert '<td data-label="No." class="num">4</td>' in second
    assert 'aria-current="page">2</span>' in second
    for number in (1, 3, 4):
        assert f"page={number}" in second
    assert 'rel="prev" href="?page=1"' in second


def test_go_to_page_carries_the_filters(login, desk, tasks):
    body = page(login(desk.city.zhao), f"sort=light&org={desk.city.tiexi.pk}")
    form = body[body.index('class="page-jump"') :]
    form = form[: form.index("</form>")]
    assert '<input type="hidden" name="sort" value="light">' in form
    assert f'<input type="hidden" name="org" value="{desk.city.tiexi.pk}">' in form
    assert 'name="page" min="1" max="3"' in form


def test_next_answers_htmx_with_the_results_only(login, desk, tasks):
    client = login(desk.city.zhao)
    body = page(client, next_query(page(client)), **{"HX-Request": "true"})
    assert body.count('id="ledger-results"') == 1
    assert "<h1>" not in body
    assert len(rows(body)) == SIZE


@pytest.mark.parametrize("after", ["not-a-cursor", "eyJvIjpbXX0", "x" * 3000])
def test_a_bad_link_shows_the_first_page_with_a_notice(login, desk, tasks, after):
    client = login(desk.city.zhao)
    body = page(client, f"after={after}")
    assert "This page link is not valid. Start again from the first page." in body
    assert rows(body) == rows(page(client))


def test_a_page_past_the_end_shows_the_last(login, desk, tasks):
    client = login(desk.city.zhao)
    assert rows(page(client, "page=99")) == rows(page(client, "page=4"))
    assert rows(page(client, "page=abc")) == rows(page(client))


def test_a_deep_page_by_next_costs_the_queries_of_the_first(login, desk):
    client = login(desk.city.zhao)
    add_tasks(desk, 6)
    page(client)
    with CaptureQueriesContext(connection) as first:
        page(client)
    add_tasks(desk, 15, start=6)
    query = ""
    for _ in range(5):
        query = next_query(page(client, query))
    with CaptureQueriesContext(connection) as deep:
        body = page(client, query)
    assert "Page 6 of 7" in body
    assert len(deep.captured_queries) == len(first.captured_queries)
    assert not any("OFFSET" in q["sql"].upper() for q in deep.captured_queries)


def test_the_page_window_offers_the_ends_and_the_neighbours():
    assert page_window(1, 1) == [1]
    assert page_window(1, 4) == [1, 2, 3, 4]
    assert page_window(1, 258) == [1, 2, 3, None, 258]
    assert page_window(100, 258) == [1, None, 98, 99, 100, 101, 102, None, 258]
    assert page_window(257, 258) == [1, None, 255, 256, 257, 258]


@pytest.mark.parametrize("sort", ["due", "-due", "light", "progress", "-updated"])
def test_a_page_by_number_is_that_slice_of_the_whole_ordered_ledger(desk, tasks, sort):
    """A page by number finds its rows' keys first and then reads those rows with their names
    (``ledger_page(related=…)``): the same rows, in the same order, as slicing the whole ordered query,
    on every page including the last, short one."""
    filters = tasklists.LedgerFilters(sort=sort)
    ordered = tasklists.ledger_tasks(user=desk.city.zhao, filters=filters).select_related(None)
    whole = list(ordered.annotate(**ROW_NAMES))
    for number in range(1, 5):
        found = task_selectors.ledger_page(ordered, size=SIZE, page=number, related=ROW_NAMES).items
        expected = whole[(number - 1) * SIZE : number * SIZE]
        assert [t.pk for t in found] == [t.pk for t in expected]
        assert [(t.lead_org_name, t.parent_title, t.directive_title) for t in found] == [
            (t.lead_org_name, t.parent_title, t.directive_title) for t in expected
        ]
