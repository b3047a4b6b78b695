"""Tasks at every level, their milestones and progress reports, and the requests and records of their
workflow (DESIGN §4, §6).

State changes go through ``luoshi.tasks.workflow`` (one service per transition); the derived columns
(``progress``, ``own_light``, ``light`` …) are written only by ``luoshi.tasks.rollup``.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from luoshi.core import trees
from luoshi.organizations.models import Organization


class TaskStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    UNDER_REVIEW = "under_review", _("Under review")
    RETURNED = "returned", _("Returned for rework")
    PUBLIC_NOTICE = "public_notice", _("Public notice")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class TaskAction(models.TextChoices):
    """The transitions of the workflow (see ``luoshi.tasks.workflow.TRANSITIONS``)."""

    ASSIGN = "assign", _("assign")
    START = "start", _("start")
    ACKNOWLEDGE = "acknowledge", _("acknowledge")
    SEND_BACK = "send_back", _("send back")
    TRANSFER = "transfer", _("transfer")
    REQUEST_COMPLETION = "request_completion", _("request completion")
    ACCEPT = "accept", _("accept")
    REJECT = "reject", _("reject")
    OBJECT = "object", _("record an objection")
    CONCLUDE_NOTICE = "conclude_notice", _("close after the public notice")
    CANCEL = "cancel", _("cancel")
    REOPEN = "reopen", _("reopen")


OPEN_STATUSES = frozenset(TaskStatus) - {TaskStatus.CLOSED, TaskStatus.CANCELLED}
# States in which the lead unit is working and owes reports in its cadence.
REPORTING_STATUSES = frozenset({TaskStatus.IN_PROGRESS, TaskStatus.RETURNED})


class Light(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    BLUE = "blue", _("Blue")
    GREEN = "green", _("Green")
    CLOSED = "closed", _("Closed")
    # A cancelled task has no light and does not count in its parent's.
    NONE = "none", _("No light")


class ReportCadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    NONE = "none", _("No regular reports")


class Priority(models.IntegerChoices):
    NORMAL = 1, _("Normal")
    IMPORTANT = 2, _("Important")
    URGENT = 3, _("Urgent")


class Tag(models.Model):
    """A free label on tasks (e.g. 民生实事, 营商环境), shared across the deployment."""

    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskQuerySet(models.QuerySet["Task"]):
    # A count already known for exactly this query (``with_known_count``). Every clone (filter, order,
    # slice) drops it, since Django copies only its own attributes: a narrowed query counts itself.
    _known_count: int | None = None

    def with_known_count(self, n: int) -> TaskQuerySet:
        """This query, answering ``count()`` with ``n`` (from the summaries) instead of counting rows."""
        clone = self.all()
        clone._known_count = n
        return clone

    def count(self) -> int:
        if self._known_count is not None and self._result_cache is None:
            return self._known_count
        return super().count()

    def led_under(self, org: Organization) -> TaskQuerySet:
        """Tasks whose lead unit is ``org`` or a unit below it: one range scan on ``lead_org_path``."""
        return self.filter(trees.subtree_q("lead_org_path", org.path))

    def subtree_of(self, task: Task) -> TaskQuerySet:
        return self.filter(trees.subtree_q("path", task.path))

    def ancestors_of(self, task: Task) -> TaskQuerySet:
        return self.filter(pk__in=trees.ids_in_path(task.path)[:-1])

    def roots(self) -> TaskQuerySet:
        return self.filter(parent__isnull=True)

    def open(self) -> TaskQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, today: date) -> TaskQuerySet:
        return self.open().filter(due_on__lt=today)

    def leaves(self) -> TaskQuerySet:
        """Tasks with no subtask that counts (cancelled subtasks do not)."""
        active_children = Task.objects.filter(parent=models.OuterRef("pk")).exclude(
            status=TaskStatus.CANCELLED
        )
        return self.filter(~models.Exists(active_children))

    def report_missing(self, today: date) -> TaskQuerySet:
        """Leaves being worked on whose report for the current period has not come by its due date."""
        return self.leaves().filter(status__in=REPORTING_STATUSES, next_report_due__lt=today)


class Task(models.Model):
    """A piece of work with one lead unit, a deadline and an expected outcome; subtasks form a tree.

    The tree is a parent key plus a materialized path (``luoshi.core.trees``), like organisations;
    ``lead_org_path`` copies the lead unit's path so that everything under a unit is one range scan.
    """

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        # Indexed explicitly in Meta with the other hot paths.
        db_index=False,
        verbose_name=_("parent task"),
    )
    # Unique by a constraint (Meta) rather than ``unique=True``: on PostgreSQL the latter adds a second
    # index for LIKE lookups, and subtrees are read as ranges of the path (``core.trees.subtree_q``).
    path = models.CharField(_("path"), max_length=250, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=1, editable=False)
    directive = models.ForeignKey(
        "directives.Directive",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("directive"),
    )
    clause = models.ForeignKey(
        "directives.Clause",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        db_index=False,
        verbose_name=_("clause"),
    )
    focus_area = models.ForeignKey(
        "directives.FocusArea",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        verbose_name=_("focus area"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    expected_outcome = models.TextField(_("expected outcome"), blank=True)
    # The unit that assigned the task and verifies it (accepts or rejects the result).
    assigning_org = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
        verbose_name=_("assigning unit"),
    )
    lead_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="led_tasks", verbose_name=_("lead unit")
    )
    # Copy of lead_org.path, rewritten when the unit moves (services.on_organization_moved).
    lead_org_path = models.CharField(_("lead unit path"), max_length=250, editable=False)
    cooperating_orgs = models.ManyToManyField(
        Organization, blank=True, related_name="cooperating_tasks", verbose_name=_("cooperating units")
    )
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        # Indexed in Meta where set.
        db_index=False,
        related_name="+",
        verbose_name=_("responsible leader"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_tasks",
        verbose_name=_("handler"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.DRAFT
    )
    start_on = models.DateField(_("start date"))
    due_on = models.DateField(_("due date"))
    # The deadline first set; extensions move due_on only, and scoring keeps judging by this one.
    original_due_on = models.DateField(_("original due date"))
    report_cadence = models.CharField(
        _("report cadence"), max_length=16, choices=ReportCadence.choices, default=ReportCadence.MONTHLY
    )
    weight = models.PositiveIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tasks", verbose_name=_("tags"))
    # Rectifications of inspection problems are published for a notice period before they close.
    requires_public_notice = models.BooleanField(_("public notice before closing"), default=False)
    # Set on the task that reopens closed work a look-back found relapsed (luoshi.lookbacks).
    relapse_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        # Indexed in Meta where set.
        db_index=False,
        related_name="relapses",
        verbose_name=_("relapse of"),
    )

    # --- workflow facts (written by luoshi.tasks.workflow) ---
    assigned_on = models.DateField(_("assigned on"), null=True, blank=True)
    acknowledge_due_on = models.DateField(_("acknowledge by"), null=True, blank=True)
    acknowledged_on = models.DateField(_("acknowledged on"), null=True, blank=True)
    acknowledged_late = models.BooleanField(_("acknowledged late"), default=False)
    rejection_count = models.PositiveSmallIntegerField(_("rejections"), default=0)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice ends on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Judged against original_due_on when the task is accepted, and kept: a moved deadline never makes a
    # late task "on time".
    closed_late = models.BooleanField(_("closed late"), default=False)
    # Maintained by supervision (urgings past their respond-by date); any open one turns the light red.
    open_overdue_urgings = models.PositiveSmallIntegerField(_("unanswered urgings"), default=0)

    # --- progress and lights (written by luoshi.tasks.rollup) ---
    # What the lead unit last reported on this task itself; only a leaf's counts.
    reported_progress = models.PositiveSmallIntegerField(
        _("reported progress"), default=0, validators=[MaxValueValidator(100)]
    )
    last_reported_on = models.DateField(_("last reported on"), null=True, blank=True)
    next_report_due = models.DateField(_("next report due"), null=True, blank=True)
    # Rolled up: a leaf's reported progress, a parent's weighted mean of its children, 100 when closed.
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    # The light from this task's own dates, reports and urgings (or its manual override) as of the last
    # write or sweep; ``light`` adds the worst of the children.
    own_light = models.CharField(_("own light"), max_length=8, choices=Light.choices, default=Light.GREEN)
    light_overridden = models.BooleanField(_("light overridden"), default=False)
    light = models.CharField(_("light"), max_length=8, choices=Light.choices, default=Light.GREEN)
    override_light = models.CharField(
        _("manual light"), max_length=8, choices=Light.choices, blank=True, default=""
    )
    override_reason = models.TextField(_("reason for the manual light"), blank=True)
    override_until = models.DateField(_("manual light until"), null=True, blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        # Indexed in Meta where set.
        db_index=False,
        related_name="+",
        verbose_name=_("manual light set by"),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        # Indexed in Meta where set.
        db_index=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects: ClassVar[TaskQuerySet] = TaskQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["lead_org_path"], name="task_lead_org_path_idx"),
            # The cockpit's red list: by unit subtree when red tasks are few, in due order when many. Of
            # the red tasks alone: a task whose light changes is written in every index whose condition
            # it meets, and most of the lights a night's sweep changes are not red.
            models.Index(fields=["lead_org_path"], name="task_red_path_idx", condition=Q(light="red")),
            models.Index(fields=["due_on", "path"], name="task_red_due_idx", condition=Q(light="red")),
            models.Index(fields=["status", "due_on"], name="task_status_due_idx"),
            # The ledger in its order, seeking to a cursor; the unit's path rides along so that rows of
            # other units are skipped in the index, before reading the table.
            models.Index(fields=["due_on", "id", "lead_org_path"], name="task_ledger_due_idx"),
            models.Index(fields=["clause"], name="task_clause_idx"),
            # With the status, "has it a subtask that counts" is answered from the index alone (leaves,
            # the roll-up): the sweep asks it of every task with a report due.
            models.Index(fields=["parent", "status"], name="task_parent_status_idx"),
            # The roll-up repair walks the tree level by level.
            models.Index(fields=["depth"], name="task_depth_idx"),
            # References that nearly every task leaves empty are indexed where set: an index of the
            # empty ones serves no lookup, and every write of a task row (a night's sweep rewrites tens
            # of thousands) would add to it.
            *(
                models.Index(
                    fields=[name], name=f"task_{name}_idx", condition=Q(**{f"{name}__isnull": False})
                )
                for name in ("responsible_leader", "relapse_of", "override_by", "created_by")
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["path"], name="task_path_unique"),
            models.CheckConstraint(condition=Q(due_on__gte=F("start_on")), name="task_due_after_start"),
            models.CheckConstraint(condition=Q(weight__gte=1), name="task_weight_positive"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_max_100"),
            models.CheckConstraint(
                condition=Q(reported_progress__lte=100), name="task_reported_progress_max_100"
            ),
            models.CheckConstraint(
                condition=~Q(status=TaskStatus.CLOSED) | Q(closed_on__isnull=False),
                name="task_closed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(override_light="") | Q(override_until__isnull=False),
                name="task_override_expires",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date) -> bool:
        return self.is_open and today > self.due_on

    def has_active_override(self, today: date) -> bool:
        return bool(self.override_light) and self.override_until is not None and today <= self.override_until


class Milestone(models.Model):
    """A dated step of a task's plan; ``planned_progress`` is the progress expected by ``due_on``."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("task")
    )
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due date"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    planned_progress = models.PositiveSmallIntegerField(
        _("planned progress"), validators=[MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["task", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_progress__lte=100), name="milestone_planned_progress_max_100"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """A periodic report on a task (反馈): progress, what was done, problems, next steps.

    Only the lead unit's report on a leaf carries ``progress``; cooperating units and reports on parent
    tasks (whose progress is rolled up) leave it empty. Evidence files point here in a later increment.
    """

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports", verbose_name=_("task"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reporter")
    )
    reporting_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("reporting unit")
    )
    reported_on = models.DateField(_("reported on"))
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("progress"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    narrative = models.TextField(_("work done"))
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    is_phase_completion = models.BooleanField(_("phase completed"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-reported_on", "-id"]
        indexes = [models.Index(fields=["task", "reported_on"], name="report_task_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__isnull=True) | Q(progress__lte=100), name="report_progress_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.reported_on}"


class TaskTransfer(models.Model):
    """A task re-routed to another lead unit (转办); the history of who held it."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="transfers", verbose_name=_("task"))
    from_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("from unit")
    )
    to_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("to unit")
    )
    reason = models.TextField(_("reason"))
    transferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("transferred by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["task", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task}: {self.from_org} → {self.to_org}"


class SendBack(models.Model):
    """The receiving unit returned a task it holds is not its own (退办), with its reason.

    The task goes back to draft at the assigning unit, which re-routes it (transfer), assigns it again,
    or cancels it; these rows keep every send-back and its reason.
    """

    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, related_name="send_backs", verbose_name=_("task")
    )
    org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit that sent it back")
    )
    reason = models.TextField(_("reason"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent back by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("send-back")
        verbose_name_plural = _("send-backs")
        ordering = ["task", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.task} ← {self.org}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DENIED = "denied", _("Denied")


class CompletionRequest(models.Model):
    """The lead unit asks the assigning unit to verify the task as done (申请办结).

    The verification is recorded on the same row: approved (accepted) or denied (returned, with reasons).
    Evidence files attach to this row in a later increment (a model with a foreign key to it).
    """

    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, related_name="completion_requests", verbose_name=_("task")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    note = models.TextField(_("note"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("completion request")
        verbose_name_plural = _("completion requests")
        ordering = ["task", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(status="pending"), name="completion_one_pending_per_task"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.get_status_display()}"


class ClosingCriterion(models.TextChoices):
    """What a rectification must show before the assigning unit accepts it (整改销号标准)."""

    MEASURES_DONE = "measures_done", _("All rectification measures carried out")
    MEETS_STANDARD = "meets_standard", _("Results meet the standard")
    SIMILAR_FIXED = "similar_fixed", _("Similar problems fixed too")
    MECHANISM = "mechanism", _("A long-term mechanism is in place")


class ClosingCheck(models.Model):
    """One closing criterion of a rectification task, ticked by its lead unit with the evidence for it.

    A row exists only while the criterion is ticked; unticking deletes it (both are audited). Acceptance of
    a task with a problem clause requires one row per criterion, each with at least one evidence file.
    """

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="closing_checks", verbose_name=_("task")
    )
    criterion = models.CharField(_("criterion"), max_length=16, choices=ClosingCriterion.choices)
    note = models.TextField(_("how it is met"), blank=True)
    evidence_files = models.ManyToManyField(
        "evidence.EvidenceFile", related_name="closing_checks", verbose_name=_("evidence files")
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("ticked by")
    )
    checked_on = models.DateField(_("ticked on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("closing check")
        verbose_name_plural = _("closing checks")
        ordering = ["task", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "criterion"], name="closing_check_unique_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.get_criterion_display()}"


class ExtensionRequest(models.Model):
    """The lead unit asks, before the deadline, to move it (延期申请); the assigning unit decides.

    Approval moves ``Task.due_on``; ``Task.original_due_on`` stays for scoring.
    """

    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, related_name="extension_requests", verbose_name=_("task")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    current_due_on = models.DateField(_("due date when asked"))
    requested_due_on = models.DateField(_("requested due date"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["task", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(status="pending"), name="extension_one_pending_per_task"
            ),
            models.CheckConstraint(
                condition=Q(requested_due_on__gt=F("current_due_on")), name="extension_moves_later"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} → {self.requested_due_on}"
