"""The daily sweep (DESIGN §5): notices every deadline, missing report, late acknowledgement, waiting
review, unanswered urging and ended public notice, and climbs the escalation ladder by rule.

Every step asks the database for the tasks concerned (set-based filters, never a walk over the whole
table in Python) and then acts on those few. Every act is named by a deterministic key, remembered in the
same transaction (``Urging.sweep_key``, ``SweepMark``, ``AnnouncedLight``), so running the sweep twice on
one day does nothing new, and a sweep that dies half way is simply run again.

A first sweep over a province meets millions of facts at once, so the acts are written set-based too,
with no Python per act: lights by ``rollup.advance``; announcements, report notices and late
acknowledgements as one ``INSERT … SELECT`` each from the tasks joined to the memberships
(``notifications.services.queue_for_rows``), keys computed by the database; the ladder's urgings as one
``INSERT … SELECT`` per rule, their notifications likewise, and their audit events (one per urging, the
chain being hashed in Python) appended in one ``COPY``. A second sweep finds its marks by an anti-join
on the marks' keys. Only the few acts whose recipients need Python (unanswered urgings and waiting
reviews, told to the supervisors over a unit) go through ``_Outbox``.

The steps, in order:

1. urgings of closed or cancelled tasks are closed;
2. urgings unanswered past their respond-by date are counted on their tasks (``open_overdue_urgings``,
   which turns the light red) and their issuers told;
3. rectifications whose public notice ended without objection are closed (as the system account);
4. every light is brought to today (``rollup.advance``: own values set-based, then the chains they changed);
5. tasks whose own light entered blue, yellow or red are announced to their lead unit;
6. the escalation ladder: each task gets the highest level its lateness reaches, once per due date;
7. reports coming due and reports missing, acknowledgements not given in time, reviews waiting too long;
8. look-backs due (``luoshi.lookbacks``, when installed).
"""

from __future__ import annotations

import importlib
import json
import logging
import operator
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import reduce
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateField,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, JSONObject
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi.audit import services as audit
from luoshi.core import bulk, workdays
from luoshi.core.errors import LuoshiError
from luoshi.core.sql import (
    BIG_WORK_MEM,
    as_date,
    fill_scratch_table,
    keyed_reads,
    scratch_table,
    without_jit,
)
from luoshi.notifications import services as notifications
from luoshi.notifications.models import Notification, NotificationStatus
from luoshi.organizations.models import Membership
from luoshi.supervision import digest, services
from luoshi.supervision.models import (
    AnnouncedLight,
    EscalationRule,
    Recipients,
    SweepMark,
    Urging,
    UrgingLevel,
    UrgingStatus,
    level_rank,
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

log = logging.getLogger(__name__)

DEFAULT_SUPERVISION: dict[str, int] = {
    # A report is announced this many working days before it falls due.
    "report_due_working_days": 2,
    # A completion request waits at most this many working days for its verification.
    "review_working_days": 5,
}
# The states in which the lead unit holds the work and the ladder applies.
URGED_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED)
ANNOUNCED_LIGHTS = (Light.BLUE, Light.YELLOW, Light.RED)


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
    # Wall-clock seconds per step, for the log and the benchmark (not a count: not in ``counts()``).
    seconds: dict[str, float] = field(default_factory=dict)

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
            started = time.perf_counter()
            with transaction.atomic(), without_jit(work_mem=BIG_WORK_MEM):
                step(today, result)
            result.seconds[step.__name__.lstrip("_")] = round(time.perf_counter() - started, 3)
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
    log.info("sweep of %s: %s in %s", today, result.counts(), result.seconds)
    return result


# --- marks ----------------------------------------------------------------------------------------


class _IsoDate(Func):
    """A date as ISO text ("2024-03-05"), as ``str(date)`` writes it into keys."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps dates as ISO text already.
        return self.as_sql(compiler, connection, template="%(expressions)s", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Not a cast: a cast to text follows the session's DateStyle.
        return self.as_sql(
            compiler, connection, template="to_char(%(expressions)s::timestamp, 'YYYY-MM-DD')", **extra
        )


def _key(*parts: str | Expression | F) -> Concat:
    """A key computed by the database: text parts as they are, the others as text."""
    return Concat(
        *(Value(part) if isinstance(part, str) else part for part in parts), output_field=CharField()
    )


def _unmarked(rows: QuerySet[Any], key: Concat) -> QuerySet[Any]:
    """``rows`` with their key as ``mark_key``, less those an earlier sweep marked under it (an anti-join
    on the marks' unique key, so a second sweep finds its marks without sending keys to the database)."""
    return rows.annotate(mark_key=key).filter(~Exists(SweepMark.objects.filter(key=OuterRef("mark_key"))))


def _find_fresh(rows: QuerySet[Any], key: Concat, *, task: str) -> int:
    """Copy the rows of ``rows`` not yet marked under their ``key`` into the scratch table
    ``sweep_fresh`` (``task`` names the column of their task); returns how many.

    A day's sweep meets most of its candidates marked already (every report missing since the data
    began is a candidate every night): the marks and the notifications are then written from this
    short list, not from every candidate. Writing the marks of every candidate and letting the unique
    key skip the old ones cost a probe of the key per candidate, hundreds of thousands a night; and an
    anti-join on the table being written is planned, when that table is empty (a first sweep), as a
    scan of the whole table per row. Here the anti-join reads the marks and writes elsewhere.
    """
    sql, params = (
        _unmarked(rows.order_by(), key)
        .values(fresh_row=F("pk"), fresh_task=F(task), fresh_key=F("mark_key"))
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        return fill_scratch_table(
            cursor,
            "sweep_fresh",
            "row_id BIGINT PRIMARY KEY, task_id BIGINT, mark_key TEXT",
            f"SELECT f.fresh_row, f.fresh_task, f.fresh_key FROM ({sql}) f",  # noqa: S608 -- a compiled query, values bound
            params,
        )


def _fresh(rows: QuerySet[Any], key: Concat) -> QuerySet[Any]:
    """The rows of ``rows`` that ``_find_fresh`` found, with their ``key`` as ``mark_key``."""
    return rows.filter(pk__in=RawSQL("SELECT row_id FROM sweep_fresh", ())).annotate(mark_key=key)


def _mark_fresh(*, kind: str, today: date) -> int:
    """Mark the rows ``_find_fresh`` found; returns how many were not marked before (a sweep running at
    the same moment may have marked some: the unique key keeps one)."""
    table = connection.ops.quote_name(SweepMark._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({connection.ops.quote_name('key')}, kind, task_id, swept_on)"  # noqa: S608 -- names from the model, values bound
            " SELECT mark_key, %s, task_id, %s FROM sweep_fresh WHERE true"
            f" ON CONFLICT ({connection.ops.quote_name('key')}) DO NOTHING",
            [kind, connection.ops.adapt_datefield_value(today)],
        )
        return max(cursor.rowcount, 0)


@dataclass(frozen=True)
class _Audience:
    """``notify.Audience`` as columns of a query (``notifications.services.queue_for_rows``)."""

    units: dict[str, Any]
    roles: tuple[str, ...]
    people: dict[str, Any]


def _lead_unit() -> _Audience:
    """``notify.lead_unit`` of a task query."""
    return _Audience({"unit_lead": F("lead_org_id")}, notify.WORKERS, {"person_handler": F("handler_id")})


def _about_task(**payload: Any) -> JSONObject:
    """``notify.body`` of a task query: what every notification about a task carries, and ``payload``."""
    return JSONObject(task_id=F("pk"), title=F("title"), status=F("status"), **payload)


def _queue(
    events: QuerySet[Any], *, task: str, key: Any, kind: Any, payload: Any, audience: _Audience
) -> int:
    """Queue ``kind`` about each row of ``events`` for ``audience`` in one statement."""
    rows = events.values(
        event_task=F(task),
        event_key=key,
        event_kind=Value(kind) if isinstance(kind, str) else kind,
        event_payload=payload,
        **audience.units,
        **audience.people,
    )
    return notifications.queue_for_rows(
        events=rows,
        unit_columns=tuple(audience.units),
        roles=audience.roles,
        person_columns=tuple(audience.people),
    )


def _notify_once(
    tasks: QuerySet[Task],
    *,
    kind: str,
    key: Concat,
    payload: dict[str, Any],
    audience: _Audience,
    today: date,
) -> int:
    """Queue ``kind`` about each task not yet marked under its ``key``, and mark them: one statement for
    the notifications and one for the marks, whatever the number of tasks. Returns how many."""
    if not _find_fresh(tasks, key, task="pk"):
        return 0
    _queue(
        _fresh(tasks, key),
        task="pk",
        key=F("mark_key"),
        kind=kind,
        payload=_about_task(**payload),
        audience=audience,
    )
    return _mark_fresh(kind=kind, today=today)


def _copy_stamp() -> Any:
    """Now, as ``core.bulk.copy_new_rows`` takes a timestamp on this database."""
    now = timezone.now()
    return now if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(now)


class _Outbox:
    """The notifications of one sweep step, written in bulk.

    A first sweep over a province meets hundreds of thousands of facts; one ``notify.queue`` each (a
    savepoint, a membership query and an insert) would take hours. This does what ``notify.queue`` does
    for each event (the same recipients, body and idempotency keys) from one read of the memberships, and
    writes them in bulk (``core.bulk.copy_new_rows``); an event queued before under its key is skipped,
    as ``services.queue_once`` does.
    """

    FLUSH = 5000
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
        self._now = _copy_stamp()

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
        bulk.copy_new_rows(Notification, self.COLUMNS, self._rows)
        self._rows = []


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
    key = _key("urging:", F("pk"), ":unanswered")
    if not _find_fresh(past, key, task="task_id"):
        return
    # Their issuers and the supervisors over the assigning unit (``services.overseers``), the latter
    # asked once per unit.
    supervisors: dict[int, set[int]] = {}
    outbox = _Outbox()
    for urging in _fresh(past, key).select_related("task__assigning_org").order_by("pk"):
        task = urging.task
        if task.assigning_org_id not in supervisors:
            supervisors[task.assigning_org_id] = notify.supervisors_over(task.assigning_org)
        overseers = supervisors[task.assigning_org_id] | (
            {urging.issued_by_id} if urging.issued_by_id else set()
        )
        lead = notify.lead_unit(task)
        outbox.add(
            kind="urging.unanswered",
            task=task,
            audience=notify.Audience(lead.org_ids, lead.roles, (*lead.users, *sorted(overseers))),
            key=urging.mark_key,
            payload={
                "urging_id": urging.pk,
                "level": urging.level,
                "respond_by": urging.respond_by.isoformat() if urging.respond_by else None,
            },
        )
    outbox.flush()
    result.urgings_unanswered = _mark_fresh(kind="urging.unanswered", today=today)


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
    rollup.advance(today=today)


def _announce_lights(today: date, result: SweepResult) -> None:
    # A task that left the light it was announced in may announce it again when it comes back.
    stale = AnnouncedLight.objects.exclude(light=F("task__own_light"))
    AnnouncedLight.objects.filter(task_id__in=stale.values("task_id")).delete()
    lit = Task.objects.filter(status__in=OPEN_STATUSES, own_light__in=ANNOUNCED_LIGHTS).exclude(
        status=TaskStatus.DRAFT
    )
    # The tasks entering a light, copied first (see ``_find_fresh``): most lit tasks were announced
    # before, and the notifications and the announced lights are written from this short list.
    sql, params = (
        lit.filter(~Exists(AnnouncedLight.objects.filter(task_id=OuterRef("pk"))))
        .order_by()
        .values("pk", "own_light")
        .query.sql_with_params()
    )
    table = connection.ops.quote_name(AnnouncedLight._meta.db_table)
    with connection.cursor() as cursor:
        columns = "task_id BIGINT PRIMARY KEY, light TEXT"
        if not fill_scratch_table(cursor, "sweep_entering", columns, sql, params):
            return
        # The entering tasks are read by key (``core.sql.keyed_reads``), not by a scan of every task.
        with keyed_reads():
            _queue(
                lit.filter(pk__in=RawSQL("SELECT task_id FROM sweep_entering", ())),
                task="pk",
                key=_key("light:", F("pk"), ":", F("own_light"), f":{today.isoformat()}"),
                kind=_key("task.light.", F("own_light")),
                payload=_about_task(light=F("own_light")),
                audience=_lead_unit(),
            )
        # ON CONFLICT for a sweep running at the same moment.
        cursor.execute(
            f"INSERT INTO {table} (task_id, light, since)"  # noqa: S608 -- names from the model, values bound
            " SELECT task_id, light, %s FROM sweep_entering WHERE true ON CONFLICT (task_id) DO NOTHING",
            [connection.ops.adapt_datefield_value(today)],
        )
        result.lights_announced = max(cursor.rowcount, 0)


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


def _reason(rule: EscalationRule, due_on: date, today: date) -> str:
    if due_on >= today:
        left = workdays.working_days_between(today, due_on)
        return ngettext(
            "Due on %(date)s, in %(days)d working day: report on the work and finish it on time.",
            "Due on %(date)s, in %(days)d working days: report on the work and finish it on time.",
            left,
        ) % {"date": due_on.isoformat(), "days": left}
    late = workdays.working_days_between(due_on, today)
    return ngettext(
        "Due on %(date)s and overdue by %(days)d working day: %(level)s under the escalation rules. Answer "
        "with what has been done and when the work will be finished.",
        "Due on %(date)s and overdue by %(days)d working days: %(level)s under the escalation rules. Answer "
        "with what has been done and when the work will be finished.",
        late,
    ) % {"date": due_on.isoformat(), "days": late, "level": rule}


def _climb_ladder(today: date, result: SweepResult) -> None:
    """Issue, per task, the highest level of the ladder its lateness reaches, when no urging of that level
    or higher exists for its current due date. So a task met late on the ladder (e.g. the first sweep
    after an installation) gets one urging at its level, not one of every level below.

    One pass over the tasks for the whole ladder: each task's highest rule is a ``CASE`` over the rules,
    highest first, and one anti-join asks for an urging at or above it (a pass per rule read every late
    task and its urgings seven times, most of a night's sweep at province scale).
    """
    active = sorted(EscalationRule.objects.filter(is_active=True), key=lambda r: r.rank, reverse=True)
    if not active:
        return

    reaches = {rule.pk: _reaches(rule, today) for rule in active}

    def per_rule(value: Any, output_field: Any) -> Case:
        return Case(
            *(When(reaches[rule.pk], then=value(rule)) for rule in active),
            default=None,
            output_field=output_field,
        )

    leader = Coalesce(F("responsible_leader_id"), F("handler_id"))
    tasks = (
        Task.objects.filter(status__in=URGED_STATUSES)
        .filter(reduce(operator.or_, reaches.values()))
        .annotate(
            reached_rule=per_rule(lambda rule: Value(rule.pk), BigIntegerField()),
            reached_rank=per_rule(lambda rule: Value(rule.rank), IntegerField()),
            reached_person=per_rule(
                lambda rule: leader if rule.recipients == Recipients.LEADER else F("handler_id"),
                BigIntegerField(),
            ),
            reached_key=per_rule(
                lambda rule: _key("sweep:", F("pk"), f":{rule.level}:", _IsoDate("due_on")), CharField()
            ),
        )
        .filter(
            ~Exists(
                Urging.objects.filter(task_id=OuterRef("pk"), task_due_on=OuterRef("due_on"))
                .annotate(level_rank=_level_rank())
                .filter(level_rank__gte=OuterRef("reached_rank"))
            )
        )
    )
    issued = _issue_urgings(active, tasks, today)
    for rule in active:
        if issued.get(rule.pk):
            result.urgings_issued[rule.level] = issued[rule.pk]


def _level_rank() -> Case:
    """``level_rank`` of an urging's level, in SQL."""
    return Case(
        *(When(level=level, then=Value(level_rank(level))) for level in UrgingLevel.values),
        default=Value(-1),
        output_field=IntegerField(),
    )


def _respond_by(rule: EscalationRule, today: date) -> date | None:
    if rule.respond_working_days and rule.level != UrgingLevel.REMINDER:
        return workdays.add_working_days(today, rule.respond_working_days)
    return None


def _issue_urgings(rules: Sequence[EscalationRule], tasks: QuerySet[Any], today: date) -> dict[int, int]:
    """What ``services.create_urging`` does for each of ``tasks`` at its ``reached_rule`` (the urging,
    its notifications, its audit event), in bulk: one ``INSERT … SELECT`` of the urgings, one of their
    notifications per kind of recipients, and their audit events appended in one batch. Returns how many
    urgings were issued, by rule.

    The tasks are first copied into a scratch table: their selection reads the urgings (no urging of
    their level or higher yet), and a statement that reads the table it writes is planned, when that
    table is empty (a first sweep), as a scan of the table per row, which its own rows make longer at
    every row. A reason depends only on the rule and the task's due date (and today), so the reasons
    are written once per rule and due date, into a scratch table the insert joins.
    """
    ops = connection.ops
    by_pk = {rule.pk: rule for rule in rules}
    sql, params = (
        tasks.order_by()
        .values("pk", "reached_rule", "due_on", "lead_org_id", "reached_person", "reached_key")
        .query.sql_with_params()
    )
    table = ops.quote_name(Urging._meta.db_table)
    with connection.cursor() as cursor:
        fill_scratch_table(
            cursor,
            "sweep_urged",
            "task_id BIGINT PRIMARY KEY, rule_id BIGINT, due_on DATE, org_id BIGINT, person_id BIGINT,"
            " sweep_key TEXT",
            sql,
            params,
        )
        scratch_table(
            cursor, "sweep_reason", "rule_id BIGINT, due_on DATE, reason TEXT, PRIMARY KEY (rule_id, due_on)"
        )
        cursor.execute("SELECT DISTINCT rule_id, due_on FROM sweep_urged")
        reasons = {
            (rule_id, due): _reason(by_pk[rule_id], due, today)
            for rule_id, due in ((r, as_date(d)) for r, d in cursor.fetchall())
        }
        if not reasons:
            return {}
        cursor.executemany(
            "INSERT INTO sweep_reason (rule_id, due_on, reason) VALUES (%s, %s, %s)",
            [(rule_id, ops.adapt_datefield_value(due), reason) for (rule_id, due), reason in reasons.items()],
        )
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 -- name from the model
        before = cursor.fetchone()[0]
        level = Case(*(When(id=rule.pk, then=Value(rule.level)) for rule in rules))
        respond_by = Case(
            *(When(id=rule.pk, then=Value(_respond_by(rule, today))) for rule in rules),
            output_field=DateField(),
        )
        # The level and the date to answer by of each rule, as columns of the rule's row.
        rule_sql, rule_params = (
            EscalationRule.objects.filter(pk__in=by_pk)
            .values(rule=F("pk"), rule_level=level, rule_respond_by=respond_by)
            .query.sql_with_params()
        )
        cursor.execute(
            f"INSERT INTO {table} (task_id, level, reason, rule_id, issued_on, task_due_on, to_org_id,"  # noqa: S608 -- names from the model, values bound
            " to_person_id, respond_by, response, status, close_note, sweep_key, version, created_at)"
            " SELECT t.task_id, k.rule_level, r.reason, t.rule_id, %s, t.due_on, t.org_id, t.person_id,"
            " k.rule_respond_by, '', %s, '', t.sweep_key, 1, %s FROM sweep_urged t"
            " JOIN sweep_reason r ON r.rule_id = t.rule_id AND r.due_on = t.due_on"
            f" JOIN ({rule_sql}) k ON k.rule = t.rule_id ORDER BY t.task_id",
            [
                ops.adapt_datefield_value(today),
                UrgingStatus.OPEN,
                ops.adapt_datetimefield_value(timezone.now()),
                *rule_params,
            ],
        )
    # The urgings just written: rows of a rule and of today with ids past the last one before (a hand
    # urging written meanwhile has no rule).
    issued = Urging.objects.filter(
        rule__isnull=False, issued_on=today, pk__gt=before, sweep_key__isnull=False
    )
    _tell_about_urgings(issued, rules, today, batch=before)
    labels = {rule.pk: str(UrgingLevel(rule.level).label) for rule in rules}
    counts: dict[int, int] = {}

    def events() -> Iterator[tuple[audit.Target, dict[str, Any]]]:
        rows = issued.order_by("pk").values_list(
            "pk",
            "rule_id",
            "task_id",
            "task__title",
            "task_due_on",
            "to_org_id",
            "to_person_id",
            "respond_by",
        )
        for pk, rule_id, task_id, title, due_on, to_org_id, to_person_id, respond_by in rows:
            counts[rule_id] = counts.get(rule_id, 0) + 1
            rule = by_pk[rule_id]
            yield (
                audit.Target(Urging._meta.label_lower, pk, f"{labels[rule_id]} · {title}"),
                {
                    "task": task_id,
                    "level": rule.level,
                    "reason": reasons[(rule_id, due_on)],
                    "to_org": to_org_id,
                    "to_person": to_person_id,
                    # As the audit trail writes a date (``audit.services._jsonable``).
                    "respond_by": respond_by.isoformat() if respond_by else None,
                    "rule": rule_id,
                },
            )

    audit.record_many(actor=services.system_actor(), action="urging.issue", items=events())
    return counts


def _tell_about_urgings(
    issued: QuerySet[Urging], rules: Sequence[EscalationRule], today: date, *, batch: int
) -> None:
    """Tell each recipient of the urgings just issued about them in one notification: the urging itself
    when it is their only one, else a digest that counts them by level and leads to the list of them.

    A night's sweep urges tens of thousands of tasks at once, and a unit head or a leader is told of
    every urging on the tasks of their unit: dozens each, and hundreds for a head of a big unit. One line
    per urging buries the few that matter in their inbox; the digest names the count of each level and
    the list shows the urgings themselves, the most severe first. The recipients are those
    ``services.create_urging`` tells (``services.urging_audience_columns``), counted by the database
    (``notifications.count_by_recipient``); Python sees a row per person and level, not per urging.
    """
    per_person: dict[int, dict[str, list[int]]] = {}
    for recipients in sorted({rule.recipients for rule in rules}):
        audience = _Audience(**services.urging_audience_columns(recipients))
        counted = notifications.count_by_recipient(
            events=issued.filter(rule__recipients=recipients).values(
                event_id=F("pk"), event_group=F("level"), **audience.units, **audience.people
            ),
            unit_columns=tuple(audience.units),
            roles=audience.roles,
            person_columns=tuple(audience.people),
        )
        # Each urging has one rule, so the groups of two kinds of recipients never share an urging.
        for person, level, count, first in counted:
            levels = per_person.setdefault(person, {})
            if level in levels:
                levels[level] = [levels[level][0] + count, min(levels[level][1], first)]
            else:
                levels[level] = [count, first]
    if not per_person:
        return
    single = {
        person: next(iter(levels.values()))[1]
        for person, levels in per_person.items()
        if sum(count for count, _first in levels.values()) == 1
    }
    urgings = Urging.objects.select_related("task").in_bulk(set(single.values()))
    rows: list[tuple[Any, ...]] = []
    now = _copy_stamp()
    for person, levels in sorted(per_person.items()):
        if person in single:
            urging = urgings[single[person]]
            kind, task_id = "urging.issued", urging.task_id
            body = notify.body(urging.task, services.urging_payload(urging))
            key = f"urging:{urging.pk}:issued:{person}"
        else:
            kind, task_id = digest.KIND, None
            ordered = sorted(levels, key=level_rank, reverse=True)
            body = {
                "issued_on": today.isoformat(),
                "count": sum(levels[level][0] for level in ordered),
                "levels": {level: levels[level][0] for level in ordered},
            }
            key = f"urging_digest:{today.isoformat()}:{batch}:{person}"
        stored = json.dumps(body, cls=DjangoJSONEncoder)
        rows.append((person, kind, task_id, stored, key, NotificationStatus.PENDING, 0, "", now))
    bulk.copy_new_rows(Notification, _Outbox.COLUMNS, rows)


# --- 7.: reports, acknowledgements, reviews -------------------------------------------------------


def _reports(today: date, result: SweepResult) -> None:
    config = supervision_settings()
    horizon = workdays.add_working_days(today, config["report_due_working_days"])
    coming = Task.objects.leaves().filter(
        status__in=REPORTING_STATUSES, next_report_due__gte=today, next_report_due__lte=horizon
    )
    result.reports_due = _notify_once(
        coming,
        kind="report.due",
        key=_key("report_due:", F("pk"), ":", _IsoDate("next_report_due")),
        payload={"report_due": F("next_report_due")},
        audience=_lead_unit(),
        today=today,
    )
    result.reports_missing = _notify_once(
        Task.objects.report_missing(today),
        kind="report.missing",
        key=_key("report_missing:", F("pk"), ":", _IsoDate("next_report_due")),
        payload={"report_due": F("next_report_due")},
        audience=_lead_unit(),
        today=today,
    )


def _late_acknowledgements(today: date, result: SweepResult) -> None:
    late = Task.objects.filter(status=TaskStatus.ASSIGNED, acknowledge_due_on__lt=today)
    # The lead unit's and the assigning unit's workers and deciders, and the task's handler.
    both = _Audience(
        {"unit_lead": F("lead_org_id"), "unit_assigning": F("assigning_org_id")},
        (*notify.WORKERS, *notify.DECIDERS),
        {"person_handler": F("handler_id")},
    )
    result.acknowledgements_late = _notify_once(
        late,
        kind="task.acknowledge_late",
        key=_key("acknowledge_late:", F("pk"), ":", _IsoDate("acknowledge_due_on")),
        payload={"acknowledge_by": F("acknowledge_due_on")},
        audience=both,
        today=today,
    )


def _waiting_reviews(today: date, result: SweepResult) -> None:
    days = supervision_settings()["review_working_days"]
    since = workdays.add_working_days(today, -days)
    cutoff = timezone.make_aware(datetime.combine(since + timedelta(days=1), clock.min))
    pending = CompletionRequest.objects.filter(
        status=RequestStatus.PENDING, task__status=TaskStatus.UNDER_REVIEW, created_at__lt=cutoff
    )
    key = _key("review_waiting:", F("pk"))
    if not _find_fresh(pending, key, task="task_id"):
        return
    # The deciders include the supervisors over the assigning unit, which only Python finds; reviews
    # waiting are few.
    outbox = _Outbox()
    for request in _fresh(pending, key).select_related("task__assigning_org").order_by("pk"):
        outbox.add(
            kind="review.waiting",
            task=request.task,
            audience=workflow.to_deciders(request.task),
            key=request.mark_key,
            payload={
                "completion_request_id": request.pk,
                "requested_on": timezone.localdate(request.created_at).isoformat(),
            },
        )
    outbox.flush()
    result.reviews_waiting = _mark_fresh(kind="review.waiting", today=today)


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
