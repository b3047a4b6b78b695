"""The task page: header, facts, subtree, milestones, the merged timeline; who sees it, what it costs."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.services import evidence_attach
from luoshi.tasks import reporting, requests, services, workflow
from luoshi.tasks.models import Task
from tests.web.task_helpers import TODAY, make_desk, png_upload

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _frozen_day_and_file_store(settings, tmp_path):
    settings.LUOSHI_TODAY = TODAY.isoformat()
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def desk(city):
    return make_desk(city)


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def page(client, task: Task) -> str:
    response = client.get(reverse("web:task_detail", args=[task.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_header_and_facts(login, desk, city):
    task = desk.acknowledged_city_task(description="完成12个小区改造", expected_outcome="居民满意")
    services.task_set_people(
        actor=city.zhao,
        task=fresh(task),
        version=fresh(task).version,
        handler=city.wang,
        responsible_leader=desk.tiexi_head,
    )
    body = page(login(city.wang), task)
    assert "<h1>推进老旧小区改造</h1>" in body
    assert "In progress" in body
    assert "Green light" in body
    for text in (
        city.tiexi.name,  # lead unit
        city.government.name,  # assigning unit
        "王芳",  # handler
        "刘洋",  # responsible leader
        "Monthly",
        "2024-06-28",
        "2024-04-05",  # the monthly report is due by the 5th of the next month
        "完成12个小区改造",
        "居民满意",
        desk.clause.text,
        desk.directive.title,
        "Clause 1",
        "is working on it",
    ):
        assert text in body, text
    assert " style=" not in body
    assert "<script>" not in body


def test_expected_progress_and_report_missing(login, desk, city, settings):
    task = desk.acknowledged_city_task()
    settings.LUOSHI_TODAY = "2024-04-10"  # the report due by 5 April did not come
    body = page(login(city.wang), task)
    assert "report missing" in body
    # 40 of 119 days gone: expected progress 34 %.
    assert "0% · expected 34%" in body


def test_an_extended_task_closed_after_its_original_date_shows_closed_late(login, desk, city, settings):
    task = desk.acknowledged_city_task(due=date(2024, 3, 20))
    requests.extension_request(
        actor=city.wang,
        task=fresh(task),
        version=fresh(task).version,
        requested_due_on=date(2024, 4, 30),
        reason="汛期",
    )
    requests.extension_approve(actor=city.zhao, request=task.extension_requests.get())
    settings.LUOSHI_TODAY = "2024-04-01"
    workflow.task_request_completion(actor=city.wang, task=fresh(task), version=fresh(task).version)
    workflow.task_accept(actor=city.zhao, task=fresh(task), version=fresh(task).version)
    body = page(login(city.wang), task)
    assert "originally 2024-03-20" in body
    assert "closed late" in body
    assert "Closed late" in body  # the light badge says it too
    assert "closed on time" not in body


def test_subtree_with_lights_and_progress_and_the_parent_chain(login, desk, city):
    task = desk.acknowledged_city_task()
    street = desk.street_task(task, title="兴盛街道改造")
    reporting.report_progress(
        actor=city.chen, task=fresh(street), version=fresh(street).version, narrative="启动", progress=20
    )
    body = page(login(city.wang), task)
    assert reverse("web:task_detail", args=[street.pk]) in body
    assert "兴盛街道改造" in body
    assert "20%" in body

    # From below, the parent is a link for Wang; Chen may not see it, and the page says so.
    assert reverse("web:task_detail", args=[task.pk]) in page(login(city.wang), street)
    chen_view = page(login(city.chen), street)
    assert reverse("web:task_detail", args=[task.pk]) not in chen_view
    assert "(a task you cannot see)" in chen_view


def test_timeline_merges_everything_newest_first(login, desk, city):
    task = desk.acknowledged_city_task()
    report = reporting.report_progress(
        actor=city.wang, task=fresh(task), version=fresh(task).version, narrative="第一次报告", progress=30
    )
    evidence_attach(actor=city.wang, task=task, files=[png_upload("第一张.png")], report=report)
    requests.extension_request(
        actor=city.wang,
        task=fresh(task),
        version=fresh(task).version,
        requested_due_on=date(2024, 7, 31),
        reason="汛期",
    )
    requests.extension_deny(actor=city.zhao, request=task.extension_requests.get(), note="不同意")
    workflow.task_request_completion(
        actor=city.wang, task=fresh(task), version=fresh(task).version, note="完成"
    )
    workflow.task_reject(actor=city.zhao, task=fresh(task), version=fresh(task).version, reason="证据不足")
    body = page(login(city.wang), task)
    timeline = body[body.index('id="task-timeline-title"') :]
    order = [
        "证据不足",  # rejected
        "Completion requested",
        "不同意",  # extension denied
        "Extension requested",
        "第一次报告",
        "Acknowledged",
        "Assigned",
        "Registered",
    ]
    positions = [timeline.index(text) for text in order]
    assert positions == sorted(positions)
    assert "第一张.png" in timeline
    assert reverse("evidence:download", args=[EvidenceFile.objects.get().pk]) in timeline
    assert "Under review → Returned for rework" in timeline


def test_sun_in_the_sibling_district_gets_not_found(login, desk, city):
    task = desk.acknowledged_city_task()
    response = login(city.sun).get(reverse("web:task_detail", args=[task.pk]))
    assert response.status_code == 404
    assert task.title not in response.content.decode()


def _action_url(task: Task, key: str) -> str:
    if key in {"report", "decompose"}:
        return reverse(f"web:task_{key}", args=[task.pk])
    return reverse("web:task_action", args=[task.pk, key])


def _offered(body: str, task: Task, keys: list[str]) -> list[str]:
    return [key for key in keys if _action_url(task, key) in body]


ALL_KEYS = [
    "acknowledge",
    "send-back",
    "report",
    "request-completion",
    "request-extension",
    "decompose",
    "milestone",
    "accept",
    "reject",
    "transfer",
    "cancel",
    "override-light",
    "reopen",
    "assign",
]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("wang", ["report", "request-completion", "request-extension", "decompose", "milestone"]),
        ("zhao", ["milestone", "transfer", "cancel", "override-light"]),
        ("tiexi_admin", []),
    ],
)
def test_each_person_is_offered_only_their_actions(login, desk, city, persona, expected):
    task = desk.acknowledged_city_task()
    body = page(login(getattr(city, persona)), task)
    assert _offered(body, task, ALL_KEYS) == expected


def test_the_street_handler_works_on_the_street_task(login, desk, city):
    task = desk.acknowledged_city_task()
    street = desk.street_task(task)
    body = page(login(city.chen), street)
    assert _offered(body, street, ALL_KEYS) == [
        "report",
        "request-completion",
        "request-extension",
        "decompose",
        "milestone",
    ]
    # Wang's district assigned it: as its handler she may re-route it, and its head decides on it.
    assert _offered(page(login(city.wang), street), street, ["cancel", "transfer"]) == ["transfer"]
    assert _offered(page(login(desk.tiexi_head), street), street, ["cancel", "transfer"]) == [
        "cancel",
        "transfer",
    ]


def test_a_person_with_nothing_to_do_is_told_so(login, desk, city):
    task = desk.acknowledged_city_task()
    body = page(login(city.tiexi_admin), task)
    assert "Nothing here waits for you now." in body


def _grow(desk, city, task: Task, count: int) -> None:
    """``count`` subtasks of ``task`` for the street, assigned."""
    for i in range(count):
        sub = services.task_decompose(
            actor=city.wang,
            parent=fresh(task),
            version=fresh(task).version,
            lead_org=city.tiexi_street,
            title=f"子任务{i}",
            due_on=date(2024, 5, 31),
        )
        workflow.task_assign(actor=city.wang, task=sub, version=sub.version)


def _report_many(city, task: Task, count: int) -> None:
    """``count`` reports by Wang on ``task``, every fifth with a photo."""
    for i in range(count):
        report = reporting.report_progress(
            actor=city.wang, task=fresh(task), version=fresh(task).version, narrative=f"报告{i}"
        )
        if i % 5 == 0:
            evidence_attach(actor=city.wang, task=task, files=[png_upload(f"照片{i}.png")], report=report)


def test_query_count_does_not_grow_with_reports_and_subtasks(login, desk, city):
    task = desk.acknowledged_city_task()
    client = login(city.wang)
    _report_many(city, task, 10)
    _grow(desk, city, task, 10)
    client.get(reverse("web:task_detail", args=[task.pk]))  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("web:task_detail", args=[task.pk])).status_code == 200
    _report_many(city, task, 30)
    _grow(desk, city, task, 30)
    with CaptureQueriesContext(connection) as large:
        body = page(client, task)
    assert body.count("子任务") == 40
    assert body.count("报告") >= 40
    assert len(large.captured_queries) == len(small.captured_queries), [
        q["sql"] for q in large.captured_queries
    ]
