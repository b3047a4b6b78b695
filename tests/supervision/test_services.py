"""Urgings by hand, their answers and closing, and the escalation rules: rules through the services."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import ProtectedError

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.notifications.models import Notification
from luoshi.supervision import selectors, services
from luoshi.supervision.models import EscalationRule, Urging, UrgingLevel, UrgingStatus
from luoshi.tasks.models import Light
from tests.supervision.conftest import TODAY, fresh, snapshot


def notice(desk, task, *, respond_by=date(2024, 3, 6), level=UrgingLevel.NOTICE, actor=None) -> Urging:
    return services.urging_issue(
        actor=actor or desk.city.zhao,
        task=task,
        level=level,
        reason="请说明进展滞后原因",
        respond_by=respond_by,
    )


def test_a_supervisor_urges_a_task_and_the_lead_unit_is_told(desk):
    task = desk.acknowledged_city_task(handler=None)
    urging = notice(desk, task)
    assert urging.issued_by == desk.city.zhao
    assert urging.issued_on == TODAY
    assert urging.to_org == desk.city.tiexi
    assert urging.task_due_on == task.due_on
    assert urging.status == UrgingStatus.OPEN
    told = set(
        Notification.objects.filter(kind="urging.issued").values_list("recipient__username", flat=True)
    )
    assert told == {"wangfang", "tiexihead"}
    event = AuditEvent.objects.get(action="urging.issue")
    assert event.actor == desk.city.zhao
    assert event.changes["level"] == "notice"
    # It waits for an answer from the people of 铁西区, and from nobody else.
    assert list(selectors.urgings_to_answer(desk.city.wang)) == [urging]
    assert list(selectors.urgings_to_answer(desk.tiexi_head)) == [urging]
    assert list(selectors.urgings_to_answer(desk.city.sun)) == []
    assert list(selectors.urgings_to_answer(desk.city.zhao)) == []


def test_supervision_orders_go_to_the_responsible_leader(desk):
    from luoshi.organizations.models import Role
    from tests.conftest import make_person

    leader = make_person("tiexileader", "张副区长", desk.city.tiexi, Role.LEADER)
    task = desk.acknowledged_city_task(responsible_leader=leader)
    urging = notice(desk, task, level=UrgingLevel.ORDER_RED)
    assert urging.to_person == leader
    assert "tiexileader" in set(
        Notification.objects.filter(kind="urging.issued").values_list("recipient__username", flat=True)
    )
    assert list(selectors.urgings_to_answer(leader)) == [urging]


def test_only_supervisors_urge_and_a_refusal_changes_nothing(desk):
    task = desk.acknowledged_city_task()
    before = snapshot()
    with pytest.raises(NotAllowed):
        notice(desk, task, actor=desk.city.wang)
    with pytest.raises(NotFound):
        notice(desk, task, actor=desk.city.sun)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("level", "reason", "respond_by", "field"),
    [
        ("", "原因", date(2024, 3, 6), "level"),
        ("shout", "原因", date(2024, 3, 6), "level"),
        (UrgingLevel.NOTICE, "  ", date(2024, 3, 6), "reason"),
        (UrgingLevel.NOTICE, "原因", None, "respond_by"),
        (UrgingLevel.ORDER_BLUE, "原因", date(2024, 2, 28), "respond_by"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(desk, level, reason, respond_by, field):
    task = desk.acknowledged_city_task()
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.urging_issue(
            actor=desk.city.zhao, task=task, level=level, reason=reason, respond_by=respond_by
        )
    assert field in caught.value.fields
    assert snapshot() == before


def test_the_person_addressed_must_work_in_the_lead_unit(desk):
    task = desk.acknowledged_city_task()
    with pytest.raises(ValidationFailed) as caught:
        services.urging_issue(
            actor=desk.city.zhao,
            task=task,
            level=UrgingLevel.NOTICE,
            reason="原因",
            respond_by=date(2024, 3, 6),
            to_person=desk.city.sun,
        )
    assert "to_person" in caught.value.fields


def test_a_reminder_needs_no_answer(desk):
    task = desk.acknowledged_city_task()
    reminder = notice(desk, task, level=UrgingLevel.REMINDER, respond_by=None)
    assert reminder.respond_by is None
    assert list(selectors.urgings_to_answer(desk.city.wang)) == []


def test_closed_tasks_are_not_urged(desk):
    from luoshi.tasks import workflow

    task = desk.acknowledged_city_task()
    task = workflow.task_cancel(actor=desk.city.zhao, task=task, version=task.version, reason="不再需要")
    with pytest.raises(Conflict):
        notice(desk, task)


def test_the_lead_unit_answers(desk):
    task = desk.acknowledged_city_task()
    urging = notice(desk, task)
    answered = services.urging_respond(
        actor=desk.city.wang, urging=urging, response="已制定整改计划，月底前完成", version=urging.version
    )
    assert answered.status == UrgingStatus.ANSWERED
    assert answered.responded_by == desk.city.wang
    assert answered.responded_on == TODAY
    assert AuditEvent.objects.filter(action="urging.respond", object_id=str(urging.pk)).exists()
    # The supervisor who urged hears of it.
    assert Notification.objects.filter(kind="urging.answered", recipient=desk.city.zhao).exists()
    assert list(selectors.urgings_to_answer(desk.city.wang)) == []
    with pytest.raises(Conflict):
        services.urging_respond(
            actor=desk.city.wang, urging=urging, response="再答一次", version=answered.version
        )


def test_only_the_unit_urged_answers_and_refusals_change_nothing(desk):
    task = desk.acknowledged_city_task()
    urging = notice(desk, task)
    before = snapshot()
    with pytest.raises(NotFound):
        services.urging_respond(actor=desk.city.sun, urging=urging, response="答复", version=urging.version)
    with pytest.raises(NotAllowed):
        services.urging_respond(actor=desk.city.zhao, urging=urging, response="答复", version=urging.version)
    with pytest.raises(ValidationFailed) as caught:
        services.urging_respond(actor=desk.city.wang, urging=urging, response=" ", version=urging.version)
    assert "response" in caught.value.fields
    with pytest.raises(Conflict):
        services.urging_respond(
            actor=desk.city.wang, urging=urging, response="答复", version=urging.version + 1
        )
    assert snapshot() == before


def test_an_unanswered_urging_turns_the_task_red_until_it_is_answered(desk, clock):
    task = desk.acknowledged_city_task()
    urging = notice(desk, task, respond_by=date(2024, 3, 5))
    clock.set(date(2024, 3, 6))
    services.sweep(today=date(2024, 3, 6))
    task = fresh(task)
    assert task.open_overdue_urgings == 1
    assert task.light == Light.RED
    services.urging_respond(actor=desk.city.wang, urging=urging, response="已落实", version=urging.version)
    task = fresh(task)
    assert task.open_overdue_urgings == 0
    assert task.light != Light.RED
    event = AuditEvent.objects.get(action="urging.respond")
    assert event.changes["late"] is True


def test_a_red_subtask_from_an_urging_rolls_up_to_its_parent(desk, clock):
    parent = desk.acknowledged_city_task()
    sub = desk.street_task(parent)
    notice(desk, sub, respond_by=date(2024, 3, 4))
    clock.set(date(2024, 3, 5))
    services.sweep(today=date(2024, 3, 5))
    assert fresh(sub).light == Light.RED
    assert fresh(parent).light == Light.RED
    assert fresh(parent).own_light != Light.RED


def test_a_supervisor_closes_an_urging(desk, clock):
    task = desk.acknowledged_city_task()
    urging = notice(desk, task, respond_by=date(2024, 3, 4))
    clock.set(date(2024, 3, 5))
    services.sweep(today=date(2024, 3, 5))
    assert fresh(task).light == Light.RED
    with pytest.raises(NotAllowed):
        services.urging_close(actor=desk.city.wang, urging=urging, note="撤回", version=urging.version)
    with pytest.raises(ValidationFailed):
        services.urging_close(actor=desk.city.zhao, urging=urging, note="", version=urging.version)
    closed = services.urging_close(
        actor=desk.city.zhao, urging=urging, note="已电话核实，撤回", version=urging.version
    )
    assert closed.status == UrgingStatus.CLOSED
    assert closed.closed_on == date(2024, 3, 5)
    assert fresh(task).open_overdue_urgings == 0
    assert fresh(task).light != Light.RED


# --- the escalation rules -------------------------------------------------------------------------


def test_a_task_with_urgings_cannot_be_deleted_nor_its_unit_or_person(desk):
    """The database leaves an urging's references unchecked (a night writes too many to check at
    commit); the ORM still refuses to delete what an urging names."""
    task = desk.acknowledged_city_task()
    urging = notice(desk, task)
    for named in (task, urging.to_org):
        with pytest.raises(ProtectedError):
            named.delete()
    assert Urging.objects.filter(pk=urging.pk, task=task).exists()


def rule(level: str) -> EscalationRule:
    return EscalationRule.objects.get(level=level)


def test_the_default_ladder_is_seeded_in_order(city):
    # ``city`` re-seeds the ladder with the migration's own function after a transactional test.
    ladder = services.ladder()
    assert [r.level for r in ladder] == list(UrgingLevel.values)
    days = [r.days_after_due for r in ladder]
    assert days == sorted(days)
    assert ladder[0].days_after_due < 0
    assert all(r.respond_working_days for r in ladder[1:])


def test_an_administrator_of_the_city_changes_the_ladder(city):
    blue = rule(UrgingLevel.ORDER_BLUE)
    changed = services.escalation_rules_update(
        actor=city.admin,
        changes=[
            {"level": "order_blue", "version": blue.version, "days_after_due": 4, "respond_working_days": 2}
        ],
    )
    assert [r.level for r in changed] == ["order_blue"]
    blue = rule(UrgingLevel.ORDER_BLUE)
    assert (blue.days_after_due, blue.respond_working_days, blue.version) == (4, 2, 2)
    event = AuditEvent.objects.get(action="escalation_rule.update")
    assert event.changes["days_after_due"] == [5, 4]


def test_only_city_administrators_change_the_ladder(city):
    before = list(EscalationRule.objects.values_list("level", "days_after_due", "version"))
    for person in (city.tiexi_admin, city.zhao, city.wang):
        with pytest.raises(NotAllowed):
            services.escalation_rules_update(actor=person, changes=[{"level": "notice", "days_after_due": 1}])
    assert list(EscalationRule.objects.values_list("level", "days_after_due", "version")) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"level": "order_orange", "days_after_due": 5}, "order_orange.days_after_due"),
        ({"level": "reminder", "days_after_due": 2}, "reminder.days_after_due"),
        ({"level": "notice", "days_after_due": -1}, "notice.days_after_due"),
        ({"level": "notice", "respond_working_days": 0}, "notice.respond_working_days"),
        ({"level": "order_red", "urgent_days_after_due": 20}, "order_red.urgent_days_after_due"),
        ({"level": "talk", "recipients": "everyone"}, "talk.recipients"),
        ({"level": "nothing"}, "nothing"),
    ],
)
def test_a_ladder_out_of_order_is_refused_whole(city, change, field):
    before = list(EscalationRule.objects.values_list("level", "days_after_due", "version"))
    with pytest.raises(ValidationFailed) as caught:
        services.escalation_rules_update(
            actor=city.admin, changes=[{"level": "referral", "days_after_due": 40}, change]
        )
    assert field in caught.value.fields
    assert list(EscalationRule.objects.values_list("level", "days_after_due", "version")) == before


def test_a_rule_not_in_use_leaves_a_gap_in_the_order(city):
    services.escalation_rules_update(
        actor=city.admin,
        changes=[
            {"level": "order_orange", "is_active": False, "days_after_due": 3, "urgent_days_after_due": 0}
        ],
    )
    assert rule("order_orange").is_active is False


def test_a_stale_rule_edit_is_a_conflict(city):
    with pytest.raises(Conflict):
        services.escalation_rules_update(
            actor=city.admin, changes=[{"level": "notice", "version": 7, "days_after_due": 1}]
        )
