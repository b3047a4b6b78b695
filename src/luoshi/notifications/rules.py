"""Who may see and do what with notifications; registered into the one policy (``luoshi.access``).

- A notification (an inbox entry) is its recipient's alone.
- Channels are managed by administrators: one for a unit by the administrators of that unit or above;
  one for everyone by the administrators of a top-level unit.
- Deliveries (what went out, what failed) are seen by the administrators of a unit the recipient works
  in (or above); they may retry a failed one.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from luoshi.access import policy
from luoshi.core import trees
from luoshi.notifications.models import Channel, Delivery, Notification
from luoshi.organizations.models import Membership, Role

MANAGE = "manage"
RETRY = "retry"
READ = "read"


def _admin_paths(user: Any) -> list[str]:
    return [s.path for s in policy.scopes_of(user) if s.role == Role.ADMIN]


def _subtrees(field: str, paths: list[str]) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= trees.subtree_q(field, path)
    return q


def visible_notifications(user: Any, qs: models.QuerySet[Notification]) -> models.QuerySet[Notification]:
    return qs.filter(recipient=user)


def visible_channels(user: Any, qs: models.QuerySet[Channel]) -> models.QuerySet[Channel]:
    paths = _admin_paths(user)
    if not paths:
        return qs.none()
    return qs.filter(Q(organization__isnull=True) | _subtrees("organization__path", paths))


def visible_deliveries(user: Any, qs: models.QuerySet[Delivery]) -> models.QuerySet[Delivery]:
    paths = _admin_paths(user)
    if not paths:
        return qs.none()
    members = Membership.objects.filter(_subtrees("organization__path", paths)).values("user_id")
    return qs.filter(notification__recipient_id__in=members)


def may_manage_everyone(user: Any) -> bool:
    """Administrators of a top-level unit (or superusers) manage channels that reach everyone."""
    return bool(user.is_superuser) or any(trees.depth_of(p) == 1 for p in _admin_paths(user))


def can_on_channel(user: Any, action: str, channel: Channel) -> bool:
    if action == "view":
        return True
    if action != MANAGE:
        return False
    if channel.organization is None:
        return may_manage_everyone(user)
    return any(channel.organization.path.startswith(p) for p in _admin_paths(user))


def can_on_delivery(user: Any, action: str, delivery: Delivery) -> bool:
    return action in {"view", RETRY}  # visibility (an administrator over the recipient) decides


def can_on_notification(user: Any, action: str, notification: Notification) -> bool:
    return action in {"view", READ} and notification.recipient_id == user.pk


def register() -> None:
    policy.register_visibility(Notification, visible_notifications)
    policy.register_visibility(Channel, visible_channels)
    policy.register_visibility(Delivery, visible_deliveries)
    policy.register_actions(Notification, can_on_notification)
    policy.register_actions(Channel, can_on_channel)
    policy.register_actions(Delivery, can_on_delivery)
