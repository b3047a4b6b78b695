"""Reads about tasks for pages, the API and sweeps; every one is narrowed by the access policy."""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core import workdays
from luoshi.core.errors import NotFound
from luoshi.organizations.models import Organization
from luoshi.tasks import lights
from luoshi.tasks.models import (
    ExtensionRequest,
    Milestone,
    ProgressReport,
    RequestStatus,
    Task,
    TaskQuerySet,
    TaskStatus,
)
from luoshi.tasks.rules import ASSIGNER_ROLES, DECIDER_ROLES, LEAD_ROLES


def visible_tasks(user: Any) -> TaskQuerySet:
    # The policy narrows a queryset without changing its class, so the task query methods remain.
    return cast(
        TaskQuerySet,
        access.visible(user, Task.objects.select_related("lead_org", "assigning_org", "handler")),
    )


def get_task(*, user: Any, pk: int) -> Task:
    """One task the user may see, or ``NotFound``."""
    task = (
        visible_tasks(user)
        .select_related("directive", "clause", "focus_area", "parent")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise NotFound(_("Not found."))
    return task


def tasks_led_under(*, user: Any, org: Organization) -> QuerySet[Task]:
    """Tasks led by ``org`` or any unit below it, as far as ``user`` may see them (one range scan)."""
    return visible_tasks(user).led_under(org)


def subtree(*, user: Any, task: Task) -> QuerySet[Task]:
    """The task and all its subtasks in tree order (path), as far as ``user`` may see them."""
    return visible_tasks(user).subtree_of(task).order_by("path")


def _unit_ids(user: Any, roles: frozenset[str]) -> list[int]:
    return [s.organization_id for s in access.scopes_of(user) if s.role in roles]


def to_acknowledge(*, user: Any) -> QuerySet[Task]:
    """Tasks assigned to the user's units that wait for acknowledgement, oldest deadline first."""
    return (
        visible_tasks(user)
        .filter(status=TaskStatus.ASSIGNED, lead_org_id__in=_unit_ids(user, LEAD_ROLES))
        .order_by("acknowledge_due_on", "due_on")
    )


def to_verify(*, user: Any) -> QuerySet[Task]:
    """Tasks the user's units assigned that wait for verification (or a decision after public notice)."""
    return (
        visible_tasks(user)
        .filter(
            status__in=[TaskStatus.UNDER_REVIEW, TaskStatus.PUBLIC_NOTICE],
            assigning_org_id__in=_unit_ids(user, DECIDER_ROLES),
        )
        .order_by("due_on")
    )


def sent_back(*, user: Any) -> QuerySet[Task]:
    """Drafts of the user's units that their receiving unit sent back, waiting to be re-routed."""
    return (
        visible_tasks(user)
        .filter(
            status=TaskStatus.DRAFT,
            assigning_org_id__in=_unit_ids(user, ASSIGNER_ROLES),
            send_backs__isnull=False,
        )
        .distinct()
    )


def pending_extensions(*, user: Any) -> QuerySet[ExtensionRequest]:
    """Extension requests waiting for a decision by one of the user's units."""
    tasks = visible_tasks(user).filter(assigning_org_id__in=_unit_ids(user, DECIDER_ROLES))
    return ExtensionRequest.objects.filter(status=RequestStatus.PENDING, task__in=tasks).select_related(
        "task"
    )


def reports_missing(*, user: Any, today: date | None = None) -> QuerySet[Task]:
    """Leaves whose report for the current period is late ("report missing")."""
    return visible_tasks(user).report_missing(today or workdays.today()).order_by("next_report_due")


def overdue(*, user: Any, today: date | None = None) -> QuerySet[Task]:
    return visible_tasks(user).overdue(today or workdays.today()).order_by("due_on")


def red_list(*, user: Any, org: Organization | None = None) -> QuerySet[Task]:
    """Open tasks showing red, optionally under one unit, worst-first by deadline."""
    qs = visible_tasks(user).open().filter(light="red")
    return (qs.led_under(org) if org is not None else qs).order_by("due_on")


def reports_of(*, user: Any, task: Task) -> QuerySet[ProgressReport]:
    """Reports on a task the user may see, newest first."""
    return ProgressReport.objects.filter(task__in=visible_tasks(user).filter(pk=task.pk)).select_related(
        "reporter", "reporting_org"
    )


def explain_light(task: Task, *, today: date | None = None) -> lights.Verdict:
    """Why the task's own light is what it is (reason codes), as of ``today``: for the task page."""
    is_leaf = not Task.objects.filter(parent=task).exclude(status=TaskStatus.CANCELLED).exists()
    milestones = list(Milestone.objects.filter(task=task).values_list("due_on", "planned_progress"))
    return lights.own_light(
        lights.LightFacts.of(task, milestones), today=today or workdays.today(), is_leaf=is_leaf
    )
