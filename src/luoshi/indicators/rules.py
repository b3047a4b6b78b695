"""Who may see and do what with indicators; registered into the one policy (``luoshi.access``).

Seeing: indicator definitions are common knowledge to everyone who works in a unit; targets and values
are visible with their unit (one's own units, the units below them, and the chain above). Doing: the
owner unit (its leader, head or handler) and supervisors whose jurisdiction covers it define an
indicator and set targets; a unit's head or handler reports its values, as may the owner unit and the
supervisors over the unit; leaders and heads above a unit set its targets too (splitting their own).
"""

from __future__ import annotations

from typing import Any

from django.db import models

from luoshi.access import policy
from luoshi.core import trees
from luoshi.indicators.models import Indicator, IndicatorValue, Target, TaskIndicatorLink
from luoshi.organizations.models import Organization, Role
from luoshi.tasks.models import Task

OWNER_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.HANDLER})
REPORTER_ROLES = frozenset({Role.HEAD, Role.HANDLER})
ABOVE_ROLES = frozenset({Role.LEADER, Role.HEAD})


def _member_of(user: Any, org_id: int, roles: frozenset[str]) -> bool:
    return any(s.organization_id == org_id and s.role in roles for s in policy.scopes_of(user))


def _covers(user: Any, path: str, roles: frozenset[str]) -> bool:
    return any(s.role in roles and trees.is_within(path, s.path) for s in policy.scopes_of(user))


def _supervises(user: Any, path: str) -> bool:
    return _covers(user, path, frozenset({Role.SUPERVISOR}))


def may_define(user: Any, owner: Organization) -> bool:
    """Define or change an indicator owned by ``owner``."""
    if user.is_superuser:
        return True
    return (
        _member_of(user, owner.pk, ABOVE_ROLES)
        or _supervises(user, owner.path)
        or _covers(user, owner.path, frozenset({Role.ADMIN}))
    )


def may_set_target(user: Any, indicator: Indicator, org: Organization) -> bool:
    """Set ``org``'s target for ``indicator``: the owner unit, supervisors over ``org``, leaders above it."""
    if user.is_superuser or _member_of(user, indicator.owner_org_id, OWNER_ROLES):
        return True
    if _supervises(user, org.path):
        return True
    return any(
        s.role in ABOVE_ROLES and trees.is_within(org.path, s.path) and org.path != s.path
        for s in policy.scopes_of(user)
    )


def may_report(user: Any, indicator: Indicator, org: Organization) -> bool:
    """Report ``org``'s value: its head or handler, the owner unit, supervisors over ``org``."""
    if user.is_superuser:
        return True
    return (
        _member_of(user, org.pk, REPORTER_ROLES)
        or _member_of(user, indicator.owner_org_id, OWNER_ROLES)
        or _supervises(user, org.path)
    )


def _visible_indicators(user: Any, qs: models.QuerySet[Indicator]) -> models.QuerySet[Indicator]:
    return qs if policy.scopes_of(user) else qs.none()


def _by_unit(user: Any, qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
    units = policy.visible(user, Organization.objects.all()).values("pk")
    return qs.filter(org_id__in=units)


def _visible_links(user: Any, qs: models.QuerySet[TaskIndicatorLink]) -> models.QuerySet[TaskIndicatorLink]:
    return qs.filter(task__in=policy.visible(user, Task.objects.all()).values("pk"))


def _can_on_indicator(user: Any, action: str, indicator: Indicator) -> bool:
    if action == "view":
        return True
    if action == "change":
        return may_define(user, indicator.owner_org)
    return False


def register() -> None:
    policy.register_visibility(Indicator, _visible_indicators)
    policy.register_visibility(Target, _by_unit)
    policy.register_visibility(IndicatorValue, _by_unit)
    policy.register_visibility(TaskIndicatorLink, _visible_links)
    policy.register_actions(Indicator, _can_on_indicator)
