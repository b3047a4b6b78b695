"""The directive endpoints: who sees and registers directives, their clauses with what became of each, the
tree of a directive and its cost, focus areas, and the OpenAPI document of the task loop."""

from __future__ import annotations

import importlib.util
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from luoshi.audit.models import AuditEvent
from luoshi.directives.models import Clause, Directive, FocusArea
from luoshi.tasks import services, workflow
from tests.api.tasks_support import TODAY, city_task, fresh, make_clause, make_directive

pytestmark = pytest.mark.usefixtures("english")

DIRECTIVES = "/api/v1/directives"


@pytest.fixture(autouse=True)
def _frozen_day(settings):
    settings.LUOSHI_TODAY = TODAY.isoformat()


def directive_url(directive: Directive, tail: str = "") -> str:
    return f"{DIRECTIVES}/{directive.pk}" + (f"/{tail}" if tail else "")


def directive_rows() -> tuple[list, list, int]:
    return (
        list(Directive.objects.order_by("pk").values()),
        list(Clause.objects.order_by("pk").values()),
        AuditEvent.objects.exclude(action__startswith="api_token.").count(),
    )


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["items"]]


NEW = {
    "title": "关于推动绿色低碳发展的实施意见",
    "level": "municipal",
    "kind": "document",
    "issued_on": "2024-02-01",
    "doc_number": "鞍政发〔2024〕5号",
    "issuing_body": "鞍山市人民政府",
    "full_text": "一、总体要求……",
}


# --- seeing and registering -----------------------------------------------------------------------


def test_list_filters_and_who_sees_what(city, as_):
    meeting = make_directive(city)
    inspection = make_directive(city, title="省生态环境保护督察反馈意见", doc_number="")
    Directive.objects.filter(pk=inspection.pk).update(kind="inspection", level="provincial")
    zhao = as_(city.zhao)
    # Newest first; on the same date, the one registered last first.
    assert titles(zhao.get(DIRECTIVES)) == ["省生态环境保护督察反馈意见", "市政府常务会议纪要"]
    assert titles(zhao.get(DIRECTIVES, {"kind": "inspection"})) == ["省生态环境保护督察反馈意见"]
    assert titles(zhao.get(DIRECTIVES, {"level": "municipal"})) == ["市政府常务会议纪要"]
    assert titles(zhao.get(DIRECTIVES, {"q": "3号"})) == ["市政府常务会议纪要"]
    assert titles(zhao.get(DIRECTIVES, {"q": "督察"})) == ["省生态环境保护督察反馈意见"]
    # A district sees the city's directive once it has a task from it; its sibling does not.
    assert titles(as_(city.wang).get(DIRECTIVES)) == []
    city_task(city, make_clause(city, meeting))
    assert titles(as_(city.wang).get(DIRECTIVES)) == ["市政府常务会议纪要"]
    assert titles(as_(city.sun).get(DIRECTIVES)) == []
    assert as_(city.sun).get(directive_url(meeting)).status_code == 404
    body = as_(city.wang).get(directive_url(meeting)).json()
    assert (body["issuing_org"], body["issuing_org_name"], body["doc_number"]) == (
        city.government.pk,
        "鞍山市人民政府",
        "鞍政办发〔2024〕3号",
    )


def test_register_a_directive(city, as_):
    response = as_(city.zhao).post(DIRECTIVES, {**NEW, "issuing_org": city.government.pk})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["full_text"], body["version"]) == (NEW["title"], "一、总体要求……", 1)
    assert AuditEvent.objects.filter(action="directive.create", object_id=str(body["id"])).exists()


@pytest.mark.parametrize(
    ("persona", "org", "status"),
    [
        ("wang", "government", 403),  # sees the city government (above her), does not speak for it
        ("sun", "tiexi", 404),  # the sibling district is hidden
        ("chen", "tiexi", 403),
    ],
)
def test_registering_for_another_unit_is_refused(city, as_, persona, org, status):
    client = as_(getattr(city, persona))
    before = directive_rows()
    response = client.post(DIRECTIVES, {**NEW, "issuing_org": getattr(city, org).pk})
    assert response.status_code == status, response.content
    assert directive_rows() == before


def test_district_registers_its_own(city, as_):
    response = as_(city.wang).post(DIRECTIVES, {**NEW, "issuing_org": city.tiexi.pk, "level": "district"})
    assert response.status_code == 201, response.content


def test_patch_with_version(city, as_):
    directive = make_directive(city)
    zhao = as_(city.zhao)
    response = zhao.patch(directive_url(directive), {"version": 1, "title": "市政府第5次常务会议纪要"})
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["version"]) == ("市政府第5次常务会议纪要", 2)
    before = directive_rows()
    response = zhao.patch(directive_url(directive), {"version": 1, "title": "旧"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    other = make_directive(city, title="另一份", doc_number="鞍政发〔2024〕9号")
    before = directive_rows()
    response = zhao.patch(directive_url(other), {"version": 1, "doc_number": "鞍政办发[2024]3号"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["doc_number"]
    assert directive_rows() == before


def test_only_the_issuing_side_changes_a_directive(city, as_):
    directive = make_directive(city)
    city_task(city, make_clause(city, directive))
    before = directive_rows()
    assert as_(city.wang).patch(directive_url(directive), {"version": 1, "title": "改"}).status_code == 403
    assert as_(city.sun).patch(directive_url(directive), {"version": 1, "title": "改"}).status_code == 404
    assert directive_rows() == before


def test_bad_input_names_the_field(city, as_):
    response = as_(city.zhao).post(DIRECTIVES, {**NEW, "issuing_org": city.government.pk, "kind": "rumour"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "kind": ["Select a valid choice. That choice is not one of the available choices."]
    }


# --- clauses --------------------------------------------------------------------------------------


def test_clauses_show_what_became_of_them(city, as_):
    directive = make_directive(city)
    zhao = as_(city.zhao)
    area = FocusArea.objects.create(name="城市建设管理", code="urban")
    response = zhao.post(
        directive_url(directive, "clauses"),
        {"text": "加快推进城市更新。", "heading": "一、城市建设", "focus_area": area.pk},
    )
    assert response.status_code == 201, response.content
    first = response.json()
    assert (first["ordinal"], first["focus_area_name"], first["not_decomposed"], first["tasks"]) == (
        1,
        "城市建设管理",
        True,
        [],
    )
    second = zhao.post(directive_url(directive, "clauses"), {"text": "整治河道。", "kind": "problem"}).json()
    assert second["ordinal"] == 2

    clause = Clause.objects.get(pk=first["id"])
    task = city_task(city, clause, acknowledged=True, due=date(2024, 3, 4))
    rows = zhao.get(directive_url(directive, "clauses")).json()
    assert [(r["ordinal"], r["task_count"], r["not_decomposed"]) for r in rows] == [
        (1, 1, False),
        (2, 0, True),
    ]
    assert rows[0]["worst_light"] == "blue"  # due within three working days
    assert [t["id"] for t in rows[0]["tasks"]] == [task.pk]
    # The task inherits the clause's focus area.
    assert fresh(task).focus_area_id == area.pk


def test_clause_counts_include_tasks_the_reader_cannot_see(city, as_):
    directive = make_directive(city)
    clause = make_clause(city, directive)
    city_task(city, clause)
    city_task(city, clause, lead=city.tiedong, title="铁东区改造")
    rows = as_(city.wang).get(directive_url(directive, "clauses")).json()
    assert rows[0]["task_count"] == 2
    assert [t["lead_org_name"] for t in rows[0]["tasks"]] == ["铁西区人民政府"]


def test_adding_a_clause_needs_the_issuing_side(city, as_):
    directive = make_directive(city)
    city_task(city, make_clause(city, directive))
    before = directive_rows()
    response = as_(city.wang).post(directive_url(directive, "clauses"), {"text": "新增要求。"})
    assert response.status_code == 403
    response = as_(city.zhao).post(directive_url(directive, "clauses"), {"text": "   "})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["text"]
    assert directive_rows() == before


# --- the tree -------------------------------------------------------------------------------------


def _subtask(city, parent, *, lead=None, title="兴盛街道改造"):
    parent = fresh(parent)
    sub = services.task_decompose(
        actor=city.wang,
        parent=parent,
        version=parent.version,
        lead_org=lead or city.tiexi_street,
        title=title,
        due_on=date(2024, 5, 31),
    )
    sub = workflow.task_assign(actor=city.wang, task=sub, version=sub.version)
    return workflow.task_acknowledge(actor=city.chen, task=sub, version=sub.version)


def test_tree_nests_tasks_under_their_clauses(city, as_):
    directive = make_directive(city)
    renewal, rivers = make_clause(city, directive), make_clause(city, directive, "整治河道。")
    task = city_task(city, renewal, acknowledged=True)
    sub = _subtask(city, task)
    other = city_task(city, renewal, lead=city.tiedong, title="铁东区改造")
    loose = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="会议精神传达",
        due_on=date(2024, 4, 30),
        directive=directive,
    )

    tree = as_(city.zhao).get(directive_url(directive, "tree")).json()
    assert tree["directive"]["id"] == directive.pk
    first, second = tree["clauses"]
    assert (first["task_count"], second["not_decomposed"], second["tasks"]) == (2, True, [])
    assert [(n["id"], [c["id"] for c in n["children"]]) for n in first["tasks"]] == [
        (task.pk, [sub.pk]),
        (other.pk, []),
    ]
    child = first["tasks"][0]["children"][0]
    assert (child["depth"], child["lead_org_name"], child["status"]) == (2, "铁西区兴盛街道", "in_progress")
    assert [n["id"] for n in tree["other_tasks"]] == [loose.pk]
    assert rivers.pk == second["id"]

    # The street sees its subtask, hanging from the clause since the district's task is hidden from it.
    first = as_(city.chen).get(directive_url(directive, "tree")).json()["clauses"][0]
    assert [(n["id"], n["children"]) for n in first["tasks"]] == [(sub.pk, [])]
    assert (
        as_(city.sun)
        .get(directive_url(make_directive(city, title="别的", doc_number=""), "tree"))
        .status_code
        == 404
    )


def test_tree_costs_the_same_for_any_size(city, as_, django_assert_max_num_queries):
    directive = make_directive(city)
    clauses = [make_clause(city, directive, f"第{n}条要求。") for n in range(3)]
    client = as_(city.zhao)

    def grow(count: int) -> None:
        for n in range(count):
            task = city_task(city, clauses[n % 3], title=f"任务{n}", acknowledged=True)
            if n % 2:
                _subtask(city, task, title=f"子任务{n}")

    grow(4)
    with CaptureQueriesContext(connection) as small:
        client.get(directive_url(directive, "tree"))
    grow(16)
    with django_assert_max_num_queries(len(small.captured_queries)):
        tree = client.get(directive_url(directive, "tree")).json()
    assert sum(len(c["tasks"]) for c in tree["clauses"]) == 20
    assert sum(len(n["children"]) for c in tree["clauses"] for n in c["tasks"]) == 10


# --- focus areas ----------------------------------------------------------------------------------


def test_focus_areas(city, as_):
    FocusArea.objects.create(name="创新驱动", code="innovation", sort_order=1)
    FocusArea.objects.create(name="绿色发展", code="green", sort_order=2)
    FocusArea.objects.create(name="旧分类", code="old", sort_order=0, is_active=False)
    client = as_(city.sun)
    assert [a["code"] for a in client.get("/api/v1/focus-areas").json()["items"]] == ["innovation", "green"]
    everything = client.get("/api/v1/focus-areas", {"include_inactive": True}).json()["items"]
    assert [a["code"] for a in everything] == ["old", "innovation", "green"]


# --- the document ---------------------------------------------------------------------------------

TASK_LOOP_PATHS = {
    "/api/v1/directives": {"get", "post"},
    "/api/v1/directives/{directive_id}": {"get", "patch"},
    "/api/v1/directives/{directive_id}/clauses": {"get", "post"},
    "/api/v1/directives/{directive_id}/tree": {"get"},
    "/api/v1/focus-areas": {"get"},
    "/api/v1/tasks": {"get", "post"},
    "/api/v1/tasks/{task_id}": {"get", "patch"},
    "/api/v1/tasks/{task_id}/subtasks": {"post"},
    "/api/v1/tasks/{task_id}/timeline": {"get"},
    "/api/v1/tasks/{task_id}/reports": {"get", "post"},
    "/api/v1/tasks/{task_id}/extension-requests": {"post"},
    "/api/v1/tasks/{task_id}/completion-requests": {"post"},
    **{
        f"/api/v1/tasks/{{task_id}}/{action}": {"post"}
        for action in (
            "assign",
            "start",
            "acknowledge",
            "send-back",
            "transfer",
            "request-completion",
            "accept",
            "reject",
            "object",
            "conclude-notice",
            "cancel",
            "reopen",
        )
    },
    "/api/v1/requests/{request_id}/approve": {"post"},
    "/api/v1/requests/{request_id}/deny": {"post"},
    "/api/v1/reports/{report_id}": {"get"},
    "/api/v1/inbox": {"get"},
}


def test_document_lists_every_path_of_the_task_loop(db):
    paths = Client().get("/api/openapi.json").json()["paths"]
    for path, methods in TASK_LOOP_PATHS.items():
        assert methods <= set(paths.get(path, {})), path
        for method in methods:
            assert paths[path][method]["security"], f"{method} {path} is open"
    multipart = paths["/api/v1/tasks/{task_id}/reports"]["post"]["requestBody"]["content"]
    assert "files" in multipart["multipart/form-data"]["schema"]["properties"]
    # The routers of the evidence and search apps are mounted once their modules exist.
    if importlib.util.find_spec("luoshi.evidence.api"):
        assert "/api/v1/evidence/{evidence_id}/download" in paths
    if importlib.util.find_spec("luoshi.search.api"):
        assert "/api/v1/search" in paths


def test_a_body_over_the_upload_limit_is_refused_with_413_and_nothing_is_created(city, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    before = Directive.objects.count()
    response = api_as(city.zhao).post("/api/v1/directives", {"title": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert "1 MB" in response.json()["error"]["message"]
    assert Directive.objects.count() == before
