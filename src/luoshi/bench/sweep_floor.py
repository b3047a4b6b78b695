"""O6's floor: the writes of a day's sweep as hand-written SQL, one statement per kind of row.

A sweep's answer is what it writes: the lights brought to the day, the lights announced to the lead
units, the ladder's urgings with their notices and audit events, the reports coming due and missing
announced and marked. The floor writes the same rows into the same tables, set-based, and leaves out
what only the app does: the reasons worded per due date (one text per rule here), the audit chain's
hashes (a constant here), the late acknowledgements, waiting reviews, unanswered urgings and public
notices (a few rows a day, each needing its own recipients), and the tasks with milestones (judged in
Python by the app, a few hundred). The lights' rules are the app's own SQL expressions
(``tasks.rollup``): they define the answer; the statements around them are the floor's.

Every statement skips what an earlier run wrote (an anti-join on the urgings, marks and announced
lights), so the floor's second run of a day writes nothing, as the app's must.
"""

# The floor is hand-written SQL by design; table names come from the models, rule values are the
# deployment's own settings, and every other value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from luoshi.audit.models import AuditEvent
from luoshi.core import sql, workdays
from luoshi.notifications.models import Notification
from luoshi.organizations.models import Membership, User
from luoshi.supervision import services, sweep
from luoshi.supervision.models import AnnouncedLight, EscalationRule, Recipients, SweepMark, Urging
from luoshi.tasks import notify, rollup
from luoshi.tasks.models import OPEN_STATUSES, REPORTING_STATUSES, Milestone, Priority, Task

TASK = Task._meta.db_table
URGING = Urging._meta.db_table
MARK = SweepMark._meta.db_table
ANNOUNCED = AnnouncedLight._meta.db_table
NOTIFICATION = Notification._meta.db_table
AUDIT = AuditEvent._meta.db_table
MEMBER = Membership._meta.db_table
USER = User._meta.db_table
MILESTONE = Milestone._meta.db_table


_Execute = Callable[[str, Sequence[Any]], None]


def _quoted(values: Any) -> str:
    return ", ".join(f"'{value}'" for value in sorted(values))


def _json(*pairs: tuple[str, str]) -> str:
    """A JSON object of SQL expressions, in the database's own function."""
    function = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    members = ", ".join(f"'{name}', {value}" for name, value in pairs)
    return f"{function}({members})"


def _day_text(column: str) -> str:
    """A date column as ISO text, as the keys write it."""
    return f"to_char({column}, 'YYYY-MM-DD')" if connection.vendor == "postgresql" else column


def _text(expression: str) -> str:
    return f"CAST({expression} AS TEXT)"


def _leaf(t: str) -> str:
    return f"NOT EXISTS (SELECT 1 FROM {TASK} c WHERE c.parent_id = {t}.id AND c.status <> 'cancelled')"


def sweep_floor(today: date) -> dict[str, int]:
    """The floor of ``supervision.services.sweep(today=)``, in the caller's transaction; returns the
    rows each statement wrote, by table."""
    written: dict[str, int] = {}
    with transaction.atomic(), sql.without_jit(work_mem=sql.BIG_WORK_MEM), connection.cursor() as cursor:

        def execute(statement: str, params: Sequence[Any] = ()) -> None:
            cursor.execute(statement, params)
            if statement.startswith("INSERT INTO "):
                table = statement.split()[2]
                written[table] = written.get(table, 0) + max(cursor.rowcount, 0)

        now = connection.ops.adapt_datetimefield_value(timezone.now())
        _lights(cursor, today)
        _announce(execute, today, now)
        _ladder(execute, cursor, today, now)
        _reports(execute, today, now)
    return written


def _lights(cursor: Any, today: date) -> None:
    """Every task's own values as of ``today`` in one statement where they changed, then each level of
    parents from its children, deepest first (O2's floor of a repair)."""
    from luoshi.bench.ops import _floor_repair

    due = rollup._next_report_due_sql("t")
    own, overridden, params = rollup._own_light_sql("t", _leaf("t"), today, next_due=due)
    differs = "IS NOT" if connection.vendor == "sqlite" else "IS DISTINCT FROM"
    cursor.execute(
        f"UPDATE {TASK} SET next_report_due = j.due, own_light = j.own, light_overridden = j.overridden,"
        f" light = CASE WHEN j.leaf THEN j.own ELSE {TASK}.light END,"
        f" progress = CASE WHEN j.leaf THEN j.progress ELSE {TASK}.progress END"
        f" FROM (SELECT t.id, {due} AS due, {own} AS own, {overridden} AS overridden, {_leaf('t')} AS leaf,"
        f" {rollup._own_progress('t')} AS progress FROM {TASK} t"
        f" WHERE NOT EXISTS (SELECT 1 FROM {MILESTONE} m WHERE m.task_id = t.id)) j"
        f" WHERE {TASK}.id = j.id AND ({TASK}.next_report_due {differs} j.due OR {TASK}.own_light <> j.own"
        f" OR {TASK}.light_overridden <> j.overridden"
        f" OR (j.leaf AND ({TASK}.light <> j.own OR {TASK}.progress <> j.progress)))",
        params,
    )
    _floor_repair()


def _to_lead_unit(roles: Any, events: str, person: str) -> str:
    """The recipients of ``events`` (a subquery with ``org_id`` and the column ``person``): the active
    members of the unit in ``roles``, and the person named, once each."""
    return (
        f"SELECT e.*, m.user_id AS recipient FROM ({events}) e"
        f" JOIN {MEMBER} m ON m.organization_id = e.org_id"
        f" JOIN {USER} u ON u.id = m.user_id AND u.is_active WHERE m.role IN ({_quoted(roles)})"
        f" UNION SELECT e.*, e.{person} FROM ({events}) e WHERE e.{person} IS NOT NULL"
    )


def _notify(
    execute: _Execute, events: str, params: list[Any], *, kind: str, key: str, payload: str, now: Any
) -> None:
    """One notification per event of ``events`` and recipient (``_to_lead_unit``), ``kind``, ``key``
    and ``payload`` being SQL expressions over the event's columns."""
    execute(
        f"INSERT INTO {NOTIFICATION} (recipient_id, kind, task_id, payload, idempotency_key, status,"
        " attempts, last_error, created_at)"
        f" SELECT r.recipient, {kind}, r.task_id, {payload}, {key} || ':' || {_text('r.recipient')},"
        f" 'pending', 0, '', %s FROM ({_to_lead_unit(notify.WORKERS, events, 'handler_id')}) r",
        [now, *params, *params],
    )


def _announce(execute: _Execute, today: date, now: Any) -> None:
    """The tasks entering a light since their last announcement, told to their lead unit and
    remembered."""
    execute(
        f"DELETE FROM {ANNOUNCED} WHERE task_id IN (SELECT a.task_id FROM {ANNOUNCED} a"
        f" JOIN {TASK} t ON t.id = a.task_id WHERE a.light <> t.own_light)",
        [],
    )
    entering = (
        f"SELECT t.id AS task_id, t.lead_org_id AS org_id, t.handler_id, t.title, t.status, t.own_light"
        f" FROM {TASK} t WHERE t.status IN ({_quoted(OPEN_STATUSES)}) AND t.status <> 'draft'"
        f" AND t.own_light IN ({_quoted(sweep.ANNOUNCED_LIGHTS)})"
        f" AND NOT EXISTS (SELECT 1 FROM {ANNOUNCED} a WHERE a.task_id = t.id)"
    )
    _notify(
        execute,
        entering,
        [],
        kind="'task.light.' || r.own_light",
        key=f"'light:' || {_text('r.task_id')} || ':' || r.own_light || ':{today.isoformat()}'",
        payload=_json(
            ("task_id", "r.task_id"), ("title", "r.title"), ("status", "r.status"), ("light", "r.own_light")
        ),
        now=now,
    )
    execute(
        f"INSERT INTO {ANNOUNCED} (task_id, light, since)"
        f" SELECT e.task_id, e.own_light, %s FROM ({entering}) e",
        [connection.ops.adapt_datefield_value(today)],
    )


def _reaches(rule: EscalationRule, today: date) -> str:
    """``sweep._reaches`` over the row ``t``, its dates written in (they are computed once a day)."""

    def by_days(days: int) -> str:
        if days < 0:
            return f"(t.due_on >= '{today}' AND t.due_on <= '{workdays.add_working_days(today, -days)}')"
        return f"t.due_on <= '{sweep.overdue_cutoff(today, days)}'"

    urgent_days = rule.urgent_days_after_due
    if urgent_days is None or urgent_days == rule.days_after_due:
        return by_days(rule.days_after_due)
    return (
        f"((t.priority = '{Priority.URGENT}' AND {by_days(urgent_days)})"
        f" OR (t.priority <> '{Priority.URGENT}' AND {by_days(rule.days_after_due)}))"
    )


def _ladder(execute: _Execute, cursor: Any, today: date, now: Any) -> None:
    """Each late task's highest level not yet issued for its due date: the urgings, one notice per
    recipient of the day's urgings (a count), and an audit event per urging."""
    rules = sorted(EscalationRule.objects.filter(is_active=True), key=lambda r: r.rank, reverse=True)
    if not rules:
        return
    ops = connection.ops
    reached_rule = " ".join(f"WHEN {_reaches(rule, today)} THEN {rule.pk}" for rule in rules)
    rank = " ".join(f"WHEN {r.pk} THEN {r.rank}" for r in rules)
    level = " ".join(f"WHEN {r.pk} THEN '{r.level}'" for r in rules)
    urging_rank = " ".join(f"WHEN '{r.level}' THEN {r.rank}" for r in rules)
    respond = [(r.pk, sweep._respond_by(r, today)) for r in rules]
    respond_by = " ".join(f"WHEN {pk} THEN %s" for pk, _day in respond)
    respond_params = [ops.adapt_datefield_value(day) for _pk, day in respond]
    leader = "COALESCE(t.responsible_leader_id, t.handler_id)"
    person = " ".join(
        f"WHEN {r.pk} THEN {leader if r.recipients == Recipients.LEADER else 't.handler_id'}" for r in rules
    )
    due_text = _day_text("t.due_on")
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {URGING}")
    before = cursor.fetchone()[0]
    reached = (
        f"SELECT t.id, t.due_on, t.lead_org_id, t.handler_id, t.responsible_leader_id,"
        f" CASE {reached_rule} END AS rule_id FROM {TASK} t"
        f" WHERE t.status IN ({_quoted(sweep.URGED_STATUSES)})"
    )
    execute(
        f"INSERT INTO {URGING} (task_id, level, reason, rule_id, issued_on, task_due_on, to_org_id,"
        " to_person_id, respond_by, response, status, close_note, sweep_key, version, created_at)"
        f" SELECT t.id, CASE t.rule_id {level} END, 'reason', t.rule_id, %s, t.due_on, t.lead_org_id,"
        f" CASE t.rule_id {person} END, CASE t.rule_id {respond_by} END, '', 'open', '',"
        f" 'sweep:' || {_text('t.id')} || ':' || CASE t.rule_id {level} END || ':' || {due_text},"
        f" 1, %s FROM ({reached}) t WHERE t.rule_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {URGING} u"
        f" WHERE u.task_id = t.id AND u.task_due_on = t.due_on"
        f" AND (CASE u.level {urging_rank} ELSE -1 END) >= CASE t.rule_id {rank} END) ORDER BY t.id",
        [ops.adapt_datefield_value(today), *respond_params, now],
    )
    issued = (
        f"SELECT u.id, u.to_person_id, t.lead_org_id AS org_id FROM {URGING} u"
        f" JOIN {TASK} t ON t.id = u.task_id WHERE u.id > %s"
    )
    recipients = _to_lead_unit(notify.WORKERS, issued, "to_person_id")
    count = _json(("issued_on", f"'{today.isoformat()}'"), ("count", "COUNT(*)"))
    execute(
        f"INSERT INTO {NOTIFICATION} (recipient_id, kind, task_id, payload, idempotency_key, status,"
        " attempts, last_error, created_at)"
        " SELECT r.recipient, CASE WHEN COUNT(*) = 1 THEN 'urging.issued' ELSE 'urging.digest' END, NULL,"
        f" {count},"
        f" 'urging_digest:{today.isoformat()}:' || {_text('r.recipient')}, 'pending', 0, '', %s"
        f" FROM ({recipients}) r"
        " GROUP BY r.recipient",
        [now, before, before],
    )
    actor = services.system_actor().pk
    cursor.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {AUDIT}")
    seq = cursor.fetchone()[0]
    digest = "0" * 64
    changes = _json(
        ("task", "u.task_id"),
        ("level", "u.level"),
        ("reason", "u.reason"),
        ("to_org", "u.to_org_id"),
        ("to_person", "u.to_person_id"),
        ("respond_by", _day_text("u.respond_by")),
        ("rule", "u.rule_id"),
    )
    execute(
        f"INSERT INTO {AUDIT} (seq, occurred_at, actor_id, actor_name, action, object_type, object_id,"
        " object_repr, changes, request_id, ip, algorithm, prev_hash, hash)"
        f" SELECT %s + ROW_NUMBER() OVER (ORDER BY u.id), %s, %s, '', 'urging.issue', 'supervision.urging',"
        f" {_text('u.id')}, u.level || ' · ' || t.title, {changes}, '', '', 'sha256', %s, %s"
        f" FROM {URGING} u JOIN {TASK} t ON t.id = u.task_id WHERE u.id > %s",
        [seq, now, actor, digest, digest, before],
    )


def _reports(execute: _Execute, today: date, now: Any) -> None:
    """Reports coming due within the notice period, and reports missing: each told to the lead unit
    once per due date, and marked."""
    horizon = workdays.add_working_days(today, sweep.supervision_settings()["report_due_working_days"])
    ops = connection.ops
    reporting = _quoted(REPORTING_STATUSES)
    for kind, prefix, condition, params in (
        ("report.due", "report_due", "t.next_report_due >= %s AND t.next_report_due <= %s", [today, horizon]),
        ("report.missing", "report_missing", "t.next_report_due < %s", [today]),
    ):
        bound = [ops.adapt_datefield_value(day) for day in params]
        key = f"'{prefix}:' || {_text('t.id')} || ':' || {_day_text('t.next_report_due')}"
        fresh = (
            f"SELECT t.id AS task_id, t.lead_org_id AS org_id, t.handler_id, t.title, t.status,"
            f" t.next_report_due, {key} AS mark_key FROM {TASK} t WHERE t.status IN ({reporting})"
            f" AND {condition} AND {_leaf('t')}"
            f" AND NOT EXISTS (SELECT 1 FROM {MARK} k WHERE k.{ops.quote_name('key')} = {key})"
        )
        _notify(
            execute,
            fresh,
            bound,
            kind=f"'{kind}'",
            key="r.mark_key",
            payload=_json(
                ("task_id", "r.task_id"),
                ("title", "r.title"),
                ("status", "r.status"),
                ("report_due", _day_text("r.next_report_due")),
            ),
            now=now,
        )
        execute(
            f"INSERT INTO {MARK} ({ops.quote_name('key')}, kind, task_id, swept_on)"
            f" SELECT f.mark_key, %s, f.task_id, %s FROM ({fresh}) f",
            [kind, ops.adapt_datefield_value(today), *bound],
        )
