"""Urgings and the escalation ladder (DESIGN §5).

An ``Urging`` is one act of chasing a task: a reminder before the deadline, an urging notice when it is
overdue, a supervision order (blue, orange, red) to the responsible leader, an admonition talk, an
accountability referral. Supervisors issue them by hand; the daily sweep (``services.sweep``) issues them
by the ``EscalationRule`` rows, which an administrator edits. ``SweepMark`` and ``AnnouncedLight`` are the
sweep's memory of what it has already done, so that running it twice on a day does nothing new.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.organizations.models import Organization


class UrgingLevel(models.TextChoices):
    """The rungs of the ladder, mildest first (``LADDER`` keeps this order)."""

    REMINDER = "reminder", _("Reminder")
    NOTICE = "notice", _("Urging notice")
    ORDER_BLUE = "order_blue", _("Supervision order (blue)")
    ORDER_ORANGE = "order_orange", _("Supervision order (orange)")
    ORDER_RED = "order_red", _("Supervision order (red)")
    TALK = "talk", _("Admonition talk")
    REFERRAL = "referral", _("Accountability referral")


LADDER: tuple[str, ...] = tuple(UrgingLevel.values)


def level_rank(level: str) -> int:
    """0 for a reminder, rising with severity."""
    return LADDER.index(level)


def levels_from(level: str) -> list[str]:
    """``level`` and every level above it."""
    return list(LADDER[level_rank(level) :])


class UrgingStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Recipients(models.TextChoices):
    """Who an urging of a rule goes to (the lead unit is always the unit addressed)."""

    HANDLER = "handler", _("The handler")
    LEAD_UNIT = "lead_unit", _("The handler and the unit head")
    LEADER = "leader", _("The responsible leader and the unit head")


class EscalationRule(models.Model):
    """One rung of the escalation ladder, as data: when the sweep issues an urging of ``level``.

    ``days_after_due`` counts working days: negative before the due date (a reminder three working days
    before is -3), 0 as soon as the task is overdue, 5 when it has been overdue for five working days.
    Urgent tasks use ``urgent_days_after_due`` when it is set, so they can start higher on the ladder.
    """

    level = models.CharField(_("level"), max_length=16, choices=UrgingLevel.choices, unique=True)
    days_after_due = models.SmallIntegerField(_("working days after the due date"))
    urgent_days_after_due = models.SmallIntegerField(
        _("working days after the due date (urgent tasks)"), null=True, blank=True
    )
    # Working days the lead unit has to answer; reminders need no answer.
    respond_working_days = models.PositiveSmallIntegerField(
        _("working days to answer"), null=True, blank=True
    )
    recipients = models.CharField(
        _("sent to"), max_length=16, choices=Recipients.choices, default=Recipients.LEAD_UNIT
    )
    is_active = models.BooleanField(_("in use"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        ordering = ["days_after_due", "id"]

    def __str__(self) -> str:
        return str(UrgingLevel(self.level).label)

    @property
    def rank(self) -> int:
        return level_rank(self.level)


class UrgingQuerySet(models.QuerySet["Urging"]):
    def open(self) -> UrgingQuerySet:
        return self.filter(status=UrgingStatus.OPEN)

    def unanswered_past(self, today: object) -> UrgingQuerySet:
        """Open urgings whose respond-by date has passed: each turns its task red."""
        return self.open().filter(respond_by__lt=today)


# NO_DB_CONSTRAINT: references that the database does not check itself. A night's sweep writes tens of
# thousands of urgings, announced lights and marks at once, each row read from the very rows it refers
# to; PostgreSQL then checked every reference again at commit, locking each referenced row (4 to 6 s of
# a province's nightly sweep). The ORM still protects, cascades and sets null as declared; units, people
# and rules are never deleted, only deactivated, and tasks never (cancelled instead). Each urging's task,
# unit and person are also in its audit event, which the hash chain keeps as written.


class Urging(models.Model):
    """One urging (催办/督办) on a task: its level, reason, addressee, respond-by date and answer."""

    # The indexes below that start with the task and with the unit serve their lookups (one index less
    # each for every urging written).
    task = models.ForeignKey(
        "tasks.Task",
        on_delete=models.PROTECT,
        related_name="urgings",
        verbose_name=_("task"),
        db_index=False,
        # See ``NO_DB_CONSTRAINT``.
        db_constraint=False,
    )
    level = models.CharField(_("level"), max_length=16, choices=UrgingLevel.choices)
    reason = models.TextField(_("reason"))
    # Empty when the sweep issued it by rule.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        # Indexed in Meta where set: the sweep's urgings have no issuer, and none has an answer at first.
        db_index=False,
        # No foreign key in the database (the ORM still protects and cascades): see ``NO_DB_CONSTRAINT``.
        db_constraint=False,
        verbose_name=_("issued by"),
    )
    rule = models.ForeignKey(
        EscalationRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="urgings",
        # No index: nothing looks urgings up by rule, and rules are never deleted (only set out of use).
        db_index=False,
        # No foreign key in the database (the ORM still protects and cascades): see ``NO_DB_CONSTRAINT``.
        db_constraint=False,
        verbose_name=_("rule"),
    )
    issued_on = models.DateField(_("issued on"))
    # The task's due date when the urging was issued: an extension restarts the ladder.
    task_due_on = models.DateField(_("task due date"))
    to_org = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("to unit"),
        db_index=False,
        db_constraint=False,
    )
    to_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="urgings_received",
        # No foreign key in the database (the ORM still protects and cascades): see ``NO_DB_CONSTRAINT``.
        db_constraint=False,
        verbose_name=_("to person"),
    )
    respond_by = models.DateField(_("answer by"), null=True, blank=True)
    response = models.TextField(_("answer"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        # Indexed in Meta where set: the sweep's urgings have no issuer, and none has an answer at first.
        db_index=False,
        # No foreign key in the database (the ORM still protects and cascades): see ``NO_DB_CONSTRAINT``.
        db_constraint=False,
        verbose_name=_("answered by"),
    )
    responded_on = models.DateField(_("answered on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=UrgingStatus.choices, default=UrgingStatus.OPEN
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_note = models.TextField(_("closing note"), blank=True)
    # Names the sweep's act ("sweep:<task>:<level>:<due date>") so that it is done once; empty by hand.
    # Unique by a constraint (below) rather than ``unique=True``, which on PostgreSQL adds a second index
    # for LIKE lookups that nothing makes: one index less to write for every urging of a night's sweep.
    sweep_key = models.CharField(_("sweep key"), max_length=120, null=True, blank=True)  # noqa: DJ001 -- NULL for every hand urging, which an empty key would make collide
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = UrgingQuerySet.as_manager()

    class Meta:
        verbose_name = _("urging")
        verbose_name_plural = _("urgings")
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["status", "respond_by"], name="urging_status_respond_idx"),
            models.Index(fields=["task", "status"], name="urging_task_status_idx"),
            models.Index(fields=["to_org", "status"], name="urging_org_status_idx"),
            *(
                models.Index(
                    fields=[name], name=f"urging_{name}_idx", condition=Q(**{f"{name}__isnull": False})
                )
                for name in ("issued_by", "responded_by")
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["sweep_key"], name="urging_sweep_key_uniq"),
            models.CheckConstraint(
                condition=Q(respond_by__isnull=True) | Q(respond_by__gte=models.F("issued_on")),
                name="urging_respond_after_issue",
            ),
            models.CheckConstraint(
                condition=~Q(status="answered") | Q(responded_on__isnull=False),
                name="urging_answered_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{UrgingLevel(self.level).label} · {self.task}"

    @property
    def rank(self) -> int:
        return level_rank(self.level)

    @property
    def is_order(self) -> bool:
        return self.level in (UrgingLevel.ORDER_BLUE, UrgingLevel.ORDER_ORANGE, UrgingLevel.ORDER_RED)

    def is_overdue(self, today: object) -> bool:
        return (
            self.status == UrgingStatus.OPEN and self.respond_by is not None and today > self.respond_by  # type: ignore[operator]
        )


class SweepMark(models.Model):
    """A notice the sweep has sent (e.g. "report missing on task 7 for the report due 2024-03-05"): the
    key is unique, so a second sweep on the same facts finds it and sends nothing."""

    # Unique by a constraint (see ``Urging.sweep_key``).
    key = models.CharField(_("key"), max_length=160)
    kind = models.CharField(_("kind"), max_length=40)
    task = models.ForeignKey(
        "tasks.Task",
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("task"),
        # Bookkeeping of the sweep, not a record: see ``NO_DB_CONSTRAINT``.
        db_constraint=False,
    )
    swept_on = models.DateField(_("swept on"))

    class Meta:
        verbose_name = _("sweep mark")
        verbose_name_plural = _("sweep marks")
        constraints = [models.UniqueConstraint(fields=["key"], name="sweep_mark_key_uniq")]

    def __str__(self) -> str:
        return self.key


class AnnouncedLight(models.Model):
    """The own light of a task that the sweep last announced to its lead unit; a task "enters" a light
    when its own light differs from this row (or there is none)."""

    task = models.OneToOneField(
        "tasks.Task",
        on_delete=models.CASCADE,
        related_name="+",
        primary_key=True,
        verbose_name=_("task"),
        # Bookkeeping of the sweep, not a record: see ``NO_DB_CONSTRAINT``.
        db_constraint=False,
    )
    light = models.CharField(_("light"), max_length=8)
    since = models.DateField(_("since"))

    class Meta:
        verbose_name = _("announced light")
        verbose_name_plural = _("announced lights")

    def __str__(self) -> str:
        return f"{self.task_id}: {self.light}"
