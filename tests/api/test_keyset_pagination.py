"""The ledger walked by cursor (``?after=``): every task once, in the order page numbers give, with the
filters applied, a fixed number of queries however deep the page, and a clear refusal of a cursor the
ledger did not give."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.tasks import workflow
from luoshi.tasks.models import Task
from tests.api.tasks_support import TASKS, TODAY, city_task

pytestmark = pytest.mark.usefixtures("english")

# Few deadlines for many tasks, so that most pages end inside a run of equal due dates.
DEADLINES = (date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 28))
SORTS = ("due_on", "-due_on", "light", "progress", "-progress", "updated_at", "-updated_at")


@pytest.fixture(autouse=True)
def _frozen_day(settings):
    settings.LUOSHI_TODAY = TODAY.isoformat()


def add_tasks(city, clause, count: int, *, start: int = 0) -> list[Task]:
    """``count`` tasks, two in three for 铁西区 and one for 铁东区, on three deadlines; every third one
    acknowledged, so that states and lights differ too."""
    tasks = []
    for n in range(start, start + count):
        lead = city.tiedong if n % 3 == 2 else city.tiexi
        task = city_task(city, clause, title=f"任务{n}", lead=lead, due=DEADLINES[n % len(DEADLINES)])
        if n % 3 == 0:
            task = workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)
        tasks.append(task)
    return tasks


@pytest.fixture
def tasks(city, clause):
    return add_tasks(city, clause, 14)


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def ids(body: dict) -> list[int]:
    return [item["id"] for item in body["items"]]


def walk(client, params: dict) -> tuple[list[int], list[dict]]:
    """Every page of the ledger from the first, following ``next``: the ids in order, and the pages."""
    pages = [ok(client.get(TASKS, params))]
    while pages[-1]["next"] is not None:
        assert len(pages) < 100, "the walk does not end"
        pages.append(ok(client.get(TASKS, {**params, "after": pages[-1]["next"]})))
    return [pk for page in pages for pk in ids(page)], pages


def by_number(client, params: dict) -> list[int]:
    found: list[int] = []
    first = ok(client.get(TASKS, params))
    pages = -(-first["count"] // first["page_size"])
    for number in range(1, pages + 1):
        found += ids(ok(client.get(TASKS, {**params, "page": number})))
    return found


def cursor(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def decoded(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


# --- the walk -------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", SORTS)
def test_walking_by_next_gives_every_task_once_in_page_order(city, as_, tasks, sort):
    zhao = as_(city.zhao)
    params = {"page_size": 4, "sort": sort}
    walked, pages = walk(zhao, params)
    assert walked == by_number(zhao, params)
    assert sorted(walked) == sorted(t.pk for t in tasks)
    assert [page["page"] for page in pages] == [1, 2, 3, 4]
    assert {page["count"] for page in pages} == {14}
    assert {page["page_size"] for page in pages} == {4}
    assert [len(page["items"]) for page in pages] == [4, 4, 4, 2]


def test_the_order_is_due_date_then_id(city, as_, tasks):
    walked, _pages = walk(as_(city.zhao), {"page_size": 5})
    assert walked == [t.pk for t in sorted(tasks, key=lambda t: (t.due_on, t.pk))]


def test_a_page_by_number_also_gives_the_cursor_of_its_last_row(city, as_, tasks):
    zhao = as_(city.zhao)
    second = ok(zhao.get(TASKS, {"page_size": 4, "page": 2}))
    third = ok(zhao.get(TASKS, {"page_size": 4, "after": second["next"]}))
    assert third["page"] == 3
    assert ids(third) == ids(ok(zhao.get(TASKS, {"page_size": 4, "page": 3})))
    assert ok(zhao.get(TASKS, {"page_size": 4, "page": 4}))["next"] is None
    assert ok(zhao.get(TASKS, {"page_size": 14}))["next"] is None


def test_the_cursor_carries_the_last_rows_key(city, as_, tasks):
    body = ok(as_(city.zhao).get(TASKS, {"page_size": 4}))
    last = Task.objects.get(pk=body["items"][-1]["id"])
    assert decoded(body["next"]) == {"o": ["due_on", "pk"], "k": [last.due_on.isoformat(), last.pk], "n": 4}


def test_a_task_added_before_the_cursor_neither_repeats_nor_hides_a_row(city, as_, clause, tasks):
    zhao = as_(city.zhao)
    first = ok(zhao.get(TASKS, {"page_size": 4}))
    seen = ids(first)
    # A new task due before every other lands on page 1, which the walk has left: nothing shifts.
    city_task(city, clause, title="新任务", due=date(2024, 3, 29))
    rest, _pages = walk(zhao, {"page_size": 4, "after": first["next"]})
    assert seen + rest == [t.pk for t in sorted(tasks, key=lambda t: (t.due_on, t.pk))]


# --- filters and visibility -----------------------------------------------------------------------


def test_every_filter_still_applies_after_a_cursor(city, as_, tasks):
    zhao = as_(city.zhao)
    for params in (
        {"org": city.tiexi.pk},
        {"org": city.tiexi.pk, "status": "in_progress"},
        {"status": "assigned", "due_from": "2024-05-01"},
        {"due_to": "2024-05-31", "sort": "-due_on"},
        {"q": "任务1"},
        {"light": "green", "clause": tasks[0].clause_id, "directive": tasks[0].directive_id},
    ):
        walked, _pages = walk(zhao, {**params, "page_size": 2})
        assert walked == ids(ok(zhao.get(TASKS, {**params, "page_size": 100}))), params


def test_a_cursor_shows_only_what_the_caller_may_see(city, as_, tasks):
    walked, _pages = walk(as_(city.sun), {"page_size": 2})
    in_order = sorted(tasks, key=lambda t: (t.due_on, t.pk))
    assert walked == [t.pk for t in in_order if t.lead_org == city.tiedong]


# --- refusals -------------------------------------------------------------------------------------


def test_page_and_after_together_are_refused(city, as_, tasks):
    zhao = as_(city.zhao)
    token = ok(zhao.get(TASKS, {"page_size": 4}))["next"]
    response = zhao.get(TASKS, {"page_size": 4, "page": 2, "after": token})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == "Ask for a page by its number or after a cursor, not both."
    assert list(error["fields"]) == ["after"]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not a cursor!",
        "%%%%",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        cursor("just text"),
        cursor([1, 2]),
        cursor({"o": ["due_on", "pk"], "k": ["2024-04-30"], "n": 4}),
        cursor({"o": ["progress", "pk"], "k": [0, 1], "n": 4}),
        cursor({"o": ["due_on", "pk"], "k": ["2024-02-30", 1], "n": 4}),
        cursor({"o": ["due_on", "pk"], "k": [None, 1], "n": 4}),
        cursor({"o": ["due_on", "pk"], "k": ["2024-04-30", None], "n": 4}),
        cursor({"o": ["due_on", "pk"], "k": ["2024-04-30", 10**30], "n": 4}),
        cursor({"o": ["due_on", "pk"], "k": ["2024-04-30", True], "n": 4}),
        cursor({"o": ["due_on", "pk"], "k": ["2024-04-30\x00", 1], "n": 4}),
        cursor({"o": ["due_on", "pk"], "k": [[2024], 1], "n": 4}),
        cursor({"o": ["due_on", "pk"], "k": ["2024-04-30", 1], "n": -1}),
        cursor({"o": ["due_on", "pk"], "k": ["2024-04-30", 1], "n": "4"}),
        cursor({"o": ["due_on", "pk"], "k": ["2024-04-30", 1]}),
        "x" * 3000,
    ],
)
def test_a_cursor_the_ledger_did_not_give_is_refused_clearly(city, as_, token):
    # Refused before any row is read, so an empty ledger is enough.
    response = as_(city.zhao).get(TASKS, {"after": token})
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["message"] == "This page link is not valid. Start again from the first page."
    assert error["fields"] == {"after": ["Not a cursor this list gave."]}


def test_a_cursor_of_another_order_is_refused(city, as_, tasks):
    zhao = as_(city.zhao)
    token = ok(zhao.get(TASKS, {"page_size": 4, "sort": "light"}))["next"]
    assert zhao.get(TASKS, {"after": token, "sort": "light"}).status_code == 200
    assert zhao.get(TASKS, {"after": token}).status_code == 422


def test_updated_at_cursors_keep_microseconds_and_time_zone(city, as_, tasks):
    zhao = as_(city.zhao)
    token = ok(zhao.get(TASKS, {"page_size": 4, "sort": "updated_at"}))["next"]
    key = decoded(token)["k"][0]
    assert key.endswith("+00:00")
    naive = cursor({"o": ["updated_at", "pk"], "k": [key.removesuffix("+00:00"), 1], "n": 4})
    assert zhao.get(TASKS, {"after": naive, "sort": "updated_at"}).status_code == 422


def test_due_dates_are_never_null_so_no_cursor_names_one(city, as_, tasks):
    # The ledger's order keys are all NOT NULL columns: NULLs, which SQLite sorts first and PostgreSQL
    # last, never decide an order, and a cursor naming one is refused (above) instead of compared.
    for name in ("due_on", "progress", "updated_at", "path"):
        assert not Task._meta.get_field(name).null
    after_null = cursor({"o": ["due_on", "pk"], "k": [None, tasks[0].pk], "n": 4})
    assert as_(city.zhao).get(TASKS, {"after": after_null}).status_code == 422


# --- cost -----------------------------------------------------------------------------------------


def test_a_deep_page_costs_the_queries_of_the_first_and_seeks_instead_of_skipping(city, as_, clause):
    zhao = as_(city.zhao)
    add_tasks(city, clause, 6)
    with CaptureQueriesContext(connection) as first:
        token = ok(zhao.get(TASKS, {"page_size": 2}))["next"]
    add_tasks(city, clause, 12, start=6)
    _walked, pages = walk(zhao, {"page_size": 2})
    with CaptureQueriesContext(connection) as deep:
        body = ok(zhao.get(TASKS, {"page_size": 2, "after": pages[-2]["next"]}))
    assert ids(body) == ids(pages[-1])
    assert body["page"] == 9
    assert len(deep.captured_queries) == len(first.captured_queries)
    page_queries = [q["sql"] for q in deep.captured_queries if "LIMIT" in q["sql"].upper()]
    assert page_queries
    assert not any("OFFSET" in sql.upper() for sql in page_queries)
    assert token
