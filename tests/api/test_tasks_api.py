"""The task loop through the API with bearer tokens: the whole loop, refusals that change nothing, what
each persona sees and may do, and the cost of the ledger and the inbox."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.evidence.models import EvidenceFile
from luoshi.tasks import reporting, services, workflow
from luoshi.tasks.models import (
    CompletionRequest,
    ExtensionRequest,
    Light,
    ProgressReport,
    RequestStatus,
    Task,
    TaskStatus,
)
from tests.api.tasks_support import (
    DUE,
    TASKS,
    TODAY,
    city_task,
    fresh,
    loop_rows,
    make_clause,
    make_directive,
    multipart,
    png,
    task_url,
)
from tests.evidence import samples
from tests.rectification.helpers import meet_all_criteria

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _frozen_day_and_file_store(settings, tmp_path):
    settings.LUOSHI_TODAY = TODAY.isoformat()
    settings.MEDIA_ROOT = tmp_path / "media"


def action_names(body) -> list[str]:
    return [a["action"] for a in body["allowed_actions"]]


# --- the whole loop -------------------------------------------------------------------------------


def test_the_whole_loop_closes_on_time(city, as_):
    zhao, wang = as_(city.zhao), as_(city.wang)

    # The city's supervisor registers the directive and its clause.
    response = zhao.post(
        "/api/v1/directives",
        {
            "issuing_org": city.government.pk,
            "title": "市政府常务会议纪要",
            "level": "municipal",
            "kind": "meeting",
            "issued_on": "2024-02-20",
            "doc_number": "鞍政办发[2024]3号",
        },
    )
    assert response.status_code == 201, response.content
    directive_id = response.json()["id"]
    clauses_url = f"/api/v1/directives/{directive_id}/clauses"
    response = zhao.post(clauses_url, {"text": "加快推进城市更新，完成老旧小区改造。"})
    assert response.status_code == 201, response.content
    clause = response.json()
    assert (clause["task_count"], clause["worst_light"], clause["not_decomposed"]) == (0, None, True)

    # A task from the clause for 铁西区, then assigned.
    response = zhao.post(
        TASKS,
        {
            "assigning_org": city.government.pk,
            "lead_org": city.tiexi.pk,
            "clause": clause["id"],
            "title": "完成铁西区老旧小区改造",
            "due_on": "2024-06-28",
            "expected_outcome": "改造全部完成并通过验收",
        },
    )
    assert response.status_code == 201, response.content
    task = response.json()
    assert (task["status"], task["directive"], task["clause"]) == ("draft", directive_id, clause["id"])
    offered = {a["action"]: a for a in task["allowed_actions"]}
    assert offered["assign"]["blocked_by"] is None
    # The city does not keep the task, so starting it is offered only with the reason it is refused.
    assert offered["start"]["blocked_by"].startswith("This task is for 铁西区人民政府")
    response = zhao.post(task_url(task["id"], "assign"), {"version": task["version"]})
    assert response.status_code == 200, response.content
    task = response.json()
    assert task["status"] == "assigned"
    assert zhao.get(clauses_url).json()[0]["not_decomposed"] is False

    # Wang finds it in her inbox and acknowledges it.
    inbox = wang.get("/api/v1/inbox").json()
    assert [t["id"] for t in inbox["to_acknowledge"]["items"]] == [task["id"]]
    detail = wang.get(task_url(task["id"])).json()
    assert action_names(detail) == ["acknowledge", "send_back"]
    response = wang.post(task_url(task["id"], "acknowledge"), {"version": detail["version"]})
    assert response.status_code == 200, response.content
    task = response.json()
    assert task["status"] == "in_progress"
    assert task["may"]["report"]
    assert task["may"]["decompose"]

    # She reports 100 % with a photo, as a multipart form.
    response = multipart(
        wang,
        task_url(task["id"], "reports"),
        {"version": task["version"], "progress": 100, "narrative": "改造完成", "next_steps": "申请验收"},
        [png()],
    )
    assert response.status_code == 201, response.content
    report = response.json()
    assert (report["progress"], report["reporter"], report["reporting_org"]) == (
        100,
        city.wang.pk,
        city.tiexi.pk,
    )
    (evidence,) = report["evidence"]
    assert (evidence["name"], evidence["content_type"]) == ("现场照片.png", "image/png")
    assert evidence["download_url"]
    assert wang.get(f"/api/v1/reports/{report['id']}").json()["evidence"] == report["evidence"]
    download = wang.get(f"/api/v1/evidence/{evidence['id']}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == samples.png()

    # She asks for completion; the city sees it waiting for verification and accepts it.
    task = wang.get(task_url(task["id"])).json()
    assert task["progress"] == 100
    response = wang.post(
        task_url(task["id"], "request-completion"), {"version": task["version"], "note": "见照片"}
    )
    assert response.status_code == 200, response.content
    task = response.json()
    assert task["status"] == "under_review"
    assert task["pending_completion_request"]["note"] == "见照片"
    assert [t["id"] for t in zhao.get("/api/v1/inbox").json()["to_verify"]["items"]] == [task["id"]]
    assert action_names(zhao.get(task_url(task["id"])).json()) == ["accept", "reject", "cancel"]
    response = zhao.post(task_url(task["id"], "accept"), {"version": task["version"]})
    assert response.status_code == 200, response.content
    task = response.json()
    assert (task["status"], task["closed_on"], task["closed_late"], task["light"]) == (
        "closed",
        TODAY.isoformat(),
        False,
        "closed",
    )
    assert CompletionRequest.objects.get(task_id=task["id"]).status == RequestStatus.APPROVED

    # The clause shows its task closed, in the list and in the tree.
    clause = zhao.get(clauses_url).json()[0]
    assert (clause["task_count"], clause["worst_light"]) == (1, "closed")
    tree = zhao.get(f"/api/v1/directives/{directive_id}/tree").json()
    (node,) = tree["clauses"][0]["tasks"]
    assert (node["id"], node["light"], node["progress"], node["children"]) == (task["id"], "closed", 100, [])

    # The timeline tells the story, newest first.
    timeline = wang.get(task_url(task["id"], "timeline")).json()
    story = [(e["kind"], e["action"]) for e in timeline]
    assert story == [
        ("event", "task.accept"),
        ("completion_request", "task.request_completion"),
        ("report", "task.report"),
        ("event", "task.acknowledge"),
        ("event", "task.assign"),
        ("event", "task.create"),
    ]
    assert timeline[0]["actor"] == city.zhao.pk
    assert timeline[2]["details"]["narrative"] == "改造完成"
    assert timeline[2]["details"]["evidence"] == [{"id": evidence["id"], "name": "现场照片.png"}]
    assert [e["at"] for e in timeline] == sorted((e["at"] for e in timeline), reverse=True)


# --- refusals change nothing ----------------------------------------------------------------------


def test_illegal_transition_is_409_with_the_domains_message(city, as_, clause):
    task = city_task(city, clause)
    before = loop_rows()
    response = as_(city.zhao).post(task_url(task, "accept"), {"version": task.version})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert error["message"] == "You cannot accept a task that is “Assigned”."
    assert loop_rows() == before


def test_stale_version_is_409_and_changes_nothing(city, as_, clause):
    task = city_task(city, clause)
    before = loop_rows()
    response = as_(city.wang).post(task_url(task, "acknowledge"), {"version": task.version - 1})
    assert response.status_code == 409
    assert response.json()["error"]["message"].startswith(
        "Someone else changed this task after you opened it"
    )
    assert loop_rows() == before


def test_visible_but_not_theirs_is_403_naming_who_may(city, as_, clause):
    task = city_task(city, clause)
    before = loop_rows()
    response = as_(city.zhao).post(task_url(task, "acknowledge"), {"version": task.version})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Only the head or handler of 铁西区人民政府, the lead unit, may acknowledge this task."
    )
    assert loop_rows() == before


@pytest.mark.parametrize(("action", "field"), [("send-back", "reason"), ("cancel", "reason")])
def test_missing_reason_is_422_naming_the_field(city, as_, clause, action, field):
    task = city_task(city, clause)
    client = as_(city.wang if action == "send-back" else city.zhao)
    before = loop_rows()
    response = client.post(task_url(task, action), {"version": task.version, "reason": "  "})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {field: ["Please give a reason."]}
    assert loop_rows() == before


def test_reject_without_reason_and_deny_without_note_name_their_fields(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    task = workflow.task_request_completion(actor=city.wang, task=task, version=task.version).task
    before = loop_rows()
    response = as_(city.zhao).post(task_url(task, "reject"), {"version": fresh(task).version})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"reason": ["Please give a reason."]}
    assert loop_rows() == before


def test_unknown_fields_and_missing_version_are_refused(city, as_, clause):
    task = city_task(city, clause)
    client = as_(city.wang)
    response = client.post(task_url(task, "acknowledge"), {"version": task.version, "reason": "x"})
    assert response.status_code == 422
    assert "reason" in response.json()["error"]["fields"]
    response = client.post(task_url(task, "acknowledge"), {})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"version": ["This field is required."]}


# --- a sibling district sees nothing --------------------------------------------------------------

HIDDEN_READS = ["", "timeline", "reports"]
HIDDEN_WRITES = [
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
]


@pytest.fixture
def tiexi_task(city, clause):
    """An acknowledged 铁西区 task with a report, and a completion request waiting."""
    task = city_task(city, clause, acknowledged=True)
    reporting.report_progress(actor=city.wang, task=task, version=task.version, progress=60, narrative="进展")
    return fresh(task)


@pytest.mark.parametrize("path", HIDDEN_READS)
def test_sibling_district_gets_404_on_reads(city, as_, tiexi_task, path):
    response = as_(city.sun).get(task_url(tiexi_task, path))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_sibling_district_gets_404_on_the_report(city, as_, tiexi_task):
    report = ProgressReport.objects.get(task=tiexi_task)
    assert as_(city.sun).get(f"/api/v1/reports/{report.pk}").status_code == 404
    assert as_(city.wang).get(f"/api/v1/reports/{report.pk}").status_code == 200


@pytest.mark.parametrize("action", HIDDEN_WRITES)
def test_sibling_district_gets_404_on_every_transition(city, as_, tiexi_task, action):
    before = loop_rows()
    payload = {"version": tiexi_task.version, "reason": "不是我们的任务"}
    if action == "transfer":
        payload["to_org"] = city.tiedong.pk
    if action in {"assign", "start", "acknowledge", "conclude-notice"}:
        payload.pop("reason")
    if action in {"request-completion", "accept"}:
        payload = {"version": tiexi_task.version, "note": "x"}
    response = as_(city.sun).post(task_url(tiexi_task, action), payload)
    assert response.status_code == 404, response.content
    assert loop_rows() == before


@pytest.mark.parametrize(
    "write", ["patch", "subtasks", "extension-requests", "reports", "completion-requests"]
)
def test_sibling_district_gets_404_on_every_other_write(city, as_, tiexi_task, write):
    client = as_(city.sun)
    before = loop_rows()
    version = tiexi_task.version
    if write == "patch":
        response = client.patch(task_url(tiexi_task), {"version": version, "title": "改名"})
    elif write == "subtasks":
        response = client.post(
            task_url(tiexi_task, write),
            {"version": version, "lead_org": city.tiedong.pk, "title": "子任务", "due_on": "2024-05-31"},
        )
    elif write == "extension-requests":
        response = client.post(
            task_url(tiexi_task, write), {"version": version, "requested_due_on": "2024-07-31", "reason": "x"}
        )
    else:
        response = multipart(
            client, task_url(tiexi_task, write), {"version": version, "narrative": "x", "note": "x"}, [png()]
        )
    assert response.status_code == 404, response.content
    assert loop_rows() == before


def test_a_street_does_not_see_its_districts_task(city, as_, tiexi_task):
    assert as_(city.chen).get(task_url(tiexi_task)).status_code == 404


# --- one task -------------------------------------------------------------------------------------


def test_detail_offers_each_persona_their_own_actions(city, as_, clause):
    task = city_task(city, clause)
    wang = as_(city.wang).get(task_url(task)).json()
    zhao = as_(city.zhao).get(task_url(task)).json()
    assert action_names(wang) == ["acknowledge", "send_back"]
    assert action_names(zhao) == ["transfer", "cancel"]
    assert {a["action"]: a["reason_required"] for a in zhao["allowed_actions"]} == {
        "transfer": True,
        "cancel": True,
    }
    assert [a["path"] for a in wang["allowed_actions"]] == ["acknowledge", "send-back"]
    assert wang["may"] == {
        "edit": False,
        "plan": True,
        "decompose": False,
        "report": False,
        "request_extension": True,
        "decide_extension": False,
        "override_light": False,
    }
    assert zhao["may"]["edit"]
    assert zhao["may"]["override_light"]
    assert (wang["lead_org_name"], wang["assigning_org_name"], wang["clause_text"]) == (
        "铁西区人民政府",
        "鞍山市人民政府",
        "加快推进城市更新，完成老旧小区改造。",
    )


def test_patch_changes_what_the_service_allows(city, as_, clause):
    task = city_task(city, clause)
    zhao = as_(city.zhao)
    response = zhao.patch(
        task_url(task), {"version": task.version, "title": "完成老旧小区改造（一期）", "tags": ["民生实事"]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["tags"], body["version"]) == (
        "完成老旧小区改造（一期）",
        ["民生实事"],
        task.version + 1,
    )

    # The deadline moves only by an extension once assigned; the version read must be current.
    before = loop_rows()
    response = zhao.patch(task_url(task), {"version": body["version"], "due_on": "2024-07-31"})
    assert response.status_code == 409
    assert (
        response.json()["error"]["message"]
        == "Once assigned, the deadline moves only by an approved extension request."
    )
    assert zhao.patch(task_url(task), {"version": task.version, "title": "旧"}).status_code == 409
    assert loop_rows() == before


def test_the_lead_unit_names_its_handler_but_does_not_edit_the_assignment(city, as_, clause):
    task = city_task(city, clause)
    wang = as_(city.wang)
    before = loop_rows()
    response = wang.patch(task_url(task), {"version": task.version, "title": "自己改"})
    assert response.status_code == 403
    assert loop_rows() == before
    response = wang.patch(task_url(task), {"version": task.version, "handler": city.wang.pk})
    assert response.status_code == 200, response.content
    assert (response.json()["handler"], response.json()["handler_name"]) == (city.wang.pk, "王芳")
    response = wang.patch(task_url(task), {"version": fresh(task).version, "handler": city.chen.pk})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"handler": ["The handler must work in the lead unit."]}


def test_decompose_down_the_tree(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    wang = as_(city.wang)
    payload = {
        "version": task.version,
        "lead_org": city.tiexi_street.pk,
        "title": "兴盛街道改造",
        "due_on": "2024-05-31",
    }
    response = wang.post(task_url(task, "subtasks"), payload)
    assert response.status_code == 201, response.content
    sub = response.json()
    assert (sub["parent"], sub["depth"], sub["assigning_org"], sub["status"]) == (
        task.pk,
        2,
        city.tiexi.pk,
        "draft",
    )
    parent = wang.get(task_url(task)).json()
    assert [s["id"] for s in parent["subtasks"]] == [sub["id"]]

    before = loop_rows()
    late = {**payload, "version": parent["version"], "due_on": "2024-07-31"}
    response = wang.post(task_url(task, "subtasks"), late)
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["due_on"]
    sideways = {**payload, "version": parent["version"], "lead_org": city.tiedong.pk}
    assert wang.post(task_url(task, "subtasks"), sideways).status_code == 404
    assert loop_rows() == before


def test_create_needs_the_assigning_units_people(city, as_, clause):
    city_task(city, clause)  # so that 铁西区 sees the directive, and its clause
    payload = {
        "assigning_org": city.government.pk,
        "lead_org": city.tiexi.pk,
        "clause": clause.pk,
        "title": "越权任务",
        "due_on": "2024-06-28",
    }
    before = loop_rows()
    response = as_(city.wang).post(TASKS, payload)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Only the people of 鞍山市人民政府 or its supervisors may register tasks for it."
    )
    assert as_(city.sun).post(TASKS, payload).status_code == 404  # the clause is not theirs to see
    response = as_(city.zhao).post(TASKS, {**payload, "due_on": "2024-02-01", "start_on": "2024-03-01"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["due_on"]
    assert loop_rows() == before


def test_transfer_and_send_back_are_on_the_timeline(city, as_, clause):
    task = city_task(city, clause)
    response = as_(city.wang).post(
        task_url(task, "send-back"), {"version": task.version, "reason": "不属于本区职责"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "draft"
    zhao = as_(city.zhao)
    assert [t["id"] for t in zhao.get("/api/v1/inbox").json()["sent_back"]["items"]] == [task.pk]
    response = zhao.post(
        task_url(task, "transfer"),
        {"version": fresh(task).version, "to_org": city.tiedong.pk, "reason": "转铁东区办理"},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["lead_org"]) == ("assigned", city.tiedong.pk)
    timeline = zhao.get(task_url(task, "timeline")).json()
    assert [e["kind"] for e in timeline[:2]] == ["transfer", "send_back"]
    assert timeline[0]["details"]["to_org_name"] == "铁东区人民政府"
    assert timeline[1]["details"]["reason"] == "不属于本区职责"
    # 铁西区 no longer leads it, and no longer sees it.
    assert as_(city.wang).get(task_url(task)).status_code == 404


def test_start_a_task_the_city_keeps(city, as_, clause):
    zhao = as_(city.zhao)
    task = zhao.post(
        TASKS,
        {
            "assigning_org": city.government.pk,
            "lead_org": city.government.pk,
            "clause": clause.pk,
            "title": "市级统筹协调",
            "due_on": "2024-06-28",
        },
    ).json()
    assert [a["action"] for a in task["allowed_actions"] if a["blocked_by"] is None] == [
        "start",
        "transfer",
        "cancel",
    ]
    response = zhao.post(task_url(task["id"], "start"), {"version": task["version"]})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["acknowledged_on"]) == (
        "in_progress",
        TODAY.isoformat(),
    )


def test_a_rectification_goes_through_public_notice_and_can_be_reopened(city, as_, settings):
    inspection = make_directive(city, title="省生态环境保护督察反馈意见", doc_number="")
    inspection.kind = "inspection"
    inspection.save()
    task = city_task(city, make_clause(city, inspection, "河道垃圾清理不彻底。"), acknowledged=True)
    meet_all_criteria(city.wang, task)
    task = workflow.task_request_completion(actor=city.wang, task=task, version=task.version).task
    zhao = as_(city.zhao)
    body = zhao.post(task_url(task, "accept"), {"version": task.version}).json()
    assert (body["status"], body["requires_public_notice"]) == ("public_notice", True)
    assert [a["action"] for a in body["allowed_actions"]] == ["object", "conclude_notice", "cancel"]

    # Too early to close: the notice runs for five working days.
    before = loop_rows()
    response = zhao.post(task_url(task, "conclude-notice"), {"version": body["version"]})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"The public notice runs until {body['notice_ends_on']}; the task can be closed after that."
    )
    assert loop_rows() == before

    # An objection sends it back to work; accepted again, then closed when the notice is over.
    body = zhao.post(
        task_url(task, "object"), {"version": body["version"], "reason": "群众反映仍有垃圾"}
    ).json()
    assert body["status"] == "in_progress"
    task = workflow.task_request_completion(actor=city.wang, task=fresh(task), version=body["version"]).task
    body = zhao.post(task_url(task, "accept"), {"version": task.version}).json()
    settings.LUOSHI_TODAY = (date.fromisoformat(body["notice_ends_on"]) + timedelta(days=1)).isoformat()
    body = zhao.post(task_url(task, "conclude-notice"), {"version": body["version"]}).json()
    assert (body["status"], body["light"]) == ("closed", "closed")

    # A relapse found later reopens it, with the reason on the record.
    body = zhao.post(
        task_url(task, "reopen"), {"version": body["version"], "reason": "回头看发现反弹"}
    ).json()
    assert (body["status"], body["closed_on"]) == ("in_progress", None)
    events = [e for e in zhao.get(task_url(task, "timeline")).json() if e["kind"] == "event"]
    assert (events[0]["action"], events[0]["details"]["reason"]) == ("task.reopen", "回头看发现反弹")


# --- requests -------------------------------------------------------------------------------------


def test_extension_request_approved(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    wang, zhao = as_(city.wang), as_(city.zhao)
    response = wang.post(
        task_url(task, "extension-requests"),
        {"version": task.version, "requested_due_on": "2024-07-31", "reason": "雨季施工受阻"},
    )
    assert response.status_code == 201, response.content
    request = response.json()
    assert (request["status"], request["current_due_on"], request["requested_by"]) == (
        "pending",
        DUE.isoformat(),
        city.wang.pk,
    )
    assert wang.get(task_url(task)).json()["may"]["request_extension"] is False
    inbox = zhao.get("/api/v1/inbox").json()
    assert [r["id"] for r in inbox["extension_requests"]["items"]] == [request["id"]]
    assert zhao.get(task_url(task)).json()["may"]["decide_extension"] is True

    # Wang cannot decide her own request; Sun cannot even see it.
    assert wang.post(f"/api/v1/requests/{request['id']}/approve", {}).status_code == 403
    assert as_(city.sun).post(f"/api/v1/requests/{request['id']}/approve", {}).status_code == 404
    response = zhao.post(f"/api/v1/requests/{request['id']}/approve", {"note": "同意"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    task = fresh(task)
    assert (task.due_on, task.original_due_on) == (date(2024, 7, 31), DUE)
    # Decided once; a second decision is a conflict.
    assert zhao.post(f"/api/v1/requests/{request['id']}/deny", {"note": "不同意"}).status_code == 409


def test_extension_denial_needs_a_note(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    wang, zhao = as_(city.wang), as_(city.zhao)
    request = wang.post(
        task_url(task, "extension-requests"),
        {"version": task.version, "requested_due_on": "2024-07-31", "reason": "雨季施工受阻"},
    ).json()
    before = loop_rows()
    response = zhao.post(f"/api/v1/requests/{request['id']}/deny", {})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"note": ["Please say why the extension is denied."]}
    assert loop_rows() == before
    response = zhao.post(f"/api/v1/requests/{request['id']}/deny", {"note": "工期可控"})
    assert response.json()["status"] == "denied"
    assert fresh(task).due_on == DUE


def test_extension_request_names_its_fields(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    client = as_(city.wang)
    before = loop_rows()
    response = client.post(
        task_url(task, "extension-requests"), {"version": task.version, "requested_due_on": "2024-06-01"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"reason": ["Please give a reason for the extension."]}
    response = client.post(
        task_url(task, "extension-requests"),
        {"version": task.version, "requested_due_on": "2024-06-01", "reason": "x"},
    )
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["requested_due_on"]
    assert loop_rows() == before


# --- reports and evidence -------------------------------------------------------------------------


def test_reports_list_and_detail(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    for progress in (20, 40):
        task = fresh(task)
        reporting.report_progress(
            actor=city.wang, task=task, version=task.version, progress=progress, narrative="进展"
        )
    response = as_(city.zhao).get(task_url(task, "reports"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["progress"] for r in body["items"]] == [40, 20]
    assert body["items"][0]["evidence"] == []


def test_report_with_a_bad_file_saves_nothing(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    before = loop_rows()
    empty = png("空文件.png")
    empty.file.truncate(0)
    empty.size = 0
    response = multipart(
        as_(city.wang),
        task_url(task, "reports"),
        {"version": task.version, "progress": 50, "narrative": "进展"},
        [empty],
    )
    assert response.status_code == 422, response.content
    assert list(response.json()["error"]["fields"]) == ["files"]
    assert loop_rows() == before


def test_report_without_narrative_names_the_field(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    before = loop_rows()
    response = multipart(as_(city.wang), task_url(task, "reports"), {"version": task.version, "progress": 50})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"narrative": ["Please say what was done."]}
    assert loop_rows() == before


def test_completion_request_with_evidence(city, as_, clause):
    task = city_task(city, clause, acknowledged=True)
    response = multipart(
        as_(city.wang),
        task_url(task, "completion-requests"),
        {"version": task.version, "note": "请验收"},
        [png("验收材料.png"), png("照片二.png")],
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["note"]) == ("pending", "请验收")
    assert [e["name"] for e in body["evidence"]] == ["验收材料.png", "照片二.png"]
    assert fresh(task).status == TaskStatus.UNDER_REVIEW
    assert EvidenceFile.objects.filter(completion_request_id=body["id"]).count() == 2
    pending = as_(city.zhao).get(task_url(task)).json()["pending_completion_request"]
    assert [e["name"] for e in pending["evidence"]] == ["验收材料.png", "照片二.png"]


# --- the ledger -----------------------------------------------------------------------------------


@pytest.fixture
def ledger_tasks(city, clause):
    """Four tasks: two for 铁西区 (one subtask at its street), one for 铁东区, one overdue and red."""
    renewal = city_task(city, clause, title="老旧小区改造", acknowledged=True)
    sub = services.task_decompose(
        actor=city.wang,
        parent=renewal,
        version=renewal.version,
        lead_org=city.tiexi_street,
        title="兴盛街道改造",
        due_on=date(2024, 5, 31),
    )
    heating = city_task(city, clause, title="冬季供暖保障", lead=city.tiedong, due=date(2024, 4, 30))
    late = city_task(city, clause, title="河道整治", due=date(2024, 2, 28), acknowledged=True)
    return {"renewal": fresh(renewal), "sub": fresh(sub), "heating": fresh(heating), "late": fresh(late)}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_ledger_filters(city, as_, ledger_tasks):
    t = ledger_tasks
    zhao = as_(city.zhao)
    assert ids(zhao.get(TASKS)) == [t["late"].pk, t["heating"].pk, t["sub"].pk, t["renewal"].pk]
    assert set(ids(zhao.get(TASKS, {"org": city.tiexi.pk}))) == {t["renewal"].pk, t["sub"].pk, t["late"].pk}
    assert ids(zhao.get(TASKS, {"org": city.tiexi_street.pk})) == [t["sub"].pk]
    assert ids(zhao.get(TASKS, {"status": "assigned"})) == [t["heating"].pk]
    assert set(ids(zhao.get(TASKS + "?status=assigned&status=draft"))) == {t["heating"].pk, t["sub"].pk}
    assert ids(zhao.get(TASKS, {"light": "red"})) == [t["late"].pk]
    assert ids(zhao.get(TASKS, {"q": "改造"})) == [t["sub"].pk, t["renewal"].pk]
    assert ids(zhao.get(TASKS, {"due_from": "2024-04-01", "due_to": "2024-05-31"})) == [
        t["heating"].pk,
        t["sub"].pk,
    ]
    assert len(ids(zhao.get(TASKS, {"clause": t["renewal"].clause_id}))) == 4
    assert ids(zhao.get(TASKS, {"directive": t["renewal"].directive_id + 1000})) == []
    assert ids(zhao.get(TASKS, {"sort": "-due_on"})) == [
        t["renewal"].pk,
        t["sub"].pk,
        t["heating"].pk,
        t["late"].pk,
    ]
    assert ids(zhao.get(TASKS, {"sort": "light"}))[0] == t["late"].pk
    rows = {row["id"]: row for row in zhao.get(TASKS).json()["items"]}
    assert rows[t["late"].pk]["overdue"] is True
    assert rows[t["renewal"].pk]["overdue"] is False


def test_ledger_shows_each_persona_their_own(city, as_, ledger_tasks):
    t = ledger_tasks
    assert ids(as_(city.sun).get(TASKS)) == [t["heating"].pk]
    assert set(ids(as_(city.wang).get(TASKS))) == {t["renewal"].pk, t["sub"].pk, t["late"].pk}
    assert ids(as_(city.chen).get(TASKS)) == [t["sub"].pk]
    # Filtering by a unit one cannot see is "not found", like reading it.
    assert as_(city.sun).get(TASKS, {"org": city.tiexi.pk}).status_code == 404


def test_ledger_rejects_unknown_sorts_and_lights(city, as_):
    response = as_(city.zhao).get(TASKS, {"sort": "title", "light": "purple"})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"sort", "light.0"}


def test_report_missing_shows_on_leaves_only(city, as_, clause, settings):
    task = city_task(city, clause, acknowledged=True, report_cadence="weekly")
    settings.LUOSHI_TODAY = (TODAY + timedelta(days=10)).isoformat()
    row = as_(city.zhao).get(TASKS).json()["items"][0]
    assert (row["id"], row["report_missing"]) == (task.pk, True)
    assert [t["id"] for t in as_(city.wang).get("/api/v1/inbox").json()["reports_missing"]["items"]] == [
        task.pk
    ]


# --- cost -----------------------------------------------------------------------------------------


def _add_tasks(city, clause, count: int) -> None:
    """Tasks for 铁西区 in every state the inbox lists: to acknowledge, overdue, waiting for verification."""
    for n in range(count):
        kind = n % 3
        task = city_task(
            city,
            clause,
            title=f"任务{n}",
            due=date(2024, 2, 28) if kind == 1 else DUE,
            acknowledged=kind != 0,
            report_cadence="weekly",
        )
        if kind == 2:
            workflow.task_request_completion(actor=city.wang, task=task, version=task.version)


@pytest.mark.parametrize("persona", ["zhao", "wang", "admin"])
def test_ledger_queries_do_not_grow_with_rows(city, as_, clause, django_assert_max_num_queries, persona):
    client = as_(getattr(city, persona))
    _add_tasks(city, clause, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(TASKS, {"page_size": 100, "sort": "light"}).json()["count"] == 10
    _add_tasks(city, clause, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(TASKS, {"page_size": 100, "sort": "light"}).json()["count"] == 40


@pytest.mark.parametrize("persona", ["zhao", "wang"])
def test_inbox_queries_do_not_grow_with_rows(
    city, as_, clause, django_assert_max_num_queries, persona, settings
):
    client = as_(getattr(city, persona))
    settings.LUOSHI_TODAY = (TODAY + timedelta(days=10)).isoformat()
    _add_tasks(city, clause, 10)
    with CaptureQueriesContext(connection) as small:
        small_inbox = client.get("/api/v1/inbox", {"limit": 100}).json()
    _add_tasks(city, clause, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        large_inbox = client.get("/api/v1/inbox", {"limit": 100}).json()
    # The lists really grew, so the constant count means something.
    lists = (
        ["overdue", "to_verify"] if persona == "zhao" else ["to_acknowledge", "overdue", "reports_missing"]
    )
    for name in lists:
        assert large_inbox[name]["count"] > small_inbox[name]["count"] > 0, name


def test_task_light_after_the_deadline_is_red_in_the_detail(city, as_, clause, settings):
    task = city_task(city, clause, acknowledged=True, due=date(2024, 3, 4))
    settings.LUOSHI_TODAY = "2024-03-05"
    # Lights are stored by the last write or sweep; a write today refreshes them.
    task = reporting.report_progress(
        actor=city.wang, task=fresh(task), version=fresh(task).version, narrative="推进中"
    ).task
    body = as_(city.wang).get(task_url(task)).json()
    assert (body["overdue"], body["light"]) == (True, Light.RED)
    assert Task.objects.get(pk=task.pk).light == Light.RED
    assert ExtensionRequest.objects.count() == 0
