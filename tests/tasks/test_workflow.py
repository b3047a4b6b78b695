"""The transition table, its guards and parties: every refusal is clear and changes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.notifications.models import Notification
from luoshi.tasks import reporting, requests, services, workflow, writes
from luoshi.tasks.models import (
    ExtensionRequest,
    Light,
    RequestStatus,
    SendBack,
    Task,
    TaskAction,
    TaskStatus,
    TaskTransfer,
)
from luoshi.tasks.workflow import TRANSITIONS
from tests.tasks.conftest import fresh


def snapshot() -> tuple:
    """Everything a refused call must leave as it was."""
    return (
        sorted(
            Task.objects.values_list("pk", "status", "version", "progress", "light", "lead_org_id", "due_on")
        ),
        AuditEvent.objects.count(),
        Notification.objects.count(),
        SendBack.objects.count(),
        TaskTransfer.objects.count(),
        sorted(ExtensionRequest.objects.values_list("pk", "status")),
    )


# One call per action, with arguments that are valid whenever the state allows the action.
def call(action: str, actor, task: Task, desk) -> object:
    version = fresh(task).version
    kwargs = {"actor": actor, "task": task, "version": version}
    reason = {"reason": "理由"}
    return {
        "assign": lambda: workflow.task_assign(**kwargs),
        "start": lambda: workflow.task_start(**kwargs),
        "acknowledge": lambda: workflow.task_acknowledge(**kwargs),
        "send_back": lambda: workflow.task_send_back(**kwargs, **reason),
        "transfer": lambda: workflow.task_transfer(**kwargs, to_org=desk.city.tiedong, **reason),
        "request_completion": lambda: workflow.task_request_completion(**kwargs),
        "accept": lambda: workflow.task_accept(**kwargs),
        "reject": lambda: workflow.task_reject(**kwargs, **reason),
        "object": lambda: workflow.task_object(**kwargs, **reason),
        "conclude_notice": lambda: workflow.task_conclude_notice(**kwargs),
        "cancel": lambda: workflow.task_cancel(**kwargs, **reason),
        "reopen": lambda: workflow.task_reopen(**kwargs, **reason),
    }[action]()


def task_in(state: str, desk) -> Task:
    """A city task for 铁西区 brought into ``state`` through the services."""
    city = desk.city
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="任务",
        due_on=date(2024, 6, 28),
        clause=desk.clause,
    )
    steps = {
        "draft": [],
        "assigned": [("assign", city.zhao)],
        "in_progress": [("assign", city.zhao), ("acknowledge", city.wang)],
        "under_review": [
            ("assign", city.zhao),
            ("acknowledge", city.wang),
            ("request_completion", city.wang),
        ],
        "returned": [
            ("assign", city.zhao),
            ("acknowledge", city.wang),
            ("request_completion", city.wang),
            ("reject", city.zhao),
        ],
        "closed": [
            ("assign", city.zhao),
            ("acknowledge", city.wang),
            ("request_completion", city.wang),
            ("accept", city.zhao),
        ],
        "cancelled": [("cancel", city.zhao)],
    }[state]
    for action, actor in steps:
        call(action, actor, task, desk)
    return fresh(task)


ACTOR_FOR = {"lead": "wang", "assigner": "zhao", "decider": "zhao"}


# Allowed by the table, refused by the guard for a task the city assigned to 铁西区.
GUARDED = {("draft", "start")}


@pytest.mark.parametrize(
    "state", ["draft", "assigned", "in_progress", "under_review", "returned", "closed", "cancelled"]
)
@pytest.mark.parametrize("action", [a.value for a in TaskAction])
def test_every_action_from_every_state(desk, state, action):
    task = task_in(state, desk)
    actor = getattr(desk.city, ACTOR_FOR[workflow.PARTY_OF_ACTION[action]])
    key = (TaskStatus(state), TaskAction(action))
    before = snapshot()
    if key not in TRANSITIONS or (state, action) in GUARDED:
        with pytest.raises(Conflict) as exc:
            call(action, actor, task, desk)
        assert snapshot() == before
        if key not in TRANSITIONS:
            # The message names the action and the state.
            assert str(writes.ACTION_PHRASES[action]) in exc.value.message
            assert str(TaskStatus(state).label) in exc.value.message
        return
    events = AuditEvent.objects.count()
    call(action, actor, task, desk)
    after = fresh(task)
    assert after.status in {TRANSITIONS[key].target, TRANSITIONS[key].notice_target}
    assert after.version == task.version + 1
    assert AuditEvent.objects.count() == events + 1


def test_the_table_has_one_party_per_action():
    assert set(workflow.PARTY_OF_ACTION) == {a.value for a in TaskAction}


def test_illegal_transition_message(desk):
    task = task_in("draft", desk)
    with pytest.raises(Conflict) as exc:
        workflow.task_accept(actor=desk.city.zhao, task=task, version=task.version)
    assert exc.value.message == "You cannot accept a task that is “Draft”."


@pytest.mark.parametrize(
    ("persona", "action", "error"),
    [
        ("sun", "acknowledge", NotFound),  # a sibling district does not even see it
        ("chen", "acknowledge", NotFound),  # the street below does not see its district's task
        ("zhao", "acknowledge", NotAllowed),  # the supervisor sees it but is not the lead unit
        ("li", "acknowledge", NotFound),
        ("tiexi_admin", "acknowledge", NotAllowed),  # administrators manage people, not work
        ("wang", "cancel", NotAllowed),  # the lead unit cannot cancel its own task
        ("tiexi_head", "transfer", NotAllowed),  # only the assigning unit re-routes
    ],
)
def test_refused_by_party_with_nothing_changed(desk, persona, action, error):
    task = task_in("assigned", desk)
    actor = getattr(desk, persona, None) or getattr(desk.city, persona)
    before = snapshot()
    with pytest.raises(error) as exc:
        call(action, actor, task, desk)
    assert snapshot() == before
    if error is NotAllowed:
        assert "铁西区人民政府" in exc.value.message or "鞍山市人民政府" in exc.value.message


def test_a_handler_of_the_assigning_unit_cannot_accept(desk):
    task = desk.acknowledged_city_task()
    sub = desk.street_task(task)
    workflow.task_request_completion(actor=desk.city.chen, task=sub, version=sub.version)
    before = snapshot()
    with pytest.raises(NotAllowed) as exc:
        workflow.task_accept(actor=desk.city.wang, task=sub, version=fresh(sub).version)
    assert "leader or head" in exc.value.message
    assert snapshot() == before
    workflow.task_accept(actor=desk.tiexi_head, task=sub, version=fresh(sub).version)


def test_version_conflict_changes_nothing(desk):
    task = desk.city_task()
    stale = task.version
    workflow.task_acknowledge(actor=desk.city.wang, task=task, version=stale)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        workflow.task_send_back(actor=desk.city.wang, task=task, version=stale, reason="不是我们的")
    assert "Someone else changed this task" in exc.value.message
    with pytest.raises(Conflict):
        reporting.report_progress(actor=desk.city.wang, task=task, version=stale, progress=10, narrative="x")
    assert snapshot() == before


def test_reasons_are_required(desk):
    task = desk.city_task()
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        workflow.task_send_back(actor=desk.city.wang, task=task, version=task.version, reason="  ")
    assert "reason" in exc.value.fields
    assert snapshot() == before


def test_send_back_returns_to_the_assigning_unit_which_transfers(desk, clock):
    city = desk.city
    task = desk.city_task()
    task = workflow.task_send_back(actor=city.wang, task=task, version=task.version, reason="属铁东区职责")
    assert task.status == TaskStatus.DRAFT
    assert SendBack.objects.get(task=task).reason == "属铁东区职责"
    assert Notification.objects.filter(kind="task.send_back", recipient=city.wang).count() == 0  # the actor

    clock.set(date(2024, 3, 4))
    task = workflow.task_transfer(
        actor=city.zhao, task=task, version=task.version, to_org=city.tiedong, reason="转办"
    )
    assert (task.status, task.lead_org, task.lead_org_path) == (
        TaskStatus.ASSIGNED,
        city.tiedong,
        city.tiedong.path,
    )
    transfer = TaskTransfer.objects.get(task=task)
    assert (transfer.from_org, transfer.to_org) == (city.tiexi, city.tiedong)
    assert task.acknowledge_due_on == date(2024, 3, 7)
    # The new unit must acknowledge; Wang no longer can.
    with pytest.raises((NotAllowed, NotFound)):
        workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)
    clock.set(date(2024, 3, 8))
    task = workflow.task_acknowledge(actor=city.sun, task=task, version=task.version)
    assert task.acknowledged_late


def test_transfer_refused_while_subtasks_are_open(desk):
    task = desk.acknowledged_city_task()
    desk.street_task(task)
    before = snapshot()
    with pytest.raises(Conflict) as exc:
        workflow.task_transfer(
            actor=desk.city.zhao,
            task=task,
            version=fresh(task).version,
            to_org=desk.city.tiedong,
            reason="转办",
        )
    assert "subtasks" in exc.value.message
    assert snapshot() == before


def test_completion_waits_for_subtasks(desk):
    task = desk.acknowledged_city_task()
    desk.street_task(task)
    before = snapshot()
    with pytest.raises(Conflict):
        workflow.task_request_completion(actor=desk.city.wang, task=task, version=fresh(task).version)
    assert snapshot() == before


def test_rejections_are_counted_and_two_turn_red(desk):
    city = desk.city
    task = desk.acknowledged_city_task()
    for _ in range(2):
        workflow.task_request_completion(actor=city.wang, task=task, version=fresh(task).version)
        task = workflow.task_reject(
            actor=city.zhao, task=fresh(task), version=fresh(task).version, reason="证据不足"
        )
    assert task.status == TaskStatus.RETURNED
    assert task.rejection_count == 2
    assert fresh(task).light == Light.RED


def test_cancel_takes_the_open_subtree_and_reopen_needs_an_open_parent(desk):
    city = desk.city
    task = desk.acknowledged_city_task()
    sub = desk.street_task(task, due=date(2024, 5, 31))
    leaf = services.task_decompose(
        actor=city.chen,
        parent=sub,
        version=fresh(sub).version,
        lead_org=city.tiexi_street,
        title="社区",
        due_on=sub.due_on,
    )
    request = requests.extension_request(
        actor=city.chen, task=sub, version=fresh(sub).version, requested_due_on=date(2024, 6, 20), reason="x"
    )
    task = workflow.task_cancel(actor=city.zhao, task=task, version=fresh(task).version, reason="任务调整")
    assert {t.status for t in Task.objects.all()} == {TaskStatus.CANCELLED}
    assert {t.light for t in Task.objects.all()} == {Light.NONE}
    assert ExtensionRequest.objects.get(pk=request.pk).status == RequestStatus.DENIED
    cancel = AuditEvent.objects.get(action="task.cancel")
    assert sorted(cancel.changes["cancelled_subtasks"]) == sorted([sub.pk, leaf.pk])

    before = snapshot()
    with pytest.raises(Conflict) as exc:
        workflow.task_reopen(actor=desk.tiexi_head, task=sub, version=fresh(sub).version, reason="恢复")
    assert "parent" in exc.value.message
    assert snapshot() == before
    task = workflow.task_reopen(actor=city.zhao, task=task, version=task.version, reason="恢复")
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.light != Light.NONE


def test_reopen_clears_the_closing_facts(desk, clock):
    city = desk.city
    task = desk.acknowledged_city_task(due=date(2024, 3, 5))
    clock.set(date(2024, 3, 6))
    workflow.task_request_completion(actor=city.wang, task=task, version=fresh(task).version)
    task = workflow.task_accept(actor=city.zhao, task=fresh(task), version=fresh(task).version)
    assert task.closed_late
    task = workflow.task_reopen(actor=city.zhao, task=task, version=task.version, reason="回头看发现反弹")
    assert (task.status, task.closed_on, task.closed_late) == (TaskStatus.IN_PROGRESS, None, False)
    assert task.light == Light.RED  # overdue


def test_subtask_due_after_parent_refused(desk):
    task = desk.acknowledged_city_task(due=date(2024, 6, 28))
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.task_decompose(
            actor=desk.city.wang,
            parent=task,
            version=task.version,
            lead_org=desk.city.tiexi_street,
            title="晚于父任务",
            due_on=date(2024, 7, 1),
        )
    assert "due_on" in exc.value.fields
    assert snapshot() == before


def test_decompose_only_down_the_tree(desk):
    task = desk.acknowledged_city_task()
    with pytest.raises(ValidationFailed) as exc:
        services.task_decompose(
            actor=desk.city.wang,
            parent=task,
            version=task.version,
            lead_org=desk.city.tiedong_street,
            title="兄弟单位",
            due_on=task.due_on,
        )
    assert "lead_org" in exc.value.fields


def test_assign_only_below_and_start_only_when_kept(desk):
    city = desk.city
    kept = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.government,
        title="市本级",
        due_on=date(2024, 5, 1),
    )
    with pytest.raises(Conflict) as exc:
        workflow.task_assign(actor=city.zhao, task=kept, version=kept.version)
    assert "start it" in exc.value.message
    other = desk.city_task()
    other = workflow.task_send_back(actor=city.wang, task=other, version=other.version, reason="x")
    with pytest.raises(Conflict):
        workflow.task_start(actor=city.zhao, task=other, version=other.version)


class TestExtensions:
    def test_only_before_the_deadline(self, desk, clock):
        task = desk.acknowledged_city_task(due=date(2024, 3, 15))
        clock.set(date(2024, 3, 18))
        before = snapshot()
        with pytest.raises(Conflict) as exc:
            requests.extension_request(
                actor=desk.city.wang,
                task=task,
                version=task.version,
                requested_due_on=date(2024, 4, 1),
                reason="x",
            )
        assert "before the deadline" in exc.value.message
        assert snapshot() == before

    def test_one_pending_at_a_time_and_denial_keeps_the_deadline(self, desk):
        city = desk.city
        task = desk.acknowledged_city_task(due=date(2024, 3, 15))
        request = requests.extension_request(
            actor=city.wang, task=task, version=task.version, requested_due_on=date(2024, 4, 1), reason="x"
        )
        with pytest.raises(Conflict):
            requests.extension_request(
                actor=city.wang,
                task=task,
                version=task.version,
                requested_due_on=date(2024, 4, 2),
                reason="y",
            )
        with pytest.raises(NotAllowed):
            requests.extension_approve(actor=city.wang, request=request)
        requests.extension_deny(actor=city.zhao, request=request, note="工期充足")
        assert fresh(task).due_on == date(2024, 3, 15)
        with pytest.raises(Conflict):
            requests.extension_approve(actor=city.zhao, request=request)

    def test_subtask_extension_stays_within_the_parent(self, desk):
        task = desk.acknowledged_city_task(due=date(2024, 6, 28))
        sub = desk.street_task(task, due=date(2024, 5, 31))
        with pytest.raises(ValidationFailed):
            requests.extension_request(
                actor=desk.city.chen,
                task=sub,
                version=sub.version,
                requested_due_on=date(2024, 7, 1),
                reason="x",
            )
        request = requests.extension_request(
            actor=desk.city.chen,
            task=sub,
            version=sub.version,
            requested_due_on=date(2024, 6, 28),
            reason="x",
        )
        requests.extension_approve(actor=desk.tiexi_head, request=request)
        sub = fresh(sub)
        assert (sub.due_on, sub.original_due_on) == (date(2024, 6, 28), date(2024, 5, 31))


def test_late_acknowledgement_is_allowed_and_recorded(desk, clock):
    task = desk.city_task()
    assert task.acknowledge_due_on == date(2024, 3, 6)  # three working days after Friday 1 March
    clock.set(date(2024, 3, 7))
    task = workflow.task_acknowledge(actor=desk.city.wang, task=task, version=task.version)
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.acknowledged_late
    event = AuditEvent.objects.filter(action="task.acknowledge").latest("seq")
    assert event.changes["late"] is True


def test_notifications_go_to_the_other_side_in_the_same_transaction(desk):
    city = desk.city
    task = desk.city_task()
    assert set(Notification.objects.filter(kind="task.assign").values_list("recipient", flat=True)) == {
        city.wang.pk,
        desk.tiexi_head.pk,
    }
    assign = Notification.objects.get(kind="task.assign", recipient=city.wang)
    assert (assign.task, assign.status, assign.payload["title"]) == (task, "pending", task.title)
    assert assign.idempotency_key == f"task:{task.pk}:v{task.version}:assign:{city.wang.pk}"
    task = workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)
    # An acknowledgement informs the assigning unit's own people (the city government has none here) ...
    assert not Notification.objects.filter(kind="task.acknowledge").exists()
    # ... while a request for a decision also reaches the supervisors who decide for it.
    workflow.task_request_completion(actor=city.wang, task=task, version=task.version)
    assert list(
        Notification.objects.filter(kind="task.request_completion").values_list("recipient", flat=True)
    ) == [city.zhao.pk]


def test_manual_light_needs_a_reason_and_expires(desk, clock):
    from luoshi.tasks import rollup

    city = desk.city
    task = desk.acknowledged_city_task(due=date(2024, 3, 8))
    reporting.report_progress(
        actor=city.wang, task=task, version=fresh(task).version, progress=60, narrative="x"
    )
    assert fresh(task).light == Light.GREEN
    with pytest.raises(ValidationFailed):
        reporting.task_override_light(
            actor=city.zhao,
            task=task,
            version=fresh(task).version,
            light="red",
            reason="",
            until=date(2024, 3, 4),
        )
    with pytest.raises(NotAllowed):
        reporting.task_override_light(
            actor=city.wang,
            task=task,
            version=fresh(task).version,
            light="red",
            reason="x",
            until=date(2024, 3, 4),
        )
    reporting.task_override_light(
        actor=city.zhao,
        task=task,
        version=fresh(task).version,
        light="red",
        reason="群众投诉集中",
        until=date(2024, 3, 4),
    )
    assert (fresh(task).light, fresh(task).light_overridden) == (Light.RED, True)
    assert AuditEvent.objects.filter(action="task.override_light").count() == 1
    # The sweep after the expiry brings the computed light back (due within three working days: blue).
    rollup.repair(today=date(2024, 3, 5))
    assert (fresh(task).light, fresh(task).light_overridden) == (Light.BLUE, False)
