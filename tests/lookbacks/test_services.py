"""Look-backs by services: scheduling (by hand, by rule, by sample), due notices, outcomes, relapses."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.lookbacks import selectors, services
from luoshi.lookbacks.models import LookBack, LookBackOrigin, LookBackOutcome
from luoshi.notifications.models import Notification
from luoshi.tasks import workflow
from luoshi.tasks.models import Light, Priority, Task, TaskStatus
from tests.lookbacks.conftest import close
from tests.rectification.helpers import evidence_upload
from tests.tasks.conftest import fresh


def test_a_decider_schedules_a_look_back_of_closed_work(desk, closed_task):
    city = desk.city
    lookback = services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=date(2024, 5, 6))
    assert (lookback.origin, lookback.outcome, lookback.scheduled_by) == ("manual", "pending", city.zhao)
    assert AuditEvent.objects.filter(action="lookback.schedule", object_id=str(lookback.pk)).exists()
    with pytest.raises(Conflict):  # one waiting look-back per task
        services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=date(2024, 5, 7))


def test_scheduling_refuses_bad_dates_open_tasks_and_outsiders(desk, closed_task):
    city = desk.city
    with pytest.raises(ValidationFailed) as refused:
        services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=date(2024, 2, 1))
    assert "due_on" in refused.value.fields
    with pytest.raises(ValidationFailed):
        services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=None)
    with pytest.raises(NotAllowed):  # the lead unit's handler does not re-check its own work
        services.lookback_schedule(actor=city.wang, task=closed_task, due_on=date(2024, 5, 6))
    with pytest.raises(NotFound):
        services.lookback_schedule(actor=city.sun, task=closed_task, due_on=date(2024, 5, 6))
    with pytest.raises(Conflict):
        services.lookback_schedule(
            actor=city.zhao, task=desk.acknowledged_city_task(), due_on=date(2024, 5, 6)
        )
    assert not LookBack.objects.exists()


def test_the_rule_schedules_rectifications_and_urgent_roots_once(desk, closed_task, settings):
    settings.LUOSHI_LOOKBACKS = {
        "working_days_after_closing": 5,
        "sample_percent": 10,
        "rule_min_priority": 3,
    }
    urgent = close(desk, desk.acknowledged_city_task(title="紧急任务", priority=Priority.URGENT))
    assert services.lookbacks_schedule_by_rule(today=date(2024, 3, 1)) == 1
    lookback = LookBack.objects.get()
    assert (lookback.task, lookback.origin, lookback.due_on) == (
        urgent,
        LookBackOrigin.RULE,
        date(2024, 3, 8),
    )
    assert services.lookbacks_schedule_by_rule(today=date(2024, 3, 1)) == 0


def test_due_look_backs_are_announced_once(desk, closed_task, clock):
    city = desk.city
    lookback = services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=date(2024, 3, 5))
    assert services.lookbacks_due(today=date(2024, 3, 4)) == 0
    assert services.lookbacks_due(today=date(2024, 3, 5)) == 1
    notes = Notification.objects.filter(kind="lookback.due")
    assert city.zhao.pk in set(notes.values_list("recipient_id", flat=True))
    assert notes.filter(recipient=city.zhao).get().payload["lookback_id"] == lookback.pk
    count = notes.count()
    assert services.lookbacks_due(today=date(2024, 3, 5)) == 0
    assert services.lookbacks_due(today=date(2024, 3, 6)) == 0
    assert notes.count() == count
    clock.set(date(2024, 3, 5))
    assert [lb.pk for lb in selectors.lookbacks_due_for(user=city.zhao, today=date(2024, 3, 5))] == [
        lookback.pk
    ]
    assert selectors.lookbacks_due_for(user=city.wang, today=date(2024, 3, 5)) == []


def test_a_consolidated_result_is_recorded_with_evidence(desk, closed_task):
    city = desk.city
    lookback = services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=date(2024, 3, 1))
    with pytest.raises(ValidationFailed) as refused:
        services.lookback_record(
            actor=city.zhao, lookback=lookback, version=lookback.version, outcome="fine", findings=""
        )
    assert set(refused.value.fields) == {"outcome", "findings"}
    with pytest.raises(ValidationFailed) as refused:
        services.lookback_record(
            actor=city.zhao, lookback=lookback, version=1, outcome="consolidated", findings="整改成果巩固"
        )
    assert "files" in refused.value.fields
    with pytest.raises(NotAllowed):
        services.lookback_record(
            actor=city.wang,
            lookback=lookback,
            version=1,
            outcome="consolidated",
            findings="整改成果巩固",
            files=[evidence_upload()],
        )
    assert LookBack.objects.get().outcome == LookBackOutcome.PENDING

    recorded = services.lookback_record(
        actor=city.zhao,
        lookback=lookback,
        version=1,
        outcome="consolidated",
        findings="现场复查，违建未反弹",
        files=[evidence_upload("复查照片.pdf")],
    )
    assert (recorded.outcome, recorded.recorded_on, recorded.version) == ("consolidated", date(2024, 3, 1), 2)
    assert [e.original_name for e in recorded.evidence_files.all()] == ["复查照片.pdf"]
    assert recorded.relapse_task is None
    with pytest.raises(Conflict):  # stale version, and already recorded
        services.lookback_record(
            actor=city.zhao,
            lookback=lookback,
            version=2,
            outcome="relapsed",
            findings="x",
            files=[evidence_upload()],
        )


def test_a_relapse_opens_a_new_red_task_linked_to_the_old(desk, closed_task):
    city = desk.city
    lookback = services.lookback_schedule(actor=city.zhao, task=closed_task, due_on=date(2024, 3, 1))
    with pytest.raises(ValidationFailed) as refused:
        services.lookback_record(
            actor=city.zhao,
            lookback=lookback,
            version=1,
            outcome="relapsed",
            findings="违建复建",
            files=[evidence_upload()],
        )
    assert "relapse_due_on" in refused.value.fields
    assert Task.objects.count() == 1

    recorded = services.lookback_record(
        actor=city.zhao,
        lookback=lookback,
        version=1,
        outcome="relapsed",
        findings="违建复建",
        files=[evidence_upload()],
        relapse_due_on=date(2024, 4, 30),
    )
    new = Task.objects.get(pk=recorded.relapse_task_id)
    assert new.relapse_of == closed_task
    assert (new.lead_org, new.assigning_org, new.status) == (city.tiexi, city.government, TaskStatus.ASSIGNED)
    assert (new.light, new.override_light, new.override_until) == (Light.RED, Light.RED, date(2024, 4, 30))
    assert "违建复建" in new.override_reason
    assert new.priority == Priority.URGENT
    assert fresh(closed_task).status == TaskStatus.CLOSED
    assert AuditEvent.objects.filter(action="lookback.record", object_id=str(lookback.pk)).exists()

    counts = selectors.relapse_counts(
        [city.tiexi.pk, city.government.pk, city.tiedong.pk], date(2024, 1, 1), date(2024, 12, 31)
    )
    assert counts == {city.tiexi.pk: 1, city.government.pk: 1, city.tiedong.pk: 0}
    assert selectors.relapse_counts([city.tiexi.pk], date(2024, 4, 1), date(2024, 12, 31)) == {
        city.tiexi.pk: 0
    }
    (row,) = selectors.relapse_table(user=city.zhao, start=date(2024, 1, 1), end=date(2024, 12, 31))
    assert (row.org_id, row.recorded, row.relapsed, row.rate) == (city.tiexi.pk, 1, 1, 100.0)


def test_samples_are_reproducible_and_per_unit(desk):
    city = desk.city
    for i in range(4):
        close(desk, desk.acknowledged_city_task(title=f"铁西任务{i}"))
    for i in range(2):
        task = desk.city_task(title=f"铁东任务{i}", lead=city.tiedong)
        task = workflow.task_acknowledge(actor=city.sun, task=task, version=task.version)
        workflow.task_request_completion(actor=city.sun, task=task, version=task.version)
        workflow.task_accept(actor=city.zhao, task=task, version=fresh(task).version)
    with pytest.raises(ValidationFailed) as refused:
        services.lookback_sample(
            actor=city.zhao,
            closed_from=date(2024, 3, 2),
            closed_to=date(2024, 3, 1),
            due_on=date(2024, 2, 1),
            percent=0,
            seed="",
        )
    assert set(refused.value.fields) == {"percent", "closed_to", "due_on", "seed"}
    with pytest.raises(NotAllowed):
        services.lookback_sample(
            actor=city.wang,
            closed_from=date(2024, 1, 1),
            closed_to=date(2024, 3, 1),
            due_on=date(2024, 4, 1),
            seed="x",
        )

    def draw(seed: str) -> list[int]:
        result = services.lookback_sample(
            actor=city.zhao,
            closed_from=date(2024, 1, 1),
            closed_to=date(2024, 3, 1),
            due_on=date(2024, 4, 1),
            percent=50,
            seed=seed,
        )
        return [lb.task_id for lb in result.lookbacks]

    first = draw("2024-Q1")
    assert len(first) == 3  # half of 铁西区's four, and one of 铁东区's two
    LookBack.objects.all().delete()
    assert draw("2024-Q1") == first
    assert LookBack.objects.filter(origin=LookBackOrigin.SAMPLE).count() == 3
    # Tasks already waiting are not drawn again.
    second = draw("2024-Q1")
    assert len(second) == 2  # half of 铁西区's other two, 铁东区's last
    assert not set(second) & set(first)
    assert LookBack.objects.count() == 5
