"""Reads shaped for the task list pages: My work, the ledger (台账), the directive list and tree.

Each function asks the database a fixed number of times however many tasks there are: lists come from
``luoshi.tasks.selectors`` (so the access policy applies), with their related rows joined or prefetched,
and trees are nested in Python from the materialized paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from luoshi import access
from luoshi.directives import selectors as directive_selectors
from luoshi.directives.models import Clause, Directive
from luoshi.organizations.models import Organization
from luoshi.summaries import selectors as summaries
from luoshi.tasks import lights
from luoshi.tasks import rules as task_rules
from luoshi.tasks import selectors as task_selectors
from luoshi.tasks.models import (
    OPEN_STATUSES,
    REPORTING_STATUSES,
    Light,
    ProgressReport,
    Task,
    TaskStatus,
)

# Rows shown per My work section; the rest are counted and reached through the ledger.
SECTION_LIMIT = 20


# --- My work --------------------------------------------------------------------------------------


@dataclass
class Section:
    """One heading of My work: what the user must do, the first rows and how many there are."""

    key: str
    title: str | Promise
    empty: str | Promise
    rows: list[Any]
    total: int
    # Query string of the ledger page that lists all of them, when the ledger can.
    ledger_query: str = ""
    is_extensions: bool = False
    # A template of its own for rows that are not tasks (urgings, look-backs); "" for the task list.
    template: str = ""

    @property
    def more(self) -> int:
        return max(self.total - len(self.rows), 0)


def lead_unit_ids(user: Any) -> list[int]:
    """The units whose work the user does (reports, acknowledges) as their head or handler."""
    return [s.organization_id for s in access.scopes_of(user) if s.role in task_rules.LEAD_ROLES]


def reports_due_this_week(*, user: Any, today: date) -> QuerySet[Task]:
    """Leaves of the user's own units whose report falls due from today to Sunday."""
    sunday = today + timedelta(days=6 - today.weekday())
    return (
        task_selectors.visible_tasks(user)
        .leaves()
        .filter(
            lead_org_id__in=lead_unit_ids(user),
            status__in=REPORTING_STATUSES,
            next_report_due__gte=today,
            next_report_due__lte=sunday,
        )
        .order_by("next_report_due", "due_on")
    )


def _rows(qs: QuerySet[Any]) -> tuple[list[Any], int]:
    """The first rows and the total: always two queries, so the page costs the same however full."""
    return list(qs[:SECTION_LIMIT]), qs.count()


def _task_rows(qs: QuerySet[Task]) -> tuple[list[Any], int]:
    return _rows(qs.select_related("directive"))


def my_work(*, user: Any, today: date) -> list[Section]:
    """The sections of My work, in the order people act on them."""
    sections = []
    specs: list[tuple[str, Any, Any, Any, str]] = [
        (
            "acknowledge",
            _("To acknowledge"),
            _("Nothing waits for your acknowledgement."),
            task_selectors.to_acknowledge(user=user),
            "status=assigned",
        ),
        (
            "reports_missing",
            _("Reports missing"),
            _("No report is missing."),
            task_selectors.reports_missing(user=user, today=today),
            "",
        ),
        (
            "reports_due",
            _("Reports due this week"),
            _("No report falls due this week."),
            reports_due_this_week(user=user, today=today),
            "",
        ),
        (
            "verify",
            _("To review"),
            _("No completed work waits for your review."),
            task_selectors.to_verify(user=user),
            "",
        ),
    ]
    for key, title, empty, qs, query in specs:
        rows, total = _task_rows(qs)
        sections.append(Section(key, title, empty, rows, total, query))
    extensions, total = _rows(
        task_selectors.pending_extensions(user=user)
        .select_related("task__lead_org", "task__directive", "requested_by")
        .order_by("created_at")
    )
    sections.append(
        Section(
            "extensions",
            _("Extension requests to decide"),
            _("No extension request waits for your decision."),
            extensions,
            total,
            is_extensions=True,
        )
    )
    later: list[tuple[str, Any, Any, Any, str]] = [
        (
            "sent_back",
            _("Sent back to you"),
            _("No task was sent back."),
            task_selectors.sent_back(user=user),
            "",
        ),
        (
            "overdue",
            _("Overdue"),
            _("Nothing you can see is overdue."),
            task_selectors.overdue(user=user, today=today),
            "status=open&due_to=" + (today - timedelta(days=1)).isoformat(),
        ),
        (
            "red",
            _("Red lights"),
            _("No open task shows a red light."),
            task_selectors.red_list(user=user),
            "status=open&light=red",
        ),
    ]
    for key, title, empty, qs, query in later:
        rows, total = _task_rows(qs)
        sections.append(Section(key, title, empty, rows, total, query))
    return sections


@dataclass
class Tally:
    key: str
    title: str | Promise
    count: int


def my_work_counts(*, user: Any, today: date) -> list[Tally]:
    """How many items each section of My work holds, for the home page (one count each)."""
    return [
        Tally("acknowledge", _("To acknowledge"), task_selectors.to_acknowledge(user=user).count()),
        Tally(
            "reports",
            _("Reports missing or due this week"),
            task_selectors.reports_missing(user=user, today=today).count()
            + reports_due_this_week(user=user, today=today).count(),
        ),
        Tally("verify", _("To review"), task_selectors.to_verify(user=user).count()),
        Tally(
            "extensions",
            _("Extension requests to decide"),
            task_selectors.pending_extensions(user=user).count(),
        ),
        Tally("overdue", _("Overdue"), task_selectors.overdue(user=user, today=today).count()),
    ]


# --- the ledger -----------------------------------------------------------------------------------

# Sort keys offered by the ledger's column headers; "-key" sorts the other way.
SORTS: dict[str, tuple[str, ...]] = {
    "due": ("due_on", "path"),
    "progress": ("progress", "due_on", "path"),
    "light": ("light_rank", "due_on", "path"),
    "updated": ("updated_at", "path"),
}
DEFAULT_SORT = "due"
CLOSED_LATE = "closed_late"
OPEN = "open"


@dataclass
class LedgerFilters:
    """What the ledger's filter form chose (all optional)."""

    org: Organization | None = None
    focus_area: Any = None
    light: str = ""
    status: str = ""
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""
    directive: Directive | None = None
    sort: str = DEFAULT_SORT


def _sorted(qs: QuerySet[Task], sort: str) -> QuerySet[Task]:
    key = sort.lstrip("-")
    fields = SORTS.get(key, SORTS[DEFAULT_SORT])
    if key == "light":
        qs = qs.annotate(light_rank=lights.rank_expression("light"))
    if sort.startswith("-"):
        # The first key turns; ties keep their natural order (tree order last).
        fields = ("-" + fields[0], *fields[1:])
    return qs.order_by(*fields)


def text_matches(user: Any, q: str) -> Q:
    """Tasks whose title contains ``q``, or that the search index finds for it (description, outcome).

    The title test keeps the filter exact while the index is being (re)built; the index adds the other
    texts, Chinese and English alike.
    """
    from luoshi.core.errors import ValidationFailed
    from luoshi.search import selectors as search_selectors

    found = Q(title__icontains=q)
    try:
        results = search_selectors.search(user, q, kinds=["task"], limit=search_selectors.MAX_RESULTS)
    except ValidationFailed:
        return found
    ids = [hit.object_id for hit in results.hits]
    return found | Q(pk__in=ids) if ids else found


def _covered(user: Any, filters: LedgerFilters) -> bool:
    """Whether the user's scope holds the chosen unit's subtree, so that every task led in it is theirs
    to see (``access.covers``)."""
    return filters.org is not None and access.covers(user, filters.org)


def ledger_tasks(*, user: Any, filters: LedgerFilters) -> QuerySet[Task]:
    """The visible tasks the filters choose, sorted, with what a ledger row shows joined in."""
    # A user whose scope holds the unit's subtree sees every task led in it: no visibility filter.
    base = (
        Task.objects.select_related(*task_selectors.LEDGER_RELATED)
        if _covered(user, filters)
        else task_selectors.visible_tasks(user)
    )
    qs = base.select_related("directive", "focus_area", "parent")
    if filters.org is not None:
        qs = qs.led_under(filters.org)
    if filters.focus_area is not None:
        qs = qs.filter(focus_area=filters.focus_area)
    if filters.light == CLOSED_LATE:
        qs = qs.filter(light=Light.CLOSED, closed_late=True)
    elif filters.light:
        qs = qs.filter(light=filters.light)
    if filters.status == OPEN:
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.due_from is not None:
        qs = qs.filter(due_on__gte=filters.due_from)
    if filters.due_to is not None:
        qs = qs.filter(due_on__lte=filters.due_to)
    if filters.directive is not None:
        qs = qs.filter(directive=filters.directive)
    if filters.q:
        qs = qs.filter(text_matches(user, filters.q))
    return _sorted(qs, filters.sort)


def known_ledger_count(*, user: Any, filters: LedgerFilters) -> int | None:
    """How many tasks ``ledger_tasks`` holds, read from the summaries, when the user's scope covers the
    unit and only the tally's dimensions narrow it (focus area, a light, states); None otherwise, and the
    rows are counted."""
    if not _covered(user, filters) or filters.org is None:
        return None
    if filters.due_from or filters.due_to or filters.directive is not None or filters.q:
        return None
    if filters.light == CLOSED_LATE:
        return None
    statuses = [str(s) for s in sorted(OPEN_STATUSES)] if filters.status == OPEN else [filters.status]
    return summaries.task_count(
        filters.org.path,
        focus_area=filters.focus_area.pk if filters.focus_area is not None else None,
        lights=[filters.light] if filters.light else None,
        statuses=statuses if filters.status else None,
    )


def with_export_facts(qs: QuerySet[Task]) -> QuerySet[Task]:
    """What the Excel export adds to a ledger row: people, cooperating units, the latest report."""
    latest = ProgressReport.objects.filter(task=OuterRef("pk")).order_by("-reported_on", "-pk")
    return (
        qs.select_related("responsible_leader")
        .prefetch_related("cooperating_orgs")
        .annotate(latest_narrative=Subquery(latest.values("narrative")[:1]))
    )


# --- directives -----------------------------------------------------------------------------------


@dataclass
class DirectiveRow:
    directive: Directive
    clauses: int = 0
    undecomposed: int = 0
    tasks: int = 0
    closed: int = 0
    red: int = 0


def directive_rows(*, user: Any, directives: Sequence[Directive]) -> list[DirectiveRow]:
    """Counts for a page of directives: clauses (and how many have no task yet), and the tasks the user
    may see, closed and red. Two aggregate queries for the whole page."""
    ids = [d.pk for d in directives]
    rows = {d.pk: DirectiveRow(d) for d in directives}
    if not ids:
        return []
    live = Task.objects.filter(clause=OuterRef("pk")).exclude(status=TaskStatus.CANCELLED)
    clause_counts = (
        Clause.objects.filter(directive_id__in=ids)
        .annotate(has_task=Exists(live))
        .values("directive_id")
        .annotate(n=Count("id"), bare=Count("id", filter=Q(has_task=False)))
        .order_by()
    )
    for c in clause_counts:
        rows[c["directive_id"]].clauses = c["n"]
        rows[c["directive_id"]].undecomposed = c["bare"]
    task_counts = (
        access.visible(user, Task.objects.filter(directive_id__in=ids))
        .exclude(status=TaskStatus.CANCELLED)
        .values("directive_id")
        .annotate(
            n=Count("id"),
            closed=Count("id", filter=Q(status=TaskStatus.CLOSED)),
            red=Count("id", filter=Q(light=Light.RED, status__in=OPEN_STATUSES)),
        )
        .order_by()
    )
    for t in task_counts:
        row = rows[t["directive_id"]]
        row.tasks, row.closed, row.red = t["n"], t["closed"], t["red"]
    return [rows[pk] for pk in ids]


@dataclass
class TreeNode:
    """A task in a drawn tree, with how many open branches close before it."""

    task: Task
    level: int
    has_children: bool = False
    closes_before: range = field(default_factory=lambda: range(0))


@dataclass
class ClauseBranch:
    summary: directive_selectors.ClauseSummary | None
    nodes: list[TreeNode]
    closes_after: range

    @property
    def clause(self) -> Clause | None:
        return self.summary.clause if self.summary else None


def nest(tasks: Iterable[Task]) -> tuple[list[TreeNode], range]:
    """Tasks in path order as drawable nodes; a task whose parent is not in the list starts a branch."""
    ordered = list(tasks)
    nodes: list[TreeNode] = []
    stack: list[str] = []
    for index, task in enumerate(ordered):
        closes = 0
        while stack and not task.path.startswith(stack[-1]):
            stack.pop()
            closes += 1
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        has_children = following is not None and following.path.startswith(task.path)
        nodes.append(TreeNode(task, len(stack), has_children, range(closes)))
        if has_children:
            stack.append(task.path)
    return nodes, range(len(stack))


def directive_tree(*, user: Any, directive: Directive) -> list[ClauseBranch]:
    """The directive as a tree: each clause (with its task count and worst light) and under it the tasks
    and subtasks the user may see. Three queries, whatever the size of the tree."""
    summaries = directive_selectors.clause_summaries(user=user, directive=directive)
    tasks = list(
        task_selectors.visible_tasks(user)
        .filter(directive=directive)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by("path")
    )
    by_clause: dict[int | None, list[Task]] = {}
    for task in tasks:
        by_clause.setdefault(task.clause_id, []).append(task)
    branches = []
    for summary in summaries:
        nodes, closes = nest(by_clause.get(summary.clause.pk, []))
        branches.append(ClauseBranch(summary, nodes, closes))
    if by_clause.get(None):
        nodes, closes = nest(by_clause[None])
        branches.append(ClauseBranch(None, nodes, closes))
    return branches
