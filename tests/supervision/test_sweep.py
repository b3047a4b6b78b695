"""The daily sweep: what it finds, what it does about it, and that a second run does nothing new."""

from __future__ import annotations

import sys
import types
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command

from luoshi.audit.models import AuditEvent
from luoshi.core import workdays
from luoshi.notifications.models import Notification
from luoshi.supervision import services
from luoshi.supervision.models import EscalationRule, SweepMark, Urging, UrgingLevel, UrgingStatus
from luoshi.supervision.sweep import overdue_cutoff
from luoshi.tasks import workflow
from luoshi.tasks.models import CompletionRequest, Light, Priority, Task, TaskStatus
from tests.supervision.conftest import fresh, snapshot

DUE = date(2024, 3, 15)  # a Friday


@pytest.mark.parametrize(
    ("today", "n", "expected"),
    [
        (date(2024, 3, 16), 0, date(2024, 3, 15)),  # Saturday: overdue at all means due by Friday
        (date(2024, 3, 18), 1, date(2024, 3, 17)),  # Monday: one working day past a due date up to Sunday
        (date(2024, 3, 22), 5, date(2024, 3, 17)),
        (date(2024, 3, 23), 5, date(2024, 3, 17)),  # the Saturday after adds no working day
    ],
)
def test_overdue_cutoff_counts_working_days(today, n, expected):
    cutoff = overdue_cutoff(today, n)
    assert cutoff == expected
    # Any due date up to the cutoff is at least n working days overdue; the day after is not.
    assert workdays.working_days_between(cutoff, today) >= n
    if n:
        assert workdays.working_days_between(cutoff + timedelta(days=1), today) < n


def test_the_ladder_is_climbed_rung_by_rung_over_the_days(desk, clock):
    task = desk.acknowledged_city_task(due=DUE, title="逾期不办的任务")
    rules = {r.level: r for r in EscalationRule.objects.all()}
    expected = [("reminder", workdays.add_working_days(DUE, rules["reminder"].days_after_due))]
    expected.append(("notice", DUE + timedelta(days=1)))
    for level in ("order_blue", "order_orange", "order_red", "talk", "referral"):
        expected.append((level, workdays.add_working_days(DUE, rules[level].days_after_due)))
    # The sweep runs the day before each rung is due (nothing new yet) and on the day itself.
    issued: list[tuple[str, date]] = []
    for _level, on in expected:
        for day in (on - timedelta(days=1), on):
            clock.set(day)
            result = services.sweep(today=day)
            issued += [(level, day) for level in result.urgings_issued]
    assert issued == expected
    urgings = {u.level: u for u in Urging.objects.filter(task=task)}
    assert all(u.issued_by is None and u.rule is not None for u in urgings.values())
    notice = urgings["notice"]
    assert notice.respond_by == workdays.add_working_days(
        notice.issued_on, rules["notice"].respond_working_days
    )
    assert urgings["reminder"].respond_by is None
    # Nobody answered: every urging past its date counts against the task, which is red.
    task = fresh(task)
    assert (
        task.open_overdue_urgings == Urging.objects.filter(task=task, respond_by__lt=expected[-1][1]).count()
    )
    assert task.open_overdue_urgings >= 5
    assert task.light == Light.RED
    # The leaders' levels go to the unit head too; the sweep names itself in the audit trail.
    assert (
        AuditEvent.objects.filter(action="urging.issue", actor__username=services.SYSTEM_USERNAME).count()
        == 7
    )


def test_an_urgent_task_starts_higher(desk, clock):
    task = desk.acknowledged_city_task(due=DUE, priority=Priority.URGENT)
    reminder_day = workdays.add_working_days(DUE, -5)
    assert services.sweep(today=reminder_day - timedelta(days=1)).urgings_issued == {}
    assert services.sweep(today=reminder_day).urgings_issued == {"reminder": 1}
    result = services.sweep(today=DUE + timedelta(days=1))
    assert result.urgings_issued == {"order_blue": 1}
    assert not Urging.objects.filter(task=task, level=UrgingLevel.NOTICE).exists()


def test_a_task_met_late_gets_one_urging_at_its_level(desk, clock):
    task = desk.acknowledged_city_task(due=DUE)
    day = workdays.add_working_days(DUE, 12)
    result = services.sweep(today=day)
    assert result.urgings_issued == {"order_orange": 1}
    assert list(Urging.objects.filter(task=task).values_list("level", flat=True)) == ["order_orange"]


def test_a_hand_urging_at_a_higher_level_stops_the_sweep_below_it(desk, clock):
    task = desk.acknowledged_city_task(due=DUE)
    clock.set(date(2024, 3, 18))
    services.urging_issue(
        actor=desk.city.zhao,
        task=task,
        level=UrgingLevel.ORDER_BLUE,
        reason="直接督办",
        respond_by=date(2024, 3, 20),
    )
    assert services.sweep(today=date(2024, 3, 18)).urgings_issued == {}


def test_an_extension_restarts_the_ladder(desk, clock):
    from luoshi.tasks import requests

    task = desk.acknowledged_city_task(due=DUE)
    services.sweep(today=date(2024, 3, 18))
    assert Urging.objects.filter(task=task, level=UrgingLevel.NOTICE).count() == 1
    clock.set(date(2024, 3, 1))
    task = fresh(task)
    extension = requests.extension_request(
        actor=desk.city.wang,
        task=task,
        version=task.version,
        requested_due_on=date(2024, 3, 29),
        reason="资金未到位",
    )
    requests.extension_approve(actor=desk.city.zhao, request=extension, note="同意")
    assert services.sweep(today=date(2024, 4, 1)).urgings_issued == {"notice": 1}
    assert Urging.objects.filter(task=task, level=UrgingLevel.NOTICE).count() == 2


def test_drafts_and_tasks_under_review_are_not_urged(desk, clock):
    from luoshi.tasks import services as task_services

    task_services.task_create(
        actor=desk.city.zhao,
        assigning_org=desk.city.government,
        lead_org=desk.city.tiexi,
        title="草稿",
        due_on=DUE,
        clause=desk.clause,
    )
    review = desk.acknowledged_city_task(due=DUE)
    workflow.task_request_completion(actor=desk.city.wang, task=review, version=review.version)
    assert services.sweep(today=date(2024, 3, 20)).urgings_issued == {}


def test_urgings_of_closed_tasks_are_closed(desk, clock):
    task = desk.acknowledged_city_task(due=DUE)
    services.sweep(today=date(2024, 3, 18))
    task = fresh(task)
    workflow.task_cancel(actor=desk.city.zhao, task=task, version=task.version, reason="撤销")
    result = services.sweep(today=date(2024, 3, 19))
    assert result.urgings_closed_with_task == 1
    assert set(Urging.objects.values_list("status", flat=True)) == {UrgingStatus.CLOSED}


def test_lights_entering_blue_yellow_and_red_are_announced_once(desk, clock):
    from luoshi.tasks.reporting import report_progress

    task = desk.acknowledged_city_task(due=DUE)
    # Three working days before the due date the task turns blue (on track: most of the work reported).
    blue_day = workdays.add_working_days(DUE, -3)
    clock.set(blue_day)
    report_progress(
        actor=desk.city.wang, task=task, version=fresh(task).version, narrative="基本完成", progress=90
    )
    services.sweep(today=blue_day)
    assert fresh(task).own_light == Light.BLUE
    assert Notification.objects.filter(kind="task.light.blue", task=task).count() == 2  # handler and head
    services.sweep(today=blue_day + timedelta(days=1))
    assert Notification.objects.filter(kind="task.light.blue", task=task).count() == 2
    services.sweep(today=DUE + timedelta(days=1))
    assert Notification.objects.filter(kind="task.light.red", task=task).count() == 2


def test_reports_acknowledgements_reviews_and_notices(desk, clock):
    city = desk.city
    late_ack = desk.city_task(title="未签收")  # acknowledge by 2024-03-06
    weekly = desk.acknowledged_city_task(title="周报任务", report_cadence="weekly")  # report due 2024-03-08
    review = desk.acknowledged_city_task(title="待验收")
    workflow.task_request_completion(actor=city.wang, task=review, version=review.version)
    CompletionRequest.objects.filter(task=review).update(created_at=datetime(2024, 3, 1, 10, tzinfo=UTC))
    # A rectification accepted into its public notice (its closing criteria are the closure tests'
    # business; here only the state and the notice's end matter).
    notice = desk.acknowledged_city_task(title="整改公示", requires_public_notice=True)
    Task.objects.filter(pk=notice.pk).update(
        status=TaskStatus.PUBLIC_NOTICE, accepted_on=date(2024, 3, 1), notice_ends_on=date(2024, 3, 8)
    )

    result = services.sweep(today=date(2024, 3, 7))
    assert result.reports_due == 1
    assert result.acknowledgements_late == 1
    assert Notification.objects.filter(kind="report.due", task=weekly).exists()
    assert Notification.objects.filter(
        kind="task.acknowledge_late", task=late_ack, recipient=city.wang
    ).exists()

    result = services.sweep(today=date(2024, 3, 11))
    assert result.reports_missing == 1
    assert result.reviews_waiting == 1
    assert result.notices_concluded == 1
    assert Notification.objects.filter(kind="review.waiting", task=review, recipient=city.zhao).exists()
    concluded = fresh(notice)
    assert concluded.status == TaskStatus.CLOSED
    assert concluded.closed_on == date(2024, 3, 11)
    event = AuditEvent.objects.filter(action="task.conclude_notice").get()
    assert event.actor.username == services.SYSTEM_USERNAME


def test_a_second_sweep_on_the_same_day_does_nothing_new(desk, clock):
    desk.city_task(title="未签收")
    desk.acknowledged_city_task(title="周报任务", report_cadence="weekly", due=DUE)
    urged = desk.acknowledged_city_task(title="被催办", due=date(2024, 3, 8))
    services.urging_issue(
        actor=desk.city.zhao,
        task=urged,
        level=UrgingLevel.NOTICE,
        reason="请说明",
        respond_by=date(2024, 3, 4),
    )
    day = date(2024, 3, 12)
    clock.set(day)
    first = services.sweep(today=day)
    assert first.total > 0
    assert first.urgings_issued
    assert first.reports_missing
    assert first.urgings_unanswered
    before = snapshot()
    marks = SweepMark.objects.count()
    second = services.sweep(today=day)
    assert second.total == 0, second
    assert snapshot() == before
    assert SweepMark.objects.count() == marks


def test_unanswered_urgings_are_reported_to_their_issuer_once(desk, clock):
    task = desk.acknowledged_city_task()
    urging = services.urging_issue(
        actor=desk.city.zhao,
        task=task,
        level=UrgingLevel.NOTICE,
        reason="请说明",
        respond_by=date(2024, 3, 4),
    )
    assert services.sweep(today=date(2024, 3, 5)).urgings_unanswered == 1
    assert services.sweep(today=date(2024, 3, 6)).urgings_unanswered == 0
    told = Notification.objects.filter(kind="urging.unanswered", payload__urging_id=urging.pk)
    assert desk.city.zhao.pk in set(told.values_list("recipient_id", flat=True))


def test_lookbacks_are_asked_when_installed(db, monkeypatch):
    asked: list[date] = []
    fake = types.ModuleType("luoshi.lookbacks.services")

    def lookbacks_due(*, today: date) -> list[int]:
        asked.append(today)
        return [1, 2]

    fake.lookbacks_due = lookbacks_due  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "luoshi.lookbacks.services", fake)
    result = services.sweep(today=date(2024, 3, 5))
    assert asked == [date(2024, 3, 5)]
    assert result.lookbacks_due == 2


def test_the_command_says_what_it_did(desk, capsys):
    desk.acknowledged_city_task(due=DUE)
    call_command("sweep", "--today", "2024-03-18")
    out = capsys.readouterr().out
    assert "Sweep of 2024-03-18" in out
    assert "urgings issued: Urging notice: 1" in out
    call_command("sweep", "--today", "2024-03-18")
    assert "nothing new" in capsys.readouterr().out
