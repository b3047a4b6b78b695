"""The closed loop of a task, by services: directive → clause → task → subtask → report → verification."""

from __future__ import annotations

from datetime import date

from luoshi.audit.models import AuditEvent
from luoshi.directives.selectors import clause_summaries
from luoshi.notifications.models import Notification
from luoshi.tasks import reporting, requests, rollup, services, workflow
from luoshi.tasks.models import CompletionRequest, Light, RequestStatus, Task, TaskStatus
from tests.rectification.helpers import meet_all_criteria
from tests.tasks.conftest import fresh


def test_the_whole_loop_closes_on_time(desk, clock):
    city = desk.city
    summary = clause_summaries(user=city.zhao, directive=desk.directive)
    assert [s.not_decomposed for s in summary] == [True]

    # The city registers a task from the clause for 铁西区 and assigns it.
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="完成铁西区老旧小区改造",
        due_on=date(2024, 6, 28),
        clause=desk.clause,
    )
    assert task.status == TaskStatus.DRAFT
    assert task.directive == desk.directive
    assert task.lead_org_path == city.tiexi.path
    task = workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    assert task.status == TaskStatus.ASSIGNED
    assert Notification.objects.filter(kind="task.assign", recipient=city.wang, task=task).exists()

    # Wang acknowledges within the time allowed.
    clock.set(date(2024, 3, 4))
    task = workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.acknowledged_on == date(2024, 3, 4)
    assert not task.acknowledged_late

    # She decomposes it for the street, earlier; Chen acknowledges.
    sub = services.task_decompose(
        actor=city.wang,
        parent=task,
        version=task.version,
        lead_org=city.tiexi_street,
        title="兴盛街道老旧小区改造",
        due_on=date(2024, 5, 31),
    )
    assert (sub.parent, sub.depth, sub.assigning_org, sub.clause) == (task, 2, city.tiexi, desk.clause)
    assert sub.path == task.path + f"{sub.pk:010d}"
    sub = workflow.task_assign(actor=city.wang, task=sub, version=sub.version)
    sub = workflow.task_acknowledge(actor=city.chen, task=sub, version=sub.version)

    summary = clause_summaries(user=city.zhao, directive=desk.directive)
    assert summary[0].task_count == 1
    assert not summary[0].not_decomposed
    assert [t.pk for t in summary[0].tasks] == [task.pk]

    # Chen reports 100 %: the parent's progress follows in the same transaction.
    clock.set(date(2024, 4, 15))
    reporting.report_progress(
        actor=city.chen, task=sub, version=sub.version, progress=100, narrative="改造完成"
    )
    sub, task = fresh(sub), fresh(task)
    assert (sub.progress, task.progress) == (100, 100)
    assert sub.last_reported_on == date(2024, 4, 15)

    # Chen asks for completion; 铁西区's head accepts; the parent shows the child closed.
    request = workflow.task_request_completion(actor=city.chen, task=sub, version=sub.version, note="见照片")
    assert isinstance(request, CompletionRequest)
    sub = fresh(sub)
    assert sub.status == TaskStatus.UNDER_REVIEW
    sub = workflow.task_accept(actor=desk.tiexi_head, task=sub, version=sub.version)
    assert sub.status == TaskStatus.CLOSED
    assert (sub.closed_on, sub.closed_late, sub.light) == (date(2024, 4, 15), False, Light.CLOSED)
    assert CompletionRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    task = fresh(task)
    assert task.progress == 100
    # The parent's own light (green: on plan) is worse than its closed child's.
    assert task.light == Light.GREEN

    # The district asks the city for completion of its task; the city's supervisor accepts.
    workflow.task_request_completion(actor=city.wang, task=task, version=task.version, note="全部完成")
    task = workflow.task_accept(actor=city.zhao, task=fresh(task), version=fresh(task).version)
    assert task.status == TaskStatus.CLOSED
    assert (task.closed_on, task.closed_late, task.light, task.progress) == (
        date(2024, 4, 15),
        False,
        Light.CLOSED,
        100,
    )
    summary = clause_summaries(user=city.zhao, directive=desk.directive)
    assert summary[0].worst_light == Light.CLOSED

    actions = list(AuditEvent.objects.filter(object_type="tasks.task").values_list("action", flat=True))
    assert actions == [
        "task.create",
        "task.assign",
        "task.acknowledge",
        "task.create",
        "task.assign",
        "task.acknowledge",
        "task.report",
        "task.request_completion",
        "task.accept",
        "task.request_completion",
        "task.accept",
    ]
    assert list(rollup.check()) == []


def test_a_late_task_stays_late_after_an_extension(desk, clock):
    city = desk.city
    task = desk.acknowledged_city_task(due=date(2024, 3, 29))
    clock.set(date(2024, 3, 20))
    request = requests.extension_request(
        actor=city.wang,
        task=task,
        version=task.version,
        requested_due_on=date(2024, 4, 30),
        reason="施工受雨季影响",
    )
    requests.extension_approve(actor=city.zhao, request=request, note="同意")
    task = fresh(task)
    assert (task.due_on, task.original_due_on) == (date(2024, 4, 30), date(2024, 3, 29))

    clock.set(date(2024, 4, 20))
    reporting.report_progress(
        actor=city.wang, task=task, version=task.version, progress=100, narrative="完成"
    )
    task = fresh(task)
    workflow.task_request_completion(actor=city.wang, task=task, version=task.version)
    task = workflow.task_accept(actor=city.zhao, task=task, version=fresh(task).version)
    # Within the extended deadline, but after the original one: late, and it stays late.
    assert task.closed_late
    assert task.light == Light.CLOSED
    clock.set(date(2025, 1, 1))
    rollup.repair(today=date(2025, 1, 1))
    assert fresh(task).closed_late
    assert fresh(task).light == Light.CLOSED


def test_a_kept_task_is_started_without_acknowledgement(desk):
    city = desk.city
    task = services.task_create(
        actor=desk.tiexi_head,
        assigning_org=city.tiexi,
        lead_org=city.tiexi,
        title="区级自查",
        due_on=date(2024, 4, 30),
    )
    task = workflow.task_start(actor=desk.tiexi_head, task=task, version=task.version)
    assert task.status == TaskStatus.IN_PROGRESS
    assert Task.objects.get(pk=task.pk).acknowledged_on == date(2024, 3, 1)


def test_rectifications_pass_a_public_notice_before_closing(desk, clock):
    city = desk.city
    from luoshi.directives import services as directives

    inspection = directives.directive_create(
        actor=city.zhao,
        issuing_org=city.government,
        title="省生态环境保护督察反馈意见",
        level="provincial",
        kind="inspection",
        issued_on=date(2024, 1, 10),
    )
    problem = directives.clause_add(
        actor=city.zhao, directive=inspection, text="扬尘污染治理不到位", kind="problem"
    )
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="整改扬尘污染",
        due_on=date(2024, 4, 30),
        clause=problem,
    )
    assert task.requires_public_notice
    task = workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    task = workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)
    meet_all_criteria(city.wang, task)  # a rectification is accepted on its closing criteria
    workflow.task_request_completion(actor=city.wang, task=task, version=task.version)
    task = workflow.task_accept(actor=city.zhao, task=task, version=fresh(task).version)
    assert task.status == TaskStatus.PUBLIC_NOTICE
    assert task.closed_on is None
    assert task.notice_ends_on == date(2024, 3, 8)  # five working days after Friday 1 March

    # An objection sends it back to work; after rework and a quiet notice period, it closes.
    task = workflow.task_object(actor=city.zhao, task=task, version=task.version, reason="群众反映仍有扬尘")
    assert task.status == TaskStatus.IN_PROGRESS
    workflow.task_request_completion(actor=city.wang, task=task, version=task.version)
    task = workflow.task_accept(actor=city.zhao, task=task, version=fresh(task).version)
    clock.set(date(2024, 3, 11))
    task = workflow.task_conclude_notice(actor=city.zhao, task=task, version=task.version)
    assert task.status == TaskStatus.CLOSED
    assert task.closed_on == date(2024, 3, 11)
    assert not task.closed_late
