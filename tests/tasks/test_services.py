"""Editing, planning and naming people on tasks."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.tasks import reporting, services, workflow
from luoshi.tasks.models import Light, Task
from tests.tasks.conftest import fresh


def draft(desk, **kwargs) -> Task:
    city = desk.city
    return services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=kwargs.pop("lead_org", city.tiexi),
        title=kwargs.pop("title", "草稿任务"),
        due_on=kwargs.pop("due_on", date(2024, 6, 28)),
        **kwargs,
    )


def test_create_validates_units_dates_and_people(desk):
    city = desk.city
    with pytest.raises(NotAllowed):
        services.task_create(
            actor=city.wang,
            assigning_org=city.government,
            lead_org=city.tiexi,
            title="x",
            due_on=date(2024, 5, 1),
        )
    with pytest.raises(ValidationFailed) as exc:
        draft(desk, start_on=date(2024, 7, 1))
    assert "due_on" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        draft(desk, handler=city.sun)
    assert "handler" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        draft(desk, cooperating_orgs=[city.tiexi])
    assert "cooperating_orgs" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        draft(desk, title="")
    assert "title" in exc.value.fields
    task = draft(
        desk, handler=city.wang, cooperating_orgs=[city.ecology_bureau], tags=["民生实事", " 民生实事 "]
    )
    assert list(task.tags.values_list("name", flat=True)) == ["民生实事"]
    assert (task.start_on, task.original_due_on, task.light) == (date(2024, 3, 1), task.due_on, Light.GREEN)
    assert Task.objects.count() == 1


def test_a_draft_can_be_rerouted_and_rescheduled_but_an_assigned_task_cannot(desk):
    city = desk.city
    task = draft(desk, cooperating_orgs=[city.tiedong])
    task = services.task_update(
        actor=city.zhao, task=task, version=task.version, lead_org=city.tiedong, due_on=date(2024, 7, 31)
    )
    assert (task.lead_org_path, task.original_due_on) == (city.tiedong.path, date(2024, 7, 31))
    assert list(task.cooperating_orgs.all()) == []
    task = workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    before = (fresh(task).version, AuditEvent.objects.count())
    with pytest.raises(Conflict) as exc:
        services.task_update(actor=city.zhao, task=task, version=task.version, due_on=date(2024, 8, 31))
    assert "extension" in exc.value.message
    with pytest.raises(Conflict):
        services.task_update(actor=city.zhao, task=task, version=task.version, lead_org=city.tiexi)
    assert (fresh(task).version, AuditEvent.objects.count()) == before
    task = services.task_update(
        actor=city.zhao, task=task, version=task.version, title="新标题", tags=["营商环境"]
    )
    assert AuditEvent.objects.filter(action="task.update").latest("seq").changes == {
        "title": ["草稿任务", "新标题"],
        "tags": [[], ["营商环境"]],
    }
    with pytest.raises(NotAllowed):
        services.task_update(actor=city.sun, task=task, version=task.version, title="铁东区改的")


def test_a_weight_change_moves_the_parent(desk):
    root = desk.acknowledged_city_task()
    a = desk.street_task(root, title="A")
    b = desk.street_task(root, title="B")
    reporting.report_progress(actor=desk.city.chen, task=a, version=a.version, progress=100, narrative="x")
    assert fresh(root).progress == 50
    services.task_update(actor=desk.city.wang, task=b, version=fresh(b).version, weight=3)
    assert fresh(root).progress == 25


def test_the_lead_unit_names_its_handler(desk):
    city = desk.city
    task = desk.city_task()
    task = services.task_set_people(
        actor=city.wang,
        task=task,
        version=task.version,
        handler=city.wang,
        responsible_leader=desk.tiexi_head,
    )
    assert (task.handler, task.responsible_leader) == (city.wang, desk.tiexi_head)
    with pytest.raises(ValidationFailed):
        services.task_set_people(
            actor=city.wang, task=task, version=task.version, handler=city.sun, responsible_leader=None
        )
    with pytest.raises(NotFound):  # 铁东区 does not even see 铁西区's task
        services.task_set_people(
            actor=city.sun, task=task, version=task.version, handler=None, responsible_leader=None
        )
    with pytest.raises(NotAllowed):  # the district's administrator sees it but does not plan work
        services.task_set_people(
            actor=city.tiexi_admin, task=task, version=task.version, handler=None, responsible_leader=None
        )


def test_milestones_set_the_expected_progress(desk, clock):
    city = desk.city
    task = desk.acknowledged_city_task(due=date(2024, 5, 31))
    reporting.report_progress(actor=city.wang, task=task, version=task.version, progress=20, narrative="x")
    clock.set(date(2024, 3, 21))  # linear plan: about 22 % expected, so on track
    task = fresh(task)
    reporting.milestone_add(
        actor=city.wang,
        task=task,
        version=task.version,
        title="完成方案",
        due_on=date(2024, 3, 15),
        planned_progress=60,
    )
    # The plan says 60 % by 15 March: now 40+ points behind.
    assert fresh(task).light == Light.RED
    with pytest.raises(ValidationFailed) as exc:
        reporting.milestone_add(
            actor=city.wang,
            task=fresh(task),
            version=fresh(task).version,
            title="倒退",
            due_on=date(2024, 4, 30),
            planned_progress=50,
        )
    assert "planned_progress" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        reporting.milestone_add(
            actor=city.wang,
            task=fresh(task),
            version=fresh(task).version,
            title="超期",
            due_on=date(2024, 6, 30),
            planned_progress=90,
        )
    assert "due_on" in exc.value.fields
    milestone = task.milestones.get()
    done = reporting.milestone_complete(actor=city.wang, milestone=milestone, version=fresh(task).version)
    assert done.done_on == date(2024, 3, 21)


def test_a_report_is_judged_against_the_milestones(desk, clock):
    city = desk.city
    task = desk.acknowledged_city_task(due=date(2024, 5, 31))
    clock.set(date(2024, 3, 21))
    reporting.milestone_add(
        actor=city.wang,
        task=task,
        version=fresh(task).version,
        title="完成方案",
        due_on=date(2024, 3, 15),
        planned_progress=60,
    )
    # 25 % would be on track on the linear plan (about 22 %), not on the plan's 60 % by 15 March.
    reporting.report_progress(
        actor=city.wang, task=task, version=fresh(task).version, progress=25, narrative="x"
    )
    assert fresh(task).light == Light.RED
    reporting.report_progress(
        actor=city.wang, task=task, version=fresh(task).version, progress=65, narrative="x"
    )
    assert fresh(task).light == Light.GREEN


def test_reports_only_while_working_and_only_leaves_take_a_percentage(desk):
    city = desk.city
    task = desk.city_task()
    with pytest.raises(Conflict):
        reporting.report_progress(
            actor=city.wang, task=task, version=task.version, progress=10, narrative="x"
        )
    task = workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)
    desk.street_task(task)
    with pytest.raises(ValidationFailed) as exc:
        reporting.report_progress(
            actor=city.wang, task=task, version=fresh(task).version, progress=10, narrative="x"
        )
    assert "progress" in exc.value.fields
    report = reporting.report_progress(
        actor=city.wang, task=task, version=fresh(task).version, narrative="统筹推进", problems="资金缺口"
    )
    assert report.progress is None
    assert fresh(task).last_reported_on == date(2024, 3, 1)
    with pytest.raises(ValidationFailed) as exc:
        reporting.report_progress(
            actor=city.wang,
            task=task,
            version=fresh(task).version,
            narrative="x",
            reported_on=date(2024, 3, 2),
        )
    assert "reported_on" in exc.value.fields
