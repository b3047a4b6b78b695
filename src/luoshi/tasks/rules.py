"""Who may see and do what with tasks; registered into the one policy (``luoshi.access``).

Seeing: a task is visible to the people of its lead unit and the units above it (scopes include
supervisors' whole jurisdictions), of its assigning unit and above, and of its cooperating units and
above. Doing: each action belongs to a party of the task (``Party``); the workflow's transition table
names the party of every transition, and ``ACTION_PARTIES`` the other actions.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from luoshi.access import policy
from luoshi.core import trees
from luoshi.organizations.models import Organization, Role
from luoshi.tasks.models import Task


class Party(StrEnum):
    # The head or handler of the lead unit: acknowledges, decomposes, reports, asks for completion.
    LEAD = "lead"
    # The leader, head or handler of the assigning unit, or a supervisor whose jurisdiction covers it:
    # assigns, transfers, edits what was assigned.
    ASSIGNER = "assigner"
    # The leader or head of the assigning unit, or a supervisor whose jurisdiction covers it: verifies,
    # decides requests, cancels, reopens.
    DECIDER = "decider"
    # The lead party, or the head or handler of a cooperating unit (who may report, nothing more).
    REPORTER = "reporter"
    # The lead or the assigning party: plans milestones and names the people on the task.
    PLANNER = "planner"


LEAD_ROLES = frozenset({Role.HEAD, Role.HANDLER})
ASSIGNER_ROLES = frozenset({Role.LEADER, Role.HEAD, Role.HANDLER})
DECIDER_ROLES = frozenset({Role.LEADER, Role.HEAD})
COOPERATOR_ROLES = frozenset({Role.HEAD, Role.HANDLER})

# Actions that are not transitions (those take their party from workflow.TRANSITIONS).
ACTION_PARTIES: dict[str, Party] = {
    "change": Party.ASSIGNER,
    "decompose": Party.LEAD,
    "report": Party.REPORTER,
    "request_extension": Party.LEAD,
    "decide_extension": Party.DECIDER,
    "override_light": Party.DECIDER,
    "plan": Party.PLANNER,
}


def _member_of(user: Any, org_id: int, roles: frozenset[str]) -> bool:
    return any(s.organization_id == org_id and s.role in roles for s in policy.scopes_of(user))


def _supervises(user: Any, path: str) -> bool:
    return any(s.role == Role.SUPERVISOR and trees.is_within(path, s.path) for s in policy.scopes_of(user))


def may_assign_from(user: Any, org: Organization) -> bool:
    """Whether ``user`` may create and assign work in the name of ``org`` (e.g. from a clause)."""
    if user.is_superuser:
        return True
    return _member_of(user, org.pk, ASSIGNER_ROLES) or _supervises(user, org.path)


def is_party(user: Any, party: Party, task: Task) -> bool:
    if user.is_superuser:
        return True
    if party == Party.LEAD:
        return _member_of(user, task.lead_org_id, LEAD_ROLES)
    if party == Party.ASSIGNER:
        return may_assign_from(user, task.assigning_org)
    if party == Party.DECIDER:
        return _member_of(user, task.assigning_org_id, DECIDER_ROLES) or _supervises(
            user, task.assigning_org.path
        )
    if party == Party.PLANNER:
        return is_party(user, Party.LEAD, task) or is_party(user, Party.ASSIGNER, task)
    if party == Party.REPORTER:
        if is_party(user, Party.LEAD, task):
            return True
        own = {s.organization_id for s in policy.scopes_of(user) if s.role in COOPERATOR_ROLES}
        return bool(own) and task.cooperating_orgs.filter(pk__in=own).exists()
    raise ValueError(party)


def party_for(action: str) -> Party | None:
    from luoshi.tasks.workflow import PARTY_OF_ACTION

    return PARTY_OF_ACTION.get(action) or ACTION_PARTIES.get(action)


def is_cooperator(user: Any, task: Task) -> bool:
    """Whether ``user`` reports for a cooperating unit rather than the lead unit."""
    return not is_party(user, Party.LEAD, task) and is_party(user, Party.REPORTER, task)


def _within_any(field: str, paths: list[str]) -> Q:
    q = Q(pk__in=[])
    kept: list[str] = []
    # A path inside another kept path adds nothing; fewer OR branches make simpler SQL.
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
            q |= trees.subtree_q(field, path)
    return q


def visible_tasks(user: Any, qs: models.QuerySet[Task]) -> models.QuerySet[Task]:
    paths = [s.path for s in policy.scopes_of(user)]
    if not paths:
        return qs.none()
    # The units in the user's scopes, as a subquery: the whole rule stays one SQL statement.
    units = policy.units_within(paths)
    cooperating = Task.cooperating_orgs.through.objects.filter(
        task_id=OuterRef("pk"), organization_id__in=units
    )
    return qs.filter(
        _within_any("lead_org_path", paths) | Q(assigning_org_id__in=units) | Exists(cooperating)
    )


def task_led_in_scope(user: Any, task: Task) -> bool:
    """The first branch of ``visible_tasks`` on the row in hand: the task is led inside a scope."""
    return any(trees.is_within(task.lead_org_path, s.path) for s in policy.scopes_of(user))


def can_on_task(user: Any, action: str, task: Task) -> bool:
    if action == "view":
        return True  # visibility was checked already
    party = party_for(action)
    return party is not None and is_party(user, party, task)


def register() -> None:
    policy.register_visibility(Task, visible_tasks, in_hand=task_led_in_scope)
    policy.register_actions(Task, can_on_task)
