"""Every action of the task page, posted by the persona whose work it is; refusals change nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from luoshi.evidence.models import EvidenceFile
from luoshi.tasks import reporting, requests, services, workflow
from luoshi.tasks.models import (
    CompletionRequest,
    ExtensionRequest,
    Light,
    Milestone,
    ProgressReport,
    RequestStatus,
    SendBack,
    Task,
    TaskStatus,
    TaskTransfer,
)
from tests.rectification.helpers import meet_all_criteria
from tests.web.task_helpers import TODAY, make_desk, pdf_upload, png_upload, snapshot

pytestmark = pytest.mark.usefixtures("english")

S = TaskStatus


@pytest.fixture(autouse=True)
def _frozen_day_and_file_store(settings, tmp_path):
    settings.LUOSHI_TODAY = TODAY.isoformat()
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def desk(city):
    return make_desk(city)


def action_url(task: Task, key: str) -> str:
    if key == "report":
        return reverse("web:task_report", args=[task.pk])
    if key == "decompose":
        return reverse("web:task_decompose", args=[task.pk])
    return reverse("web:task_action", args=[task.pk, key])


def post(client, task: Task, key: str, data: dict | None = None, *, htmx: bool = False):
    payload = {"version": Task.objects.get(pk=task.pk).version, **(data or {})}
    return client.post(action_url(task, key), payload, headers={"HX-Request": "true"} if htmx else {})


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def detail(task: Task) -> str:
    return reverse("web:task_detail", args=[task.pk])


# --- the lead unit: acknowledge, send back, report, ask for completion and extensions -------------


def test_wang_acknowledges_a_task_assigned_to_her_district(login, desk):
    task = desk.city_task()
    response = post(login(desk.city.wang), task, "acknowledge")
    assert response.status_code == 302
    assert response["Location"] == detail(task)
    assert fresh(task).status == S.IN_PROGRESS
    page = login(desk.city.wang).get(detail(task)).content.decode()
    assert "Acknowledged: the task is now in progress." in page


def test_wang_sends_back_a_task_with_her_reason(login, desk):
    task = desk.city_task()
    response = post(login(desk.city.wang), task, "send-back", {"reason": "不属于本区职责"})
    assert response.status_code == 302
    assert fresh(task).status == S.DRAFT
    assert SendBack.objects.get(task=task).reason == "不属于本区职责"
    page = login(desk.city.zhao).get(detail(task)).content.decode()
    assert "不属于本区职责" in page
    assert "sent it back" in page


def test_a_missing_reason_is_shown_on_its_field_and_changes_nothing(login, desk):
    task = desk.city_task()
    before = snapshot()
    response = post(login(desk.city.wang), task, "send-back", {"reason": "   "})
    body = response.content.decode()
    assert response.status_code == 422
    assert snapshot() == before
    # The message sits in the send-back form's reason field, and that form is open.
    field = body[body.index('for="id_send_back_reason"') :]
    assert field.index("Please give a reason.") < field.index('name="reason"')
    assert '<details class="action" open>' in body


def test_wang_reports_progress_with_a_photo_and_a_pdf(login, desk, city):
    task = desk.acknowledged_city_task()
    client = login(city.wang)
    response = post(
        client,
        task,
        "report",
        {
            "progress": "60",
            "narrative": "完成3个小区外墙保温改造",
            "problems": "资金拨付偏慢",
            "next_steps": "推进管网改造",
            "files": [png_upload(), pdf_upload()],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = ProgressReport.objects.get(task=task)
    assert (report.progress, report.reporter, report.problems) == (60, city.wang, "资金拨付偏慢")
    assert fresh(task).progress == 60
    files = list(EvidenceFile.objects.filter(report=report).order_by("pk"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("现场照片.png", "image/png"),
        ("验收报告.pdf", "application/pdf"),
    ]

    page = client.get(detail(task)).content.decode()
    download = reverse("evidence:download", args=[files[0].pk])
    assert f'href="{download}"' in page
    assert "完成3个小区外墙保温改造" in page
    got = client.get(download)
    assert got.status_code == 200
    assert b"".join(got.streaming_content).startswith(b"\x89PNG")
    # Sun, in the sibling district, may not see the task, nor its files.
    assert login(city.sun).get(download).status_code == 404


def test_a_refused_file_saves_no_report(login, desk, city):
    from django.core.files.uploadedfile import SimpleUploadedFile

    task = desk.acknowledged_city_task()
    before = snapshot()
    bad = SimpleUploadedFile("page.html", b"<!DOCTYPE html><html><script>x</script></html>")
    response = post(
        login(city.wang), task, "report", {"progress": "50", "narrative": "已完成", "files": [bad]}
    )
    assert response.status_code == 422
    assert snapshot() == before
    body = response.content.decode()
    assert "page.html" in body
    # What she typed is kept.
    assert "已完成" in body


def test_the_progress_field_is_only_for_the_lead_units_report_on_a_leaf(login, desk, city):
    task = desk.acknowledged_city_task()
    assert 'id="id_report_progress"' in login(city.wang).get(detail(task)).content.decode()
    desk.street_task(task)
    assert 'id="id_report_progress"' not in login(city.wang).get(detail(task)).content.decode()


def test_completion_request_with_evidence_then_zhao_accepts_on_time(login, desk, city):
    task = desk.acknowledged_city_task()
    reporting.report_progress(
        actor=city.wang, task=fresh(task), version=fresh(task).version, narrative="全部完成", progress=100
    )
    response = post(
        login(city.wang), task, "request-completion", {"note": "改造全部完成", "files": [pdf_upload()]}
    )
    assert response.status_code == 302
    request = CompletionRequest.objects.get(task=task)
    assert (request.status, request.note) == (RequestStatus.PENDING, "改造全部完成")
    assert EvidenceFile.objects.get(completion_request=request).original_name == "验收报告.pdf"
    assert fresh(task).status == S.UNDER_REVIEW

    response = post(login(city.zhao), task, "accept", {"note": "资料齐全"})
    assert response.status_code == 302
    closed = fresh(task)
    assert (closed.status, closed.closed_late, closed.light) == (S.CLOSED, False, Light.CLOSED)
    page = login(city.zhao).get(detail(task)).content.decode()
    assert "closed on time" in page
    assert "资料齐全" in page


def test_zhao_rejects_with_a_reason_and_the_work_goes_back(login, desk, city):
    task = desk.acknowledged_city_task()
    workflow.task_request_completion(actor=city.wang, task=fresh(task), version=fresh(task).version)
    response = post(login(city.zhao), task, "reject", {"reason": "照片未能反映整改后现场"})
    assert response.status_code == 302
    returned = fresh(task)
    assert (returned.status, returned.rejection_count) == (S.RETURNED, 1)
    assert CompletionRequest.objects.get(task=task).status == RequestStatus.DENIED
    assert "照片未能反映整改后现场" in login(city.wang).get(detail(task)).content.decode()


def test_an_extension_is_asked_before_the_deadline_and_approved(login, desk, city):
    task = desk.acknowledged_city_task()
    response = post(
        login(city.wang),
        task,
        "request-extension",
        {"requested_due_on": "2024-07-31", "reason": "汛期影响施工"},
    )
    assert response.status_code == 302
    assert ExtensionRequest.objects.get(task=task).status == RequestStatus.PENDING
    page = login(city.zhao).get(detail(task)).content.decode()
    assert "汛期影响施工" in page
    assert action_url(task, "approve-extension") in page

    response = post(login(city.zhao), task, "approve-extension", {"note": "同意"})
    assert response.status_code == 302
    moved = fresh(task)
    assert (moved.due_on, moved.original_due_on) == (date(2024, 7, 31), date(2024, 6, 28))
    assert "originally 2024-06-28" in login(city.wang).get(detail(task)).content.decode()


def test_an_extension_is_denied_with_a_reason(login, desk, city):
    task = desk.acknowledged_city_task()
    requests.extension_request(
        actor=city.wang,
        task=fresh(task),
        version=fresh(task).version,
        requested_due_on=date(2024, 7, 31),
        reason="汛期",
    )
    missing = post(login(city.zhao), task, "deny-extension", {"note": ""})
    assert missing.status_code == 422
    assert "Please say why the extension is denied." in missing.content.decode()
    response = post(login(city.zhao), task, "deny-extension", {"note": "不符合延期条件"})
    assert response.status_code == 302
    assert ExtensionRequest.objects.get(task=task).status == RequestStatus.DENIED
    assert fresh(task).due_on == date(2024, 6, 28)


def test_no_extension_after_the_deadline(login, desk, city, settings):
    task = desk.acknowledged_city_task(due=date(2024, 3, 20))
    settings.LUOSHI_TODAY = "2024-03-25"
    client = login(city.wang)
    page = client.get(detail(task)).content.decode()
    assert action_url(task, "request-extension") not in page
    assert "Extensions are asked for before the deadline" in page
    before = snapshot()
    response = post(client, task, "request-extension", {"requested_due_on": "2024-04-30", "reason": "晚了"})
    assert response.status_code == 409
    assert snapshot() == before


# --- the assigning unit: assign, transfer, cancel, reopen, lights -------------------------------------


def test_zhao_assigns_a_draft(login, desk, city):
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="草稿任务",
        due_on=date(2024, 6, 28),
        clause=desk.clause,
    )
    page = login(city.zhao).get(detail(task)).content.decode()
    assert action_url(task, "assign") in page
    assert action_url(task, "start") not in page  # the city does not keep it: assign, not start
    assert post(login(city.zhao), task, "assign").status_code == 302
    assert fresh(task).status == S.ASSIGNED


def test_zhao_transfers_the_task_to_another_district(login, desk, city):
    task = desk.acknowledged_city_task()
    response = post(login(city.zhao), task, "transfer", {"to_org": city.tiedong.pk, "reason": "属地调整"})
    assert response.status_code == 302
    moved = fresh(task)
    assert (moved.lead_org, moved.status) == (city.tiedong, S.ASSIGNED)
    assert TaskTransfer.objects.get(task=task).reason == "属地调整"
    page = login(city.sun).get(detail(task)).content.decode()
    assert "属地调整" in page
    # Wang's district no longer leads it, so she no longer sees it.
    assert login(city.wang).get(detail(task)).status_code == 404


def test_zhao_cancels_and_reopens_with_reasons(login, desk, city):
    task = desk.acknowledged_city_task()
    assert post(login(city.zhao), task, "cancel", {"reason": ""}).status_code == 422
    assert fresh(task).status == S.IN_PROGRESS
    assert post(login(city.zhao), task, "cancel", {"reason": "任务已合并"}).status_code == 302
    assert fresh(task).status == S.CANCELLED
    assert post(login(city.zhao), task, "reopen", {"reason": "重新启动"}).status_code == 302
    assert fresh(task).status == S.IN_PROGRESS
    page = login(city.zhao).get(detail(task)).content.decode()
    assert "任务已合并" in page
    assert "重新启动" in page


def test_zhao_sets_the_light_by_hand_and_returns_to_the_computed_one(login, desk, city):
    task = desk.acknowledged_city_task()
    response = post(
        login(city.zhao),
        task,
        "override-light",
        {"light": "red", "reason": "群众反映强烈", "until": "2024-03-15"},
    )
    assert response.status_code == 302
    assert (fresh(task).light, fresh(task).override_reason) == (Light.RED, "群众反映强烈")
    page = login(city.wang).get(detail(task)).content.decode()
    assert "群众反映强烈" in page
    assert post(login(city.zhao), task, "clear-override").status_code == 302
    assert fresh(task).override_light == ""


def test_a_rectification_goes_through_public_notice(login, desk, city, settings):
    task = desk.acknowledged_city_task(requires_public_notice=True)
    meet_all_criteria(city.wang, task)
    workflow.task_request_completion(actor=city.wang, task=fresh(task), version=fresh(task).version)
    assert post(login(city.zhao), task, "accept").status_code == 302
    assert fresh(task).status == S.PUBLIC_NOTICE
    page = login(city.zhao).get(detail(task)).content.decode()
    assert "The public notice runs until" in page  # closing waits for the notice period
    settings.LUOSHI_TODAY = "2024-03-20"
    assert post(login(city.zhao), task, "conclude-notice").status_code == 302
    assert fresh(task).status == S.CLOSED


def test_an_objection_during_the_notice_sends_it_back(login, desk, city):
    task = desk.acknowledged_city_task(requires_public_notice=True)
    meet_all_criteria(city.wang, task)
    workflow.task_request_completion(actor=city.wang, task=fresh(task), version=fresh(task).version)
    workflow.task_accept(actor=city.zhao, task=fresh(task), version=fresh(task).version)
    assert post(login(city.zhao), task, "object", {"reason": "群众异议"}).status_code == 302
    assert fresh(task).status == S.IN_PROGRESS


# --- decomposing and planning ------------------------------------------------------------------------


def test_wang_decomposes_for_her_street_and_sends_it(login, desk, city):
    task = desk.acknowledged_city_task()
    data = {
        "title": "兴盛街道老旧小区改造",
        "lead_org": city.tiexi_street.pk,
        "due_on": "2024-05-31",
        "report_cadence": "monthly",
        "weight": "2",
        "assign_now": "on",
    }
    too_late = post(login(city.wang), task, "decompose", {**data, "due_on": "2024-07-31"})
    assert too_late.status_code == 422
    assert "A subtask cannot be due after its parent task (2024-06-28)." in too_late.content.decode()
    assert not Task.objects.filter(parent=task).exists()

    assert post(login(city.wang), task, "decompose", data).status_code == 302
    sub = Task.objects.get(parent=task)
    assert (sub.lead_org, sub.status, sub.weight, sub.assigning_org) == (
        city.tiexi_street,
        S.ASSIGNED,
        2,
        city.tiexi,
    )
    page = login(city.wang).get(detail(task)).content.decode()
    assert detail(sub) in page
    # Chen, in the street, acknowledges it from its own page.
    assert post(login(city.chen), sub, "acknowledge").status_code == 302


def test_wang_plans_a_milestone_and_marks_it_reached(login, desk, city):
    task = desk.acknowledged_city_task()
    response = post(
        login(city.wang),
        task,
        "milestone",
        {"title": "完成方案设计", "due_on": "2024-04-15", "planned_progress": "30"},
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get(task=task)
    response = post(login(city.wang), task, "milestone-done", {"milestone": milestone.pk})
    assert response.status_code == 302
    assert Milestone.objects.get(pk=milestone.pk).done_on == TODAY


# --- refusals, conflicts and htmx ---------------------------------------------------------------------

EVERY_ACTION = [
    "acknowledge",
    "send-back",
    "transfer",
    "request-completion",
    "accept",
    "reject",
    "approve-extension",
    "deny-extension",
    "assign",
    "start",
    "conclude-notice",
    "object",
    "milestone",
    "milestone-done",
    "request-extension",
    "override-light",
    "clear-override",
    "cancel",
    "reopen",
    "report",
    "decompose",
]


def test_sun_gets_not_found_for_the_page_and_every_action(login, desk, city):
    task = desk.acknowledged_city_task()
    client = login(city.sun)
    assert client.get(detail(task)).status_code == 404
    before = snapshot()
    for key in EVERY_ACTION:
        response = post(client, task, key, {"reason": "x", "note": "x", "narrative": "x"})
        assert response.status_code == 404, key
    assert snapshot() == before


def test_a_handler_may_not_accept(login, desk, city):
    task = desk.acknowledged_city_task()
    workflow.task_request_completion(actor=city.wang, task=fresh(task), version=fresh(task).version)
    client = login(city.wang)
    assert action_url(task, "accept") not in client.get(detail(task)).content.decode()
    before = snapshot()
    response = post(client, task, "accept", {"note": "自己验收"})
    assert response.status_code == 403
    assert "You are not allowed to do this" in response.content.decode()
    assert snapshot() == before


def test_unknown_actions_and_ids_are_not_found(login, desk, city):
    task = desk.acknowledged_city_task()
    client = login(city.wang)
    assert post(client, task, "promote").status_code == 404
    assert (
        client.post(reverse("web:task_action", args=[999999, "acknowledge"]), {"version": 1}).status_code
        == 404
    )
    assert client.get(reverse("web:task_detail", args=[999999])).status_code == 404
    assert client.get(action_url(task, "acknowledge")).status_code == 405


def test_a_stale_version_keeps_the_input_and_shows_the_current_state(login, desk, city):
    task = desk.acknowledged_city_task()
    read = fresh(task).version
    # Meanwhile Zhao sets the light by hand: the task moves on to a new version.
    reporting.task_override_light(
        actor=city.zhao,
        task=fresh(task),
        version=read,
        light="yellow",
        reason="进度偏慢",
        until=date(2024, 3, 20),
    )
    before = snapshot()
    response = login(city.wang).post(
        action_url(task, "report"), {"version": read, "progress": "45", "narrative": "外墙改造过半"}
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert snapshot() == before
    assert "Someone else changed this task" in body
    assert "外墙改造过半" in body  # her words are kept
    assert "进度偏慢" in body  # and the page shows the task as it is now
    # The form now carries the current version: sending it again is a deliberate choice, and works.
    assert f'name="version" value="{fresh(task).version}"' in body
    again = login(city.wang).post(
        action_url(task, "report"),
        {"version": fresh(task).version, "progress": "45", "narrative": "外墙改造过半"},
    )
    assert again.status_code == 302


def test_an_action_the_state_no_longer_allows_is_explained(login, desk, city):
    task = desk.acknowledged_city_task()
    response = post(login(city.wang), task, "acknowledge")
    assert response.status_code == 409
    assert "You cannot acknowledge a task that is “In progress”." in response.content.decode()


def test_htmx_gets_the_panels_back_after_an_action(login, desk, city):
    task = desk.city_task()
    response = post(login(city.wang), task, "acknowledge", htmx=True)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="task-panels"')
    assert "Acknowledged: the task is now in progress." in body
    assert "In progress" in body


def test_htmx_gets_the_form_with_its_errors(login, desk, city):
    task = desk.city_task()
    response = post(login(city.wang), task, "send-back", {"reason": ""}, htmx=True)
    assert response.status_code == 422
    body = response.content.decode()
    assert "<html" not in body
    assert "Please give a reason." in body
