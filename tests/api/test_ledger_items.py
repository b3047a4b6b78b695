"""The ledger's page (``GET /api/v1/tasks``) answers its rows from column values (``schemas.ledger_item``)
instead of validating each task through ``TaskOut``: it must say exactly what ``TaskOut`` says, field for
field and in its order, for rows with every field filled in and for rows with the optional ones empty."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from ninja.responses import NinjaJSONEncoder

from luoshi.directives.models import FocusArea
from luoshi.organizations.models import User
from luoshi.tasks import selectors, services
from luoshi.tasks.models import Priority, Task
from luoshi.tasks.schemas import PagedTaskOut, TaskOut
from tests.api.tasks_support import TASKS, TODAY, city_task

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _frozen_day(settings):
    settings.LUOSHI_TODAY = TODAY.isoformat()


@pytest.fixture
def varied(city, clause):
    """Tasks that between them fill in every field of a ledger row, and leave each optional one empty."""
    area = FocusArea.objects.create(name="城市更新", code="renewal")
    # A handler known only by first and last name, and one only by user name: ``User.name_of``'s fallbacks.
    User.objects.filter(pk=city.chen.pk).update(display_name="", first_name="刚", last_name="陈")
    parent = city_task(
        city,
        clause,
        title="老旧小区改造",
        acknowledged=True,
        focus_area=area,
        handler=city.wang,
        priority=Priority.URGENT,
        report_cadence="weekly",
    )
    sub = services.task_decompose(
        actor=city.wang,
        parent=parent,
        version=parent.version,
        lead_org=city.tiexi_street,
        title="兴盛街道改造",
        due_on=date(2024, 5, 31),
        handler=city.chen,
    )
    # A leaf being worked on, past its deadline and its report day (overdue, report missing).
    late = city_task(
        city, clause, title="河道整治", due=date(2024, 2, 28), acknowledged=True, report_cadence="weekly"
    )
    Task.objects.filter(pk=late.pk).update(next_report_due=TODAY - timedelta(days=3))
    # Closed, late, with a moved deadline, and a handler named by user name only.
    closed = city_task(city, clause, title="冬季供暖保障", lead=city.tiedong, acknowledged=False)
    User.objects.filter(pk=city.sun.pk).update(display_name="", first_name="", last_name="")
    Task.objects.filter(pk=closed.pk).update(
        status="closed",
        light="closed",
        closed_on=TODAY - timedelta(days=1),
        closed_late=True,
        original_due_on=date(2024, 1, 31),
        handler=city.sun,
    )
    # A draft of the city's own, without a clause, directive or focus area.
    own = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.government,
        title="自办任务",
        due_on=TODAY,
    )
    return [parent, sub, late, closed, own]


def as_task_out(ids: list[int]) -> list[dict]:
    """The rows ``ids`` as ``TaskOut`` validates and the API's encoder writes them."""
    tasks = {
        t.pk: t
        for t in selectors.with_overlays(Task.objects.select_related(*selectors.LEDGER_RELATED)).filter(
            pk__in=ids
        )
    }
    dumped = [TaskOut.model_validate(tasks[pk]).model_dump() for pk in ids]
    return json.loads(json.dumps(dumped, cls=NinjaJSONEncoder))


@pytest.mark.parametrize("sort", ["due_on", "-due_on", "light", "progress", "-updated_at"])
def test_rows_are_what_task_out_says(city, as_, varied, sort):
    response = as_(city.zhao).get(TASKS, {"sort": sort})
    assert response.status_code == 200, response.content
    body = response.json()
    ids = [row["id"] for row in body["items"]]
    assert sorted(ids) == sorted(t.pk for t in varied)
    assert body["items"] == as_task_out(ids)
    # The same fields in the same order, so the JSON text is the same too.
    assert all(list(row) == list(TaskOut.model_fields) for row in body["items"])
    assert list(body) == list(PagedTaskOut.model_fields)


def test_the_rows_cover_every_case(city, as_, varied):
    """The fixture really fills in, and leaves empty, what the comparison above relies on."""
    rows = as_(city.zhao).get(TASKS).json()["items"]
    by_title = {row["title"]: row for row in rows}
    assert by_title["兴盛街道改造"]["parent"] == varied[0].pk
    assert by_title["兴盛街道改造"]["handler_name"] == "刚 陈"
    assert by_title["老旧小区改造"]["handler_name"] == "王芳"
    assert by_title["老旧小区改造"]["focus_area"] is not None
    assert by_title["冬季供暖保障"]["handler_name"] == city.sun.username
    assert by_title["冬季供暖保障"]["closed_on"] is not None
    assert by_title["冬季供暖保障"]["closed_late"] is True
    assert (by_title["河道整治"]["overdue"], by_title["河道整治"]["report_missing"]) == (True, True)
    # A parent is never "report missing": its subtasks report.
    assert by_title["老旧小区改造"]["report_missing"] is False
    own = by_title["自办任务"]
    assert (own["clause"], own["directive"], own["focus_area"], own["handler"]) == (None, None, None, None)
    assert own["handler_name"] == ""


def test_pages_after_a_cursor_are_what_task_out_says(city, as_, varied):
    client = as_(city.zhao)
    first = client.get(TASKS, {"page_size": 2}).json()
    seen = [row["id"] for row in first["items"]]
    after = first["next"]
    while after:
        body = client.get(TASKS, {"page_size": 2, "after": after}).json()
        assert body["items"] == as_task_out([row["id"] for row in body["items"]])
        seen += [row["id"] for row in body["items"]]
        after = body["next"]
    assert sorted(seen) == sorted(t.pk for t in varied)


def test_a_covered_unit_answers_the_same_rows(city, as_, varied):
    """A unit the caller's scope covers is read without the visibility rule and counted from the
    summaries: the rows are still those ``TaskOut`` would give."""
    body = as_(city.zhao).get(TASKS, {"org": city.tiexi.pk}).json()
    ids = [row["id"] for row in body["items"]]
    assert body["count"] == len(ids) == 3
    assert body["items"] == as_task_out(ids)


def test_the_page_is_described_as_before(client):
    """The document still names the page ``PagedTaskOut`` with its items as ``TaskOut``, as Ninja's
    pagination named it, and takes the same query parameters."""
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/v1/tasks"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PagedTaskOut"}
    paged = schema["components"]["schemas"]["PagedTaskOut"]
    assert paged["properties"]["items"]["items"] == {"$ref": "#/components/schemas/TaskOut"}
    assert set(paged["required"]) == {"items", "count", "page", "page_size", "next"}
    names = [p["name"] for p in operation["parameters"]]
    assert names[-3:] == ["page", "page_size", "after"]
    assert {"org", "focus_area", "light", "status", "sort", "q"} <= set(names)
