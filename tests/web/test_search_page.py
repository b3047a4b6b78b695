"""The search page: hits grouped by kind, highlighted and escaped, linked, and only what one may see."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from luoshi.directives import services as directives
from luoshi.search import services as search_index
from luoshi.tasks import reporting, services

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def found(desk):
    """A clause, a task, a report and a directive mentioning 黑臭水体, indexed."""
    city = desk.city
    directive = directives.directive_create(
        actor=city.zhao,
        issuing_org=city.government,
        title="黑臭水体治理方案",
        level="municipal",
        kind="document",
        issued_on=date(2024, 2, 1),
    )
    clause = directives.clause_add(actor=city.zhao, directive=directive, text="全面消除城市黑臭水体。")
    task = desk.acknowledged_city_task(
        title="铁西区黑臭水体整治", description="<script>alert(1)</script>排查"
    )
    report = reporting.report_progress(
        actor=city.wang, task=task, version=task.version, narrative="已完成黑臭水体排查。", progress=30
    )
    hidden = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiedong,
        title="铁东区黑臭水体整治",
        due_on=date(2024, 6, 28),
    )
    for kind, obj in (("directive", directive), ("clause", clause), ("task", task), ("task", hidden)):
        search_index.index_objects(kind, [obj.pk])
    search_index.index_report(report)
    return {"directive": directive, "clause": clause, "task": task, "hidden": hidden}


def test_hits_are_grouped_by_kind_highlighted_and_linked(login, desk, found):
    body = login(desk.city.zhao).get(reverse("web:search"), {"q": "黑臭"}).content.decode()
    assert '<h2 id="group-task">Task' in body
    assert '<h2 id="group-clause">Clause' in body
    assert '<h2 id="group-report">Progress report' in body
    assert body.index('id="group-task"') < body.index('id="group-clause"')
    assert "<mark>黑臭</mark>" in body
    assert reverse("web:task_detail", kwargs={"pk": found["task"].pk}) in body
    clause_url = reverse("web:directive_detail", kwargs={"pk": found["directive"].pk})
    assert f"{clause_url}#clause-{found['clause'].pk}" in body


def test_text_is_escaped_and_only_the_marks_are_html(login, desk, found):
    body = login(desk.city.zhao).get(reverse("web:search"), {"q": "排查"}).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert "<mark>排查</mark>" in body


def test_sun_finds_nothing_of_tiexi(login, desk, found):
    body = login(desk.city.sun).get(reverse("web:search"), {"q": "黑臭"}).content.decode()
    assert "铁东区黑臭水体整治" in body
    assert "铁西区黑臭水体整治" not in body
    assert "已完成黑臭水体排查" not in body


def test_an_empty_search_explains_itself_and_punctuation_is_refused(login, desk, found):
    client = login(desk.city.zhao)
    body = client.get(reverse("web:search")).content.decode()
    assert "One or two characters are enough." in body
    body = client.get(reverse("web:search"), {"q": "？？"}).content.decode()
    assert "not only punctuation" in body


def test_no_hit_says_so(login, desk, found):
    body = login(desk.city.zhao).get(reverse("web:search"), {"q": "量子计算"}).content.decode()
    assert "Nothing contains these words." in body


def test_kind_filter_and_htmx_partial(login, desk, found):
    response = login(desk.city.zhao).get(
        reverse("web:search"), {"q": "黑臭", "kind": "directive"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="group-directive"' in body
    assert 'id="group-task"' not in body


def test_every_page_has_a_search_box(login, city):
    body = login(city.wang).get(reverse("web:home")).content.decode()
    assert f'action="{reverse("web:search")}" role="search"' in body
    assert 'id="site-search-q" name="q"' in body
