"""Who may see and do what with urgings and escalation rules; registered into ``luoshi.access``.

- An urging is visible to whoever sees its task.
- Supervisors issue and close urgings on tasks in their jurisdiction (the lead unit or the assigning
  unit lies within it); so do superusers.
- The unit addressed answers: its leaders, heads and handlers, and the person named on the urging.
- The escalation ladder is visible to everyone signed in; only administrators of a whole government (a
  root of the organisation tree) change it, since it applies to every unit.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from luoshi.access import policy
from luoshi.core import trees
from luoshi.organizations.models import Role
from luoshi.supervision.models import EscalationRule, Urging
from luoshi.tasks.models import Task

ANSWER_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.HANDLER})


def supervises(user: Any, task: Task) -> bool:
    """Whether ``user`` may urge ``task``: a supervisor whose jurisdiction holds its lead or assigning
    unit."""
    if user.is_superuser:
        return True
    return any(
        s.role == Role.SUPERVISOR
        and (trees.is_within(task.lead_org_path, s.path) or trees.is_within(task.assigning_org.path, s.path))
        for s in policy.scopes_of(user)
    )


def is_supervisor(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and (user.is_superuser or any(s.role == Role.SUPERVISOR for s in policy.scopes_of(user)))
    )


def may_answer(user: Any, urging: Urging) -> bool:
    if user.is_superuser or urging.to_person_id == user.pk:
        return True
    return any(
        s.organization_id == urging.to_org_id and s.role in ANSWER_ROLES for s in policy.scopes_of(user)
    )


def may_edit_ladder(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(s.role == Role.ADMIN and trees.depth_of(s.path) == 1 for s in policy.scopes_of(user))


def visible_urgings(user: Any, qs: models.QuerySet[Urging]) -> models.QuerySet[Urging]:
    tasks = policy.visible(user, Task.objects.all()).values("pk")
    return qs.filter(task_id__in=tasks)


def can_on_urging(user: Any, action: str, urging: Urging) -> bool:
    if action == "view":
        return True
    if action == "respond":
        return may_answer(user, urging)
    if action == "close":
        return supervises(user, urging.task)
    return False


def can_on_rule(user: Any, action: str, rule: EscalationRule) -> bool:
    if action == "view":
        return True
    return action == "change" and may_edit_ladder(user)


def register() -> None:
    policy.register_visibility(Urging, visible_urgings)
    policy.register_actions(Urging, can_on_urging)
    policy.register_visibility(EscalationRule, lambda user, qs: qs)
    policy.register_actions(EscalationRule, can_on_rule)
