"""Reading the audit trail for pages and the API, newest first."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from luoshi.access import visible
from luoshi.access.policy import can_view_audit
from luoshi.audit.models import AuditEvent


def visible_events(user: Any, qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Visibility rule for ``luoshi.access.visible`` (registered in ``AuditConfig.ready``).

    The trail is read whole or not at all: by the people ``can_view_audit`` names. Scoping it by unit
    would hide the events that matter most to an auditor, such as a unit moved out of a subtree.
    """
    return qs if can_view_audit(user) else qs.none()


def events_for_object(object_type: str, object_id: str | int) -> QuerySet[AuditEvent]:
    """The history of one object (``object_type`` is a model label such as ``organizations.organization``).

    Not narrowed by user: the caller decides who may read an object's history.
    """
    return (
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id))
        .select_related("actor")
        .order_by("-seq")
    )


def recent_events(
    user: Any,
    *,
    object_type: str = "",
    object_id: str | int = "",
    action: str = "",
    before_seq: int | None = None,
) -> QuerySet[AuditEvent]:
    """Events ``user`` may read, newest first, optionally about one object or of one action.

    ``before_seq`` is the cursor for the next page: events older than the last one shown. The result is
    empty for anyone who may not read the trail.
    """
    qs = visible(user, AuditEvent.objects.select_related("actor").order_by("-seq"))
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id != "":
        qs = qs.filter(object_id=str(object_id))
    if action:
        qs = qs.filter(action=action)
    if before_seq is not None:
        qs = qs.filter(seq__lt=before_seq)
    return qs
