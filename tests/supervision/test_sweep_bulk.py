"""The sweep writes its acts set-based (one statement per step or rule); what it writes must be exactly
what the one-at-a-time services (``notify.queue``, ``services.create_urging``) write for the same acts:
the same recipients, kinds, keys and payloads, the same urgings and the same audit events, in the
deployment's language, and nothing more on a second run."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import translation

from luoshi.audit.models import AuditEvent
from luoshi.audit.services import _jsonable
from luoshi.audit.verify import verify_chain
from luoshi.core import workdays
from luoshi.notifications.models import Notification
from luoshi.notifications.wording import render
from luoshi.organizations.models import Role
from luoshi.supervision import services
from luoshi.supervision.digest import overview_path
from luoshi.supervision.models import AnnouncedLight, EscalationRule, SweepMark, Urging, level_rank
from luoshi.supervision.sweep import _reason
from luoshi.tasks import notify
from luoshi.tasks.models import Priority, Task
from tests.conftest import make_person
from tests.supervision.conftest import fresh, snapshot

DAY = date(2024, 3, 26)  # a Tuesday


def _rows(notifications) -> set[tuple]:
    return {
        (
            n.recipient_id,
            n.kind,
            n.task_id,
            n.idempotency_key,
            json.dumps(n.payload, sort_keys=True),
            n.status,
        )
        for n in notifications
    }


def _one_by_one(today: date, *, batch: int) -> set[tuple]:
    """The notifications ``notify.queue`` writes, one call per act the sweep recorded, in a savepoint
    that is rolled back; the urgings' notifications gathered per person as the sweep tells them (the
    urging itself to whom it is the only one, else a digest of the day's; ``batch`` is the last urging
    before the sweep)."""
    acts: list[dict] = []
    for announced in AnnouncedLight.objects.filter(since=today).select_related("task"):
        task = announced.task
        acts.append(
            {
                "kind": f"task.light.{announced.light}",
                "task": task,
                "audience": notify.lead_unit(task),
                "key": f"light:{task.pk}:{announced.light}:{today.isoformat()}",
                "payload": {"light": announced.light},
            }
        )
    for mark in SweepMark.objects.filter(swept_on=today).select_related("task"):
        task = mark.task
        if mark.kind in ("report.due", "report.missing"):
            audience = notify.lead_unit(task)
            payload = {"report_due": task.next_report_due.isoformat()}
        else:
            assert mark.kind == "task.acknowledge_late"
            audience = notify.Audience(
                (task.lead_org_id, task.assigning_org_id),
                (*notify.WORKERS, *notify.DECIDERS),
                notify.lead_unit(task).users,
            )
            payload = {"acknowledge_by": task.acknowledge_due_on.isoformat()}
        acts.append(
            {"kind": mark.kind, "task": task, "audience": audience, "key": mark.key, "payload": payload}
        )
    for urging in Urging.objects.filter(issued_on=today, rule__isnull=False).select_related("task", "rule"):
        acts.append(
            {
                "kind": "urging.issued",
                "task": urging.task,
                "audience": services.audience_for(urging.task, urging.rule.recipients, urging.to_person_id),
                "key": f"urging:{urging.pk}:issued",
                "payload": services.urging_payload(urging),
            }
        )
    with transaction.atomic():
        Notification.objects.all().delete()
        for act in acts:
            notify.queue(**act)
        rows = _rows(Notification.objects.exclude(kind="urging.issued"))
        per_person: dict[int, list[Notification]] = {}
        for notification in Notification.objects.filter(kind="urging.issued"):
            per_person.setdefault(notification.recipient_id, []).append(notification)
        levels = {u.pk: u.level for u in Urging.objects.filter(issued_on=today)}
        for person, told in per_person.items():
            if len(told) == 1:
                rows |= _rows(told)
                continue
            counts: dict[str, int] = {}
            for notification in told:
                level = levels[notification.payload["urging_id"]]
                counts[level] = counts.get(level, 0) + 1
            ordered = dict(sorted(counts.items(), key=lambda item: level_rank(item[0]), reverse=True))
            payload = {
                "issued_on": today.isoformat(),
                "count": len(told),
                "levels": ordered,
            }
            key = f"urging_digest:{today.isoformat()}:{batch}:{person}"
            rows.add((person, "urging.digest", None, key, json.dumps(payload, sort_keys=True), "pending"))
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def tree(desk, clock):
    """Tasks that meet every set-based act on ``DAY``: lights, every kind of recipients of the ladder,
    reports due and missing, a late acknowledgement; a unit with a head, a leader and an inactive
    handler."""
    city = desk.city
    head = make_person("tiexichief", "铁西区主任", city.tiexi, Role.HEAD)
    leader = make_person("tiexideputy", "铁西区分管领导", city.tiexi, Role.LEADER)
    gone = make_person("tiexiformer", "已离职", city.tiexi, Role.HANDLER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    late = desk.acknowledged_city_task(title="久拖不办", due=date(2024, 3, 4))  # overdue 16 working days
    Task.objects.filter(pk=late.pk).update(responsible_leader=leader)
    desk.acknowledged_city_task(title="刚逾期", due=date(2024, 3, 25))
    orphan = desk.acknowledged_city_task(title="无经办人", due=date(2024, 3, 22))
    Task.objects.filter(pk=orphan.pk).update(handler=None)
    desk.acknowledged_city_task(title="将到期", due=date(2024, 3, 28))
    desk.acknowledged_city_task(title="紧急", due=date(2024, 3, 25), priority=Priority.URGENT)
    desk.acknowledged_city_task(title="周报任务", report_cadence="weekly", due=date(2024, 6, 28))
    clock.set(date(2024, 3, 20))
    desk.acknowledged_city_task(title="本周周报", report_cadence="weekly", due=date(2024, 6, 28))
    desk.city_task(title="未签收", due=date(2024, 6, 28))
    # Every kind of recipients on the ladder (the default has no rule sent to the lead unit past the
    # notice, and none to the handler alone past the reminder).
    EscalationRule.objects.filter(level="notice").update(recipients="handler")
    EscalationRule.objects.filter(level="order_blue").update(recipients="lead_unit")
    # Tasks get a handler when someone takes them on; all but the orphan have one here.
    Task.objects.exclude(pk=orphan.pk).update(handler=city.wang)
    clock.set(DAY)
    return {"head": head, "leader": leader, "gone": gone}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_sweep_writes_what_the_services_write_one_by_one(tree, settings, language):
    settings.LANGUAGE_CODE = language
    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    seq_before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    batch = Urging.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    result = services.sweep(today=DAY)
    assert result.lights_announced
    assert result.reports_due
    assert result.reports_missing
    assert result.acknowledgements_late == 1
    assert set(result.urgings_issued) >= {"reminder", "notice", "order_blue"}

    swept = Notification.objects.filter(pk__gt=before)
    assert _rows(swept) == _one_by_one(DAY, batch=batch)
    assert swept.filter(kind="urging.digest").exists()
    assert swept.filter(kind="urging.issued").exists()
    recipients = set(swept.values_list("recipient_id", flat=True))
    assert tree["head"].pk in recipients
    assert tree["leader"].pk in recipients
    assert tree["gone"].pk not in recipients

    # The urgings are those create_urging writes, their reasons in the deployment's language.
    urgings = list(Urging.objects.filter(issued_on=DAY).select_related("task", "rule"))
    assert sum(result.urgings_issued.values()) == len(urgings)
    for urging in urgings:
        task, rule = urging.task, urging.rule
        with translation.override(language):
            assert urging.reason == _reason(rule, task.due_on, DAY)
        assert urging.to_org_id == task.lead_org_id
        leads = rule.recipients == "leader"
        assert urging.to_person_id == (
            (task.responsible_leader_id or task.handler_id) if leads else task.handler_id
        )
        assert urging.task_due_on == task.due_on
        assert urging.sweep_key == f"sweep:{task.pk}:{rule.level}:{task.due_on.isoformat()}"
        assert urging.respond_by == (
            workdays.add_working_days(DAY, rule.respond_working_days) if rule.level != "reminder" else None
        )
    assert {u.to_person_id is None for u in urgings if u.rule.recipients == "handler"} == {True, False}
    assert {u.rule.recipients for u in urgings} == {"handler", "lead_unit", "leader"}

    # One audit event per urging, as create_urging records it, and the chain still verifies.
    issued = AuditEvent.objects.filter(action="urging.issue", seq__gt=seq_before).select_related("actor")
    events = {e.object_id: e for e in issued}
    assert set(events) == {str(u.pk) for u in urgings}
    for urging in urgings:
        event = events[str(urging.pk)]
        with translation.override(language):
            assert event.object_repr == str(urging)[:200]
        assert event.object_type == "supervision.urging"
        assert event.actor.username == services.SYSTEM_USERNAME
        assert event.changes == _jsonable(
            {
                "task": urging.task_id,
                "level": urging.level,
                "reason": urging.reason,
                "to_org": urging.to_org_id,
                "to_person": urging.to_person_id,
                "respond_by": urging.respond_by,
                "rule": urging.rule_id,
            }
        )
    assert verify_chain().ok

    # The payloads carry what the sentences name, in either language.
    for notification in swept.filter(kind__in=("report.due", "urging.issued", "task.acknowledge_late")):
        for reader in ("zh-hans", "en"):
            headline = render(notification, language=reader).headline
            assert notification.task.title in headline
            if notification.kind == "report.due":
                assert fresh(notification.task).next_report_due.isoformat() in headline
    # A digest names its count and day, its counts by level in the reader's language, and leads to
    # the day's urgings addressed to its reader.
    for digest in swept.filter(kind="urging.digest").select_related("recipient"):
        for reader, label in (("zh-hans", "催办"), ("en", "Reminder")):
            text = render(digest, language=reader)
            assert str(digest.payload["count"]) in text.headline
            assert DAY.isoformat() in text.headline
            if "reminder" in digest.payload["levels"]:
                assert f"{label} {digest.payload['levels']['reminder']}" in text.reason
            assert text.path == overview_path(issued_on=DAY)


def test_a_second_run_creates_nothing(tree):
    first = services.sweep(today=DAY)
    assert first.total
    before = snapshot()
    again = services.sweep(today=DAY)
    assert again.total == 0, again
    assert snapshot() == before
    # The next day the marks still hold: only what is new that day is done.
    following = services.sweep(today=DAY + timedelta(days=1))
    assert following.lights_announced == 0
    assert following.reports_due == 0 or following.reports_due < first.reports_due
