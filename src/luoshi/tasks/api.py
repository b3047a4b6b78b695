"""The task loop over HTTP: ``/api/v1/tasks`` (the ledger, one task, its subtasks, timeline, reports and
transitions), ``/api/v1/requests`` (deciding extension requests), ``/api/v1/reports`` and
``/api/v1/inbox`` (what the caller must act on).

Handlers parse, find the task through ``luoshi.tasks.selectors`` (a task the caller may not see is "not
found"), call one service and answer with the task as the caller now sees it. The services decide the
rest and refuse with the domain's own messages: 403 when the caller sees the task but it is not theirs to
act on, 409 when the state does not allow the action or the ``version`` sent is no longer the task's,
422 when an input is missing or wrong (``fields`` names it).
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from luoshi import access
from luoshi.api.errors import refusals
from luoshi.api.pagination import CursorPageInput, PageNumberPagination
from luoshi.api.security import current_user
from luoshi.core import workdays
from luoshi.core.errors import NotFound
from luoshi.directives import selectors as directive_selectors
from luoshi.directives.models import Clause, Directive, FocusArea
from luoshi.evidence.models import EvidenceFile
from luoshi.organizations import selectors as org_selectors
from luoshi.organizations.models import Organization, User
from luoshi.tasks import reporting, requests, selectors, services, workflow
from luoshi.tasks.models import (
    CompletionRequest,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    Task,
    TaskStatus,
)
from luoshi.tasks.schemas import (
    LEDGER_COLUMNS,
    CompletionForm,
    CompletionRequestOut,
    DecisionIn,
    ExtensionIn,
    ExtensionRequestOut,
    InboxFilters,
    InboxOut,
    LedgerFilters,
    NoteIn,
    PagedTaskOut,
    ReasonIn,
    ReportForm,
    ReportOut,
    SubtaskCreate,
    TaskCreate,
    TaskDetailOut,
    TaskPatch,
    TimelineEntryOut,
    TransferIn,
    VersionIn,
    ledger_item,
)

router = Router(tags=["tasks"])
requests_router = Router(tags=["requests"])
reports_router = Router(tags=["reports"])
inbox_router = Router(tags=["inbox"])


# --- helpers --------------------------------------------------------------------------------------


def _orgs(user: User, ids: Iterable[int]) -> list[Organization]:
    """The units named by ``ids``, in that order; any the caller may not see makes it "not found"."""
    wanted = list(dict.fromkeys(ids))
    found = {o.pk: o for o in access.visible(user, Organization.objects.filter(pk__in=wanted))}
    if len(found) != len(wanted):
        raise NotFound(_("Not found."))
    return [found[pk] for pk in wanted]


def _person(user: User, pk: int | None) -> User | None:
    if pk is None:
        return None
    person = access.visible(user, User.objects.filter(pk=pk)).first()
    if person is None:
        raise NotFound(_("Not found."))
    return person


def _focus_area(user: User, pk: int | None) -> FocusArea | None:
    if pk is None:
        return None
    area = access.visible(user, FocusArea.objects.filter(pk=pk)).first()
    if area is None:
        raise NotFound(_("Not found."))
    return area


def _evidence() -> Prefetch:
    return Prefetch("evidence_files", queryset=EvidenceFile.objects.select_related("uploaded_by"))


def _detail(user: User, task_id: int) -> Task:
    """The task as its detail shows it to ``user``: loaded with its related rows, its visible subtasks,
    pending requests and the caller's choices, set on the instance under the names ``TaskDetailOut``
    reads."""
    task = selectors.get_task(user=user, pk=task_id)
    prefetch_related_objects(
        [task], "cooperating_orgs", "tags", Prefetch("milestones", queryset=Milestone.objects.all())
    )
    today = workdays.today()
    subtasks = list(
        selectors.with_overlays(selectors.visible_tasks(user).filter(parent=task)).order_by("path")
    )
    extension, completion = selectors.pending_requests(task)
    if completion is not None:
        prefetch_related_objects([completion], _evidence())
    extras = {
        # Subtasks the caller cannot see still make the task a parent, so this asks about all of them.
        "has_subtasks": Task.objects.filter(parent=task).exclude(status=TaskStatus.CANCELLED).exists(),
        "subtasks": subtasks,
        "pending_extension_request": extension,
        "pending_completion_request": completion,
        "allowed_actions": selectors.transition_choices(user=user, task=task, today=today),
        "may": selectors.abilities(user=user, task=task, pending_extension=extension, today=today),
    }
    for name, value in extras.items():
        setattr(task, name, value)
    return task


def _report(user: User, report_id: int) -> ProgressReport:
    report = selectors.report_get(user=user, pk=report_id)
    prefetch_related_objects([report], _evidence())
    return report


def _transition(request: HttpRequest, task_id: int, service: Callable[..., Any], **kwargs: Any) -> Task:
    """Find the task as the caller sees it, run one workflow service on it, answer with the result."""
    user = current_user(request)
    service(actor=user, task=selectors.get_task(user=user, pk=task_id), **kwargs)
    return _detail(user, task_id)


def _task_list(qs: QuerySet[Task], limit: int) -> dict[str, Any]:
    qs = selectors.with_overlays(qs)
    return {"count": qs.count(), "items": list(qs[:limit])}


# --- tasks ----------------------------------------------------------------------------------------


# The ledger's filters at their defaults: a request that narrows by nothing but ``org``.
_UNFILTERED = LedgerFilters.model_validate({}).model_dump(exclude={"org"})


def _subtree_page(
    user: User,
    org: Organization | None,
    filters: LedgerFilters,
    pagination: CursorPageInput,
    size: int,
) -> selectors.LedgerPage | None:
    """The most common ledger request, a unit's whole ledger in the default order (page 1, or after a
    cursor), read by the written-out statement of ``selectors.subtree_ledger_page``; None for any other
    request (or reader whose scopes do not hold the unit's subtree), which ``_ledger_page`` answers."""
    if org is None or filters.model_dump(exclude={"org"}) != _UNFILTERED:
        return None
    if pagination.page not in (None, 1) or (pagination.page is not None and pagination.after is not None):
        return None
    return selectors.subtree_ledger_page(
        user=user, org=org, size=size, after=pagination.after, columns=LEDGER_COLUMNS
    )


def _ledger_page(
    user: User,
    org: Organization | None,
    filters: LedgerFilters,
    pagination: CursorPageInput,
    size: int,
) -> selectors.LedgerPage:
    tasks = selectors.ledger(
        user=user,
        org=org,
        focus_area_id=filters.focus_area,
        light_in=list(filters.light),
        status_in=list(filters.status),
        due_from=filters.due_from,
        due_to=filters.due_to,
        q=filters.q,
        directive_id=filters.directive,
        clause_id=filters.clause,
        sort=filters.sort,
    )
    return selectors.ledger_page(
        tasks, size=size, page=pagination.page, after=pagination.after, columns=LEDGER_COLUMNS
    )


# The ledger answers its page as ``@paginate(CursorPagination)`` over ``list[TaskOut]`` would, with the
# same parameters and document (``PagedTaskOut``), but builds the JSON from row values (``ledger_item``)
# instead of validating 50 tasks through ``TaskOut`` on every request.
@router.get("", response={200: PagedTaskOut, **refusals(404)})
def list_tasks(
    request: HttpRequest, filters: Query[LedgerFilters], ninja_pagination: Query[CursorPageInput]
) -> HttpResponse:
    """The ledger (台账): every task the caller may see, filtered and sorted. Walk it by ``next``
    (``?after=``): each page then costs the same however deep it lies; ``?page=`` also works."""
    user = current_user(request)
    org = org_selectors.org_get(user, filters.org) if filters.org is not None else None
    size = ninja_pagination.page_size or settings.LUOSHI_PAGE_SIZE
    page = _subtree_page(user, org, filters, ninja_pagination, size)
    if page is None:
        page = _ledger_page(user, org, filters, ninja_pagination, size)
    today = workdays.today()
    body = {
        "items": [ledger_item(row, today) for row in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "next": page.next,
    }
    # The API's renderer writes the JSON, as for every other answer (imported here: it mounts this module).
    from luoshi.api.urls import api

    return api.create_response(request, body, status=200)


@router.post("", response={201: TaskDetailOut})
def create_task(request: HttpRequest, payload: TaskCreate) -> Status[Task]:
    """Register a task in draft (立项), usually from a clause; then assign it (or start it, when the
    assigning unit keeps it)."""
    user = current_user(request)
    clause: Clause | None = None
    directive: Directive | None = None
    if payload.clause is not None:
        clause = directive_selectors.clause_get(user=user, pk=payload.clause)
    if payload.directive is not None:
        directive = directive_selectors.directive_get(user=user, pk=payload.directive)
    task = services.task_create(
        actor=user,
        assigning_org=org_selectors.org_get(user, payload.assigning_org),
        lead_org=org_selectors.org_get(user, payload.lead_org),
        title=payload.title,
        due_on=payload.due_on,
        start_on=payload.start_on,
        clause=clause,
        directive=directive,
        description=payload.description,
        expected_outcome=payload.expected_outcome,
        focus_area=_focus_area(user, payload.focus_area),
        cooperating_orgs=_orgs(user, payload.cooperating_orgs),
        responsible_leader=_person(user, payload.responsible_leader),
        handler=_person(user, payload.handler),
        report_cadence=payload.report_cadence,
        weight=payload.weight,
        priority=payload.priority,
        tags=payload.tags,
        requires_public_notice=payload.requires_public_notice,
    )
    return Status(201, _detail(user, task.pk))


@router.get("/{int:task_id}", response=TaskDetailOut)
def get_task(request: HttpRequest, task_id: int) -> Task:
    """One task, with its subtasks, pending requests and what the caller may do with it now."""
    return _detail(current_user(request), task_id)


@router.patch("/{int:task_id}", response=TaskDetailOut)
def update_task(request: HttpRequest, task_id: int, payload: TaskPatch) -> Task:
    """Change the fields sent. What was assigned is the assigning unit's to change; the handler and the
    responsible leader may also be named by the lead unit. All of it happens, or none."""
    user = current_user(request)
    task = selectors.get_task(user=user, pk=task_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    people = {key: changes.pop(key) for key in ("handler", "responsible_leader") if key in changes}
    cooperating = changes.pop("cooperating_orgs", None)
    tags = changes.pop("tags", None)
    if "focus_area" in changes:
        changes["focus_area"] = _focus_area(user, changes["focus_area"])
    if "lead_org" in changes:
        changes["lead_org"] = org_selectors.org_get(user, changes["lead_org"])
    with transaction.atomic():
        if changes or cooperating is not None or tags is not None:
            task = services.task_update(
                actor=user,
                task=task,
                version=version,
                cooperating_orgs=_orgs(user, cooperating) if cooperating is not None else None,
                tags=tags,
                **changes,
            )
            version = task.version
        if people:
            services.task_set_people(
                actor=user,
                task=task,
                version=version,
                handler=_person(user, people["handler"]) if "handler" in people else task.handler,
                responsible_leader=(
                    _person(user, people["responsible_leader"])
                    if "responsible_leader" in people
                    else task.responsible_leader
                ),
            )
    return _detail(user, task_id)


@router.post("/{int:task_id}/subtasks", response={201: TaskDetailOut})
def create_subtask(request: HttpRequest, task_id: int, payload: SubtaskCreate) -> Status[Task]:
    """Split the task (分解): a subtask in draft for the lead unit itself or a unit below it, due no
    later than the task; assign it next."""
    user = current_user(request)
    sub = services.task_decompose(
        actor=user,
        parent=selectors.get_task(user=user, pk=task_id),
        version=payload.version,
        lead_org=org_selectors.org_get(user, payload.lead_org),
        title=payload.title,
        due_on=payload.due_on,
        start_on=payload.start_on,
        description=payload.description,
        expected_outcome=payload.expected_outcome,
        focus_area=_focus_area(user, payload.focus_area),
        cooperating_orgs=_orgs(user, payload.cooperating_orgs),
        responsible_leader=_person(user, payload.responsible_leader),
        handler=_person(user, payload.handler),
        report_cadence=payload.report_cadence,
        weight=payload.weight,
        priority=payload.priority,
        tags=payload.tags,
    )
    return Status(201, _detail(user, sub.pk))


@router.get("/{int:task_id}/timeline", response=list[TimelineEntryOut])
def task_timeline(request: HttpRequest, task_id: int) -> list[selectors.TimelineEntry]:
    """The task's history, newest first: transitions and edits (from the audit trail), reports,
    extension and completion requests, transfers and send-backs."""
    user = current_user(request)
    return selectors.timeline(task=selectors.get_task(user=user, pk=task_id))


# --- transitions ----------------------------------------------------------------------------------


@router.post("/{int:task_id}/assign", response=TaskDetailOut)
def assign(request: HttpRequest, task_id: int, payload: VersionIn) -> Task:
    """Send a draft to its lead unit, which must acknowledge it (the assigning unit)."""
    return _transition(request, task_id, workflow.task_assign, version=payload.version)


@router.post("/{int:task_id}/start", response=TaskDetailOut)
def start(request: HttpRequest, task_id: int, payload: VersionIn) -> Task:
    """Start a draft the assigning unit keeps for itself (no acknowledgement needed)."""
    return _transition(request, task_id, workflow.task_start, version=payload.version)


@router.post("/{int:task_id}/acknowledge", response=TaskDetailOut)
def acknowledge(request: HttpRequest, task_id: int, payload: VersionIn) -> Task:
    """Confirm the lead unit has taken the task (签收)."""
    return _transition(request, task_id, workflow.task_acknowledge, version=payload.version)


@router.post("/{int:task_id}/send-back", response=TaskDetailOut)
def send_back(request: HttpRequest, task_id: int, payload: ReasonIn) -> Task:
    """Return a task that is not the lead unit's to the assigning unit (退办), with the reason."""
    return _transition(
        request, task_id, workflow.task_send_back, version=payload.version, reason=payload.reason
    )


@router.post("/{int:task_id}/transfer", response=TaskDetailOut)
def transfer(request: HttpRequest, task_id: int, payload: TransferIn) -> Task:
    """Re-route the task to another unit below the assigning unit (转办), with the reason."""
    to_org = org_selectors.org_get(current_user(request), payload.to_org)
    return _transition(
        request,
        task_id,
        workflow.task_transfer,
        version=payload.version,
        to_org=to_org,
        reason=payload.reason,
    )


@router.post("/{int:task_id}/request-completion", response=TaskDetailOut)
def request_completion(request: HttpRequest, task_id: int, payload: NoteIn) -> Task:
    """Ask the assigning unit to verify the work (申请办结). To send evidence files with the request,
    use ``POST …/completion-requests`` instead."""
    return _transition(
        request, task_id, workflow.task_request_completion, version=payload.version, note=payload.note
    )


@router.post("/{int:task_id}/accept", response=TaskDetailOut)
def accept(request: HttpRequest, task_id: int, payload: NoteIn) -> Task:
    """Verify the work as done (验收): the task closes, or a rectification goes to public notice."""
    return _transition(request, task_id, workflow.task_accept, version=payload.version, note=payload.note)


@router.post("/{int:task_id}/reject", response=TaskDetailOut)
def reject(request: HttpRequest, task_id: int, payload: ReasonIn) -> Task:
    """Return the work for rework (退回重办), with the reasons."""
    return _transition(request, task_id, workflow.task_reject, version=payload.version, reason=payload.reason)


@router.post("/{int:task_id}/object", response=TaskDetailOut)
def object_to(request: HttpRequest, task_id: int, payload: ReasonIn) -> Task:
    """Record an objection during the public notice: the rectification goes back to work."""
    return _transition(request, task_id, workflow.task_object, version=payload.version, reason=payload.reason)


@router.post("/{int:task_id}/conclude-notice", response=TaskDetailOut)
def conclude_notice(request: HttpRequest, task_id: int, payload: VersionIn) -> Task:
    """Close a rectification whose public notice ended without objection (销号)."""
    return _transition(request, task_id, workflow.task_conclude_notice, version=payload.version)


@router.post("/{int:task_id}/cancel", response=TaskDetailOut)
def cancel(request: HttpRequest, task_id: int, payload: ReasonIn) -> Task:
    """Cancel an open task and its open subtasks, with the reason."""
    return _transition(request, task_id, workflow.task_cancel, version=payload.version, reason=payload.reason)


@router.post("/{int:task_id}/reopen", response=TaskDetailOut)
def reopen(request: HttpRequest, task_id: int, payload: ReasonIn) -> Task:
    """Reopen a closed or cancelled task for more work, with the reason."""
    return _transition(request, task_id, workflow.task_reopen, version=payload.version, reason=payload.reason)


@router.post("/{int:task_id}/completion-requests", response={201: CompletionRequestOut})
def create_completion_request(
    request: HttpRequest,
    task_id: int,
    payload: Form[CompletionForm],
    files: File[list[UploadedFile] | None] = None,
) -> Status[CompletionRequest]:
    """Ask for completion with evidence files (``multipart/form-data``: ``version``, ``note``, ``files``
    repeated). The request and its files are saved together, or neither."""
    user = current_user(request)
    completion = workflow.task_request_completion(
        actor=user,
        task=selectors.get_task(user=user, pk=task_id),
        version=payload.version,
        note=payload.note,
        files=files or [],
    )
    prefetch_related_objects([completion], _evidence())
    return Status(201, completion)


# --- extension requests ---------------------------------------------------------------------------


@router.post("/{int:task_id}/extension-requests", response={201: ExtensionRequestOut})
def create_extension_request(
    request: HttpRequest, task_id: int, payload: ExtensionIn
) -> Status[ExtensionRequest]:
    """Ask, before the deadline, to move it (延期申请); the assigning unit approves or denies."""
    user = current_user(request)
    extension = requests.extension_request(
        actor=user,
        task=selectors.get_task(user=user, pk=task_id),
        version=payload.version,
        requested_due_on=payload.requested_due_on,
        reason=payload.reason,
    )
    return Status(201, selectors.extension_request_get(user=user, pk=extension.pk))


@requests_router.post("/{int:request_id}/approve", response=ExtensionRequestOut)
def approve_extension(request: HttpRequest, request_id: int, payload: DecisionIn) -> ExtensionRequest:
    """Approve an extension request: the deadline moves; the original one stays for scoring."""
    user = current_user(request)
    extension = selectors.extension_request_get(user=user, pk=request_id)
    requests.extension_approve(actor=user, request=extension, note=payload.note)
    return selectors.extension_request_get(user=user, pk=request_id)


@requests_router.post("/{int:request_id}/deny", response=ExtensionRequestOut)
def deny_extension(request: HttpRequest, request_id: int, payload: DecisionIn) -> ExtensionRequest:
    """Deny an extension request, saying why; the deadline stays."""
    user = current_user(request)
    extension = selectors.extension_request_get(user=user, pk=request_id)
    requests.extension_deny(actor=user, request=extension, note=payload.note)
    return selectors.extension_request_get(user=user, pk=request_id)


# --- progress reports -----------------------------------------------------------------------------


@router.get("/{int:task_id}/reports", response=list[ReportOut])
@paginate(PageNumberPagination)
def list_reports(request: HttpRequest, task_id: int) -> Any:
    """The task's progress reports, newest first, with their evidence files."""
    user = current_user(request)
    task = selectors.get_task(user=user, pk=task_id)
    return selectors.reports_of(user=user, task=task).select_related("task").prefetch_related(_evidence())


@router.post("/{int:task_id}/reports", response={201: ReportOut})
def create_report(
    request: HttpRequest,
    task_id: int,
    payload: Form[ReportForm],
    files: File[list[UploadedFile] | None] = None,
) -> Status[ProgressReport]:
    """Report on the task (反馈) with evidence files (``multipart/form-data``, ``files`` repeated). The
    report and its files are saved together, or neither."""
    user = current_user(request)
    report = reporting.report_progress(
        actor=user,
        task=selectors.get_task(user=user, pk=task_id),
        version=payload.version,
        narrative=payload.narrative,
        progress=payload.progress,
        problems=payload.problems,
        next_steps=payload.next_steps,
        reported_on=payload.reported_on,
        period_start=payload.period_start,
        period_end=payload.period_end,
        is_phase_completion=payload.is_phase_completion,
        files=files or [],
    )
    return Status(201, _report(user, report.pk))


@reports_router.get("/{int:report_id}", response=ReportOut)
def get_report(request: HttpRequest, report_id: int) -> ProgressReport:
    """One progress report with its evidence files and where to download them."""
    return _report(current_user(request), report_id)


# --- the inbox ------------------------------------------------------------------------------------


@inbox_router.get("", response=InboxOut)
def inbox(request: HttpRequest, filters: Query[InboxFilters]) -> dict[str, Any]:
    """What the caller must act on: acknowledgements, reports, verifications, extension requests,
    send-backs and overdue work. A fixed number of queries, however much there is."""
    user = current_user(request)
    limit = filters.limit
    extensions = selectors.pending_extensions(user=user).select_related("requested_by", "decided_by")
    return {
        "to_acknowledge": _task_list(selectors.to_acknowledge(user=user), limit),
        "reports_due": _task_list(selectors.reports_due(user=user), limit),
        "reports_missing": _task_list(selectors.reports_missing(user=user), limit),
        "to_verify": _task_list(selectors.to_verify(user=user), limit),
        "extension_requests": {
            "count": extensions.count(),
            "items": list(extensions.order_by("created_at", "pk")[:limit]),
        },
        "sent_back": _task_list(selectors.sent_back(user=user), limit),
        "overdue": _task_list(selectors.overdue(user=user), limit),
    }
