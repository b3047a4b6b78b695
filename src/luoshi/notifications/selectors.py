"""Reads: a person's inbox and unread count, the channels and deliveries an administrator looks after."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core.errors import NotFound
from luoshi.notifications.models import Channel, Delivery, DeliveryStatus, Notification


def inbox(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    # One's own only, superusers included (the policy lets them see every row of other kinds).
    qs = access.visible(user, Notification.objects.filter(recipient=user)).select_related("task", "recipient")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def get_notification(user: Any, pk: int) -> Notification:
    found = inbox(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Not found."))
    return found


def channels(user: Any) -> QuerySet[Channel]:
    return access.visible(user, Channel.objects.all()).select_related("organization").order_by("name", "id")


def deliveries(user: Any, *, status: str | None = DeliveryStatus.FAILED) -> QuerySet[Delivery]:
    qs = access.visible(user, Delivery.objects.all()).select_related(
        "notification__recipient", "notification__task", "channel"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")
