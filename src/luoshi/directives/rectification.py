"""Rectification lists (整改台账, issue 4 item 5): the problems of an inspection directive with where they
came from, how soon they must be fixed and the measures decided, and the tasks that fix them.

The tasks are ordinary tasks registered from the problem clause (``task_create`` with ``clause``); their
lead and cooperating units are the problem's. Acceptance requires the closing criteria
(``luoshi.tasks.closing``) and then the public notice (``luoshi.tasks.workflow``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core.errors import Conflict, NotFound
from luoshi.core.validation import check_version, invalid, snapshot
from luoshi.directives.models import (
    Clause,
    ClauseKind,
    DeadlineType,
    Directive,
    DirectiveKind,
    ProblemSource,
)
from luoshi.organizations.models import User
from luoshi.tasks import closing
from luoshi.tasks.models import ClosingCriterion, Task, TaskStatus

PROBLEM_FIELDS = ("problem_source", "deadline_type", "fix_by", "measures")


@transaction.atomic
def problem_update(
    *,
    actor: User,
    clause: Clause,
    version: int,
    problem_source: str,
    deadline_type: str,
    fix_by: date | None = None,
    measures: str = "",
) -> Clause:
    """Set the rectification details of a problem: its source, deadline type (a date when fixed by a
    date) and the measures (one per line)."""
    locked = (
        Clause.objects.select_for_update(of=("self",))
        .select_related("directive__issuing_org")
        .get(pk=clause.pk)
    )
    access.require(actor, "change", locked)
    check_version(locked, version)
    if locked.kind != ClauseKind.PROBLEM or locked.directive.kind != DirectiveKind.INSPECTION:
        raise Conflict(_("Only the problems of an inspection have rectification details."))
    errors: dict[str, list[str]] = {}
    if problem_source not in ProblemSource.values:
        errors["problem_source"] = [_("Choose where the problem came from.")]
    if deadline_type not in DeadlineType.values:
        errors["deadline_type"] = [_("Choose how soon the problem must be fixed.")]
    elif deadline_type == DeadlineType.BY_DATE and fix_by is None:
        errors["fix_by"] = [_("Give the date by which the problem must be fixed.")]
    if not (measures or "").strip():
        errors["measures"] = [_("Please list the rectification measures, one per line.")]
    if errors:
        raise invalid(errors)
    before = snapshot(locked, PROBLEM_FIELDS)
    locked.problem_source = problem_source
    locked.deadline_type = deadline_type
    locked.fix_by = fix_by if deadline_type == DeadlineType.BY_DATE else None
    locked.measures = "\n".join(line.strip() for line in measures.splitlines() if line.strip())
    changed = audit.diff(before, snapshot(locked, PROBLEM_FIELDS))
    if not changed:
        return locked
    locked.version += 1
    locked.save()
    audit.record(actor=actor, action="clause.problem_update", obj=locked, changes=changed)
    return locked


# --- the list ------------------------------------------------------------------------------------


@dataclass
class ProblemRow:
    """One problem of the list with its tasks as the reader sees them, and how far each got."""

    clause: Clause
    tasks: list[Task] = field(default_factory=list)
    # Per task id: how many closing criteria are met with evidence.
    criteria_met: dict[int, int] = field(default_factory=dict)

    @property
    def criteria_total(self) -> int:
        return len(ClosingCriterion)

    @property
    def state(self) -> str:
        """Rectified (every task closed), in public notice, or being rectified; "not started" without
        tasks."""
        live = [t for t in self.tasks if t.status != TaskStatus.CANCELLED]
        if not live:
            return "unassigned"
        if all(t.status == TaskStatus.CLOSED for t in live):
            return "rectified"
        if all(t.status in {TaskStatus.CLOSED, TaskStatus.PUBLIC_NOTICE} for t in live):
            return "public_notice"
        return "in_progress"


def state_label(state: str) -> str:
    labels = {
        "unassigned": _("No task yet"),
        "rectified": _("Rectified"),
        "public_notice": _("In public notice"),
        "in_progress": _("Being rectified"),
    }
    return str(labels.get(state, state))


def inspection_directive(*, user: Any, pk: int) -> Directive:
    directive = (
        access.visible(user, Directive.objects.filter(pk=pk, kind=DirectiveKind.INSPECTION))
        .select_related("issuing_org")
        .first()
    )
    if directive is None:
        raise NotFound(_("Not found."))
    return directive


def rectification_list(*, user: Any, directive: Directive) -> list[ProblemRow]:
    """The problems of ``directive`` in order, each with the root tasks registered from it that ``user``
    can see (lead unit, cooperating units, light) and their closing-criteria counts. Four queries,
    whatever the number of problems and tasks."""
    visible = access.visible(user, Task.objects.filter(parent__isnull=True)).select_related("lead_org")
    problems = list(
        Clause.objects.filter(directive=directive, kind=ClauseKind.PROBLEM)
        .order_by("ordinal")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=visible.prefetch_related("cooperating_orgs").order_by("pk"),
                to_attr="visible_tasks",
            )
        )
    )
    task_ids = [t.pk for c in problems for t in c.visible_tasks]
    met = closing.met_counts(task_ids) if task_ids else {}
    rows = []
    for clause in problems:
        tasks = clause.visible_tasks
        for task in tasks:
            task.criteria_met = met.get(task.pk, 0)  # type: ignore[attr-defined]
        rows.append(
            ProblemRow(clause=clause, tasks=tasks, criteria_met={t.pk: met.get(t.pk, 0) for t in tasks})
        )
    return rows
