"""The delivery worker's steps: plan deliveries for new notifications, claim the due ones, send, record.

Safe for several workers at once: on PostgreSQL each step locks its rows with ``FOR UPDATE SKIP LOCKED``
so that two workers never take the same rows; on SQLite, writes are serialised by the database (the
settings begin every transaction with an immediate write lock). A claimed delivery carries a lease in
``next_attempt_at``: a worker killed mid-send leaves it to be taken again when the lease ends, so every
committed notification is delivered at least once, and its idempotency key lets receivers drop repeats.

A failing channel never blocks the others: each message is sent and recorded on its own, and a
failure only moves that delivery's next attempt back (doubling the wait each time) until, after
``max_attempts``, it is marked failed for an administrator to see and retry.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi.notifications import channels, wording
from luoshi.notifications.models import (
    ROBOT_KINDS,
    Channel,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationStatus,
    Preference,
)
from luoshi.organizations.models import Membership
from luoshi.tasks.models import Priority

log = logging.getLogger(__name__)
RATE_WINDOW = timedelta(minutes=1)


def _config(name: str) -> int:
    return int(settings.LUOSHI_NOTIFICATIONS[name])


def _locked(qs: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """Rows no other worker holds, locked until this transaction ends (PostgreSQL); SQLite serialises
    writers by itself."""
    if connection.features.has_select_for_update_skip_locked:
        return qs.select_for_update(skip_locked=True, of=("self",))
    return qs


# --- planning -------------------------------------------------------------------------------------


# Urgings at these levels (luoshi.supervision) pass quiet hours: they come from the top of the ladder.
URGENT_URGING_LEVELS = frozenset({"order_red", "talk", "referral"})


def is_urgent(notification: Notification) -> bool:
    """Urgent news passes quiet hours: flagged so by the service, about an urgent task, or an urging from
    the top of the escalation ladder."""
    payload = notification.payload or {}
    if payload.get("urgent") or payload.get("level") in URGENT_URGING_LEVELS:
        return True
    task = notification.task
    return task is not None and task.priority == Priority.URGENT


def quiet_until(preference: Preference, now: datetime) -> datetime | None:
    """The end of the quiet period ``now`` falls in, or None outside quiet hours."""
    start, end = preference.quiet_from, preference.quiet_until
    if start is None or end is None or start == end:
        return None
    local = timezone.localtime(now)
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    ends = timezone.make_aware(datetime.combine(local.date(), end), local.tzinfo)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def _covers(channel: Channel, paths: Iterable[str]) -> bool:
    if channel.organization is None:
        return True
    return any(path.startswith(channel.organization.path) for path in paths)


def _delivery(notification: Notification, channel: Channel | None, due: datetime) -> Delivery:
    """The delivery of ``notification`` by email (``channel`` None) or through ``channel``."""
    name = "email" if channel is None else f"channel-{channel.pk}"
    return Delivery(
        notification=notification,
        kind=ChannelKind.EMAIL if channel is None else channel.kind,
        channel=channel,
        idempotency_key=f"{notification.pk}:{name}",
        next_attempt_at=due,
    )


def plan(*, limit: int, now: datetime) -> int:
    """Create the deliveries of up to ``limit`` notifications not planned yet; returns how many were
    planned. A fixed number of queries, however many notifications and channels."""
    with transaction.atomic():
        batch = list(
            _locked(Notification.objects.filter(planned_at__isnull=True))
            .select_related("recipient", "task")
            .order_by("created_at", "id")[:limit]
        )
        if not batch:
            return 0
        user_ids = {n.recipient_id for n in batch}
        preferences = {p.user_id: p for p in Preference.objects.filter(user_id__in=user_ids)}
        paths: dict[int, list[str]] = defaultdict(list)
        for user_id, path in Membership.objects.filter(
            user_id__in=user_ids, organization__is_active=True
        ).values_list("user_id", "organization__path"):
            paths[user_id].append(path)
        endpoints = list(Channel.objects.filter(is_active=True).select_related("organization"))
        deliveries: list[Delivery] = []
        for notification in batch:
            preference = preferences.get(notification.recipient_id) or Preference(
                user_id=notification.recipient_id
            )
            held = None if is_urgent(notification) else quiet_until(preference, now)
            due = held or now
            if preference.email and notification.recipient.email:
                deliveries.append(_delivery(notification, None, due))
            for endpoint in endpoints:
                if preference.wants(endpoint.kind) and _covers(endpoint, paths[notification.recipient_id]):
                    deliveries.append(_delivery(notification, endpoint, due))
        # A second planner of the same notification (impossible under the locks, but cheap to guard)
        # would collide on the idempotency keys and add nothing.
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        with_deliveries = {d.notification.pk for d in deliveries}
        ids = [n.pk for n in batch]
        Notification.objects.filter(pk__in=ids).update(planned_at=now)
        # The inbox entry is all there is for these: nothing more to deliver.
        Notification.objects.filter(pk__in=set(ids) - with_deliveries).update(
            status=NotificationStatus.SENT, sent_at=now
        )
    return len(batch)


# --- claiming and sending -------------------------------------------------------------------------


def claim(*, limit: int, now: datetime) -> list[Delivery]:
    """Take up to ``limit`` due deliveries for this worker: each counts an attempt and is leased."""
    lease_ends = now + timedelta(seconds=_config("lease_seconds"))
    with transaction.atomic():
        rows = list(
            _locked(Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now))
            .select_related("notification__recipient", "notification__task", "channel")
            .order_by("next_attempt_at", "id")[:limit]
        )
        if rows:
            Delivery.objects.filter(pk__in=[r.pk for r in rows]).update(
                next_attempt_at=lease_ends, attempts=F("attempts") + 1
            )
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = lease_ends
    return rows


@dataclass
class Outgoing:
    """One message to send and the deliveries it settles."""

    deliveries: list[Delivery]
    channel: Channel | None
    message: channels.Message
    digest: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _item(delivery: Delivery) -> channels.Item:
    notification = delivery.notification
    text = wording.render(notification)
    recipient = notification.recipient
    return channels.Item(
        key=delivery.idempotency_key,
        kind=notification.kind,
        headline=text.headline,
        reason=text.reason,
        url=text.url,
        recipient=recipient.display_name or recipient.username,
        task_id=notification.task_id,
    )


def _single(delivery: Delivery) -> Outgoing:
    item = _item(delivery)
    return Outgoing(
        deliveries=[delivery],
        channel=delivery.channel,
        message=channels.Message(key=delivery.idempotency_key, title=item.headline, items=[item]),
    )


def _digest(channel: Channel, deliveries: list[Delivery]) -> Outgoing:
    items = [_item(d) for d in deliveries]
    ids = sorted(d.pk for d in deliveries)
    with translation.override(settings.LANGUAGE_CODE):
        title = ngettext("Digest: %(count)d notification", "Digest: %(count)d notifications", len(items)) % {
            "count": len(items)
        }
    key = f"digest:{channel.pk}:{ids[0]}-{ids[-1]}:{len(ids)}"
    return Outgoing(
        deliveries=deliveries,
        channel=channel,
        message=channels.Message(key=key, title=title, items=items),
        digest=True,
    )


def _within_rate(
    channel: Channel, deliveries: list[Delivery], now: datetime
) -> tuple[list[Outgoing], list[Delivery]]:
    """Messages for one rate-limited channel: as many single messages as the minute allows, the rest of
    the allowance's last slot as one digest. Returns the messages and the deliveries left for the next
    minute. Reserves the slots on the channel row so that concurrent workers share one allowance."""
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        if locked.window_started_at is None or now - locked.window_started_at >= RATE_WINDOW:
            locked.window_started_at = now
            locked.window_count = 0
        budget = locked.max_per_minute - locked.window_count
        if budget <= 0:
            return [], deliveries
        if len(deliveries) <= budget:
            outgoing = [_single(d) for d in deliveries]
        else:
            outgoing = [_single(d) for d in deliveries[: budget - 1]]
            outgoing.append(_digest(channel, deliveries[budget - 1 :]))
        locked.window_count += len(outgoing)
        locked.save(update_fields=["window_started_at", "window_count"])
    return outgoing, []


def _postpone(deliveries: list[Delivery], until: datetime) -> None:
    """Hand back deliveries that were claimed but not tried (the minute's allowance was used up)."""
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        next_attempt_at=until, attempts=F("attempts") - 1
    )


def _send(outgoing: Outgoing) -> None:
    first = outgoing.deliveries[0]
    if first.kind == ChannelKind.EMAIL:
        channels.send_email(first.notification.recipient.email, outgoing.message)
        return
    channel = outgoing.channel
    if channel is None or not channel.is_active:
        raise channels.SendFailed(_("The channel was removed or switched off."))
    channels.SENDERS[ChannelKind(channel.kind)](channel, outgoing.message)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` tries: base, 2×base, 4×base, … up to the maximum."""
    seconds = _config("backoff_seconds") * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, _config("backoff_max_seconds")))


def _record_success(outgoing: Outgoing, now: datetime) -> None:
    status = DeliveryStatus.DIGESTED if outgoing.digest else DeliveryStatus.SENT
    Delivery.objects.filter(pk__in=[d.pk for d in outgoing.deliveries]).update(
        status=status, sent_at=now, last_error="", version=F("version") + 1
    )


def _record_failure(outgoing: Outgoing, error: str, now: datetime) -> None:
    max_attempts = _config("max_attempts")
    for delivery in outgoing.deliveries:
        if delivery.attempts >= max_attempts:
            changes: dict[str, Any] = {"status": DeliveryStatus.FAILED}
        else:
            changes = {"next_attempt_at": now + backoff(delivery.attempts)}
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
            last_error=error[:2000], version=F("version") + 1, **changes
        )
    log.warning("notification delivery failed: %s (%s)", outgoing.message.key, error)


def settle(notification_ids: Iterable[int], now: datetime) -> None:
    """Bring each notification's status in line with its deliveries: pending while any is pending,
    failed if any failed, otherwise sent."""
    ids = set(notification_ids)
    if not ids:
        return
    states: dict[int, set[str]] = defaultdict(set)
    for notification_id, status in Delivery.objects.filter(notification_id__in=ids).values_list(
        "notification_id", "status"
    ):
        states[notification_id].add(status)
    failed = [n for n, s in states.items() if DeliveryStatus.FAILED in s and DeliveryStatus.PENDING not in s]
    done = [n for n, s in states.items() if s and s <= {DeliveryStatus.SENT, DeliveryStatus.DIGESTED}]
    pending = [n for n, s in states.items() if DeliveryStatus.PENDING in s]
    Notification.objects.filter(pk__in=failed).update(status=NotificationStatus.FAILED)
    Notification.objects.filter(pk__in=done).exclude(status=NotificationStatus.SENT).update(
        status=NotificationStatus.SENT, sent_at=now
    )
    Notification.objects.filter(pk__in=pending).exclude(status=NotificationStatus.PENDING).update(
        status=NotificationStatus.PENDING
    )
    # ``attempts`` and ``last_error`` on the notification show the worst of its deliveries.
    for notification_id, attempts, error in Delivery.objects.filter(notification_id__in=failed).values_list(
        "notification_id", "attempts", "last_error"
    ):
        Notification.objects.filter(pk=notification_id).update(attempts=attempts, last_error=error)


def run(*, limit: int, now: datetime | None = None) -> int:
    """One round: plan, claim, send, record. Returns how many deliveries went out."""
    # A given ``now`` (tests, replays) stands for every moment of the round; otherwise the clock runs.
    fixed = now
    now = now or timezone.now()

    def moment() -> datetime:
        return fixed or timezone.now()

    plan(limit=limit, now=now)
    claimed = claim(limit=limit, now=now)
    if not claimed:
        return 0
    outgoing: list[Outgoing] = []
    by_channel: dict[int, tuple[Channel, list[Delivery]]] = {}
    for delivery in claimed:
        channel = delivery.channel
        if channel is not None and channel.kind in ROBOT_KINDS and channel.max_per_minute > 0:
            by_channel.setdefault(channel.pk, (channel, []))[1].append(delivery)
        else:
            outgoing.append(_single(delivery))
    for channel, group in by_channel.values():
        messages, later = _within_rate(channel, group, now)
        outgoing.extend(messages)
        if later:
            window_start = Channel.objects.values_list("window_started_at", flat=True).get(pk=channel.pk)
            _postpone(later, (window_start or now) + RATE_WINDOW)
    sent = 0
    for item in outgoing:
        try:
            _send(item)
        except channels.SendFailed as exc:
            _record_failure(item, str(exc), moment())
        else:
            _record_success(item, moment())
            sent += len(item.deliveries)
    settle({d.notification_id for d in claimed}, moment())
    return sent
