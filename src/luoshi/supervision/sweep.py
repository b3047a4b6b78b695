"""The daily sweep (DESIGN §5): notices every deadline, missing report, late acknowledgement, waiting
review, unanswered urging and ended public notice, and climbs the escalation ladder by rule.

Every step asks the database for the tasks concerned (set-based filters, never a walk over the whole
table in Python) and then acts on those few. Every act is named by a deterministic key, remembered in the
same transaction (``Urging.sweep_key``, ``SweepMark``, ``AnnouncedLight``), so running the sweep twice on
one day does nothing new, and a sweep that dies half way is simply run again.

A first sweep over a province meets hundreds of thousands of facts at once, so the acts are written in
bulk too: lights in set-based SQL (``rollup.repair``), notifications through ``_Outbox`` (COPY on
PostgreSQL), the ladder's urgings in one insert per rule with their audit events appended in one batch.

The steps, in order:

1. urgings of closed or cancelled tasks are closed;
2. urgings unanswered past their respond-by date are counted on their tasks (``open_overdue_urgings``,
   which turns the light red) and their issuers told;
3. rectifications whose public notice ended without objection are closed (as the system account);
4. every light is recomputed as of today (``rollup.repair``, set-based), as the overnight job always did;
5. tasks whose own light entered blue, yellow or red are announced to their lead unit;
6. the escalation ladder: each task gets the highest level its lateness reaches, once per due date;
7. reports coming due and reports missing, acknowledgements not given in time, reviews waiting too long;
8. look-backs due (``luoshi.lookbacks``, when installed).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi.audit import services as audit
from luoshi.core import workdays
from luoshi.core.errors import LuoshiError
from luoshi.notifications.models import Notification, NotificationStatus
from luoshi.organizations.models import Membership
from luoshi.supervision import services
from luoshi.supervision.models import (
    AnnouncedLight,
    EscalationRule,
    SweepMark,
    Urging,
    UrgingLevel,
    UrgingStatus,
    levels_from,
)
from luoshi.tasks import notify, rollup, workflow
from luoshi.tasks.models import (
    OPEN_STATUSES,
    REPORTING_STATUSES,
    CompletionRequest,
    Light,
    Priority,
    RequestStatus,
    Task,
    TaskStatus,
)

DEFAULT_SUPERVISION: dict[str, int] = {
    # A report is announced this many working days before it falls due.
    "report_due_working_days": 2,
    # A completion request waits at most this many working days for its verification.
    "review_working_days": 5,
}
# The states in which the lead unit holds the work and the ladder applies.
URGED_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED)
ANNOUNCED_LIGHTS = (Light.BLUE, Light.YELLOW, Light.RED)
# Keys looked up per query when checking which marks exist (below SQLite's limit on bound parameters).
KEY_BATCH = 500


def supervision_settings() -> dict[str, int]:
    return {**DEFAULT_SUPERVISION, **getattr(settings, "LUOSHI_SUPERVISION", {})}


@dataclass
class SweepResult:
    """What one sweep did, counted by kind (zero everywhere when it found nothing new)."""

    today: date
    urgings_closed_with_task: int = 0
    urgings_unanswered: int = 0
    tasks_with_unanswered_urgings: int = 0
    notices_concluded: int = 0
    notices_failed: list[str] = field(default_factory=list)
    lights_announced: int = 0
    urgings_issued: dict[str, int] = field(default_factory=dict)
    reports_due: int = 0
    reports_missing: int = 0
    acknowledgements_late: int = 0
    reviews_waiting: int = 0
    # None when the look-back app is not installed.
    lookbacks_due: int | None = None

    @property
    def total(self) -> int:
        return (
            self.urgings_closed_with_task
            + self.urgings_unanswered
            + self.tasks_with_unanswered_urgings
            + self.notices_concluded
            + self.lights_announced
            + sum(self.urgings_issued.values())
            + self.reports_due
            + self.reports_missing
            + self.acknowledgements_late
            + self.reviews_waiting
            + (self.lookbacks_due or 0)
        )

    def counts(self) -> dict[str, Any]:
        return {
            "urgings_closed_with_task": self.urgings_closed_with_task,
            "urgings_unanswered": self.urgings_unanswered,
            "tasks_with_unanswered_urgings": self.tasks_with_unanswered_urgings,
            "notices_concluded": self.notices_concluded,
            "lights_announced": self.lights_announced,
            "urgings_issued": dict(self.urgings_issued),
            "reports_due": self.reports_due,
            "reports_missing": self.reports_missing,
            "acknowledgements_late": self.acknowledgements_late,
            "reviews_waiting": self.reviews_waiting,
            "lookbacks_due": self.lookbacks_due,
        }


def run(*, today: date) -> SweepResult:
    result = SweepResult(today=today)
    # Texts the sweep writes into records (reasons) are in the deployment's language.
    with translation.override(settings.LANGUAGE_CODE):
        for step in (
            _close_urgings_of_finished_tasks,
            _count_unanswered_urgings,
            _conclude_notices,
            _recompute_lights,
            _announce_lights,
            _climb_ladder,
            _reports,
            _late_acknowledgements,
            _waiting_reviews,
        ):
            with transaction.atomic():
                step(today, result)
        result.lookbacks_due = _lookbacks(today)
        if result.total:
            with transaction.atomic():
                audit.record(
                    actor=services.system_actor(),
                    action="supervision.sweep",
                    object_type="supervision.sweep",
                    object_id=today.isoformat(),
                    object_repr=today.isoformat(),
                    changes=result.counts(),
                )
    return result


# --- marks ----------------------------------------------------------------------------------------


def _unmarked(keys: Iterable[str]) -> set[str]:
    """The keys among ``keys`` that no earlier sweep has marked."""
    wanted = list(dict.fromkeys(keys))
    seen: set[str] = set()
    for start in range(0, len(wanted), KEY_BATCH):
        seen.update(
            SweepMark.objects.filter(key__in=wanted[start : start + KEY_BATCH]).values_list("key", flat=True)
        )
    return set(wanted) - seen


def _mark(rows: list[tuple[str, str, int | None]], today: date) -> None:
    SweepMark.objects.bulk_create(
        [SweepMark(key=key, kind=kind, task_id=task_id, swept_on=today) for key, kind, task_id in rows],
        ignore_conflicts=True,
    )


def _notify_once(
    tasks: Iterable[Task],
    *,
    kind: str,
    key_of: Callable[[Task], str],
    audience_of: Callable[[Task], notify.Audience],
    payload_of: Callable[[Task], dict[str, Any]],
    today: date,
) -> int:
    """Queue ``kind`` about each task not yet marked under its key; mark them. Returns how many."""
    by_key = {key_of(t): t for t in tasks}
    fresh = _unmarked(by_key)
    outbox = _Outbox()
    for key in sorted(fresh):
        task = by_key[key]
        outbox.add(kind=kind, task=task, audience=audience_of(task), key=key, payload=payload_of(task))
    outbox.flush()
    _mark([(key, kind, by_key[key].pk) for key in fresh], today)
    return len(fresh)


# What the sweep's steps read of the tasks they act on (keys, audiences, reasons, payloads). A first
# sweep meets tens of thousands of tasks per step: whole rows with their units cost more than the acts.
WORKING_FIELDS = (
    "id",
    "title",
    "status",
    "priority",
    "own_light",
    "due_on",
    "next_report_due",
    "acknowledge_due_on",
    "lead_org_id",
    "assigning_org_id",
    "handler_id",
    "responsible_leader_id",
)


def _working(qs: QuerySet[Task]) -> QuerySet[Task]:
    return qs.only(*WORKING_FIELDS)


class _Outbox:
    """The notifications of one sweep step, written in bulk.

    A first sweep over a province meets hundreds of thousands of facts; one ``notify.queue`` each (a
    savepoint, a membership query and an insert) would take hours. This does what ``notify.queue`` does
    for each event (the same recipients, body and idempotency keys) from one read of the memberships, and
    inserts multi-row batches; an event queued before under its key is skipped (``ON CONFLICT DO
    NOTHING`` on the key), as ``services.queue_once`` does. Plain multi-row VALUES rather than
    ``bulk_create``: on PostgreSQL that sends arrays (``UNNEST``), which psycopg quotes element by
    element in Python, and that quoting was most of a first sweep's time.
    """

    FLUSH = 5000
    # Rows per INSERT: 9 parameters each, well below SQLite's limit on bound parameters.
    ROWS = 500
    COLUMNS = (
        "recipient_id",
        "kind",
        "task_id",
        "payload",
        "idempotency_key",
        "status",
        "attempts",
        "last_error",
        "created_at",
    )

    def __init__(self) -> None:
        self._rows: list[tuple[Any, ...]] = []
        self._members: dict[tuple[int, str], set[int]] | None = None
        now = timezone.now()
        self._now = (
            now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)
        )

    def _recipients(self, audience: notify.Audience, exclude: int | None) -> set[int]:
        if self._members is None:
            self._members = {}
            for org_id, role, user_id in Membership.objects.filter(user__is_active=True).values_list(
                "organization_id", "role", "user_id"
            ):
                self._members.setdefault((org_id, role), set()).add(user_id)
        recipients = set(audience.users)
        for org_id in audience.org_ids:
            for role in audience.roles:
                recipients |= self._members.get((org_id, role), set())
        if exclude is not None:
            recipients.discard(exclude)
        return recipients

    def add(
        self,
        *,
        kind: str,
        task: Task,
        audience: notify.Audience,
        key: str,
        payload: dict[str, Any],
        exclude: int | None = None,
    ) -> None:
        # As JSON text, which both databases read into their JSON column type (and COPY writes as is).
        stored = json.dumps(notify.body(task, payload), cls=DjangoJSONEncoder)
        self._rows.extend(
            (uid, kind, task.pk, stored, f"{key}:{uid}", NotificationStatus.PENDING, 0, "", self._now)
            for uid in sorted(self._recipients(audience, exclude))
        )
        if len(self._rows) >= self.FLUSH:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            (self._copy if connection.vendor == "postgresql" else self._insert)()
        self._rows = []

    def _copy(self) -> None:
        # COPY cannot skip rows whose key exists, so the rows go to a scratch table first (created in
        # the transaction, gone with it) and from there into the outbox with ON CONFLICT DO NOTHING.
        table = connection.ops.quote_name(Notification._meta.db_table)
        columns = ", ".join(self.COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS sweep_outbox AS SELECT {columns} FROM {table}"  # noqa: S608 -- names from the model
                " WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY sweep_outbox ({columns}) FROM STDIN") as copy:
                for row in self._rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM sweep_outbox"  # noqa: S608 -- names from the model
                " ON CONFLICT (idempotency_key) DO NOTHING"
            )
            cursor.execute("TRUNCATE sweep_outbox")

    def _insert(self) -> None:
        table = connection.ops.quote_name(Notification._meta.db_table)
        columns = ", ".join(self.COLUMNS)
        row = "(" + ", ".join(["%s"] * len(self.COLUMNS)) + ")"
        with connection.cursor() as cursor:
            for start in range(0, len(self._rows), self.ROWS):
                batch = self._rows[start : start + self.ROWS]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(batch))}"  # noqa: S608 -- names from the model, values bound
                    " ON CONFLICT (idempotency_key) DO NOTHING",
                    [value for values in batch for value in values],
                )


# --- 1. and 2.: urgings ---------------------------------------------------------------------------


def _close_urgings_of_finished_tasks(today: date, result: SweepResult) -> None:
    finished = Urging.objects.exclude(status=UrgingStatus.CLOSED).exclude(task__status__in=OPEN_STATUSES)
    ids = list(finished.values_list("pk", flat=True))
    if not ids:
        return
    task_ids = set(Urging.objects.filter(pk__in=ids).values_list("task_id", flat=True))
    Urging.objects.filter(pk__in=ids).update(
        status=UrgingStatus.CLOSED, closed_on=today, close_note=_("The task was closed or cancelled.")
    )
    # A closed task's light no longer depends on urgings, but its count should say zero.
    services.sync_overdue_urgings(task_ids, today=today)
    audit.record(
        actor=services.system_actor(),
        action="urging.close_with_task",
        object_type="supervision.urging",
        object_repr=_("Urgings of closed tasks"),
        changes={"urgings": ids},
    )
    result.urgings_closed_with_task = len(ids)


def _count_unanswered_urgings(today: date, result: SweepResult) -> None:
    past = Urging.objects.unanswered_past(today)
    candidates = Task.objects.filter(Q(open_overdue_urgings__gt=0) | Q(pk__in=past.values("task_id")))
    changed = services.sync_overdue_urgings(candidates.values_list("pk", flat=True), today=today)
    result.tasks_with_unanswered_urgings = len(changed)
    rows = list(past.select_related("task__lead_org", "task__assigning_org"))
    keys = {f"urging:{u.pk}:unanswered": u for u in rows}
    fresh = _unmarked(keys)
    for key in sorted(fresh):
        urging = keys[key]
        task = urging.task
        audience = services.overseers(task, urging.issued_by_id)
        lead = notify.lead_unit(task)
        services.queue_once(
            kind="urging.unanswered",
            task=task,
            audience=notify.Audience(lead.org_ids, lead.roles, (*lead.users, *audience.users)),
            key=key,
            payload={
                "urging_id": urging.pk,
                "level": urging.level,
                "respond_by": urging.respond_by.isoformat() if urging.respond_by else None,
            },
        )
    _mark([(key, "urging.unanswered", keys[key].task_id) for key in fresh], today)
    result.urgings_unanswered = len(fresh)


# --- 3. and 4.: notices and lights ----------------------------------------------------------------


def _conclude_notices(today: date, result: SweepResult) -> None:
    ended = list(
        Task.objects.filter(status=TaskStatus.PUBLIC_NOTICE, notice_ends_on__lt=today).order_by("pk")
    )
    if not ended:
        return
    actor = services.system_actor()
    for task in ended:
        try:
            with transaction.atomic():
                workflow.task_conclude_notice(actor=actor, task=task, version=task.version, today=today)
        except LuoshiError as exc:
            # Someone acted on the task meanwhile; tomorrow's sweep looks again.
            result.notices_failed.append(f"{task.pk}: {exc.message}")
        else:
            result.notices_concluded += 1


def _recompute_lights(today: date, result: SweepResult) -> None:
    rollup.repair(today=today)


def _announce_lights(today: date, result: SweepResult) -> None:
    # A task that left the light it was announced in may announce it again when it comes back.
    current = Task.objects.filter(pk=OuterRef("task_id")).values("own_light")[:1]
    stale = AnnouncedLight.objects.annotate(current=Subquery(current)).exclude(current=F("light"))
    AnnouncedLight.objects.filter(task_id__in=stale.values("task_id")).delete()
    entering = list(
        _working(Task.objects.filter(status__in=OPEN_STATUSES, own_light__in=ANNOUNCED_LIGHTS))
        .exclude(status=TaskStatus.DRAFT)
        .filter(~Exists(AnnouncedLight.objects.filter(task_id=OuterRef("pk"))))
        .order_by("pk")
    )
    outbox = _Outbox()
    for task in entering:
        outbox.add(
            kind=f"task.light.{task.own_light}",
            task=task,
            audience=notify.lead_unit(task),
            key=f"light:{task.pk}:{task.own_light}:{today.isoformat()}",
            payload={"light": task.own_light},
        )
    outbox.flush()
    AnnouncedLight.objects.bulk_create(
        [AnnouncedLight(task_id=t.pk, light=t.own_light, since=today) for t in entering],
        ignore_conflicts=True,
    )
    result.lights_announced = len(entering)


# --- 6.: the ladder -------------------------------------------------------------------------------


def overdue_cutoff(today: date, days: int) -> date:
    """The latest due date that makes a task overdue by at least ``days`` working days today.

    Overdue by ``n`` means ``n`` working days have passed after the due date up to today (0: overdue at
    all, the day after the due date).
    """
    if days <= 0:
        return today - timedelta(days=1)
    # The n-th most recent working day up to today; a due date before it leaves n working days after it.
    nth = workdays.add_working_days(today + timedelta(days=1), -days)
    return nth - timedelta(days=1)


def _reaches(rule: EscalationRule, today: date) -> Q:
    """Tasks whose lateness reaches ``rule`` today (urgent tasks by their own threshold)."""

    def by_days(days: int) -> Q:
        if days < 0:
            return Q(due_on__gte=today, due_on__lte=workdays.add_working_days(today, -days))
        return Q(due_on__lte=overdue_cutoff(today, days))

    urgent_days = rule.urgent_days_after_due
    if urgent_days is None or urgent_days == rule.days_after_due:
        return by_days(rule.days_after_due)
    return (Q(priority=Priority.URGENT) & by_days(urgent_days)) | (
        ~Q(priority=Priority.URGENT) & by_days(rule.days_after_due)
    )


def _reason(rule: EscalationRule, task: Task, today: date) -> str:
    if task.due_on >= today:
        left = workdays.working_days_between(today, task.due_on)
        return ngettext(
            "Due on %(date)s, in %(days)d working day: report on the work and finish it on time.",
            "Due on %(date)s, in %(days)d working days: report on the work and finish it on time.",
            left,
        ) % {"date": task.due_on.isoformat(), "days": left}
    late = workdays.working_days_between(task.due_on, today)
    return ngettext(
        "Due on %(date)s and overdue by %(days)d working day: %(level)s under the escalation rules. Answer "
        "with what has been done and when the work will be finished.",
        "Due on %(date)s and overdue by %(days)d working days: %(level)s under the escalation rules. Answer "
        "with what has been done and when the work will be finished.",
        late,
    ) % {"date": task.due_on.isoformat(), "days": late, "level": rule}


def _climb_ladder(today: date, result: SweepResult) -> None:
    """Issue, per task, the highest level of the ladder its lateness reaches and no urging of that level or
    higher exists for its current due date. Highest rules first, so a task met late on the ladder (e.g. the
    first sweep after an installation) gets one urging at its level, not one of every level below."""
    active = sorted(EscalationRule.objects.filter(is_active=True), key=lambda r: r.rank, reverse=True)
    for rule in active:
        above = Urging.objects.filter(
            task_id=OuterRef("pk"), task_due_on=OuterRef("due_on"), level__in=levels_from(rule.level)
        )
        tasks = list(
            _working(Task.objects.filter(status__in=URGED_STATUSES))
            .filter(_reaches(rule, today))
            .filter(~Exists(above))
            .order_by("pk")
        )
        respond_by = (
            workdays.add_working_days(today, rule.respond_working_days)
            if rule.respond_working_days and rule.level != UrgingLevel.REMINDER
            else None
        )
        if tasks:
            _issue_urgings(rule, tasks, today, respond_by)
            result.urgings_issued[rule.level] = len(tasks)


def _issue_urgings(rule: EscalationRule, tasks: list[Task], today: date, respond_by: date | None) -> None:
    """What ``services.create_urging`` does for each task (the urging, its notifications, its audit
    event), in bulk: one insert of the urgings, batched notifications, one append to the audit chain."""
    system = services.system_actor()
    for start in range(0, len(tasks), _Outbox.FLUSH):
        batch = tasks[start : start + _Outbox.FLUSH]
        urgings = Urging.objects.bulk_create(
            [
                Urging(
                    task=task,
                    level=rule.level,
                    reason=_reason(rule, task, today),
                    rule=rule,
                    issued_on=today,
                    task_due_on=task.due_on,
                    to_org_id=task.lead_org_id,
                    to_person_id=(task.responsible_leader_id or task.handler_id)
                    if rule.recipients == "leader"
                    else task.handler_id,
                    respond_by=respond_by,
                    sweep_key=f"sweep:{task.pk}:{rule.level}:{task.due_on.isoformat()}",
                )
                for task in batch
            ]
        )
        outbox = _Outbox()
        for urging in urgings:
            outbox.add(
                kind="urging.issued",
                task=urging.task,
                audience=services.audience_for(urging.task, rule.recipients, urging.to_person_id),
                key=f"urging:{urging.pk}:issued",
                payload=services.urging_payload(urging),
            )
        outbox.flush()
        audit.record_many(
            actor=system,
            action="urging.issue",
            items=[
                (
                    urging,
                    {
                        "task": urging.task_id,
                        "level": urging.level,
                        "reason": urging.reason,
                        "to_org": urging.to_org_id,
                        "to_person": urging.to_person_id,
                        "respond_by": urging.respond_by,
                        "rule": rule.pk,
                    },
                )
                for urging in urgings
            ],
        )


# --- 7.: reports, acknowledgements, reviews -------------------------------------------------------


def _reports(today: date, result: SweepResult) -> None:
    config = supervision_settings()
    horizon = workdays.add_working_days(today, config["report_due_working_days"])
    coming = _working(
        Task.objects.leaves().filter(
            status__in=REPORTING_STATUSES, next_report_due__gte=today, next_report_due__lte=horizon
        )
    )
    result.reports_due = _notify_once(
        coming,
        kind="report.due",
        key_of=lambda t: f"report_due:{t.pk}:{t.next_report_due}",
        audience_of=notify.lead_unit,
        payload_of=lambda t: {"report_due": t.next_report_due.isoformat() if t.next_report_due else None},
        today=today,
    )
    missing = _working(Task.objects.report_missing(today))
    result.reports_missing = _notify_once(
        missing,
        kind="report.missing",
        key_of=lambda t: f"report_missing:{t.pk}:{t.next_report_due}",
        audience_of=lambda t: notify.Audience(
            (t.lead_org_id,), notify.WORKERS, (t.handler_id,) if t.handler_id else ()
        ),
        payload_of=lambda t: {"report_due": t.next_report_due.isoformat() if t.next_report_due else None},
        today=today,
    )


def _late_acknowledgements(today: date, result: SweepResult) -> None:
    late = _working(Task.objects.filter(status=TaskStatus.ASSIGNED, acknowledge_due_on__lt=today))

    def both(task: Task) -> notify.Audience:
        lead = notify.lead_unit(task)
        return notify.Audience(
            (task.lead_org_id, task.assigning_org_id), (*notify.WORKERS, *notify.DECIDERS), lead.users
        )

    result.acknowledgements_late = _notify_once(
        late,
        kind="task.acknowledge_late",
        key_of=lambda t: f"acknowledge_late:{t.pk}:{t.acknowledge_due_on}",
        audience_of=both,
        payload_of=lambda t: {
            "acknowledge_by": t.acknowledge_due_on.isoformat() if t.acknowledge_due_on else None
        },
        today=today,
    )


def _waiting_reviews(today: date, result: SweepResult) -> None:
    days = supervision_settings()["review_working_days"]
    since = workdays.add_working_days(today, -days)
    cutoff = timezone.make_aware(datetime.combine(since + timedelta(days=1), clock.min))
    waiting = list(
        CompletionRequest.objects.filter(
            status=RequestStatus.PENDING, task__status=TaskStatus.UNDER_REVIEW, created_at__lt=cutoff
        ).select_related("task__lead_org", "task__assigning_org")
    )
    by_task = {r.task_id: r for r in waiting}
    result.reviews_waiting = _notify_once(
        [r.task for r in waiting],
        kind="review.waiting",
        key_of=lambda t: f"review_waiting:{by_task[t.pk].pk}",
        audience_of=workflow.to_deciders,
        payload_of=lambda t: {
            "completion_request_id": by_task[t.pk].pk,
            "requested_on": timezone.localdate(by_task[t.pk].created_at).isoformat(),
        },
        today=today,
    )


# --- 8.: look-backs -------------------------------------------------------------------------------


def _lookbacks(today: date) -> int | None:
    """Look-backs are the look-back app's (``luoshi.lookbacks.services.lookbacks_due``); it is asked when
    it is installed, and its answer is counted."""
    try:
        module = importlib.import_module("luoshi.lookbacks.services")
    except ModuleNotFoundError as exc:
        if exc.name != "luoshi.lookbacks.services" and exc.name != "luoshi.lookbacks":
            raise
        return None
    due = getattr(module, "lookbacks_due", None)
    if due is None:
        return None
    with transaction.atomic():
        found = due(today=today)
    if isinstance(found, int):
        return found
    try:
        return len(found)
    except TypeError:
        return sum(1 for _ in found)
