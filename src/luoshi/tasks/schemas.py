"""The shapes of the task loop's API: what the endpoints of ``luoshi.tasks.api`` answer and accept.

Answers read model rows (and the dataclasses of ``luoshi.tasks.selectors``) through resolvers, so a list
costs what its selector's queries cost, nothing per row. JSON bodies refuse unknown fields; multipart
forms ignore them, as browsers add fields of their own.
"""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from luoshi.api.pagination import CursorPageOutput
from luoshi.core import workdays
from luoshi.evidence.api import EvidenceOut
from luoshi.evidence.models import EvidenceFile
from luoshi.organizations.models import User
from luoshi.tasks import selectors
from luoshi.tasks.models import (
    OPEN_STATUSES,
    CompletionRequest,
    ExtensionRequest,
    Light,
    Priority,
    ProgressReport,
    ReportCadence,
    RequestStatus,
    Task,
    TaskAction,
    TaskStatus,
)


class Input(Schema):
    """JSON bodies refuse unknown fields, so a misspelt field is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid")


# --- answers --------------------------------------------------------------------------------------


class TaskBriefOut(Schema):
    """A task in a list of another object (a clause's tasks)."""

    id: int
    title: str
    status: TaskStatus
    light: Light
    progress: int
    due_on: date
    closed_late: bool
    lead_org: int
    lead_org_name: str

    @staticmethod
    def resolve_lead_org(obj: Task) -> int:
        return obj.lead_org_id

    @staticmethod
    def resolve_lead_org_name(obj: Task) -> str:
        return obj.lead_org.name


class TaskOut(Schema):
    """A row of the ledger. ``overdue`` and ``report_missing`` are derived as of today, never stored."""

    id: int
    title: str
    status: TaskStatus
    light: Light
    progress: int
    start_on: date
    due_on: date
    original_due_on: date = Field(description="The deadline first set; extensions move `due_on` only.")
    closed_on: date | None
    closed_late: bool
    overdue: bool
    report_missing: bool
    priority: Priority
    depth: int
    parent: int | None
    directive: int | None
    clause: int | None
    focus_area: int | None
    assigning_org: int
    assigning_org_name: str
    lead_org: int
    lead_org_name: str
    handler: int | None
    handler_name: str
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_parent(obj: Task) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_directive(obj: Task) -> int | None:
        return obj.directive_id

    @staticmethod
    def resolve_clause(obj: Task) -> int | None:
        return obj.clause_id

    @staticmethod
    def resolve_focus_area(obj: Task) -> int | None:
        return obj.focus_area_id

    @staticmethod
    def resolve_assigning_org(obj: Task) -> int:
        return obj.assigning_org_id

    @staticmethod
    def resolve_assigning_org_name(obj: Task) -> str:
        return obj.assigning_org.name

    @staticmethod
    def resolve_lead_org(obj: Task) -> int:
        return obj.lead_org_id

    @staticmethod
    def resolve_lead_org_name(obj: Task) -> str:
        return obj.lead_org.name

    @staticmethod
    def resolve_handler(obj: Task) -> int | None:
        return obj.handler_id

    @staticmethod
    def resolve_handler_name(obj: Task) -> str:
        return str(obj.handler) if obj.handler_id else ""

    @staticmethod
    def resolve_overdue(obj: Task) -> bool:
        return obj.is_overdue(workdays.today())

    @staticmethod
    def resolve_report_missing(obj: Task) -> bool:
        return selectors.report_missing(obj, workdays.today())


# What a ledger row reads (``selectors.ledger_page(columns=…)``) to answer as ``TaskOut`` without
# building tasks: the task's columns, its units' names, its handler's name columns and ``has_subtasks``
# (``selectors.with_overlays``).
LEDGER_COLUMNS = (
    "id",
    "title",
    "status",
    "light",
    "progress",
    "start_on",
    "due_on",
    "original_due_on",
    "closed_on",
    "closed_late",
    "priority",
    "depth",
    "parent_id",
    "directive_id",
    "clause_id",
    "focus_area_id",
    "assigning_org_id",
    "assigning_org__name",
    "lead_org_id",
    "lead_org__name",
    "handler_id",
    "handler__display_name",
    "handler__first_name",
    "handler__last_name",
    "handler__username",
    "version",
    "updated_at",
    "next_report_due",
    "has_subtasks",
)


def ledger_item(row: dict[str, Any], today: date) -> dict[str, Any]:
    """A row of ``LEDGER_COLUMNS`` as ``TaskOut`` answers it, field for field and in its order.

    The ledger answers 50 rows a page; building each through ``TaskOut`` (a resolver call per field)
    was most of its cost. ``tests/api/test_ledger_items.py`` holds the two to the same JSON.
    """
    status = row["status"]
    handler_id = row["handler_id"]
    return {
        "id": row["id"],
        "title": row["title"],
        "status": status,
        "light": row["light"],
        "progress": row["progress"],
        "start_on": row["start_on"],
        "due_on": row["due_on"],
        "original_due_on": row["original_due_on"],
        "closed_on": row["closed_on"],
        "closed_late": row["closed_late"],
        "overdue": status in OPEN_STATUSES and today > row["due_on"],
        "report_missing": selectors.report_late(status, row["next_report_due"], today)
        and not row["has_subtasks"],
        "priority": row["priority"],
        "depth": row["depth"],
        "parent": row["parent_id"],
        "directive": row["directive_id"],
        "clause": row["clause_id"],
        "focus_area": row["focus_area_id"],
        "assigning_org": row["assigning_org_id"],
        "assigning_org_name": row["assigning_org__name"],
        "lead_org": row["lead_org_id"],
        "lead_org_name": row["lead_org__name"],
        "handler": handler_id,
        "handler_name": User.name_of(
            row["handler__display_name"],
            row["handler__first_name"],
            row["handler__last_name"],
            row["handler__username"],
        )
        if handler_id
        else "",
        "version": row["version"],
        "updated_at": row["updated_at"],
    }


class PagedTaskOut(CursorPageOutput):
    # A page of the ledger, as ``ninja.pagination.paginate`` would name and shape it from ``TaskOut``;
    # ``list_tasks`` builds its items with ``ledger_item``. No docstring: the document describes it as
    # it did when it was generated.
    items: list[TaskOut]


class OrgRefOut(Schema):
    id: int
    name: str


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    done_on: date | None
    planned_progress: int


class ExtensionRequestOut(Schema):
    """An extension request (延期申请) and, once decided, its decision."""

    id: int
    task: int
    task_title: str
    requested_by: int
    requested_by_name: str
    current_due_on: date
    requested_due_on: date
    reason: str
    status: RequestStatus
    decided_by: int | None
    decided_by_name: str
    decided_at: datetime | None
    decision_note: str
    created_at: datetime

    @staticmethod
    def resolve_task(obj: ExtensionRequest) -> int:
        return obj.task_id

    @staticmethod
    def resolve_task_title(obj: ExtensionRequest) -> str:
        return obj.task.title

    @staticmethod
    def resolve_requested_by(obj: ExtensionRequest) -> int:
        return obj.requested_by_id

    @staticmethod
    def resolve_requested_by_name(obj: ExtensionRequest) -> str:
        return str(obj.requested_by)

    @staticmethod
    def resolve_decided_by(obj: ExtensionRequest) -> int | None:
        return obj.decided_by_id

    @staticmethod
    def resolve_decided_by_name(obj: ExtensionRequest) -> str:
        return str(obj.decided_by) if obj.decided_by_id else ""


class CompletionRequestOut(Schema):
    """A request to verify the task as done (申请办结), with its evidence and, once decided, the decision."""

    id: int
    task: int
    requested_by: int
    requested_by_name: str
    note: str
    status: RequestStatus
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_task(obj: CompletionRequest) -> int:
        return obj.task_id

    @staticmethod
    def resolve_requested_by(obj: CompletionRequest) -> int:
        return obj.requested_by_id

    @staticmethod
    def resolve_requested_by_name(obj: CompletionRequest) -> str:
        return str(obj.requested_by)

    @staticmethod
    def resolve_decided_by(obj: CompletionRequest) -> int | None:
        return obj.decided_by_id

    @staticmethod
    def resolve_evidence(obj: CompletionRequest) -> list[EvidenceFile]:
        return list(obj.evidence_files.all())


class ActionOut(Schema):
    """A transition the caller may ask for now: ``POST /api/v1/tasks/{id}/{path}``."""

    action: TaskAction
    path: str = Field(description="The last segment of the operation's path, e.g. `send-back`.")
    reason_required: bool
    blocked_by: str | None = Field(
        description="Why the transition would still be refused now (e.g. open subtasks); null if it would "
        "go through."
    )

    @staticmethod
    def resolve_path(obj: selectors.ActionChoice) -> str:
        return str(obj.action).replace("_", "-")


class AbilitiesOut(Schema):
    """What else the caller may do with the task now."""

    edit: bool = Field(description="`PATCH` what was assigned.")
    plan: bool = Field(description="Name the handler and responsible leader.")
    decompose: bool = Field(description="`POST …/subtasks`.")
    report: bool = Field(description="`POST …/reports`.")
    request_extension: bool = Field(description="`POST …/extension-requests`.")
    decide_extension: bool = Field(description="Approve or deny the pending extension request.")
    override_light: bool


class TaskDetailOut(TaskOut):
    """One task with everything its page shows, and what the caller may do with it now."""

    description: str
    expected_outcome: str
    directive_title: str
    clause_text: str
    parent_title: str
    focus_area_name: str
    cooperating_orgs: list[OrgRefOut]
    responsible_leader: int | None
    responsible_leader_name: str
    report_cadence: ReportCadence
    weight: int
    tags: list[str]
    requires_public_notice: bool
    assigned_on: date | None
    acknowledge_due_on: date | None
    acknowledged_on: date | None
    acknowledged_late: bool
    rejection_count: int
    accepted_on: date | None
    notice_ends_on: date | None
    reported_progress: int
    last_reported_on: date | None
    next_report_due: date | None
    own_light: Light
    override_light: str
    override_reason: str
    override_until: date | None
    created_at: datetime
    milestones: list[MilestoneOut]
    subtasks: list[TaskOut] = Field(description="The subtasks the caller may see, in tree order.")
    pending_extension_request: ExtensionRequestOut | None
    pending_completion_request: CompletionRequestOut | None
    allowed_actions: list[ActionOut]
    may: AbilitiesOut

    @staticmethod
    def resolve_directive_title(obj: Task) -> str:
        return obj.directive.title if obj.directive is not None else ""

    @staticmethod
    def resolve_clause_text(obj: Task) -> str:
        return obj.clause.text if obj.clause is not None else ""

    @staticmethod
    def resolve_parent_title(obj: Task) -> str:
        return obj.parent.title if obj.parent is not None else ""

    @staticmethod
    def resolve_focus_area_name(obj: Task) -> str:
        return obj.focus_area.name if obj.focus_area is not None else ""

    @staticmethod
    def resolve_responsible_leader(obj: Task) -> int | None:
        return obj.responsible_leader_id

    @staticmethod
    def resolve_responsible_leader_name(obj: Task) -> str:
        return str(obj.responsible_leader) if obj.responsible_leader_id else ""

    @staticmethod
    def resolve_tags(obj: Task) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class ReportOut(Schema):
    """A progress report (反馈) with its evidence files; ``progress`` is empty on a cooperating unit's."""

    id: int
    task: int
    task_title: str
    reporter: int
    reporter_name: str
    reporting_org: int
    reporting_org_name: str
    reported_on: date
    period_start: date | None
    period_end: date | None
    progress: int | None
    narrative: str
    problems: str
    next_steps: str
    is_phase_completion: bool
    created_at: datetime
    evidence: list[EvidenceOut]

    @staticmethod
    def resolve_task(obj: ProgressReport) -> int:
        return obj.task_id

    @staticmethod
    def resolve_task_title(obj: ProgressReport) -> str:
        return obj.task.title

    @staticmethod
    def resolve_reporter(obj: ProgressReport) -> int:
        return obj.reporter_id

    @staticmethod
    def resolve_reporter_name(obj: ProgressReport) -> str:
        return str(obj.reporter)

    @staticmethod
    def resolve_reporting_org(obj: ProgressReport) -> int:
        return obj.reporting_org_id

    @staticmethod
    def resolve_reporting_org_name(obj: ProgressReport) -> str:
        return obj.reporting_org.name

    @staticmethod
    def resolve_evidence(obj: ProgressReport) -> list[EvidenceFile]:
        return list(obj.evidence_files.all())


class TimelineEntryOut(Schema):
    """One moment of a task's history. ``kind`` ``event`` is an audit event (``action`` names it, e.g.
    ``task.accept``; ``details`` holds what changed); the other kinds are records with their facts."""

    at: datetime
    kind: Literal["event", "report", "extension_request", "completion_request", "transfer", "send_back"]
    id: int
    actor: int | None
    actor_name: str
    action: str
    details: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: selectors.TimelineEntry) -> int | None:
        return obj.actor_id


class TaskListOut(Schema):
    count: int
    items: list[TaskOut]


class ExtensionListOut(Schema):
    count: int
    items: list[ExtensionRequestOut]


class InboxOut(Schema):
    """What the caller must act on; each list holds at most ``limit`` items, ``count`` says how many."""

    to_acknowledge: TaskListOut = Field(description="Assigned to the caller's units, to acknowledge.")
    reports_due: TaskListOut = Field(description="Reports of the caller's units falling due within a week.")
    reports_missing: TaskListOut = Field(description="Reports late on tasks the caller sees.")
    to_verify: TaskListOut = Field(description="Asked to be verified by the caller's units.")
    extension_requests: ExtensionListOut = Field(description="Extension requests to decide.")
    sent_back: TaskListOut = Field(description="Sent back to the caller's units, to re-route.")
    overdue: TaskListOut = Field(description="Open tasks past their deadline that the caller sees.")


# --- inputs ---------------------------------------------------------------------------------------


class LedgerFilters(Schema):
    org: int | None = Field(None, description="Tasks led by this unit or any unit below it.")
    focus_area: int | None = None
    light: list[Light] = Field(default_factory=list, description="Repeat to ask for several lights.")
    status: list[TaskStatus] = Field(default_factory=list, description="Repeat to ask for several states.")
    due_from: date | None = Field(None, description="Due on or after this date.")
    due_to: date | None = Field(None, description="Due on or before this date.")
    q: str = Field("", max_length=200, description="Part of the title.")
    directive: int | None = None
    clause: int | None = None
    sort: selectors.LedgerSort = Field(
        selectors.LedgerSort.DUE, description="`light` puts the worst light first."
    )


class TaskFields(Input):
    """What a new task or subtask is made of."""

    lead_org: int = Field(description="The unit that does the work.")
    title: str = Field(max_length=200)
    due_on: date
    start_on: date | None = Field(None, description="Defaults to today (or the due date, if earlier).")
    description: str = ""
    expected_outcome: str = Field("", description="What counts as done (acceptance criteria).")
    focus_area: int | None = None
    cooperating_orgs: list[int] = Field(default_factory=list)
    responsible_leader: int | None = None
    handler: int | None = Field(None, description="Someone working in the lead unit.")
    weight: int = Field(1, ge=1, le=1000, description="Weight in the parent's progress.")
    tags: list[str] = Field(default_factory=list)


class TaskCreate(TaskFields):
    assigning_org: int = Field(description="The unit that assigns and verifies the task.")
    clause: int | None = Field(None, description="The clause the task implements (sets the directive).")
    directive: int | None = Field(None, description="For a task of a directive but of no one clause.")
    report_cadence: ReportCadence = ReportCadence.MONTHLY
    priority: Priority = Priority.NORMAL
    requires_public_notice: bool | None = Field(
        None, description="Defaults to true for rectifications of inspection feedback."
    )


class SubtaskCreate(TaskFields):
    version: int = Field(description="The version of the parent task that was read.")
    report_cadence: ReportCadence | None = Field(None, description="Defaults to the parent's.")
    priority: Priority | None = Field(None, description="Defaults to the parent's.")


class TaskPatch(Input):
    version: int = Field(description="The version that was read; 409 if the task changed since.")
    title: str | None = Field(None, max_length=200)
    description: str | None = None
    expected_outcome: str | None = None
    focus_area: int | None = None
    start_on: date | None = None
    due_on: date | None = Field(None, description="Only while a draft; later by an extension request.")
    lead_org: int | None = Field(None, description="Only while a draft; later by a transfer.")
    report_cadence: ReportCadence | None = None
    weight: int | None = Field(None, ge=1, le=1000)
    priority: Priority | None = None
    requires_public_notice: bool | None = None
    cooperating_orgs: list[int] | None = None
    tags: list[str] | None = None
    handler: int | None = None
    responsible_leader: int | None = None


class VersionIn(Input):
    version: int = Field(description="The version that was read; 409 if the task changed since.")


class ReasonIn(VersionIn):
    reason: str = Field("", description="Required; refused with 422 when empty.")


class NoteIn(VersionIn):
    note: str = ""


class TransferIn(ReasonIn):
    to_org: int = Field(description="A unit below the assigning unit.")


class ExtensionIn(Input):
    version: int = Field(description="The version of the task that was read.")
    requested_due_on: date
    reason: str = Field("", description="Required; refused with 422 when empty.")


class DecisionIn(Input):
    note: str = Field("", description="Required to deny.")


class ReportForm(Schema):
    """A progress report as form fields, sent with its evidence files as ``multipart/form-data``.

    Unknown fields are ignored here, unlike JSON bodies: browsers add fields of their own to forms.
    """

    version: int = Field(description="The version of the task that was read.")
    narrative: str = Field("", description="What was done; required.")
    progress: int | None = Field(None, description="0–100; the lead unit's, on a task without subtasks.")
    problems: str = ""
    next_steps: str = ""
    is_phase_completion: bool = False
    reported_on: date | None = None
    period_start: date | None = None
    period_end: date | None = None


class CompletionForm(Schema):
    """A request for completion as form fields, sent with its evidence files."""

    version: int = Field(description="The version of the task that was read.")
    note: str = ""


class InboxFilters(Schema):
    limit: int = Field(20, ge=1, le=100, description="At most this many items per list.")
