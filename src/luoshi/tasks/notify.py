"""Outbox rows for task events: who hears about what (delivery is the notifications app's workers' job).

Written inside the service's transaction, so a notification exists exactly when its change committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from luoshi.core import trees
from luoshi.notifications.models import Notification
from luoshi.organizations.models import JURISDICTION_KINDS, Membership, Organization, Role
from luoshi.tasks.models import Task

# The people of the lead unit who hear about work arriving or being decided, and those of the assigning
# unit who hear about what needs their decision.
WORKERS = (Role.HEAD, Role.HANDLER)
DECIDERS = (Role.LEADER, Role.HEAD, Role.HANDLER)


@dataclass(frozen=True)
class Audience:
    """Who hears about an event: people with ``roles`` in ``org_ids``, plus ``users`` by id."""

    org_ids: tuple[int, ...]
    roles: tuple[str, ...]
    users: tuple[int, ...] = field(default=())


def lead_unit(task: Task) -> Audience:
    """The lead unit's head and handlers, and the task's own handler."""
    return Audience((task.lead_org_id,), WORKERS, (task.handler_id,) if task.handler_id else ())


def assigning_unit(task: Task, *, with_supervisors: bool = False) -> Audience:
    """The assigning unit's leaders, heads and handlers; with the supervisors who may decide for it when
    a decision is asked for (a completion or an extension), since many governments verify through them."""
    users = tuple(sorted(supervisors_over(task.assigning_org))) if with_supervisors else ()
    return Audience((task.assigning_org_id,), DECIDERS, users)


def supervisors_over(org: Organization) -> set[int]:
    """Supervisors whose jurisdiction covers ``org``: they work in its subtree with no jurisdiction unit
    (government, district, township) between them and ``org``. Two queries."""
    candidates = list(
        Membership.objects.filter(
            trees.subtree_q("organization__path", org.path), role=Role.SUPERVISOR, user__is_active=True
        ).values_list("user_id", "organization__path")
    )
    if not candidates:
        return set()
    between = {
        p for _, path in candidates for p in [*trees.ancestor_paths(path), path] if len(p) > len(org.path)
    }
    inner_jurisdictions = set(
        Organization.objects.filter(path__in=between, kind__in=JURISDICTION_KINDS).values_list(
            "path", flat=True
        )
    )
    return {
        user_id
        for user_id, path in candidates
        if not any(
            p in inner_jurisdictions for p in [*trees.ancestor_paths(path), path] if len(p) > len(org.path)
        )
    }


def body(task: Task, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """What every notification about a task carries, with the event's own ``payload``."""
    return {"task_id": task.pk, "title": task.title, "status": task.status, **(payload or {})}


def queue(
    *,
    kind: str,
    task: Task,
    audience: Audience,
    key: str,
    payload: dict[str, Any] | None = None,
    exclude: int | None = None,
) -> int:
    """Queue one notification per person in ``audience`` except ``exclude`` (the actor, who knows what
    they did).

    ``key`` names the event uniquely (e.g. the task id and its new version); the recipient is appended
    to make each row's idempotency key.
    """
    recipients = set(
        Membership.objects.filter(
            organization_id__in=audience.org_ids, role__in=audience.roles, user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
    )
    recipients.update(audience.users)
    if exclude is not None:
        recipients.discard(exclude)
    content = body(task, payload)
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=uid, kind=kind, task=task, payload=content, idempotency_key=f"{key}:{uid}"
            )
            for uid in sorted(recipients)
        ]
    )
    return len(recipients)
