"""Who may see and do what with bulletins; registered into ``luoshi.access``.

Seeing: a bulletin is visible to whoever may see its unit. Doing: generating and issuing belong to the
supervisors whose jurisdiction covers the unit, and to the unit's own leaders and heads.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from luoshi.access import policy
from luoshi.core import trees
from luoshi.organizations.models import Organization, Role
from luoshi.reports.models import Bulletin

ISSUING_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.HEAD, Role.ADMIN})


def _visible_bulletins(user: Any, qs: models.QuerySet[Bulletin]) -> models.QuerySet[Bulletin]:
    return qs.filter(organization__in=policy.visible(user, Organization.objects.all()).values("pk"))


def may_issue_for(user: Any, org: Organization) -> bool:
    if user.is_superuser:
        return True
    for scope in policy.scopes_of(user):
        if scope.role == Role.SUPERVISOR and trees.is_within(org.path, scope.path):
            return True
        if scope.role in ISSUING_ROLES and scope.organization_id == org.pk:
            return True
    return False


def _on_bulletin(user: Any, action: str, bulletin: Bulletin) -> bool:
    if action == "view":
        return True
    return action in {"generate", "issue"} and may_issue_for(user, bulletin.organization)


def register() -> None:
    policy.register_visibility(Bulletin, _visible_bulletins)
    policy.register_actions(Bulletin, _on_bulletin)
