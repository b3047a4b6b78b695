"""``GET /api/v1/search``: hits as JSON, filtered by kind, paginated, refused queries in the error shape."""

from __future__ import annotations

import pytest

from luoshi.search.api import HitOut, SearchOut
from luoshi.search.models import EntryKind
from tests.api.conftest import ApiClient, api_as  # noqa: F401 -- the fixture is used by the tests

pytestmark = pytest.mark.urls("tests.search.urls")
URL = "/api/v1/search"


def test_hits_come_as_json_with_highlighted_snippets(city, work, api_as):  # noqa: F811
    task = work.started(work.task("推进老旧小区改造"), city.wang)
    work.report(task, city.wang, "推进顺利")
    work.task("推进老旧小区改造（铁东）", lead=city.tiedong)
    answer = api_as(city.wang).get(URL, {"q": "推进", "page_size": 1})
    assert answer.status_code == 200
    body = answer.json()
    assert body["count"] == 2  # 铁东区's task is not Wang's to see
    assert body["count_is_exact"] is True
    assert (body["page"], body["page_size"], body["query"]) == (1, 1, "推进")
    [item] = body["items"]
    assert item["kind"] == EntryKind.REPORT
    assert item["task"] == task.pk
    assert item["snippet"] == "<mark>推进</mark>顺利"
    second = api_as(city.wang).get(URL, {"q": "推进", "page_size": 1, "page": 2}).json()
    assert [i["id"] for i in second["items"]] == [task.pk]


def test_kind_narrows_and_may_be_repeated(city, work, api_as):  # noqa: F811
    task = work.started(work.task("推进老旧小区改造"), city.wang)
    work.report(task, city.wang, "推进顺利")
    client = api_as(city.zhao)
    assert [i["kind"] for i in client.get(URL, {"q": "推进", "kind": "task"}).json()["items"]] == ["task"]
    both = client.get(f"{URL}?q=推进&kind=task&kind=report").json()
    assert sorted(i["kind"] for i in both["items"]) == ["report", "task"]
    assert client.get(URL, {"q": "推进", "kind": "meeting"}).status_code == 422


def test_a_bad_query_answers_422_on_field_q(city, api_as):  # noqa: F811
    answer = api_as(city.zhao).get(URL, {"q": "，。"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["q"]


def test_anonymous_callers_are_refused(db):
    assert ApiClient().get(URL, {"q": "推进"}).status_code == 401


def test_the_answer_is_what_search_out_says(city, work, api_as):  # noqa: F811
    """The endpoint writes its JSON from the hits' values (``api.search_body``) instead of validating each
    hit through ``HitOut``: field for field and in their order, it is what ``SearchOut`` gives."""
    task = work.started(work.task("<b>推进</b>老旧小区改造", description="Energy"), city.wang)
    work.report(task, city.wang, "推进顺利")
    work.directive("推进方案", by=city.zhao, org=city.government, clauses=("加快推进。",))
    answer = api_as(city.zhao).get(URL, {"q": "推进", "page_size": 10})
    body = answer.json()
    assert {item["kind"] for item in body["items"]} >= {"task", "report"}
    assert any(item["task"] is None and item["directive"] is not None for item in body["items"])
    validated = SearchOut.model_validate(body).model_dump(mode="json")
    assert body == validated
    assert list(body) == list(SearchOut.model_fields)
    assert all(list(item) == list(HitOut.model_fields) for item in body["items"])
    assert answer.headers["Content-Type"].startswith("application/json")
