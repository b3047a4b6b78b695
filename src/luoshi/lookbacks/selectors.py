"""Reads of look-backs: a task's, those due for a person, and relapse counts and rates per unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core.errors import NotFound
from luoshi.evidence.models import EvidenceFile
from luoshi.lookbacks.models import LookBack, LookBackOutcome
from luoshi.lookbacks.rules import may_look_back
from luoshi.organizations.models import Organization
from luoshi.tasks.models import Task


def _with_related(qs: QuerySet[LookBack]) -> QuerySet[LookBack]:
    return qs.select_related(
        "task", "task__lead_org", "recorded_by", "scheduled_by", "relapse_task"
    ).prefetch_related(
        Prefetch("evidence_files", queryset=EvidenceFile.objects.select_related("uploaded_by"))
    )


def lookbacks_of(*, user: Any, task: Task) -> QuerySet[LookBack]:
    """The task's look-backs, oldest first (the caller has found the task through the policy)."""
    return _with_related(access.visible(user, LookBack.objects.filter(task=task))).order_by("due_on", "pk")


def lookback_get(*, user: Any, pk: int) -> LookBack:
    lookback = _with_related(access.visible(user, LookBack.objects.filter(pk=pk))).first()
    if lookback is None:
        raise NotFound(_("Not found."))
    return lookback


def lookbacks_due_for(*, user: Any, today: date, ahead_days: int = 7) -> list[LookBack]:
    """Waiting look-backs due within ``ahead_days`` that ``user`` may record, the most overdue first."""
    rows = (
        access.visible(user, LookBack.objects.filter(outcome=LookBackOutcome.PENDING))
        .filter(due_on__lte=today + timedelta(days=ahead_days))
        .select_related("task__assigning_org", "task__lead_org")
        .order_by("due_on", "pk")
    )
    return [lb for lb in rows if may_look_back(user, lb.task)]


def relapse_counts(org_ids: list[int], start: date, end: date) -> dict[int, int]:
    """How many look-backs recorded between ``start`` and ``end`` (inclusive) found relapses in work led
    by each unit or the units below it. Units with none map to 0. Two queries."""
    orgs = dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "path"))
    paths = list(
        LookBack.objects.filter(
            outcome=LookBackOutcome.RELAPSED, recorded_on__gte=start, recorded_on__lte=end
        ).values_list("task__lead_org_path", flat=True)
    )
    return {pk: sum(1 for p in paths if p.startswith(path)) for pk, path in orgs.items()}


@dataclass(frozen=True)
class RelapseRow:
    org_id: int
    org_name: str
    recorded: int
    relapsed: int

    @property
    def rate(self) -> float:
        return round(100 * self.relapsed / self.recorded, 1) if self.recorded else 0.0


def relapse_table(*, user: Any, start: date, end: date) -> list[RelapseRow]:
    """Per lead unit, the look-backs the user can see that were recorded in the period, how many found a
    relapse, and the rate; worst rate first. One query."""
    rows = (
        access.visible(user, LookBack.objects.exclude(outcome=LookBackOutcome.PENDING))
        .filter(recorded_on__gte=start, recorded_on__lte=end)
        .values("task__lead_org_id", "task__lead_org__name")
        .annotate(recorded=Count("pk"), relapsed=Count("pk", filter=Q(outcome=LookBackOutcome.RELAPSED)))
    )
    table = [
        RelapseRow(
            org_id=r["task__lead_org_id"],
            org_name=r["task__lead_org__name"],
            recorded=r["recorded"],
            relapsed=r["relapsed"],
        )
        for r in rows
    ]
    return sorted(table, key=lambda r: (-r.rate, -r.relapsed, r.org_name))


def pending_lookbacks(*, user: Any) -> QuerySet[LookBack]:
    """All waiting look-backs the user can see, soonest first."""
    return (
        access.visible(user, LookBack.objects.filter(outcome=LookBackOutcome.PENDING))
        .select_related("task__lead_org", "task__assigning_org")
        .order_by("due_on", "pk")
    )
