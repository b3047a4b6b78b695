"""Progress reports, milestones and manual lights: the writes that move a task's progress and light.

Each is one use case, atomic, audited last, and refreshes the roll-up in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import sql, workdays
from luoshi.core.errors import Conflict, ValidationFailed
from luoshi.evaluation import fingerprints
from luoshi.evidence.services import evidence_attach
from luoshi.organizations.models import User
from luoshi.search import services as search
from luoshi.tasks import rollup, rules
from luoshi.tasks.models import (
    OPEN_STATUSES,
    REPORTING_STATUSES,
    Light,
    Milestone,
    ProgressReport,
    Task,
    TaskStatus,
)
from luoshi.tasks.writes import load_for_write, required_text, save_task


def _invalid(fields: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


# --- milestones -----------------------------------------------------------------------------------


@transaction.atomic
def milestone_add(
    *, actor: User, task: Task, version: int, title: str, due_on: date, planned_progress: int
) -> Milestone:
    """Add a step to the task's plan; expected progress then follows the milestones."""
    chain = load_for_write(actor=actor, task=task, version=version, action="plan")
    locked = chain[-1]
    if locked.status not in OPEN_STATUSES:
        raise Conflict(_("Milestones can only be planned for open tasks."))
    errors: dict[str, list[str]] = {}
    if not locked.start_on <= due_on <= locked.due_on:
        errors["due_on"] = [
            _("A milestone falls between the task's start (%(start)s) and its deadline (%(due)s).")
            % {"start": locked.start_on.isoformat(), "due": locked.due_on.isoformat()}
        ]
    if not 0 <= planned_progress <= 100:
        errors["planned_progress"] = [_("Planned progress is between 0 and 100.")]
    else:
        others = Milestone.objects.filter(task=locked)
        if (
            others.filter(due_on__lt=due_on, planned_progress__gt=planned_progress).exists()
            or others.filter(due_on__gt=due_on, planned_progress__lt=planned_progress).exists()
        ):
            errors["planned_progress"] = [
                _("Planned progress cannot go down from one milestone to the next.")
            ]
    if not title.strip():
        errors["title"] = [_("Please give the milestone a title.")]
    if errors:
        raise _invalid(errors)
    milestone = Milestone.objects.create(
        task=locked, title=title.strip(), due_on=due_on, planned_progress=planned_progress
    )
    save_task(locked, [])
    rollup.refresh(chain)
    audit.record(
        actor=actor,
        action="task.milestone_add",
        obj=locked,
        changes={
            "milestone": milestone.pk,
            "title": milestone.title,
            "due_on": due_on,
            "planned": planned_progress,
        },
    )
    return milestone


@transaction.atomic
def milestone_complete(
    *, actor: User, milestone: Milestone, version: int, done_on: date | None = None
) -> Milestone:
    """Record that a milestone was reached (the task's ``version`` is the one the caller read)."""
    chain = load_for_write(actor=actor, task=milestone.task, version=version, action="plan")
    locked = chain[-1]
    row = Milestone.objects.select_for_update().get(pk=milestone.pk)
    done_on = done_on or workdays.today()
    if done_on > workdays.today():
        raise _invalid({"done_on": [_("A milestone cannot be reached in the future.")]})
    row.done_on = done_on
    row.save(update_fields=["done_on"])
    save_task(locked, [])
    audit.record(
        actor=actor,
        action="task.milestone_complete",
        obj=locked,
        changes={"milestone": row.pk, "done_on": done_on},
    )
    return row


# --- progress reports -----------------------------------------------------------------------------


@transaction.atomic
def report_progress(
    *,
    actor: User,
    task: Task,
    version: int,
    narrative: str,
    progress: int | None = None,
    problems: str = "",
    next_steps: str = "",
    reported_on: date | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    is_phase_completion: bool = False,
    files: Iterable[File] = (),
) -> ProgressReport:
    """Report on a task (反馈). The lead unit's report on a leaf sets its progress, and the parents'
    progress and lights follow in the same transaction; cooperating units report without a percentage.
    ``files`` are evidence (佐证材料), checked and stored in the same transaction."""
    chain = load_for_write(actor=actor, task=task, version=version, action="report")
    locked = chain[-1]
    today = workdays.today()
    if locked.status not in REPORTING_STATUSES:
        raise Conflict(
            _("Reports are made while a task is in progress or returned for rework; this one is “%(state)s”.")
            % {"state": TaskStatus(locked.status).label}
        )
    narrative = required_text(narrative, "narrative", _("Please say what was done."))
    reported_on = reported_on or today
    errors: dict[str, list[str]] = {}
    cooperating = rules.is_cooperator(actor, locked)
    # What the roll-up reads besides the chain, read once: its children totals say whether the task has
    # subtasks (they are all off the path), and the roll-up below reuses them.
    facts = None if cooperating else rollup.path_facts(chain)
    if progress is not None:
        if not 0 <= progress <= 100:
            errors["progress"] = [_("Progress is a percentage between 0 and 100.")]
        elif cooperating:
            errors["progress"] = [
                _("The lead unit reports the progress; cooperating units report what they did.")
            ]
        elif facts is not None and locked.pk in facts.totals:
            errors["progress"] = [_("This task's progress is rolled up from its subtasks.")]
    if reported_on > today:
        errors["reported_on"] = [_("A report cannot be dated in the future.")]
    if period_start and period_end and period_start > period_end:
        errors["period_end"] = [_("The period cannot end before it starts.")]
    if errors:
        raise _invalid(errors)
    reporting_org_id = locked.lead_org_id
    if cooperating:
        own_units = [s.organization_id for s in access.scopes_of(actor) if s.role in rules.COOPERATOR_ROLES]
        reporting_org_id = (
            locked.cooperating_orgs.filter(pk__in=own_units).values_list("pk", flat=True).first()
            or reporting_org_id
        )
    report = sql.insert(
        ProgressReport(
            task=locked,
            reporter=actor,
            reporting_org_id=reporting_org_id,
            reported_on=reported_on,
            period_start=period_start,
            period_end=period_end,
            progress=progress,
            narrative=narrative,
            problems=problems.strip(),
            next_steps=next_steps.strip(),
            is_phase_completion=is_phase_completion,
        )
    )
    evidence = evidence_attach(actor=actor, task=locked, files=files, report=report)
    changes: dict[str, Any] = {"report": report.pk, "evidence": [e.pk for e in evidence]}
    if not cooperating:
        # The lead unit's report is the one its cadence asks for, and the one that moves its progress.
        if progress is not None:
            changes["reported_progress"] = [locked.reported_progress, progress]
            locked.reported_progress = progress
        if locked.last_reported_on is None or reported_on > locked.last_reported_on:
            locked.last_reported_on = reported_on
        # The task's own change and its derived values in one UPDATE; the ancestors that changed after.
        changed = rollup.recompute(chain, today=today, facts=facts)
        save_task(locked, ["reported_progress", "last_reported_on", *rollup.DERIVED_FIELDS])
        rollup.store([t for t in changed if t is not locked])
    search.index_report(report)
    # The evaluation finds copied reports by this digest of the text (to be refreshed by any correction).
    fingerprints.report_fingerprint(report)
    audit.record(actor=actor, action="task.report", obj=locked, changes=changes)
    return report


# --- manual lights --------------------------------------------------------------------------------

OVERRIDABLE = (Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN)


@transaction.atomic
def task_override_light(
    *, actor: User, task: Task, version: int, light: str, reason: str, until: date
) -> Task:
    """Set the light by hand, with a reason, until a date (then the computed light returns)."""
    chain = load_for_write(actor=actor, task=task, version=version, action="override_light")
    locked = chain[-1]
    if locked.status not in OPEN_STATUSES:
        raise Conflict(_("Only an open task's light can be set by hand."))
    reason = required_text(reason, "reason", _("Please give the reason for setting the light by hand."))
    if light not in OVERRIDABLE:
        raise _invalid({"light": [_("Choose red, yellow, blue or green.")]})
    if until < workdays.today():
        raise _invalid({"until": [_("The manual light must last until today or later.")]})
    before = {
        "light": locked.override_light,
        "until": locked.override_until,
        "reason": locked.override_reason,
    }
    locked.override_light = light
    locked.override_until = until
    locked.override_reason = reason
    locked.override_by = actor
    save_task(locked, ["override_light", "override_until", "override_reason", "override_by"])
    rollup.refresh(chain)
    audit.record(
        actor=actor,
        action="task.override_light",
        obj=locked,
        changes={"before": before, "light": light, "until": until, "reason": reason},
    )
    return locked


@transaction.atomic
def task_clear_override(*, actor: User, task: Task, version: int) -> Task:
    """Return to the computed light before the manual one expires."""
    chain = load_for_write(actor=actor, task=task, version=version, action="override_light")
    locked = chain[-1]
    if not locked.override_light:
        return locked
    before = {"light": locked.override_light, "until": locked.override_until}
    locked.override_light = ""
    locked.override_until = None
    locked.override_reason = ""
    locked.override_by = None
    save_task(locked, ["override_light", "override_until", "override_reason", "override_by"])
    rollup.refresh(chain)
    audit.record(actor=actor, action="task.clear_override", obj=locked, changes={"before": before})
    return locked
