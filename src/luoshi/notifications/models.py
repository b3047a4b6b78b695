"""The notification outbox (DESIGN §5), its deliveries, the channels they go through, and preferences.

Services write ``Notification`` rows in the same transaction as the change that causes them, so a
notification exists exactly when its change was committed. The row is at once the recipient's in-app inbox
entry. Workers (``luoshi.notifications.delivery``) then plan one ``Delivery`` per further channel (email,
webhooks, robots) and send them with retries; each delivery carries an idempotency key (notification and
channel) that receivers use to recognise a redelivery.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.core.fields import EncryptedTextField, EncryptedURLField


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """One message to one person about one change (e.g. "a task was assigned to your unit")."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        # The inbox index starts with the recipient and serves every lookup by recipient.
        db_index=False,
        # No foreign key in the database (the ORM still cascades a deletion): a night's sweep writes
        # hundreds of thousands of notifications from rows it has just read, and checking each one's
        # person and task again at commit cost more than writing them. Notifications are the outbox
        # of what happened, not its record: the audit trail is.
        db_constraint=False,
    )
    # Dotted event name, e.g. "task.assign"; channels choose the wording and template by it.
    kind = models.CharField(_("kind"), max_length=64)
    task = models.ForeignKey(
        "tasks.Task",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("task"),
        db_constraint=False,
    )
    payload = models.JSONField(_("payload"), default=dict)
    # Unique by a constraint rather than ``unique=True``: on PostgreSQL the latter adds a second index
    # for LIKE lookups that nothing makes, and a first sweep writes millions of keys.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # When the worker created this notification's deliveries (null: not yet planned).
    planned_at = models.DateTimeField(_("planned at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="notification_idempotency_key_uniq"),
        ]
        # Every index is written on every notification, and a first sweep writes millions: only those a
        # query uses. Inboxes list a person's newest first; workers plan the unplanned oldest first.
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread_idx"
            ),
            models.Index(
                fields=["created_at"],
                condition=models.Q(planned_at__isnull=True),
                name="notification_unplanned_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook (JSON)")
    DINGTALK = "dingtalk", _("DingTalk robot")
    WECOM = "wecom", _("WeCom robot")


# Kinds that post to a shared endpoint configured as a ``Channel`` row (email goes to each person).
ENDPOINT_KINDS = (ChannelKind.WEBHOOK, ChannelKind.DINGTALK, ChannelKind.WECOM)
ROBOT_KINDS = (ChannelKind.DINGTALK, ChannelKind.WECOM)


class Channel(models.Model):
    """An endpoint that receives the notifications of the people in one unit's subtree (or of everyone):
    a generic JSON webhook, a DingTalk group robot or a WeCom group robot."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=[(k.value, k.label) for k in ENDPOINT_KINDS])
    # Encrypted too: DingTalk robots carry their access token in the address, WeCom robots their key.
    url = EncryptedURLField(_("address"), max_length=500)
    # The signing secret (webhook HMAC key, DingTalk "加签" secret).
    # Encrypted at rest (luoshi.core.fields), under a key kept outside the database.
    secret = EncryptedTextField(_("secret"), max_length=200, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_channels",
        verbose_name=_("unit"),
        help_text=_("Notifications for people in this unit and the units below it; empty means everyone."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Robots accept about 20 messages a minute; beyond that the rest of a minute is sent as one digest.
    max_per_minute = models.PositiveSmallIntegerField(
        _("messages per minute"), default=20, help_text=_("0 means no limit.")
    )
    # The current rate window: when it began and how many messages were sent in it.
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    # Sent as part of a digest message that summarised several notifications.
    DIGESTED = "digested", _("Sent in a digest")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One notification through one channel: attempts, the next try, and the last error."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notification")
    )
    kind = models.CharField(_("channel kind"), max_length=16, choices=ChannelKind.choices)
    channel = models.ForeignKey(
        Channel,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("channel"),
    )
    # "<notification id>:<channel>", sent with every attempt so that receivers drop repeats.
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Due time of the next attempt; while an attempt runs, the end of its lease (a worker that dies
    # mid-send leaves the row to be picked up again once the lease ends).
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_queue_idx"),
            models.Index(fields=["channel", "status", "sent_at"], name="delivery_channel_idx"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class Preference(models.Model):
    """How one person wants to hear: which channels, and quiet hours when only urgent news gets through.

    Without a row, every channel is on and there are no quiet hours. The in-app inbox is always on.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("person"),
    )
    email = models.BooleanField(_("email"), default=True)
    webhook = models.BooleanField(_("webhooks"), default=True)
    dingtalk = models.BooleanField(_("DingTalk"), default=True)
    wecom = models.BooleanField(_("WeCom"), default=True)
    # Local time (TIME_ZONE); a period may run over midnight (e.g. 22:00–07:00).
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    def wants(self, kind: str) -> bool:
        return bool(getattr(self, kind, False))
