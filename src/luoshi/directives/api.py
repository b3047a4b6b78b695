"""``/api/v1/directives`` and ``/api/v1/focus-areas``: directives, their clauses and what became of each
clause, and the focus-area taxonomy.

Handlers parse, find objects through ``luoshi.directives.selectors`` (a directive the caller may not see
is "not found"), call one service and answer; the services decide who may register and change what.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from luoshi import access
from luoshi.api.fields import NOT_BLANK
from luoshi.api.pagination import PageNumberPagination
from luoshi.api.security import current_user
from luoshi.core.errors import NotFound
from luoshi.directives import selectors, services
from luoshi.directives.models import (
    Clause,
    ClauseKind,
    Directive,
    DirectiveKind,
    DirectiveLevel,
    FocusArea,
)
from luoshi.directives.selectors import ClauseBranch, ClauseSummary, DirectiveTree, TaskNode
from luoshi.organizations import selectors as org_selectors
from luoshi.organizations.models import User
from luoshi.tasks.models import Light, TaskStatus
from luoshi.tasks.schemas import TaskBriefOut

router = Router(tags=["directives"])
focus_areas_router = Router(tags=["focus areas"])


class Input(Schema):
    """Request bodies refuse unknown fields, so a misspelt field is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid")


# --- focus areas ----------------------------------------------------------------------------------


class FocusAreaOut(Schema):
    id: int
    name: str
    code: str
    sort_order: int
    is_active: bool


class FocusAreaFilters(Schema):
    include_inactive: bool = Field(False, description="Also the areas no longer offered for new work.")


@focus_areas_router.get("", response=list[FocusAreaOut])
@paginate(PageNumberPagination)
def list_focus_areas(request: HttpRequest, filters: Query[FocusAreaFilters]) -> Any:
    """The deployment's focus areas in their configured order."""
    areas = access.visible(current_user(request), FocusArea.objects.all())
    if not filters.include_inactive:
        areas = areas.filter(is_active=True)
    return areas.order_by("sort_order", "name", "pk")


# --- directives -----------------------------------------------------------------------------------


class DirectiveOut(Schema):
    id: int
    title: str
    issuing_org: int = Field(description="The unit that issued it, or registered one from outside.")
    issuing_org_name: str
    issuing_body: str = Field(description="The issuer as printed.")
    level: DirectiveLevel
    kind: DirectiveKind
    doc_number: str = Field(description="文号, e.g. 鞍政发〔2024〕3号.")
    issued_on: date
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_issuing_org(obj: Directive) -> int:
        return obj.issuing_org_id

    @staticmethod
    def resolve_issuing_org_name(obj: Directive) -> str:
        return obj.issuing_org.name


class DirectiveDetailOut(DirectiveOut):
    full_text: str


class DirectiveCreate(Input):
    issuing_org: int = Field(description="The unit that issued it, or that registers it from outside.")
    title: str = Field(max_length=200)
    level: DirectiveLevel
    kind: DirectiveKind
    issued_on: date
    doc_number: str = Field("", max_length=60)
    issuing_body: str = Field("", max_length=100)
    full_text: str = ""


class DirectivePatch(Input):
    version: int = Field(description="The version that was read; 409 if the directive changed since.")
    title: str | None = Field(None, max_length=200)
    level: DirectiveLevel | None = None
    kind: DirectiveKind | None = None
    issued_on: date | None = None
    doc_number: str | None = Field(None, max_length=60)
    issuing_body: str | None = Field(None, max_length=100)
    full_text: str | None = None


class DirectiveFilters(Schema):
    kind: DirectiveKind | None = None
    level: DirectiveLevel | None = None
    q: str = Field("", max_length=200, description="Part of the title, document number or issuing body.")


@router.get("", response=list[DirectiveOut])
@paginate(PageNumberPagination)
def list_directives(request: HttpRequest, filters: Query[DirectiveFilters]) -> Any:
    """The directives the caller may see, newest first."""
    return selectors.directive_list(
        user=current_user(request), kind=filters.kind, level=filters.level, q=filters.q
    )


@router.post("", response={201: DirectiveDetailOut})
def create_directive(request: HttpRequest, payload: DirectiveCreate) -> Status[Directive]:
    """Register a directive in the ledger of ``issuing_org``."""
    user = current_user(request)
    directive = services.directive_create(
        actor=user,
        issuing_org=org_selectors.org_get(user, payload.issuing_org),
        title=payload.title,
        level=payload.level,
        kind=payload.kind,
        issued_on=payload.issued_on,
        doc_number=payload.doc_number,
        issuing_body=payload.issuing_body,
        full_text=payload.full_text,
    )
    return Status(201, selectors.directive_get(user=user, pk=directive.pk))


@router.get("/{int:directive_id}", response=DirectiveDetailOut)
def get_directive(request: HttpRequest, directive_id: int) -> Directive:
    return selectors.directive_get(user=current_user(request), pk=directive_id)


@router.patch("/{int:directive_id}", response=DirectiveDetailOut)
def update_directive(request: HttpRequest, directive_id: int, payload: DirectivePatch) -> Directive:
    """Change the fields sent (the issuing unit's people, or its supervisors)."""
    user = current_user(request)
    directive = selectors.directive_get(user=user, pk=directive_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    services.directive_update(actor=user, directive=directive, version=version, **changes)
    return selectors.directive_get(user=user, pk=directive_id)


# --- clauses --------------------------------------------------------------------------------------


class _ClauseFields(Schema):
    """A clause with what became of it; read from a ``ClauseSummary`` or a ``ClauseBranch``.

    ``task_count`` and ``worst_light`` count every top-level task of the clause, also those the caller may
    not see: whether a clause is carried out is a fact about the directive.
    """

    id: int
    directive: int
    ordinal: int
    kind: ClauseKind
    heading: str
    text: str
    focus_area: int | None
    focus_area_name: str
    version: int
    task_count: int
    worst_light: Light | None
    not_decomposed: bool = Field(description="True when no task implements the clause yet.")

    @staticmethod
    def resolve_id(obj: ClauseSummary | ClauseBranch) -> int:
        return obj.clause.pk

    @staticmethod
    def resolve_directive(obj: ClauseSummary | ClauseBranch) -> int:
        return obj.clause.directive_id

    @staticmethod
    def resolve_ordinal(obj: ClauseSummary | ClauseBranch) -> int:
        return obj.clause.ordinal

    @staticmethod
    def resolve_kind(obj: ClauseSummary | ClauseBranch) -> str:
        return obj.clause.kind

    @staticmethod
    def resolve_heading(obj: ClauseSummary | ClauseBranch) -> str:
        return obj.clause.heading

    @staticmethod
    def resolve_text(obj: ClauseSummary | ClauseBranch) -> str:
        return obj.clause.text

    @staticmethod
    def resolve_focus_area(obj: ClauseSummary | ClauseBranch) -> int | None:
        return obj.clause.focus_area_id

    @staticmethod
    def resolve_focus_area_name(obj: ClauseSummary | ClauseBranch) -> str:
        return obj.clause.focus_area.name if obj.clause.focus_area is not None else ""

    @staticmethod
    def resolve_version(obj: ClauseSummary | ClauseBranch) -> int:
        return obj.clause.version


class ClauseOut(_ClauseFields):
    tasks: list[TaskBriefOut] = Field(description="The top-level tasks of the clause the caller may see.")


class ClauseCreate(Input):
    text: str = Field(pattern=NOT_BLANK)
    kind: ClauseKind = ClauseKind.DEMAND
    heading: str = Field("", max_length=200, description="The heading of the text it sits under.")
    focus_area: int | None = None
    ordinal: int | None = Field(None, ge=1, description="Defaults to after the last clause.")


@router.get("/{int:directive_id}/clauses", response=list[ClauseOut])
def list_clauses(request: HttpRequest, directive_id: int) -> list[ClauseSummary]:
    """Every clause of the directive in order, with how many tasks implement it and their worst light.

    Not paginated: a directive's clauses are the numbered points of one text.
    """
    user = current_user(request)
    return selectors.clause_summaries(
        user=user, directive=selectors.directive_get(user=user, pk=directive_id)
    )


@router.post("/{int:directive_id}/clauses", response={201: ClauseOut})
def create_clause(request: HttpRequest, directive_id: int, payload: ClauseCreate) -> Status[ClauseSummary]:
    """Add a clause to the directive (after the last one unless ``ordinal`` says where)."""
    user = current_user(request)
    directive = selectors.directive_get(user=user, pk=directive_id)
    focus_area: FocusArea | None = None
    if payload.focus_area is not None:
        focus_area = _focus_area(user, payload.focus_area)
    clause = services.clause_add(
        actor=user,
        directive=directive,
        text=payload.text,
        focus_area=focus_area,
        kind=payload.kind,
        heading=payload.heading,
        ordinal=payload.ordinal,
    )
    return Status(201, _summary_of(user, directive, clause))


def _focus_area(user: User, pk: int) -> FocusArea:
    area = access.visible(user, FocusArea.objects.filter(pk=pk)).first()
    if area is None:
        raise NotFound(_("Not found."))
    return area


def _summary_of(user: User, directive: Directive, clause: Clause) -> ClauseSummary:
    return next(
        s for s in selectors.clause_summaries(user=user, directive=directive) if s.clause.pk == clause.pk
    )


# --- the tree -------------------------------------------------------------------------------------


class TaskNodeOut(Schema):
    """A task in the directive's tree, with the visible tasks directly below it."""

    id: int
    title: str
    status: TaskStatus
    light: Light
    progress: int
    due_on: date
    closed_late: bool
    depth: int
    lead_org: int
    lead_org_name: str
    children: list["TaskNodeOut"]

    @staticmethod
    def resolve_id(obj: TaskNode) -> int:
        return obj.task.pk

    @staticmethod
    def resolve_title(obj: TaskNode) -> str:
        return obj.task.title

    @staticmethod
    def resolve_status(obj: TaskNode) -> str:
        return obj.task.status

    @staticmethod
    def resolve_light(obj: TaskNode) -> str:
        return obj.task.light

    @staticmethod
    def resolve_progress(obj: TaskNode) -> int:
        return obj.task.progress

    @staticmethod
    def resolve_due_on(obj: TaskNode) -> date:
        return obj.task.due_on

    @staticmethod
    def resolve_closed_late(obj: TaskNode) -> bool:
        return obj.task.closed_late

    @staticmethod
    def resolve_depth(obj: TaskNode) -> int:
        return obj.task.depth

    @staticmethod
    def resolve_lead_org(obj: TaskNode) -> int:
        return obj.task.lead_org_id

    @staticmethod
    def resolve_lead_org_name(obj: TaskNode) -> str:
        return obj.task.lead_org.name


TaskNodeOut.model_rebuild()


class ClauseBranchOut(_ClauseFields):
    tasks: list[TaskNodeOut] = Field(description="The clause's tasks the caller may see, as trees.")


class DirectiveTreeOut(Schema):
    """Clauses → tasks → subtasks, with lights and progress. A task whose parent the caller may not see
    hangs from its nearest visible ancestor, or from its clause."""

    directive: DirectiveOut
    clauses: list[ClauseBranchOut]
    other_tasks: list[TaskNodeOut] = Field(description="Tasks of the directive on no particular clause.")


@router.get("/{int:directive_id}/tree", response=DirectiveTreeOut)
def directive_tree(request: HttpRequest, directive_id: int) -> DirectiveTree:
    """The directive as a tree: every clause with the tasks and subtasks the caller may see."""
    user = current_user(request)
    return selectors.directive_tree(user=user, directive=selectors.directive_get(user=user, pk=directive_id))
