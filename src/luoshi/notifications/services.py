"""Notification use cases: delivering the outbox, notices to people, the inbox, channels, preferences.

Each function is one use case, atomic, and audited when it changes what an administrator or a person
configured. ``deliver_pending`` is the worker's entry point (Celery beat and the demo's scheduler).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import time
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core.errors import Conflict, NotAllowed, NotFound
from luoshi.core.validation import check_version, invalid, snapshot, validate_model
from luoshi.notifications import channels, delivery, rules
from luoshi.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationStatus,
    Preference,
)
from luoshi.organizations.models import Membership, Organization, User
from luoshi.tasks.models import Task

CHANNEL_FIELDS = ("name", "kind", "url", "organization_id", "is_active", "max_per_minute")
PREFERENCE_FIELDS = ("email", "webhook", "dingtalk", "wecom", "quiet_from", "quiet_until")


# --- the worker -----------------------------------------------------------------------------------


def deliver_pending(*, limit: int = 200) -> int:
    """Plan deliveries for new notifications and send up to ``limit`` due ones; returns how many went
    out. Safe to run in several workers at once (see ``luoshi.notifications.delivery``)."""
    return delivery.run(limit=limit)


# --- writing notifications ------------------------------------------------------------------------


def queue_for_users(
    *,
    kind: str,
    users: Iterable[User | int],
    key: str,
    payload: dict[str, Any] | None = None,
    task: Task | None = None,
    exclude: int | None = None,
) -> int:
    """Queue one notification per person for a notice that is not (only) about a task's workflow, e.g.
    an urging or a look-back due. Call it inside the service's transaction; ``key`` names the event
    uniquely (the recipient is appended). Payload keys ``headline`` (text for notices without a task),
    ``reason``, ``path`` (a link inside Luoshi) and ``urgent`` (passes quiet hours) are understood."""
    ids = sorted({u if isinstance(u, int) else u.pk for u in users} - ({exclude} if exclude else set()))
    body = dict(payload or {})
    if task is not None:
        body = {"task_id": task.pk, "title": task.title, "status": task.status, **body}
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=uid, kind=kind, task=task, payload=body, idempotency_key=f"{key}:{uid}")
            for uid in ids
        ]
    )
    return len(ids)


# The columns a query handed to ``queue_for_rows`` names its events by.
EVENT_COLUMNS = ("event_task", "event_key", "event_kind", "event_payload")


def _recipients(
    unit_columns: Sequence[str], roles: Sequence[str], person_columns: Sequence[str], select: str
) -> tuple[list[str], list[Any]]:
    """The branches of a ``UNION ALL`` that give each row of the query named ``events`` its recipients:
    ``select`` is the list of columns of each branch, ``{recipient}`` in it naming the recipient's id.
    One branch per source of recipients (see ``queue_for_rows``)."""
    quote = connection.ops.quote_name
    membership = quote(Membership._meta.db_table)
    person = quote(User._meta.db_table)
    branches: list[str] = []
    params: list[Any] = []
    if unit_columns and roles:
        in_roles = ", ".join(["%s"] * len(roles))
        for column in unit_columns:
            branches.append(
                f"SELECT {select.format(recipient='m.user_id')} FROM events e"  # noqa: S608 -- names from the models, values bound
                f" JOIN {membership} m ON m.organization_id = e.{quote(column)}"
                f" JOIN {person} p ON p.id = m.user_id"
                f" WHERE p.is_active AND m.role IN ({in_roles})"
            )
            params.extend(roles)
    for column in person_columns:
        recipient = f"e.{quote(column)}"
        branch = f"SELECT {select.format(recipient=recipient)} FROM events e WHERE {recipient} IS NOT NULL"  # noqa: S608 -- names from the models
        if unit_columns and roles:
            # A person the units' branches reach already (a task's handler is usually one of its unit's
            # handlers) is left out here, rather than written twice for the unique key to turn away.
            units = ", ".join(f"e.{quote(c)}" for c in unit_columns)
            branch += (
                f" AND NOT EXISTS (SELECT 1 FROM {membership} m JOIN {person} p ON p.id = m.user_id"  # noqa: S608 -- names from the models, values bound
                f" WHERE m.user_id = {recipient} AND m.organization_id IN ({units}) AND p.is_active"
                f" AND m.role IN ({', '.join(['%s'] * len(roles))}))"
            )
            params.extend(roles)
        branches.append(branch)
    return branches, params


def queue_for_rows(
    *,
    events: QuerySet[Any],
    unit_columns: Sequence[str] = (),
    roles: Sequence[str] = (),
    person_columns: Sequence[str] = (),
) -> int:
    """Queue, in one ``INSERT … SELECT``, what ``tasks.notify.queue`` would for each row of ``events``:
    for the daily sweep, which meets hundreds of thousands of events at once, so that no Python runs per
    event or per recipient.

    ``events`` is a ``values()`` query with the columns ``EVENT_COLUMNS`` (the task's id, the event's
    key, its kind and its payload, the latter usually a ``JSONObject``), plus the columns named in
    ``unit_columns`` (unit ids; the active people with one of ``roles`` there hear about the event) and
    ``person_columns`` (person ids, who hear about it whatever their state, as ``notify.queue`` does);
    a null id names nobody. Each recipient's idempotency key is the event's key and their id, so an event
    queued before is skipped (``ON CONFLICT DO NOTHING``). Returns how many notifications were queued.
    """
    sql, params = events.order_by().query.sql_with_params()
    # A person named twice for one event (the handler is usually one of the unit's handlers too) makes
    # the same key twice, and ON CONFLICT keeps the first: cheaper than UNION's sort or hash over every
    # row. The constant columns are bound once, in the outer SELECT.
    branches, branch_params = _recipients(
        unit_columns,
        roles,
        person_columns,
        "{recipient} AS recipient_id, e.event_kind, e.event_task, e.event_payload,"
        " e.event_key || ':' || CAST({recipient} AS TEXT) AS event_key",
    )
    if not branches:
        return 0
    table = connection.ops.quote_name(Notification._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # Every branch ends in a WHERE, which SQLite needs to tell the upsert's ON from a join's.
    statement = (
        f"WITH events AS ({sql}) INSERT INTO {table} (recipient_id, kind, task_id, payload,"  # noqa: S608 -- a compiled query, names from the models, values bound
        " idempotency_key, status, attempts, last_error, created_at)"
        " SELECT r.recipient_id, r.event_kind, r.event_task, r.event_payload, r.event_key, %s, 0, '', %s"
        f" FROM ({' UNION ALL '.join(branches)}) r WHERE true"
        " ON CONFLICT (idempotency_key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, NotificationStatus.PENDING, now, *branch_params])
        return max(cursor.rowcount, 0)


def count_by_recipient(
    *,
    events: QuerySet[Any],
    unit_columns: Sequence[str] = (),
    roles: Sequence[str] = (),
    person_columns: Sequence[str] = (),
) -> list[tuple[int, Any, int, int]]:
    """For a digest: who would hear of the rows of ``events`` (the recipients of ``queue_for_rows``),
    counted by recipient and group. ``events`` is a ``values()`` query with the columns ``event_id``
    and ``event_group`` plus the recipients' columns. Returns ``(recipient, group, rows, first row's id)``
    tuples, one query whatever the number of rows; a person named twice for one row counts it once."""
    sql, params = events.order_by().query.sql_with_params()
    branches, branch_params = _recipients(
        unit_columns, roles, person_columns, "{recipient} AS recipient_id, e.event_group, e.event_id"
    )
    if not branches:
        return []
    statement = (
        f"WITH events AS ({sql}) SELECT r.recipient_id, r.event_group, COUNT(DISTINCT r.event_id),"  # noqa: S608 -- a compiled query, names from the models, values bound
        f" MIN(r.event_id) FROM ({' UNION ALL '.join(branches)}) r"
        " GROUP BY r.recipient_id, r.event_group ORDER BY r.recipient_id, r.event_group"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *branch_params])
        return [tuple(row) for row in cursor.fetchall()]


# --- the inbox ------------------------------------------------------------------------------------


def mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one of one's own notifications read (reading is not audited: it changes nothing shared)."""
    # An inbox is its owner's alone, even for superusers (whom the policy lets see everything else).
    if notification.recipient_id != actor.pk:
        raise NotFound(_("Not found."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


# --- channels -------------------------------------------------------------------------------------


def _check_channel(actor: User, channel: Channel) -> None:
    validate_model(channel, exclude=["organization"])
    if not channels.host_allowed(channel.url):
        raise invalid(
            {
                "url": [
                    _(
                        "Only hosts on the webhook allowlist (LUOSHI_WEBHOOK_ALLOWLIST) can be reached: "
                        "%(hosts)s"
                    )
                    % {"hosts": ", ".join(channels_allowlist())}
                ]
            }
        )
    # Asked of the rule itself: an unsaved channel has no row for the policy's visibility check.
    if not (actor.is_superuser or rules.can_on_channel(actor, rules.MANAGE, channel)):
        raise NotAllowed(_("You are not allowed to do this."))


def channels_allowlist() -> list[str]:
    return list(settings.LUOSHI_WEBHOOK_ALLOWLIST)


def _unit(actor: User, organization: Organization | None) -> None:
    if (
        organization is not None
        and not access.visible(actor, Organization.objects.filter(pk=organization.pk)).exists()
    ):
        raise invalid({"organization": [_("Choose a unit you administer.")]})


@transaction.atomic
def channel_create(
    *,
    actor: User,
    name: str,
    kind: str,
    url: str,
    secret: str = "",
    organization: Organization | None = None,
    is_active: bool = True,
    max_per_minute: int = 20,
) -> Channel:
    _unit(actor, organization)
    channel = Channel(
        name=name.strip(),
        kind=kind,
        url=url.strip(),
        secret=secret.strip(),
        organization=organization,
        is_active=is_active,
        max_per_minute=max_per_minute,
    )
    _check_channel(actor, channel)
    channel.save()
    audit.record(
        actor=actor,
        action="notification_channel.create",
        obj=channel,
        changes=snapshot(channel, CHANNEL_FIELDS),
    )
    return channel


@transaction.atomic
def channel_update(*, actor: User, channel: Channel, version: int | None, **fields: Any) -> Channel:
    """Change a channel's settings. ``secret`` is replaced only when a new one is given (it is never shown
    again after it is saved); ``clear_secret=True`` removes it."""
    locked = Channel.objects.select_for_update(of=("self",)).select_related("organization").get(pk=channel.pk)
    access.require(actor, rules.MANAGE, locked)
    check_version(locked, version)
    before = snapshot(locked, CHANNEL_FIELDS)
    if "organization" in fields:
        _unit(actor, fields["organization"])
    for name in ("name", "kind", "url", "organization", "is_active", "max_per_minute"):
        if name in fields:
            value = fields[name]
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
    secret_changed = False
    if fields.get("clear_secret"):
        locked.secret, secret_changed = "", True
    elif fields.get("secret"):
        locked.secret, secret_changed = str(fields["secret"]).strip(), True
    _check_channel(actor, locked)
    locked.version += 1
    locked.save()
    after = snapshot(locked, CHANNEL_FIELDS)
    changes: dict[str, Any] = {k: [before[k], after[k]] for k in CHANNEL_FIELDS if before[k] != after[k]}
    if secret_changed:
        changes["secret"] = "changed"  # noqa: S105 (a marker: the secret itself is never recorded)
    audit.record(actor=actor, action="notification_channel.update", obj=locked, changes=changes)
    return locked


@transaction.atomic
def channel_delete(*, actor: User, channel: Channel, version: int | None) -> None:
    """Remove a channel; its pending deliveries go with it (delivered and failed ones too)."""
    locked = Channel.objects.select_for_update(of=("self",)).select_related("organization").get(pk=channel.pk)
    access.require(actor, rules.MANAGE, locked)
    check_version(locked, version)
    audit.record(
        actor=actor,
        action="notification_channel.delete",
        obj=locked,
        changes=snapshot(locked, CHANNEL_FIELDS),
    )
    locked.delete()


# --- deliveries -----------------------------------------------------------------------------------


@transaction.atomic
def delivery_retry(*, actor: User, delivery_row: Delivery, version: int | None) -> Delivery:
    """Send a failed delivery again, from a fresh count of attempts (the last error stays until then)."""
    locked = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("notification")
        .get(pk=delivery_row.pk)
    )
    access.require(actor, rules.RETRY, locked)
    check_version(locked, version)
    if locked.status != DeliveryStatus.FAILED:
        raise Conflict(_("Only a failed delivery can be retried."))
    locked.status = DeliveryStatus.PENDING
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "attempts", "next_attempt_at", "version"])
    Notification.objects.filter(pk=locked.notification_id).update(status=NotificationStatus.PENDING)
    audit.record(
        actor=actor,
        action="notification_delivery.retry",
        obj=locked,
        changes={"status": [DeliveryStatus.FAILED, DeliveryStatus.PENDING], "last_error": locked.last_error},
    )
    return locked


# --- preferences ----------------------------------------------------------------------------------


def preference_of(user: User) -> Preference:
    """The person's preference, or the defaults (unsaved) when they never chose."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


@transaction.atomic
def preference_update(
    *,
    actor: User,
    version: int | None,
    email: bool,
    webhook: bool,
    dingtalk: bool,
    wecom: bool,
    quiet_from: time | None,
    quiet_until: time | None,
) -> Preference:
    """Change one's own channels and quiet hours (both ends of the quiet period, or neither)."""
    preference, _created = Preference.objects.select_for_update().get_or_create(user=actor)
    if not _created:
        check_version(preference, version)
    if (quiet_from is None) != (quiet_until is None):
        missing = "quiet_until" if quiet_until is None else "quiet_from"
        raise invalid({missing: [_("Give both the start and the end of the quiet hours, or neither.")]})
    if quiet_from is not None and quiet_from == quiet_until:
        raise invalid({"quiet_until": [_("The quiet hours must end at another time than they start.")]})
    before = snapshot(preference, PREFERENCE_FIELDS)
    preference.email, preference.webhook, preference.dingtalk, preference.wecom = (
        email,
        webhook,
        dingtalk,
        wecom,
    )
    preference.quiet_from, preference.quiet_until = quiet_from, quiet_until
    if not _created:
        preference.version += 1
    preference.save()
    after = snapshot(preference, PREFERENCE_FIELDS)
    audit.record(
        actor=actor,
        action="notification_preference.update",
        obj=preference,
        changes={k: [before[k], after[k]] for k in PREFERENCE_FIELDS if before[k] != after[k] or _created},
    )
    return preference
