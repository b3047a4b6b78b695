"""Directive pages: the list with its counts, registering a directive, the tree of clauses and tasks,
adding clauses, and creating tasks from a clause."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.directives import services as directives
from luoshi.directives.models import Clause, Directive, FocusArea
from luoshi.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.usefixtures("english")


def detail(client, directive) -> str:
    return client.get(reverse("web:directive_detail", kwargs={"pk": directive.pk})).content.decode()


def clause_html(body: str, clause) -> str:
    start = body.index(f'id="clause-{clause.pk}"')
    return body[start : body.index("</details>\n  </li>", start)]


# --- the list -------------------------------------------------------------------------------------


def test_list_counts_clauses_tasks_and_what_is_not_decomposed(login, desk):
    directives.clause_add(actor=desk.city.zhao, directive=desk.directive, text="第二条要求，尚无任务。")
    desk.city_task(title="任务一")
    desk.city_task(title="任务二", lead=desk.city.tiedong)
    body = login(desk.city.zhao).get(reverse("web:directive_list")).content.decode()
    assert "市政府常务会议纪要" in body
    assert "鞍政办发〔2024〕3号" in body
    assert '<td data-label="Clauses" class="num">2</td>' in body
    assert '<td data-label="Tasks" class="num">2</td>' in body
    assert '<span class="tag tag-undecomposed">1</span>' in body


def test_sun_sees_a_directive_through_her_task_and_counts_only_what_she_sees(login, desk):
    desk.city_task(title="任务一")
    desk.city_task(title="任务二", lead=desk.city.tiedong)
    body = login(desk.city.sun).get(reverse("web:directive_list")).content.decode()
    assert "市政府常务会议纪要" in body
    assert '<td data-label="Tasks" class="num">1</td>' in body


# --- registering ----------------------------------------------------------------------------------


def _form(**changes):
    data = {
        "title": "关于推进绿色低碳发展的实施意见",
        "issuing_org": "",
        "issuing_body": "鞍山市人民政府办公室",
        "level": "municipal",
        "kind": "document",
        "doc_number": "鞍政办发[2022]12号",
        "issued_on": "2022-08-22",
        "full_text": "一、总体要求……",
    }
    data.update(changes)
    return data


def test_register_normalizes_the_document_number(login, city):
    client = login(city.zhao)
    assert client.get(reverse("web:directive_new")).status_code == 200
    response = client.post(reverse("web:directive_new"), _form(issuing_org=city.government.pk))
    directive = Directive.objects.get(title="关于推进绿色低碳发展的实施意见")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:directive_detail", kwargs={"pk": directive.pk})
    assert directive.doc_number == "鞍政办发〔2022〕12号"
    assert directive.issuing_org == city.government
    assert "鞍政办发〔2022〕12号" in detail(client, directive)


@pytest.mark.parametrize("raw", ["鞍政办发（2022）12号", "鞍政办发【2022】12号", "鞍政办发(2022)第12号"])
def test_register_accepts_the_brackets_people_type(login, city, raw):
    login(city.zhao).post(reverse("web:directive_new"), _form(issuing_org=city.government.pk, doc_number=raw))
    assert Directive.objects.get().doc_number == "鞍政办发〔2022〕12号"


def test_a_bad_document_number_is_shown_on_its_field_and_nothing_is_saved(login, city):
    response = login(city.zhao).post(
        reverse("web:directive_new"), _form(issuing_org=city.government.pk, doc_number="第十二号文件")
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert Directive.objects.count() == 0
    field = body[body.index('for="id_doc_number"') : body.index('id="id_doc_number"')]
    assert "A document number looks like 鞍政办发〔2022〕12号" in field
    assert 'id="form-errors"' in body


def test_a_duplicate_document_number_is_refused_on_its_field(login, desk):
    response = login(desk.city.zhao).post(
        reverse("web:directive_new"),
        _form(issuing_org=desk.city.government.pk, doc_number="鞍政办发〔2024〕3号"),
    )
    assert response.status_code == 422
    assert "is already registered" in response.content.decode()
    assert Directive.objects.count() == 1


def test_a_unit_administrator_cannot_register_directives(login, city):
    assert login(city.tiexi_admin).get(reverse("web:directive_new")).status_code == 403


def test_a_handler_registers_only_for_her_own_unit(login, city):
    client = login(city.wang)
    body = client.get(reverse("web:directive_new")).content.decode()
    assert f'<option value="{city.tiexi.pk}"' in body
    assert f'<option value="{city.government.pk}"' not in body
    response = client.post(reverse("web:directive_new"), _form(issuing_org=city.government.pk))
    assert response.status_code == 422
    assert Directive.objects.count() == 0


# --- the tree -------------------------------------------------------------------------------------


def test_not_yet_decomposed_until_a_task_is_created_from_the_page(login, desk):
    client = login(desk.city.zhao)
    part = clause_html(detail(client, desk.directive), desk.clause)
    assert "Not yet decomposed" in part
    new_task = reverse("web:task_new", kwargs={"pk": desk.directive.pk, "cid": desk.clause.pk})
    assert new_task in part
    response = client.post(
        new_task,
        {
            "title": "推进老旧小区改造",
            "assigning_org": desk.city.government.pk,
            "lead_org": desk.city.tiexi.pk,
            "start_on": "2024-03-01",
            "due_on": "2024-06-28",
            "report_cadence": "monthly",
            "weight": "1",
            "priority": "1",
            "assign_now": "on",
        },
    )
    assert response.status_code == 302
    part = clause_html(detail(client, desk.directive), desk.clause)
    assert "Not yet decomposed" not in part
    assert "推进老旧小区改造" in part
    assert "1 task" in part


def test_the_tree_nests_subtasks_under_their_task(login, desk):
    parent = desk.acknowledged_city_task(title="上级任务")
    desk.street_task(parent, title="街道子任务")
    body = detail(login(desk.city.zhao), desk.directive)
    parent_at = body.index("上级任务")
    child_at = body.index("街道子任务")
    assert parent_at < child_at
    # The parent opens a branch (<details>) that holds the subtask.
    assert '<details open><summary class="task-row level-0">' in body
    assert 'class="task-row leaf level-1"' in body


def test_sun_sees_no_tiexi_task_in_the_tree(login, desk):
    desk.city_task(title="铁西区的任务")
    desk.city_task(title="铁东区的任务", lead=desk.city.tiedong)
    body = detail(login(desk.city.sun), desk.directive)
    assert "铁东区的任务" in body
    assert "铁西区的任务" not in body


def test_a_directive_one_cannot_see_is_not_found(login, city):
    directive = directives.directive_create(
        actor=city.wang,
        issuing_org=city.tiexi,
        title="铁西区内部通知",
        level="district",
        kind="document",
        issued_on=date(2024, 2, 1),
    )
    assert (
        login(city.sun).get(reverse("web:directive_detail", kwargs={"pk": directive.pk})).status_code == 404
    )


def _many(desk, count, start=0):
    for i in range(start, start + count):
        if i % 4 == 0:
            parent = desk.acknowledged_city_task(title=f"树任务{i:03d}")
            desk.street_task(parent, title=f"树子任务{i:03d}")
        else:
            desk.city_task(title=f"树任务{i:03d}")


def test_tree_query_count_does_not_grow(login, desk):
    client = login(desk.city.zhao)
    _many(desk, 10)
    detail(client, desk.directive)
    with CaptureQueriesContext(connection) as small:
        detail(client, desk.directive)
    _many(desk, 50, start=100)
    with CaptureQueriesContext(connection) as large:
        body = detail(client, desk.directive)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert "树子任务148" in body


def test_list_query_count_does_not_grow(login, city):
    client = login(city.zhao)

    def add(count, start):
        for i in range(start, start + count):
            d = directives.directive_create(
                actor=city.zhao,
                issuing_org=city.government,
                title=f"文件{i:03d}",
                level="municipal",
                kind="document",
                issued_on=date(2024, 1, 1),
            )
            directives.clause_add(actor=city.zhao, directive=d, text="一项要求")

    add(10, 0)
    client.get(reverse("web:directive_list"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("web:directive_list"))
    add(50, 100)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("web:directive_list"))
    assert len(large.captured_queries) == len(small.captured_queries)


# --- clauses --------------------------------------------------------------------------------------


def test_add_a_clause_with_a_focus_area(login, desk):
    area = FocusArea.objects.create(name="城市建设管理", code="urban")
    client = login(desk.city.zhao)
    url = reverse("web:clause_new", kwargs={"pk": desk.directive.pk})
    response = client.post(url, {"text": "加快推进城市更新行动。", "kind": "demand", "focus_area": area.pk})
    clause = Clause.objects.get(text="加快推进城市更新行动。")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#clause-{clause.pk}")
    assert clause.ordinal == 2
    assert clause.focus_area == area
    part = clause_html(detail(client, desk.directive), clause)
    assert "城市建设管理" in part
    assert "Not yet decomposed" in part


def test_an_empty_clause_is_refused_on_its_field(login, desk):
    response = login(desk.city.zhao).post(
        reverse("web:clause_new", kwargs={"pk": desk.directive.pk}), {"text": "", "kind": "demand"}
    )
    assert response.status_code == 422
    assert Clause.objects.count() == 1


def test_clauses_are_added_only_by_the_issuing_side(login, desk):
    desk.city_task(title="铁西区的任务")
    url = reverse("web:clause_new", kwargs={"pk": desk.directive.pk})
    assert login(desk.city.wang).get(url).status_code == 403  # sees the directive through her task
    assert login(desk.city.chen).get(url).status_code == 404  # sees nothing of it


# --- tasks from a clause --------------------------------------------------------------------------


def _task_form(desk, **changes):
    data = {
        "title": "整治城区黑臭水体",
        "description": "全面排查城区水体。",
        "expected_outcome": "水体消除黑臭。",
        "assigning_org": desk.city.government.pk,
        "lead_org": desk.city.tiexi.pk,
        "cooperating_orgs": [desk.city.ecology_bureau.pk],
        "handler": desk.city.wang.pk,
        "start_on": "2024-03-01",
        "due_on": "2024-10-31",
        "report_cadence": "monthly",
        "weight": "2",
        "priority": "2",
        "assign_now": "on",
    }
    data.update(changes)
    return data


def _task_url(desk):
    return reverse("web:task_new", kwargs={"pk": desk.directive.pk, "cid": desk.clause.pk})


def test_create_and_assign_a_task_from_a_clause(login, desk):
    client = login(desk.city.zhao)
    form = client.get(_task_url(desk)).content.decode()
    assert "加快推进城市更新" in form  # the clause is quoted above the form
    response = client.post(_task_url(desk), _task_form(desk))
    assert response.status_code == 302
    task = Task.objects.get(title="整治城区黑臭水体")
    assert task.status == TaskStatus.ASSIGNED
    assert task.clause == desk.clause
    assert task.directive == desk.directive
    assert task.handler == desk.city.wang
    assert task.weight == 2
    assert list(task.cooperating_orgs.all()) == [desk.city.ecology_bureau]
    assert task.acknowledge_due_on is not None


def test_create_without_assigning_keeps_a_draft(login, desk):
    data = _task_form(desk)
    del data["assign_now"]
    login(desk.city.zhao).post(_task_url(desk), data)
    assert Task.objects.get(title="整治城区黑臭水体").status == TaskStatus.DRAFT


def test_a_due_date_before_the_start_is_refused_on_the_field_and_nothing_is_saved(login, desk):
    response = login(desk.city.zhao).post(_task_url(desk), _task_form(desk, due_on="2024-02-01"))
    body = response.content.decode()
    assert response.status_code == 422
    field = body[body.index('for="id_due_on"') : body.index('id="id_due_on"')]
    assert "The due date cannot be before the start date." in field
    assert Task.objects.count() == 0


def test_a_handler_outside_the_lead_unit_is_refused_and_nothing_is_saved(login, desk):
    response = login(desk.city.zhao).post(_task_url(desk), _task_form(desk, handler=desk.city.sun.pk))
    assert response.status_code == 422
    assert "The handler must work in the lead unit." in response.content.decode()
    assert Task.objects.count() == 0


def test_a_unit_outside_ones_reach_is_not_a_choice(login, desk):
    client = login(desk.city.li)
    desk.city_task(title="生态任务", lead=desk.city.ecology_bureau)
    form = client.get(_task_url(desk)).content.decode()
    assert (
        f'<option value="{desk.city.tiexi.pk}"' not in form.split('id="id_lead_org"')[1].split("</select>")[0]
    )
    response = client.post(
        _task_url(desk),
        _task_form(desk, assigning_org=desk.city.ecology_bureau.pk, handler="", cooperating_orgs=[]),
    )
    assert response.status_code == 422
    assert not Task.objects.filter(title="整治城区黑臭水体").exists()
