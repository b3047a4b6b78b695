"""The leader's cockpit (领导驾驶舱): where a unit subtree stands, in a fixed number of queries.

Every figure is an aggregate in SQL over the tasks whose lead unit lies in the subtree (one range scan on
``lead_org_path``), grouped in the database; nothing loops over task rows in Python, so the page costs
the same for a district of a hundred tasks and a province of a million. The counts match what the
ledger lists for the same unit and filter, so every figure drills down to the ledger.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr, TruncWeek
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from luoshi import access
from luoshi.core import sql, trees
from luoshi.core.errors import NotFound
from luoshi.directives import selectors as directive_selectors
from luoshi.directives.models import FocusArea
from luoshi.indicators import selectors
from luoshi.organizations import selectors as org_selectors
from luoshi.organizations.models import Organization, User
from luoshi.summaries import selectors as summaries
from luoshi.summaries.models import WeeklyKind
from luoshi.tasks.models import OPEN_STATUSES, Light, ProgressReport, Task, TaskStatus

TREND_WEEKS = 12
RED_LIST_LIMIT = 20
# Above this many red tasks in a subtree, the red list walks the due-date index (_red_list_in_subtree).
RED_SCAN_THRESHOLD = 2000
# What the red list shows: a person's name, never their (encrypted) contact details, which would be
# decrypted for every row if the whole person were loaded.
_PERSON_NAME = ("display_name", "first_name", "last_name", "username")
RED_LIST_FIELDS = (
    "title",
    "light",
    "status",
    "due_on",
    "progress",
    "path",
    "lead_org__name",
    "lead_org__short_name",
    *(f"{person}__{name}" for person in ("handler", "responsible_leader") for name in _PERSON_NAME),
)
LIGHT_ORDER = (Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN, Light.CLOSED)
OPEN = list(OPEN_STATUSES)


@dataclass
class Group:
    """Counts for one slice (a focus area, a unit below): all tasks, closed, red, yellow, overdue."""

    key: Any
    label: str | Promise
    total: int = 0
    cancelled: int = 0
    closed: int = 0
    red: int = 0
    yellow: int = 0
    overdue: int = 0
    ledger: str = ""

    @property
    def counted(self) -> int:
        return self.total - self.cancelled

    @property
    def completion(self) -> float:
        return round(100 * self.closed / self.counted, 1) if self.counted else 0.0


@dataclass
class Week:
    start: date
    closures: int = 0
    reports: int = 0


@dataclass
class Dashboard:
    org: Organization
    today: date
    totals: Group
    by_light: list[tuple[str, int, str]]  # (light, count, ledger query)
    by_status: list[tuple[str, Any, int, str]]  # (status, label, count, ledger query)
    clauses: int
    clauses_covered: int
    by_focus_area: list[Group]
    by_child: list[Group]
    trend: list[Week]
    red_list: list[Any]  # Task rows, or RedTask lines when the user sees the whole subtree
    indicators: list[selectors.Row]
    league: list[Any] | None = None
    ledger_overdue: str = ""
    indicator_lights: dict[str, int] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return round(100 * self.clauses_covered / self.clauses, 1) if self.clauses else 0.0

    @property
    def trend_max(self) -> int:
        return max([1, *(max(w.closures, w.reports) for w in self.trend)])


def ledger_query(org: Organization, **filters: Any) -> str:
    return urlencode({"org": org.pk, **{k: v for k, v in filters.items() if v not in (None, "")}})


def default_org(user: Any) -> Organization | None:
    """Where the cockpit opens: the widest unit the user works in (the root for superusers)."""
    if user.is_superuser:
        return Organization.objects.filter(parent__isnull=True).order_by("sort_order", "pk").first()
    scopes = sorted(access.scopes_of(user), key=lambda s: (len(s.path), s.path))
    if not scopes:
        return None
    return Organization.objects.filter(path=scopes[0].path).first()


def get_org(user: Any, pk: int | None) -> Organization:
    """The unit asked for if the user may see it, else their default; ``NotFound`` if neither."""
    if pk is not None:
        return org_selectors.org_get(user, pk)
    org = default_org(user)
    if org is None:
        raise NotFound(_("Not found."))
    return org


def tasks_under(user: Any, org: Organization) -> QuerySet[Task]:
    """Tasks led in the subtree as far as ``user`` may see them. When one of the user's scopes covers
    the whole subtree every such task is visible, and the policy's extra conditions are left out."""
    qs = Task.objects.filter(trees.subtree_q("lead_org_path", org.path))
    return qs if access.covers(user, org) else access.visible(user, qs)


def _counts() -> dict[str, Any]:
    return {
        "total": Count("id"),
        "cancelled": Count("id", filter=Q(status=TaskStatus.CANCELLED)),
        "closed": Count("id", filter=Q(status=TaskStatus.CLOSED)),
        "red": Count("id", filter=Q(status__in=OPEN, light=Light.RED)),
        "yellow": Count("id", filter=Q(status__in=OPEN, light=Light.YELLOW)),
    }


def _group(key: Any, label: Any, row: dict[str, Any], ledger: str) -> Group:
    return Group(
        key=key,
        label=label,
        total=row["total"],
        cancelled=row["cancelled"],
        closed=row["closed"],
        red=row["red"],
        yellow=row["yellow"],
        overdue=row["overdue"],
        ledger=ledger,
    )


def _league() -> list[Any] | None:
    """The evaluation's league table once that app exists; nothing until then."""
    try:
        module = importlib.import_module("luoshi.evaluation.selectors")
    except ModuleNotFoundError as exc:
        if exc.name not in {"luoshi.evaluation", "luoshi.evaluation.selectors"}:
            raise
        return None
    league_table = getattr(module, "league_table", None)
    return None if league_table is None else league_table


@dataclass
class Counts:
    """The figures of sections 1–3 and the weekly trend, from the task rows or from the summaries."""

    combos: list[dict[str, Any]]  # light, status, n
    overdue: int
    by_focus_area: list[dict[str, Any]]  # focus_area_id + _counts() + overdue
    by_branch: dict[str, dict[str, Any]]  # first path segment below the unit → _counts() + overdue
    closures: dict[date, int]
    reports: dict[date, int]


def _week_start(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def live_counts(tasks: QuerySet[Task], org: Organization, today: date, since: date) -> Counts:
    """Counted from the task rows the user may see: used when the user sees only part of the subtree."""
    overdue_q = Q(status__in=OPEN, due_on__lt=today)
    prefix_length = len(org.path) + trees.SEGMENT
    closures = {
        _week_start(row["week"]): row["n"]
        for row in tasks.filter(closed_on__gte=since, status=TaskStatus.CLOSED)
        .annotate(week=TruncWeek("closed_on"))
        .values("week")
        .annotate(n=Count("id"))
        .order_by()
    }
    reports = {
        _week_start(row["week"]): row["n"]
        for row in ProgressReport.objects.filter(task__in=tasks.values("pk"), reported_on__gte=since)
        .annotate(week=TruncWeek("reported_on"))
        .values("week")
        .annotate(n=Count("id"))
        .order_by()
    }
    return Counts(
        combos=list(tasks.values("light", "status").annotate(n=Count("id")).order_by()),
        overdue=tasks.filter(overdue_q).count(),
        by_focus_area=list(
            tasks.values("focus_area_id")
            .annotate(**_counts(), overdue=Count("id", filter=overdue_q))
            .order_by()
        ),
        by_branch={
            row["branch"]: row
            for row in tasks.annotate(branch=Substr("lead_org_path", 1, prefix_length))
            .values("branch")
            .annotate(**_counts(), overdue=Count("id", filter=overdue_q))
            .order_by()
        },
        closures=closures,
        reports=reports,
    )


GROUP_FIELDS = ("total", "cancelled", "closed", "red", "yellow")


def _count_into(row: dict[str, int], status: str, light: str, n: int) -> None:
    """Add ``n`` tasks of this state and light to a row of ``_counts()``'s fields."""
    row["total"] += n
    if status == TaskStatus.CANCELLED:
        row["cancelled"] += n
    elif status == TaskStatus.CLOSED:
        row["closed"] += n
    elif light == Light.RED:
        row["red"] += n
    elif light == Light.YELLOW:
        row["yellow"] += n


def summary_counts(org: Organization, today: date, since: date) -> Counts:
    """The same figures summed from the summary tables (``luoshi.summaries``), which count every task
    for each unit of its lead unit's chain: the unit's own rows and its children's rows give every
    figure, a few hundred rows whatever the number of tasks below.

    Reports count by the unit that filed them; the live count goes by the task's lead unit. The two
    differ only for a report filed by a unit outside the subtree on a task led inside it."""
    rows = summaries.subtree_rows(org.path, today=today, since=since)
    overdue_by_area: dict[int, int] = defaultdict(int)
    overdue_by_branch: dict[str, int] = defaultdict(int)
    for area, n in rows.overdue_own:
        overdue_by_area[area] += n
        overdue_by_branch[org.path] += n
    for child_path, n in rows.overdue_children:
        # A child's subtree: its branch, and not the unit's own tasks.
        overdue_by_branch[child_path] += n
        overdue_by_branch[org.path] -= n
    weekly: dict[str, dict[date, int]] = {WeeklyKind.CLOSURE: {}, WeeklyKind.REPORT: {}}
    for kind, week, n in rows.weekly:
        weekly[kind][week] = n
    lights_of: dict[tuple[str, str], int] = defaultdict(int)
    area_rows: dict[int, dict[str, int]] = {}
    branch_rows: dict[str, dict[str, int]] = {}

    def row_of(rows: dict[Any, dict[str, int]], key: Any, overdue: dict[Any, int]) -> dict[str, int]:
        return rows.setdefault(key, {**dict.fromkeys(GROUP_FIELDS, 0), "overdue": overdue.get(key, 0)})

    # The unit's own rows in detail (by focus area, state and light) ...
    own = row_of(branch_rows, org.path, overdue_by_branch)
    for area, status, light, n in rows.own:
        lights_of[light, status] += n
        _count_into(row_of(area_rows, area, overdue_by_area), status, light, n)
        _count_into(own, status, light, n)
    # ... and each child's summed in the database: a row per child, however many combinations below.
    for child_path, *sums in rows.children:
        row = row_of(branch_rows, child_path, overdue_by_branch)
        for name, n in zip(summaries.CHILD_FIELDS, sums, strict=True):
            row[name] += n
            own[name] -= n
    combos = [{"light": light, "status": status, "n": n} for (light, status), n in lights_of.items()]
    by_focus_area = [{"focus_area_id": key or None, **row} for key, row in area_rows.items()]
    return Counts(
        combos=combos,
        overdue=sum(overdue_by_area.values()),
        by_focus_area=by_focus_area,
        by_branch=branch_rows,
        closures=weekly[WeeklyKind.CLOSURE],
        reports=weekly[WeeklyKind.REPORT],
    )


def _red_tasks(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """The open red tasks among ``tasks`` (what a viewer of part of the subtree may see); the index on
    (light, lead unit path) finds them."""
    return tasks.filter(status__in=OPEN, light=Light.RED)


class UnitName(NamedTuple):
    name: str
    display_name: str


@dataclass(frozen=True)
class RedTask:
    """A line of the red list, as the page and the API show it."""

    pk: int
    title: str
    light: str
    due_on: date
    progress: int
    lead_org: UnitName
    handler: str | None
    responsible_leader: str | None

    @property
    def id(self) -> int:
        return self.pk


def _red_list_in_subtree(org: Organization, *, many: bool) -> list[RedTask]:
    """The first open red tasks of the subtree by due date, with the owners' names, for a viewer who
    sees all of it: one statement written out (the cockpit asks on every request).

    With few red tasks, the index of the red tasks by lead unit path finds them all and they are sorted.
    With ``many`` (a city or province root), walking the index of the red tasks by due date and path in
    order and stopping at the twentieth task of the subtree is faster; SQLite's planner cannot tell the
    two cases apart, so the subtree test is then written as an expression the path index cannot serve.
    The counts already known from the summaries decide. The light is written as a constant, which both
    databases need to use those partial indexes."""
    task, unit, person = Task._meta.db_table, Organization._meta.db_table, User._meta.db_table
    params: list[Any]
    if many:
        within, params = "SUBSTR(t.lead_org_path, 1, %s) = %s", [len(org.path), org.path]
    else:
        within, params = (
            "t.lead_org_path >= %s AND t.lead_org_path < %s",
            [org.path, trees.successor(org.path)],
        )
    states = ", ".join(["%s"] * len(OPEN))
    names = "{0}.display_name, {0}.first_name, {0}.last_name, {0}.username"
    # The twenty tasks first, then their names: a township's red tasks can be most of its tasks, and
    # joining the units and people of every one of them before the sort cost three times the list.
    statement = (
        f"SELECT t.id, t.title, t.light, t.due_on, t.progress, o.name, o.short_name,"  # noqa: S608
        f" {names.format('h')}, {names.format('r')} FROM (SELECT t.id, t.title, t.light, t.due_on,"
        " t.progress, t.path, t.lead_org_id, t.handler_id, t.responsible_leader_id"
        f" FROM {task} t WHERE t.light = '{Light.RED}' AND t.status IN ({states}) AND {within}"
        f" ORDER BY t.due_on, t.path LIMIT %s) t JOIN {unit} o ON o.id = t.lead_org_id"
        f" LEFT JOIN {person} h ON h.id = t.handler_id LEFT JOIN {person} r ON r.id = t.responsible_leader_id"
        " ORDER BY t.due_on, t.path"
    )
    rows = sql.read_rows(Task, statement, [*sorted(OPEN), *params, RED_LIST_LIMIT])

    def person_name(columns: tuple[Any, ...]) -> str | None:
        return User.name_of(*columns) if columns[3] is not None else None

    return [
        RedTask(
            pk=row[0],
            title=row[1],
            light=row[2],
            due_on=sql.as_date(row[3]),
            progress=row[4],
            lead_org=UnitName(name=row[5], display_name=row[6] or row[5]),
            handler=person_name(row[7:11]),
            responsible_leader=person_name(row[11:15]),
        )
        for row in rows
    ]


def dashboard(*, user: Any, org: Organization, today: date) -> Dashboard:
    covered = access.covers(user, org)
    # Only a viewer of part of the subtree needs the task rows; the summaries answer for the others.
    partial = None if covered else tasks_under(user, org)
    yesterday = (today - timedelta(days=1)).isoformat()
    since = today - timedelta(days=today.weekday()) - timedelta(weeks=TREND_WEEKS - 1)
    counts = summary_counts(org, today, since) if partial is None else live_counts(partial, org, today, since)

    # 1. Lights and states, with overdue and the totals folded in.
    combos = counts.combos
    light_counts: dict[str, int] = defaultdict(int)
    status_counts: dict[str, int] = defaultdict(int)
    for c in combos:
        status_counts[c["status"]] += c["n"]
        if c["status"] != TaskStatus.CANCELLED:
            light_counts[c["light"]] += c["n"]
    totals = Group(
        key=org.pk,
        label=org.name,
        total=sum(status_counts.values()),
        cancelled=status_counts[TaskStatus.CANCELLED],
        closed=status_counts[TaskStatus.CLOSED],
        red=sum(c["n"] for c in combos if c["light"] == Light.RED and c["status"] in OPEN_STATUSES),
        yellow=sum(c["n"] for c in combos if c["light"] == Light.YELLOW and c["status"] in OPEN_STATUSES),
        overdue=counts.overdue,
        ledger=ledger_query(org),
    )
    by_light = [(str(light), light_counts[light], ledger_query(org, light=light)) for light in LIGHT_ORDER]
    by_status = [
        (value, label, status_counts[value], ledger_query(org, status=value))
        for value, label in TaskStatus.choices
    ]

    # 2. By focus area.
    areas = {a.pk: a for a in sql.read_objects(FocusArea, "", [])}
    by_focus_area = []
    for row in counts.by_focus_area:
        if not row["total"]:
            continue
        area = areas.get(row["focus_area_id"])
        label = area.name if area else _("No focus area")
        ledger = ledger_query(org, focus_area=area.pk) if area else ""
        by_focus_area.append(_group(row["focus_area_id"], label, row, ledger))
    by_focus_area.sort(
        key=lambda g: (g.key is None, getattr(areas.get(g.key), "sort_order", 0), str(g.label))
    )

    # 3. By the units directly below: the first path segment after the unit's own.
    children = {
        c.path: c
        for c in sql.read_objects(
            Organization, "WHERE t.parent_id = %s ORDER BY t.sort_order, t.path", [org.pk]
        )
    }
    per_child = counts.by_branch
    by_child = []
    own = per_child.get(org.path)
    if own and own["total"]:
        by_child.append(_group(org.pk, _("%(unit)s itself") % {"unit": org.display_name}, own, ""))
    for path, child in children.items():
        child_row = per_child.get(path)
        if child_row and child_row["total"]:
            by_child.append(_group(child.pk, child.display_name, child_row, ledger_query(child)))

    # 4. Clause coverage: clauses of the directives issued in the subtree or carried out in it.
    # The summaries' count of the subtree's tasks lets the statement suit its size.
    clauses, clauses_covered = directive_selectors.clause_coverage(
        org.path, tasks=totals.total if partial is None else None
    )

    # 5. The trend: closures and progress reports per week.
    weeks = {since + timedelta(weeks=i): Week(since + timedelta(weeks=i)) for i in range(TREND_WEEKS)}
    for week, n in counts.closures.items():
        if week in weeks:
            weeks[week].closures = n
    for week, n in counts.reports.items():
        if week in weeks:
            weeks[week].reports = n

    # 6. The red list with its owners.
    red_list: list[Any]
    if partial is None:
        red_list = _red_list_in_subtree(org, many=totals.red > RED_SCAN_THRESHOLD)
    else:
        red_list = list(
            _red_tasks(partial)
            .select_related("lead_org", "handler", "responsible_leader")
            .only(*RED_LIST_FIELDS)
            .order_by("due_on", "path")[:RED_LIST_LIMIT]
        )

    # 7. Indicator lights for the unit itself.
    indicators = list(selectors.visible_indicators(user).filter(is_active=True))
    rows = [r for r in selectors.standings(indicators, [org], today=today) if r.target is not None]

    league_table = _league()
    league = None
    if league_table is not None:
        league = _league_rows(league_table, user, org, today, covered=covered)
    return Dashboard(
        org=org,
        today=today,
        totals=totals,
        by_light=by_light,
        by_status=by_status,
        clauses=clauses,
        clauses_covered=clauses_covered,
        by_focus_area=by_focus_area,
        by_child=by_child,
        trend=list(weeks.values()),
        red_list=red_list,
        indicators=rows,
        indicator_lights=selectors.light_counts(rows),
        league=league,
        ledger_overdue=ledger_query(org, status="open", due_to=yesterday),
    )


def _league_rows(
    league_table: Any, user: Any, org: Organization, today: date, *, covered: bool
) -> list[Any] | None:
    """The units directly below ``org`` ranked for the current quarter (``YYYY-Qn``), as far as ``user``
    may see them, from the stored evaluation (computed by the evaluation page, the command line or the
    scheduler): scoring a whole subtree on every cockpit request would make the cockpit slow. A user
    whose scope covers the subtree sees every unit below, so no visibility filter is needed."""
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    rows = league_table(period, parent=org, user=None if covered else user, stored_only=True)
    return list(rows) if rows else None
