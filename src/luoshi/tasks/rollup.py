"""Progress and lights up the task tree (DESIGN §4 "Roll-up").

Every task stores ``progress`` and ``light``: a leaf its own, a parent the weighted mean of its
non-cancelled children's progress (closed children count 100) and the worst of its own light and its
children's lights. Three ways keep them right:

- ``refresh(chain)``, the one entry point every service calls after a write, recomputes the written task
  and its ancestors in memory from the children of the path (one aggregate query for all levels) and
  writes the rows that changed (one statement). The query count does not grow with the depth.
- ``check()`` streams every task once, children before parents, recomputes from the leaves and yields
  each difference from what is stored. It keeps only the open ancestors of the current row in memory.
- ``repair()`` recomputes with set-based SQL, one UPDATE per depth from the deepest level upward, each
  with correlated subqueries over the children; it runs the same on SQLite and PostgreSQL.

With ``today``, ``check`` and ``repair`` also recompute the time-dependent own lights (and report due
dates) as of that date first: that is the daily sweep.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from luoshi.core import trees, workdays
from luoshi.tasks import lights
from luoshi.tasks.models import OPEN_STATUSES, Milestone, Task, TaskStatus

DERIVED_FIELDS = ("next_report_due", "own_light", "light_overridden", "progress", "light")
# Rows fetched per round trip when streaming the tree.
BATCH = 2000
# Ids per UPDATE when the sweep writes own lights (below SQLite's limit on bound parameters).
ID_BATCH = 900


def lock_chain(task: Task) -> list[Task]:
    """The task and its ancestors, root first, locked for update.

    Every service locks root-first, so two writers in one tree queue instead of deadlocking.
    """
    ids = trees.ids_in_path(task.path)
    return list(
        Task.objects.select_for_update(of=("self",))
        .select_related("assigning_org", "lead_org")
        .filter(pk__in=ids)
        .order_by("path")
    )


def refresh(chain: Sequence[Task], *, today: date | None = None) -> list[Task]:
    """Bring the derived columns of ``chain[-1]`` and its ancestors up to date after a write.

    ``chain`` is the task's ancestors root first and the task itself last (as ``lock_chain`` returns
    them), holding what the service has just saved. Returns the rows whose derived values changed.
    Queries: one aggregate over the children of the path, at most one for milestones, at most one UPDATE.
    """
    today = today or workdays.today()
    ids = [t.pk for t in chain]
    ranks = lights.order()
    others: dict[int, lights.ChildTotals] = {}
    # Children of the path's nodes that are not on the path: their stored values are current.
    for row in (
        Task.objects.filter(parent_id__in=ids)
        .exclude(pk__in=ids)
        .exclude(status=TaskStatus.CANCELLED)
        .order_by()
        .values("parent_id")
        .annotate(
            n=Count("id"),
            w=Sum("weight"),
            wp=Sum(F("weight") * F("progress")),
            worst=Min(lights.rank_expression("light")),
        )
    ):
        others[row["parent_id"]] = lights.ChildTotals(
            count=row["n"],
            weight=row["w"],
            weighted_progress=row["wp"],
            worst_light=ranks[row["worst"]] if row["worst"] < len(ranks) else None,
        )

    def active_children(index: int) -> int:
        below = chain[index + 1] if index + 1 < len(chain) else None
        on_path = int(below is not None and below.status != TaskStatus.CANCELLED)
        return on_path + (others[ids[index]].count if ids[index] in others else 0)

    # Milestones matter only where expected progress is judged: open leaves.
    planned = [t.pk for i, t in enumerate(chain) if t.status in OPEN_STATUSES and active_children(i) == 0]
    milestones: dict[int, list[tuple[date, int]]] = {}
    if planned:
        for task_id, due_on, planned_progress in Milestone.objects.filter(task_id__in=planned).values_list(
            "task_id", "due_on", "planned_progress"
        ):
            milestones.setdefault(task_id, []).append((due_on, planned_progress))

    changed: list[Task] = []
    below: Task | None = None
    for node in reversed(chain):
        totals = lights.ChildTotals()
        if node.pk in others:
            totals.merge(others[node.pk])
        if below is not None and below.status != TaskStatus.CANCELLED:
            totals.add(weight=below.weight, progress=below.progress, light=below.light)
        values = derive(node, totals, milestones.get(node.pk, ()), today)
        if any(getattr(node, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(node, field, value)
            changed.append(node)
        below = node
    if changed:
        Task.objects.bulk_update(changed, DERIVED_FIELDS)
    return changed


def derive(
    node: Any, children: lights.ChildTotals, milestones: Sequence[tuple[date, int]], today: date
) -> dict[str, Any]:
    """All derived columns of one task from its own fields, its children's totals and the date."""
    next_due = lights.next_report_due(node.report_cadence, node.last_reported_on, node.start_on)
    facts = lights.LightFacts(
        status=node.status,
        start_on=node.start_on,
        due_on=node.due_on,
        reported_progress=node.reported_progress,
        last_reported_on=node.last_reported_on,
        next_report_due=next_due,
        rejection_count=node.rejection_count,
        open_overdue_urgings=node.open_overdue_urgings,
        override_light=node.override_light,
        override_until=node.override_until,
        milestones=tuple(milestones),
    )
    verdict = lights.own_light(facts, today=today, is_leaf=children.count == 0)
    progress, light = lights.combine(
        status=node.status,
        reported_progress=node.reported_progress,
        own=verdict.light,
        overridden=verdict.overridden,
        children=children,
    )
    return {
        "next_report_due": next_due,
        "own_light": verdict.light,
        "light_overridden": verdict.overridden,
        "progress": progress,
        "light": light,
    }


# --- full recomputation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    task_id: int
    field: str
    stored: Any
    expected: Any

    def __str__(self) -> str:
        return f"task {self.task_id}: {self.field} is {self.stored!r}, expected {self.expected!r}"


class _Row(NamedTuple):
    """A task row as ``derive`` reads it, without the cost of model instances."""

    id: int
    parent_id: int | None
    path: str
    status: str
    weight: int
    reported_progress: int
    last_reported_on: date | None
    next_report_due: date | None
    report_cadence: str
    start_on: date
    due_on: date
    rejection_count: int
    open_overdue_urgings: int
    override_light: str
    override_until: date | None
    own_light: str
    light_overridden: bool
    progress: int
    light: str


def _milestones_by_task_desc() -> Iterator[tuple[str, int, date, int]]:
    return (
        Milestone.objects.order_by("-task__path", "due_on")
        .values_list("task__path", "task_id", "due_on", "planned_progress")
        .iterator(chunk_size=BATCH)
    )


def _walk(today: date | None) -> Iterator[tuple[_Row, dict[str, Any]]]:
    """Every task with its recomputed derived values, children before their parents.

    Descending path order visits a node right after its whole subtree, so a node's children totals are
    complete when it is reached, and the totals still open at any time belong to the current row's
    ancestors only. Without ``today`` the stored own lights are taken as given.
    """
    open_totals: dict[int, lights.ChildTotals] = {}
    milestone_rows = _milestones_by_task_desc() if today else iter(())
    pending = next(milestone_rows, None)
    rows = Task.objects.order_by("-path").values_list(*_Row._fields).iterator(chunk_size=BATCH)
    for values in rows:
        row = _Row._make(values)
        totals = open_totals.pop(row.id, None) or lights.ChildTotals()
        if today is not None:
            planned = []
            while pending is not None and pending[0] >= row.path:
                if pending[0] == row.path:
                    planned.append((pending[2], pending[3]))
                pending = next(milestone_rows, None)
            expected = derive(row, totals, planned, today)
        else:
            progress, light = lights.combine(
                status=row.status,
                reported_progress=row.reported_progress,
                own=row.own_light,
                overridden=row.light_overridden,
                children=totals,
            )
            expected = {"progress": progress, "light": light}
        yield row, expected
        if row.parent_id is not None and row.status != TaskStatus.CANCELLED:
            open_totals.setdefault(row.parent_id, lights.ChildTotals()).add(
                weight=row.weight,
                progress=expected["progress"],
                light=expected["light"],
            )


def check(*, today: date | None = None) -> Iterator[Difference]:
    """Every stored derived value that differs from a recomputation from the leaves."""
    for row, expected in _walk(today):
        for field, value in expected.items():
            stored = getattr(row, field)
            if stored != value:
                plain = value.value if isinstance(value, Enum) else value
                yield Difference(task_id=row.id, field=field, stored=stored, expected=plain)


@transaction.atomic
def repair(*, today: date | None = None) -> None:
    """Recompute every stored roll-up with set-based SQL (and, with ``today``, the own lights first)."""
    if today is not None:
        _store_own_values(today)
    deepest = Task.objects.aggregate(deepest=Max("depth"))["deepest"] or 0
    for depth in range(deepest, 0, -1):
        progress, light = _progress_sql(), _light_sql(depth)
        # Only the rows that differ are written: reading is cheaper than writing, and on a sound tree
        # (the daily sweep) few rows change.
        Task.objects.filter(depth=depth).filter(~Q(progress=progress) | ~Q(light=light)).update(
            progress=progress, light=light
        )


def _store_own_values(today: date) -> None:
    """Write the own lights and report due dates as of ``today`` where they changed.

    Rows are grouped by their new values (a handful of lights times the report dates in use), so each
    group is one ``UPDATE … WHERE id IN (…)`` per batch of ids, however many rows changed.
    """
    fields = ("next_report_due", "own_light", "light_overridden")
    groups: dict[tuple[Any, ...], list[int]] = {}
    # Collected first and written after the scan: SQLite must not update a table it is iterating.
    for row, expected in _walk(today):
        values = tuple(expected[f] for f in fields)
        if values != tuple(getattr(row, f) for f in fields):
            groups.setdefault(values, []).append(row.id)
    for values, ids in groups.items():
        for start in range(0, len(ids), ID_BATCH):
            Task.objects.filter(pk__in=ids[start : start + ID_BATCH]).update(
                **dict(zip(fields, values, strict=True))
            )


def _progress_sql() -> Case:
    children = Task.objects.filter(parent_id=OuterRef("pk")).exclude(status=TaskStatus.CANCELLED).order_by()
    mean = children.values("parent_id").annotate(
        mean=ExpressionWrapper(
            (Value(2) * Sum(F("weight") * F("progress")) + Sum("weight")) / (Value(2) * Sum("weight")),
            output_field=IntegerField(),
        )
    )
    return Case(
        When(status=TaskStatus.CLOSED, then=Value(100)),
        When(status=TaskStatus.CANCELLED, then=F("reported_progress")),
        default=Coalesce(Subquery(mean.values("mean")[:1]), F("reported_progress")),
        output_field=IntegerField(),
    )


def _light_sql(depth: int) -> Case:
    # The worst of the task's own light and its non-cancelled children's lights, in one subquery that
    # returns the light itself (ordering by rank), so that the database evaluates it once per row. The
    # row itself is told from its children by depth, not by id: SQLite cannot use the outer row in the
    # ORDER BY of a subquery inside an UPDATE.
    contributors = (
        Task.objects.filter(
            (Q(parent_id=OuterRef("pk")) & ~Q(status=TaskStatus.CANCELLED)) | Q(pk=OuterRef("pk"))
        )
        .annotate(contribution=Case(When(depth=depth, then=F("own_light")), default=F("light")))
        .annotate(severity=lights.rank_expression("contribution"))
        .order_by("severity")
        .values("contribution")[:1]
    )
    return Case(
        When(
            Q(status__in=[TaskStatus.CLOSED, TaskStatus.CANCELLED]) | Q(light_overridden=True),
            then=F("own_light"),
        ),
        default=Subquery(contributors),
    )
