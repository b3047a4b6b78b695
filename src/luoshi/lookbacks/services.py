"""Look-backs: scheduling them (by rule, by hand, by random sample), telling supervisors when they are
due, and recording what the re-check found (DESIGN §6).

A relapse reopens the work as a new task, registered through the task services like any other (so it is
audited, indexed and rolled up the same way), linked to the old one by ``Task.relapse_of``, and set red
by hand with the look-back as the reason: the light says "a supervisor found this relapsed", which the
computed rules cannot know.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import workdays
from luoshi.core.errors import Conflict, NotAllowed, ValidationFailed
from luoshi.core.validation import check_version, invalid
from luoshi.evidence import services as evidence_services
from luoshi.evidence.models import EvidenceFile
from luoshi.lookbacks.models import LookBack, LookBackOrigin, LookBackOutcome
from luoshi.lookbacks.rules import may_look_back
from luoshi.organizations.models import Role, User
from luoshi.tasks import notify, reporting, workflow
from luoshi.tasks import services as task_services
from luoshi.tasks.models import Light, Priority, Task, TaskStatus
from luoshi.tasks.writes import save_task

DEFAULTS: dict[str, int] = {"working_days_after_closing": 60, "sample_percent": 10, "rule_min_priority": 3}


def lookback_settings() -> dict[str, int]:
    return {**DEFAULTS, **getattr(settings, "LUOSHI_LOOKBACKS", {})}


def _rule_q() -> Q:
    """The closed tasks that get a look-back by rule: rectifications, and root tasks of high priority."""
    return Q(requires_public_notice=True) | Q(
        parent__isnull=True, priority__gte=lookback_settings()["rule_min_priority"]
    )


def _audit_snapshot(lookback: LookBack) -> dict[str, Any]:
    return {"task": lookback.task_id, "due_on": lookback.due_on, "origin": lookback.origin}


# --- scheduling -----------------------------------------------------------------------------------


@transaction.atomic
def lookback_schedule(*, actor: User, task: Task, due_on: date | None, today: date | None = None) -> LookBack:
    """Schedule a look-back of a closed task by hand, on ``due_on`` (today or later)."""
    access.require(actor, "view", task)
    task = Task.objects.select_for_update(of=("self",)).select_related("assigning_org").get(pk=task.pk)
    if not may_look_back(actor, task):
        raise NotAllowed(
            _(
                "Only the leader or head of %(unit)s, the assigning unit, or its supervisors may "
                "schedule look-backs."
            )
            % {"unit": task.assigning_org.name}
        )
    if task.status != TaskStatus.CLOSED:
        raise Conflict(_("Only a closed task can be looked back on."))
    today = today or workdays.today()
    if due_on is None:
        raise invalid({"due_on": [_("Please give the look-back date.")]})
    if due_on < today:
        raise invalid({"due_on": [_("The look-back date cannot be in the past.")]})
    if LookBack.objects.filter(task=task, outcome=LookBackOutcome.PENDING).exists():
        raise Conflict(_("This task already has a look-back waiting to be recorded."))
    lookback = LookBack.objects.create(
        task=task, due_on=due_on, origin=LookBackOrigin.MANUAL, scheduled_by=actor
    )
    audit.record(actor=actor, action="lookback.schedule", obj=lookback, changes=_audit_snapshot(lookback))
    return lookback


@transaction.atomic
def lookbacks_schedule_by_rule(*, today: date) -> int:
    """Give every closed task the rule covers, that has never had a look-back, one a configured number of
    working days after it closed. Idempotent: a task is scheduled once. Returns how many were scheduled."""
    days = lookback_settings()["working_days_after_closing"]
    if days <= 0:
        return 0
    any_lookback = LookBack.objects.filter(task=OuterRef("pk"))
    candidates = list(
        Task.objects.filter(
            _rule_q(), status=TaskStatus.CLOSED, closed_on__isnull=False, closed_on__lte=today
        )
        .filter(~Exists(any_lookback))
        .values_list("pk", "closed_on")
    )
    if not candidates:
        return 0
    rows = [
        LookBack(task_id=pk, due_on=workdays.add_working_days(closed_on, days), origin=LookBackOrigin.RULE)
        for pk, closed_on in candidates
        if closed_on is not None
    ]
    created = LookBack.objects.bulk_create(rows)
    audit.record(
        actor="sweep",
        action="lookback.schedule_by_rule",
        object_type="lookbacks.lookback",
        changes={"today": today, "working_days": days, "tasks": [pk for pk, _closed in candidates]},
    )
    return len(created)


@dataclass(frozen=True)
class SampleResult:
    lookbacks: list[LookBack]
    # Per lead unit: how many closed tasks were eligible, and how many were drawn.
    per_unit: dict[int, tuple[int, int]]


@transaction.atomic
def lookback_sample(
    *,
    actor: User,
    closed_from: date,
    closed_to: date,
    due_on: date,
    percent: int | None = None,
    seed: str = "",
    today: date | None = None,
) -> SampleResult:
    """Draw a random sample of each lead unit's closed tasks (closed between the two dates, without a
    waiting look-back, that ``actor`` may look back on) and schedule a look-back of each on ``due_on``.

    The draw is reproducible: the same seed over the same tasks draws the same ones (each unit's tasks are
    shuffled by a generator seeded with the seed and the unit). At least one task of each unit with any.
    """
    today = today or workdays.today()
    percent = lookback_settings()["sample_percent"] if percent is None else percent
    errors: dict[str, list[str]] = {}
    if not 1 <= percent <= 100:
        errors["percent"] = [_("Give a share between 1 and 100 per cent.")]
    if closed_from > closed_to:
        errors["closed_to"] = [_("The end of the period cannot be before its start.")]
    if due_on < today:
        errors["due_on"] = [_("The look-back date cannot be in the past.")]
    if not seed.strip():
        errors["seed"] = [_("Please give a seed (any word or number) so that the draw can be repeated.")]
    if errors:
        raise invalid(errors)
    if not _is_supervisor(actor):
        raise NotAllowed(_("Only supervisors may draw look-back samples."))
    pending = LookBack.objects.filter(task=OuterRef("pk"), outcome=LookBackOutcome.PENDING)
    candidates = [
        task
        for task in access.visible(actor, Task.objects.all())
        .filter(status=TaskStatus.CLOSED, closed_on__gte=closed_from, closed_on__lte=closed_to)
        .filter(~Exists(pending))
        .select_related("assigning_org")
        .order_by("pk")
        if may_look_back(actor, task)
    ]
    by_unit: dict[int, list[Task]] = defaultdict(list)
    for task in candidates:
        by_unit[task.lead_org_id].append(task)
    drawn: list[Task] = []
    per_unit: dict[int, tuple[int, int]] = {}
    for org_id in sorted(by_unit):
        tasks = by_unit[org_id]
        count = max(1, math.ceil(len(tasks) * percent / 100))
        # Reproducibility is the point here, not unpredictability: the seed is written in the audit trail.
        generator = random.Random(f"{seed.strip()}:{org_id}")  # noqa: S311
        chosen = generator.sample(tasks, count)
        drawn.extend(sorted(chosen, key=lambda t: t.pk))
        per_unit[org_id] = (len(tasks), count)
    created = LookBack.objects.bulk_create(
        [
            LookBack(task=task, due_on=due_on, origin=LookBackOrigin.SAMPLE, scheduled_by=actor)
            for task in drawn
        ]
    )
    audit.record(
        actor=actor,
        action="lookback.sample",
        object_type="lookbacks.lookback",
        changes={
            "closed_from": closed_from,
            "closed_to": closed_to,
            "percent": percent,
            "seed": seed.strip(),
            "due_on": due_on,
            "tasks": [t.pk for t in drawn],
        },
    )
    return SampleResult(lookbacks=created, per_unit=per_unit)


def _is_supervisor(user: User) -> bool:
    return bool(user.is_superuser or any(s.role == Role.SUPERVISOR for s in access.scopes_of(user)))


# --- due look-backs (called by the sweep) ---------------------------------------------------------


@transaction.atomic
def lookbacks_due(*, today: date) -> int:
    """Schedule look-backs by rule, then tell the supervisors (and the assigning unit's leaders and heads)
    of every waiting look-back due by ``today`` that nobody was told about yet. Idempotent: running it
    again the same day queues nothing new. Returns how many look-backs were announced."""
    lookbacks_schedule_by_rule(today=today)
    due = list(
        LookBack.objects.select_for_update(of=("self",))
        .filter(outcome=LookBackOutcome.PENDING, due_on__lte=today, notified_on__isnull=True)
        .select_related("task__assigning_org")
        .order_by("pk")
    )
    supervisors: dict[int, tuple[int, ...]] = {}
    for lookback in due:
        org = lookback.task.assigning_org
        if org.pk not in supervisors:
            supervisors[org.pk] = tuple(sorted(notify.supervisors_over(org)))
        notify.queue(
            kind="lookback.due",
            task=lookback.task,
            audience=notify.Audience((org.pk,), (Role.LEADER, Role.HEAD), supervisors[org.pk]),
            key=f"lookback:{lookback.pk}:due",
            payload={"lookback_id": lookback.pk, "due_on": lookback.due_on.isoformat()},
        )
    if due:
        LookBack.objects.filter(pk__in=[lb.pk for lb in due]).update(notified_on=today)
    return len(due)


# --- recording ------------------------------------------------------------------------------------


@transaction.atomic
def lookback_record(
    *,
    actor: User,
    lookback: LookBack,
    version: int,
    outcome: str,
    findings: str,
    files: Iterable[File] = (),
    relapse_due_on: date | None = None,
    today: date | None = None,
) -> LookBack:
    """Record what the re-check found, with its evidence files.

    ``consolidated``: the result held. ``relapsed``: the problem came back; a new task is registered for
    the same lead unit (due on ``relapse_due_on``), linked by ``relapse_of``, set going (assigned, or
    started when the assigning unit keeps it) and set red by hand until its due date.
    """
    today = today or workdays.today()
    access.require(actor, "view", lookback)
    locked = (
        LookBack.objects.select_for_update(of=("self",))
        .select_related("task__assigning_org")
        .get(pk=lookback.pk)
    )
    task = locked.task
    if not may_look_back(actor, task):
        raise NotAllowed(
            _(
                "Only the leader or head of %(unit)s, the assigning unit, or its supervisors may "
                "record look-backs."
            )
            % {"unit": task.assigning_org.name}
        )
    check_version(locked, version)
    if locked.outcome != LookBackOutcome.PENDING:
        raise Conflict(_("This look-back was already recorded."))
    errors: dict[str, list[str]] = {}
    if outcome not in {LookBackOutcome.CONSOLIDATED, LookBackOutcome.RELAPSED}:
        errors["outcome"] = [_("Choose consolidated or relapsed.")]
    if not (findings or "").strip():
        errors["findings"] = [_("Please describe what the look-back found.")]
    if outcome == LookBackOutcome.RELAPSED:
        if relapse_due_on is None:
            errors["relapse_due_on"] = [_("Please give the date by which the relapse must be fixed.")]
        elif relapse_due_on < today:
            errors["relapse_due_on"] = [_("The new deadline cannot be in the past.")]
    if errors:
        raise invalid(errors)
    uploads = list(files)
    if not uploads:
        message = _("Please attach the evidence of the look-back (photos, records, documents).")
        raise ValidationFailed(message, fields={"files": [message]})
    evidence = attach_evidence(actor=actor, task=task, files=uploads)
    locked.outcome = outcome
    locked.findings = findings.strip()
    locked.recorded_by = actor
    locked.recorded_on = today
    if outcome == LookBackOutcome.RELAPSED and relapse_due_on is not None:
        locked.relapse_task = _open_relapse(
            actor=actor, task=task, findings=locked.findings, due_on=relapse_due_on, today=today
        )
    locked.version += 1
    locked.save()
    locked.evidence_files.add(*evidence)
    audit.record(
        actor=actor,
        action="lookback.record",
        obj=locked,
        changes={
            "outcome": outcome,
            "findings": locked.findings,
            "evidence": [e.pk for e in evidence],
            "relapse_task": locked.relapse_task_id,
        },
    )
    return locked


def _open_relapse(*, actor: User, task: Task, findings: str, due_on: date, today: date) -> Task:
    """The new task for a relapsed result: same units and people, urgent, red by hand."""
    coop = list(task.cooperating_orgs.all())
    title = _("Relapse: %(title)s") % {"title": task.title}
    new = task_services.task_create(
        actor=actor,
        assigning_org=task.assigning_org,
        lead_org=task.lead_org,
        title=title[:200],
        due_on=due_on,
        start_on=today,
        clause=task.clause,
        directive=task.directive,
        description=findings,
        expected_outcome=task.expected_outcome,
        focus_area=task.focus_area,
        cooperating_orgs=coop,
        responsible_leader=task.responsible_leader,
        handler=task.handler,
        priority=Priority.URGENT,
        requires_public_notice=task.requires_public_notice,
    )
    new.relapse_of = task
    save_task(new, ["relapse_of"])
    if new.lead_org_id == new.assigning_org_id:
        new = workflow.task_start(actor=actor, task=new, version=new.version, today=today)
    else:
        new = workflow.task_assign(actor=actor, task=new, version=new.version, today=today)
    reason = _("Relapse found at the look-back of “%(title)s”: %(findings)s") % {
        "title": task.title,
        "findings": findings,
    }
    # The light service refuses an end before the deployment's today; a replay of past days (the demo)
    # records with an earlier ``today``, so the manual light lasts at least until the real today.
    until = max(due_on, workdays.today())
    return reporting.task_override_light(
        actor=actor, task=new, version=new.version, light=Light.RED, reason=reason, until=until
    )


# --- evidence of a closed task --------------------------------------------------------------------


def attach_evidence(*, actor: User, task: Task, files: Iterable[File]) -> list[EvidenceFile]:
    """Evidence files of a look-back, kept as evidence of its (closed) task.

    ``evidence_attach`` accepts files only for open tasks and for those who report on them; a look-back
    is the decider's re-check of closed work, so this applies the same file checks (count, size, type by
    content) and stores through the same path (durable write, rows in the caller's transaction, files
    removed if it rolls back) without those two conditions. The caller has checked the actor.
    """
    return evidence_services.evidence_store(actor=actor, task=task, files=files)
