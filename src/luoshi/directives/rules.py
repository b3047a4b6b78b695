"""Who may see and change directives, clauses and focus areas; registered into ``luoshi.access``.

A directive is visible to the people of its issuing unit and the units above it (and supervisors whose
jurisdiction covers it), and to everyone who can see one of its tasks. Its clauses go with it. Focus
areas are a deployment-wide taxonomy that everyone reads.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from luoshi.access import policy
from luoshi.core import trees
from luoshi.directives.models import Clause, Directive, FocusArea
from luoshi.organizations.models import Organization, Role

EDITOR_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.HANDLER})


def may_register_for(user: Any, org: Organization) -> bool:
    """Whether ``user`` may register and edit directives in the name of ``org``."""
    if user.is_superuser:
        return True
    return any(
        (s.organization_id == org.pk and s.role in EDITOR_ROLES)
        or (s.role == Role.SUPERVISOR and trees.is_within(org.path, s.path))
        for s in policy.scopes_of(user)
    )


def may_manage_focus_areas(user: Any) -> bool:
    """The taxonomy belongs to the whole deployment: administrators and supervisors of a top unit."""
    if user.is_superuser:
        return True
    return any(
        s.role in {Role.ADMIN, Role.SUPERVISOR} and trees.depth_of(s.path) == 1
        for s in policy.scopes_of(user)
    )


def visible_directives(user: Any, qs: models.QuerySet[Directive]) -> models.QuerySet[Directive]:
    from luoshi.tasks.models import Task

    paths = [s.path for s in policy.scopes_of(user)]
    if not paths:
        return qs.none()
    # One query: the task rule becomes a correlated EXISTS, never a list of ids fetched into Python.
    tasks = policy.visible(user, Task.objects.all()).filter(directive_id=OuterRef("pk"))
    units = policy.units_within(paths)
    return qs.filter(Q(issuing_org_id__in=units) | Exists(tasks))


def visible_clauses(user: Any, qs: models.QuerySet[Clause]) -> models.QuerySet[Clause]:
    return qs.filter(directive__in=visible_directives(user, Directive.objects.all()))


def visible_focus_areas(user: Any, qs: models.QuerySet[FocusArea]) -> models.QuerySet[FocusArea]:
    return qs


def can_on_directive(user: Any, action: str, directive: Directive) -> bool:
    if action == "view":
        return True
    if action in {"change", "add_clause"}:
        return may_register_for(user, directive.issuing_org)
    return False


def can_on_clause(user: Any, action: str, clause: Clause) -> bool:
    if action == "view":
        return True
    if action == "change":
        return may_register_for(user, clause.directive.issuing_org)
    return False


def can_on_focus_area(user: Any, action: str, area: FocusArea) -> bool:
    return action == "view" or (action == "change" and may_manage_focus_areas(user))


def register() -> None:
    policy.register_visibility(Directive, visible_directives)
    policy.register_visibility(Clause, visible_clauses)
    policy.register_visibility(FocusArea, visible_focus_areas)
    policy.register_actions(Directive, can_on_directive)
    policy.register_actions(Clause, can_on_clause)
    policy.register_actions(FocusArea, can_on_focus_area)
