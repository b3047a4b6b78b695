"""Rectifications: problem details, closing criteria before acceptance, then the public notice."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.directives import rectification
from luoshi.directives.models import Clause, DeadlineType, ProblemSource
from luoshi.tasks import closing, services, workflow
from luoshi.tasks.models import ClosingCheck, ClosingCriterion, TaskStatus
from tests.rectification.helpers import evidence_upload, meet_all_criteria
from tests.tasks.conftest import fresh


@pytest.fixture
def rectification_task(desk, problem):
    city = desk.city
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="整改扬尘污染",
        due_on=date(2024, 4, 30),
        clause=problem,
        cooperating_orgs=[city.ecology_bureau],
    )
    task = workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    return workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)


def test_problem_details_are_validated_and_audited(desk, problem):
    with pytest.raises(ValidationFailed) as refused:
        rectification.problem_update(
            actor=desk.city.zhao,
            clause=problem,
            version=problem.version,
            problem_source="rumour",
            deadline_type=DeadlineType.BY_DATE,
            measures=" ",
        )
    assert set(refused.value.fields) == {"problem_source", "fix_by", "measures"}
    assert Clause.objects.get(pk=problem.pk).problem_source == ""

    clause = rectification.problem_update(
        actor=desk.city.zhao,
        clause=problem,
        version=problem.version,
        problem_source=ProblemSource.PROVINCIAL,
        deadline_type=DeadlineType.BY_DATE,
        fix_by=date(2024, 6, 30),
        measures="开展工地扬尘专项检查\n\n  落实道路洒水降尘  ",
    )
    assert clause.measure_list() == ["开展工地扬尘专项检查", "落实道路洒水降尘"]
    assert (clause.fix_by, clause.version) == (date(2024, 6, 30), 2)
    assert AuditEvent.objects.filter(action="clause.problem_update", object_id=str(problem.pk)).exists()

    with pytest.raises(Conflict):  # the version read is stale now
        rectification.problem_update(
            actor=desk.city.zhao,
            clause=problem,
            version=1,
            problem_source=ProblemSource.CENTRAL,
            deadline_type=DeadlineType.ONGOING,
            measures="x",
        )


def test_only_the_issuer_sets_problem_details(desk, problem):
    with pytest.raises((NotAllowed, NotFound)):
        rectification.problem_update(
            actor=desk.city.wang,
            clause=problem,
            version=problem.version,
            problem_source=ProblemSource.CENTRAL,
            deadline_type=DeadlineType.IMMEDIATE,
            measures="x",
        )
    assert Clause.objects.get(pk=problem.pk).version == 1


def test_a_demand_has_no_rectification_details(desk):
    with pytest.raises(Conflict):
        rectification.problem_update(
            actor=desk.city.zhao,
            clause=desk.clause,
            version=desk.clause.version,
            problem_source=ProblemSource.CENTRAL,
            deadline_type=DeadlineType.IMMEDIATE,
            measures="x",
        )


def test_acceptance_waits_for_every_criterion_with_evidence(desk, rectification_task):
    city = desk.city
    task = rectification_task
    closing.closing_check_tick(
        actor=city.wang, task=task, criterion=ClosingCriterion.MEASURES_DONE, files=[evidence_upload()]
    )
    workflow.task_request_completion(actor=city.wang, task=task, version=fresh(task).version)
    with pytest.raises(Conflict) as refused:
        workflow.task_accept(actor=city.zhao, task=task, version=fresh(task).version)
    assert "Results meet the standard" in refused.value.message
    assert "All rectification measures" not in refused.value.message
    assert fresh(task).status == TaskStatus.UNDER_REVIEW

    # Criteria are frozen during the review: the assigning unit returns it, the lead unit completes them.
    with pytest.raises(Conflict):
        meet_all_criteria(city.wang, task)
    workflow.task_reject(actor=city.zhao, task=task, version=fresh(task).version, reason="标准未达到")
    meet_all_criteria(city.wang, task)
    assert closing.unmet_criteria(task) == []
    workflow.task_request_completion(actor=city.wang, task=task, version=fresh(task).version)
    task = workflow.task_accept(actor=city.zhao, task=task, version=fresh(task).version)
    assert task.status == TaskStatus.PUBLIC_NOTICE

    # An objection reopens it; no objection after the notice period closes it.
    task = workflow.task_object(actor=city.zhao, task=task, version=task.version, reason="群众反映仍有扬尘")
    assert task.status == TaskStatus.IN_PROGRESS
    workflow.task_request_completion(actor=city.wang, task=task, version=task.version)
    task = workflow.task_accept(actor=city.zhao, task=task, version=fresh(task).version)
    assert task.notice_ends_on is not None
    with pytest.raises(Conflict):
        workflow.task_conclude_notice(actor=city.zhao, task=task, version=task.version)


def test_ticking_needs_evidence_and_the_lead_unit(desk, rectification_task):
    city = desk.city
    with pytest.raises(ValidationFailed) as refused:
        closing.closing_check_tick(
            actor=city.wang, task=rectification_task, criterion=ClosingCriterion.MECHANISM
        )
    assert "files" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        closing.closing_check_tick(
            actor=city.wang, task=rectification_task, criterion="vibes", files=[evidence_upload()]
        )
    assert "criterion" in refused.value.fields
    with pytest.raises(NotAllowed):  # the ecology bureau cooperates; the lead unit ticks
        closing.closing_check_tick(
            actor=city.li,
            task=rectification_task,
            criterion=ClosingCriterion.MECHANISM,
            files=[evidence_upload()],
        )
    assert not ClosingCheck.objects.exists()


def test_unticking_is_audited_and_reopens_the_criterion(desk, rectification_task):
    city = desk.city
    meet_all_criteria(city.wang, rectification_task)
    closing.closing_check_untick(
        actor=city.wang, task=rectification_task, criterion=ClosingCriterion.MECHANISM
    )
    assert closing.unmet_criteria(rectification_task) == [ClosingCriterion.MECHANISM]
    assert AuditEvent.objects.filter(action="task.closing_uncheck").count() == 1


def test_ordinary_tasks_need_no_criteria(desk):
    task = desk.acknowledged_city_task()
    with pytest.raises(Conflict):
        closing.closing_check_tick(
            actor=desk.city.wang, task=task, criterion=ClosingCriterion.MECHANISM, files=[evidence_upload()]
        )
    workflow.task_request_completion(actor=desk.city.wang, task=task, version=fresh(task).version)
    assert (
        workflow.task_accept(actor=desk.city.zhao, task=task, version=fresh(task).version).status == "closed"
    )


def test_the_list_shows_problems_tasks_and_criteria(desk, inspection, problem, rectification_task):
    city = desk.city
    meet_all_criteria(city.wang, rectification_task)
    rows = rectification.rectification_list(user=city.zhao, directive=inspection)
    assert [r.clause.pk for r in rows] == [problem.pk]
    assert [t.pk for t in rows[0].tasks] == [rectification_task.pk]
    assert rows[0].criteria_met == {rectification_task.pk: 4}
    assert rows[0].state == "in_progress"
    # 孙丽 of 铁东区 sees neither the task nor, through it, the directive.
    with pytest.raises(NotFound):
        rectification.inspection_directive(user=city.sun, pk=inspection.pk)
