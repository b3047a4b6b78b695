"""Reads about urgings for pages and the API; every one is narrowed by the access policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core import trees
from luoshi.core.errors import NotFound
from luoshi.organizations.models import Organization
from luoshi.supervision.models import LADDER, Urging, UrgingLevel, UrgingStatus, level_rank
from luoshi.supervision.rules import ANSWER_ROLES
from luoshi.tasks.models import Task


def visible_urgings(user: Any) -> QuerySet[Urging]:
    return access.visible(
        user,
        Urging.objects.select_related("task", "to_org", "to_person", "issued_by", "responded_by"),
    )


def urging_get(*, user: Any, pk: int) -> Urging:
    urging = (
        visible_urgings(user).select_related("task__lead_org", "task__assigning_org").filter(pk=pk).first()
    )
    if urging is None:
        raise NotFound(_("Not found."))
    return urging


def urgings_of_task(*, user: Any, task: Task) -> QuerySet[Urging]:
    """The urgings of a task the user may see, newest first."""
    return visible_urgings(user).filter(task=task).order_by("-issued_on", "-id")


def urgings_to_answer(user: Any) -> QuerySet[Urging]:
    """Open urgings that wait for an answer from the user: addressed to them, or to a unit where they are a
    leader, head or handler. Reminders need no answer. Oldest answer-by date first."""
    units = [s.organization_id for s in access.scopes_of(user) if s.role in ANSWER_ROLES]
    return (
        visible_urgings(user)
        .filter(
            Q(to_person_id=user.pk) | Q(to_org_id__in=units),
            status=UrgingStatus.OPEN,
            respond_by__isnull=False,
        )
        .select_related("task__lead_org", "task__directive")
        .order_by("respond_by", "id")
    )


@dataclass(frozen=True)
class LevelCount:
    level: str
    label: str
    open: int
    overdue: int


def overview(
    *,
    user: Any,
    level: str = "",
    status: str = UrgingStatus.OPEN,
    org: Organization | None = None,
    overdue_only: bool = False,
    issued_on: date | None = None,
    mine: bool = False,
    today: date,
) -> QuerySet[Urging]:
    """Urgings for the supervision overview, filtered; the most severe and the longest waiting first.
    ``mine`` keeps those the user was told of: addressed to them or to one of their units, or on a task
    they handle or lead."""
    qs = visible_urgings(user).select_related("task__lead_org")
    if issued_on is not None:
        qs = qs.filter(issued_on=issued_on)
    if mine:
        units = [scope.organization_id for scope in access.scopes_of(user)]
        qs = qs.filter(
            Q(to_person_id=user.pk)
            | Q(to_org_id__in=units)
            | Q(task__handler_id=user.pk)
            | Q(task__responsible_leader_id=user.pk)
        )
    if level:
        qs = qs.filter(level=level)
    if status:
        qs = qs.filter(status=status)
    if org is not None:
        qs = qs.filter(trees.subtree_q("to_org__path", org.path))
    if overdue_only:
        qs = qs.unanswered_past(today)  # type: ignore[attr-defined]
    ranks = {level: level_rank(level) for level in LADDER}
    from django.db.models import Case, IntegerField, Value, When

    severity = Case(
        *[When(level=lv, then=Value(rank)) for lv, rank in ranks.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    return qs.annotate(severity=severity).order_by("-severity", "respond_by", "id")


def counts_by_level(*, user: Any, org: Organization | None = None, today: date) -> list[LevelCount]:
    """Open and overdue urgings per level (one aggregate query)."""
    qs = visible_urgings(user).filter(status=UrgingStatus.OPEN)
    if org is not None:
        qs = qs.filter(trees.subtree_q("to_org__path", org.path))
    rows = {
        r["level"]: r
        for r in qs.order_by()
        .values("level")
        .annotate(n=Count("id"), late=Count("id", filter=Q(respond_by__lt=today)))
    }
    return [
        LevelCount(
            level,
            str(UrgingLevel(level).label),
            rows.get(level, {}).get("n", 0),
            rows.get(level, {}).get("late", 0),
        )
        for level in LADDER
    ]


def counts_by_unit(*, user: Any, today: date, limit: int = 20) -> list[dict[str, Any]]:
    """The units with the most open urgings (one aggregate query)."""
    return list(
        visible_urgings(user)
        .filter(status=UrgingStatus.OPEN)
        .order_by()
        .values("to_org_id", "to_org__name")
        .annotate(n=Count("id"), late=Count("id", filter=Q(respond_by__lt=today)))
        .order_by("-n", "to_org__name")[:limit]
    )
