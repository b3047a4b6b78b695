"""Progress and lights up the task tree (DESIGN §4 "Roll-up").

Every task stores ``progress`` and ``light``: a leaf its own, a parent the weighted mean of its
non-cancelled children's progress (closed children count 100) and the worst of its own light and its
children's lights. Three ways keep them right:

- ``refresh(chain)``, the one entry point every service calls after a write, recomputes the written task
  and its ancestors in memory from the children of the path (one statement for all levels, milestones
  included) and writes the rows that changed (one batch). The query count does not grow with the depth.
  A service that saves the task itself may use its two halves, ``recompute`` and ``store``, to write
  the task's derived values in its own UPDATE (``report_progress`` does).
- ``check()`` streams every task once, children before parents, recomputes from the leaves and yields
  each difference from what is stored. It keeps only the open ancestors of the current row in memory.
  On a sound tree one statement answers first (every row agrees with its children's stored totals).
- ``repair()`` recomputes with set-based SQL: the rows without counted children in one UPDATE, then one
  ``UPDATE … FROM (SELECT parent_id, … GROUP BY parent_id)`` per depth from the deepest level upward;
  it runs the same on SQLite (3.33 or later) and PostgreSQL.

With ``today``, ``check`` and ``repair`` also recompute the time-dependent own lights (and report due
dates) as of that date first. The repair does it in SQL too (one UPDATE for the report due dates, one
for the own lights), in Python only for the few tasks with milestones.

- ``advance(today=)`` is the daily sweep's step: the same own values as of ``today``, then the roll-up
  of only the chains of the rows they changed. On a sound tree (``refresh`` keeps it so) nothing else
  can differ overnight, and a province's day changes tens of thousands of rows, not a million.
"""

# The repair is SQL built from the model's table names, enum constants and configured integers; every
# date is a bound parameter, so the rule against SQL built from strings does not apply to this module.
# ruff: noqa: S608

from __future__ import annotations

import dataclasses
import functools
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Any, NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.db.transaction import TransactionManagementError

from luoshi.core import bulk, sql, trees, workdays
from luoshi.tasks import lights
from luoshi.tasks.models import (
    OPEN_STATUSES,
    REPORTING_STATUSES,
    Light,
    Milestone,
    ReportCadence,
    Task,
    TaskStatus,
)

DERIVED_FIELDS = ("next_report_due", "own_light", "light_overridden", "progress", "light")
# Rows fetched per round trip when streaming the tree.
BATCH = 2000
# Ids per UPDATE when the sweep writes own lights (below SQLite's limit on bound parameters).
ID_BATCH = 900


def lock_chain(task: Task) -> list[Task]:
    """The task and its ancestors, root first, locked for update.

    Every service locks root-first, so two writers in one tree queue instead of deadlocking. Every write
    starts here, so the statement is written out (the ORM's ``select_for_update(of=("self",))`` cost
    more to build than to run). The lead and assigning units are read when a service touches them: the
    report, the most frequent write, needs neither, and joining them made planning the statement cost
    more than running it.
    """
    if connection.features.has_select_for_update and connection.get_autocommit():
        raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
    ids = trees.ids_in_path(task.path)
    columns = _task_columns()
    marks = ", ".join(["%s"] * len(ids))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql} FROM {Task._meta.db_table} t"
            f" WHERE t.id IN ({marks}) ORDER BY t.path{lock}",
            ids,
        )
        return [columns.build(row) for row in cursor.fetchall()]


@functools.cache
def _task_columns() -> sql.ModelColumns[Task]:
    return sql.ModelColumns(Task, "t")


class PathFacts(NamedTuple):
    """What the roll-up of a chain reads besides the chain's own rows."""

    # The counted children of the chain's tasks that are not on the chain, totalled by parent.
    totals: dict[int, lights.ChildTotals]
    # The milestones of the chain's tasks, (due date, planned progress) by task.
    milestones: dict[int, list[tuple[date, int]]]


def path_facts(chain: Sequence[Task]) -> PathFacts:
    """The children totals and milestones of ``chain``'s tasks, in one statement.

    The rows off the chain hold current values, and no write to the chain changes them or the
    milestones, so a service may read them before its write: ``report_progress`` also learns from the
    totals whether its task has subtasks. Read after ``lock_chain``, never in its statement: a
    statement sees what was committed when it began, and a writer that held the lock may have changed
    a sibling subtree.
    """
    ids = [t.pk for t in chain]
    ranks = lights.order()
    facts = PathFacts({}, {})
    # Plain SQL: this runs on every write, and building it through the ORM cost more than running it.
    # The aggregate and the milestones share one round trip as the two halves of a UNION ALL; a
    # milestone's row is the one without a count.
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT parent_id, COUNT(*), SUM(weight), SUM(weight * progress), MIN({_rank_sql('light')}),"
            f" NULL FROM {Task._meta.db_table} WHERE parent_id IN ({marks}) AND id NOT IN ({marks})"
            f" AND status <> '{TaskStatus.CANCELLED}' GROUP BY parent_id"
            " UNION ALL SELECT task_id, NULL, NULL, NULL, planned_progress, due_on"
            f" FROM {Milestone._meta.db_table} WHERE task_id IN ({marks})",
            [*ids, *ids, *ids],
        )
        for task_id, count, weight, weighted, number, due_on in cursor.fetchall():
            if count is None:
                facts.milestones.setdefault(task_id, []).append((sql.as_date(due_on), number))
            else:
                facts.totals[task_id] = lights.ChildTotals(
                    count=count,
                    weight=weight,
                    weighted_progress=weighted,
                    worst_light=ranks[number] if number < len(ranks) else None,
                )
    return facts


def refresh(chain: Sequence[Task], *, today: date | None = None) -> list[Task]:
    """Bring the derived columns of ``chain[-1]`` and its ancestors up to date after a write.

    ``chain`` is the task's ancestors root first and the task itself last (as ``lock_chain`` returns
    them), holding what the service has just saved. Returns the rows whose derived values changed.
    Queries: one for the children totals and milestones of the path, at most one batch of UPDATEs.
    """
    changed = recompute(chain, today=today)
    store(changed)
    return changed


def recompute(
    chain: Sequence[Task], *, today: date | None = None, facts: PathFacts | None = None
) -> list[Task]:
    """``refresh`` without the write: the derived values are set on the rows in memory, and the rows
    whose values changed are returned, for ``store`` or for the service to save with its own change
    (``facts`` is what ``path_facts(chain)`` gave, when the service has read it already)."""
    today = today or workdays.today()
    others, milestones = path_facts(chain) if facts is None else facts
    changed: list[Task] = []
    below: Task | None = None
    for node in reversed(chain):
        totals = lights.ChildTotals()
        if node.pk in others:
            totals.merge(others[node.pk])
        if below is not None and below.status != TaskStatus.CANCELLED:
            totals.add(weight=below.weight, progress=below.progress, light=below.light)
        # Milestones matter only where expected progress is judged: open leaves.
        judged = node.status in OPEN_STATUSES and totals.count == 0
        values = derive(node, totals, milestones.get(node.pk, ()) if judged else (), today)
        if any(getattr(node, f) != v for f, v in values.items()):
            for field, value in values.items():
                setattr(node, field, value)
            changed.append(node)
        below = node
    return changed


def store(rows: Sequence[Task]) -> None:
    """Write the derived columns of ``rows`` (locked, as ``recompute`` left them)."""
    if rows:
        # One statement per changed row, sent as one batch; cheaper to build than bulk_update's CASEs.
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Task._meta.db_table} SET {', '.join(f'{f} = %s' for f in DERIVED_FIELDS)}"
                " WHERE id = %s",
                [[*(getattr(t, f) for f in DERIVED_FIELDS), t.pk] for t in rows],
            )


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
    """Every stored derived value that differs from a recomputation from the leaves.

    Without ``today`` one statement first asks whether every row agrees with its children's stored
    values; only a tree that does not is walked to name the differences.
    """
    if today is None and _consistent():
        return
    for row, expected in _walk(today):
        for field, value in expected.items():
            stored = getattr(row, field)
            if stored != value:
                plain = value.value if isinstance(value, Enum) else value
                yield Difference(task_id=row.id, field=field, stored=stored, expected=plain)


@transaction.atomic
def repair(*, today: date | None = None) -> None:
    """Recompute every stored roll-up with set-based SQL (and, with ``today``, the own values first).

    Every step is one statement over the whole table, or one per depth for the roll-up, and writes only
    the rows whose values change: on a sound tree it reads much and writes little.
    """
    _require_update_from()
    table = Task._meta.db_table
    with transaction.atomic(), sql.without_jit(work_mem=sql.BIG_WORK_MEM), connection.cursor() as cursor:
        if today is not None:
            _store_own_values(cursor, today)
        # Rows without counted children hold their own values: nothing below them matters. With
        # ``today`` the statement above has already written those of the rows without milestones.
        planned = f"AND EXISTS (SELECT 1 FROM {Milestone._meta.db_table} WHERE task_id = {table}.id)"
        cursor.execute(
            f"UPDATE {table} SET progress = {_own_progress(table)}, light = own_light"
            f" WHERE NOT {_has_children(table)} {planned if today is not None else ''}"
            f" AND (progress <> {_own_progress(table)} OR light <> own_light)"
        )
        # Then every parent from its children's totals, deepest level first, so that each level reads
        # the final values of the level below: one UPDATE … FROM (… GROUP BY parent_id) per depth.
        deepest = Task.objects.aggregate(deepest=Max("depth"))["deepest"] or 0
        progress, light = _rolled_progress(table, "agg"), _rolled_light(table, "agg")
        for depth in range(deepest, 1, -1):
            cursor.execute(
                f"UPDATE {table} SET progress = {progress}, light = {light}"
                f" FROM ({_children_totals(table, depth=True)}) AS agg"
                f" WHERE {table}.id = agg.parent_id"
                f" AND ({table}.progress <> {progress} OR {table}.light <> {light})",
                [depth],
            )


def advance(*, today: date) -> int:
    """Bring every task's own values to ``today`` and roll up only the chains of the rows that changed.

    For a tree kept sound by ``refresh`` (every service calls it): the date is then the only thing that
    moved, so the rows it changed and their ancestors are all that can differ from a full ``repair``.
    Returns how many tasks' own values changed.
    """
    _require_update_from()
    with transaction.atomic(), sql.without_jit(work_mem=sql.BIG_WORK_MEM), connection.cursor() as cursor:
        changed, planned = _store_own_values(cursor, today)
        if changed:
            with sql.keyed_reads():
                _roll_up_chains(cursor, changed, planned)
    return len(changed)


def _roll_up_chains(cursor: Any, changed: Sequence[tuple[int, str]], planned: Sequence[int]) -> None:
    """Recompute the roll-up of the rows ``(id, path)`` and their ancestors, deepest parents first;
    ``planned`` are the changed rows with milestones, whose own values were written alone."""
    table = Task._meta.db_table
    depth_of: dict[int, int] = {}
    for _pk, path in changed:
        for depth, pk in enumerate(trees.ids_in_path(path), start=1):
            depth_of[pk] = depth
    # The chains in a scratch table the statements join.
    sql.scratch_table(cursor, "rollup_chain", "id BIGINT PRIMARY KEY, depth INTEGER")
    # Many rows per statement: a night's sweep meets tens of thousands of chain rows.
    bulk.insert_values(cursor, "INSERT INTO rollup_chain (id, depth)", 2, depth_of.items())
    sql.analyze(cursor, "rollup_chain")
    # Rows without counted children hold their own values. Those without milestones were written with
    # them already, and the others in the chains are ancestors, whose own values did not change: only
    # the changed rows with milestones are left.
    for start in range(0, len(planned), ID_BATCH):
        batch = planned[start : start + ID_BATCH]
        cursor.execute(
            f"UPDATE {table} SET progress = {_own_progress(table)}, light = own_light"
            f" WHERE id IN ({', '.join(['%s'] * len(batch))}) AND NOT {_has_children(table)}"
            f" AND (progress <> {_own_progress(table)} OR light <> own_light)",
            batch,
        )
    progress, light = _rolled_progress(table, "agg"), _rolled_light(table, "agg")
    totals = _children_totals(table, parents="SELECT id FROM rollup_chain WHERE depth = %s")
    for depth in range(max(depth_of.values()), 0, -1):
        cursor.execute(
            f"UPDATE {table} SET progress = {progress}, light = {light} FROM ({totals}) AS agg"
            f" WHERE {table}.id = agg.parent_id"
            f" AND ({table}.progress <> {progress} OR {table}.light <> {light})",
            [depth],
        )


def _require_update_from() -> None:
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 33):
        raise ImproperlyConfigured(
            "The roll-up repair needs SQLite 3.33 or later (UPDATE … FROM); "
            f"this is {sqlite3.sqlite_version}."
        )


# --- the SQL of the repair and the quick check -----------------------------------------------------
# The same rules as ``lights.combine`` and ``lights.own_light``, written once for both databases. Only
# configuration values and enum constants are written into the statements; dates are parameters.


def _rank_sql(column: str) -> str:
    whens = " ".join(f"WHEN '{light}' THEN {i}" for i, light in enumerate(lights.order()))
    return f"(CASE {column} {whens} ELSE {len(lights.RANKED)} END)"


def _light_of_rank(expression: str) -> str:
    whens = " ".join(f"WHEN {i} THEN '{light}'" for i, light in enumerate(lights.order()))
    return f"(CASE {expression} {whens} ELSE '{Light.NONE}' END)"


def _has_children(table: str) -> str:
    """Whether the row of ``table`` has a child that counts (one not cancelled)."""
    return (
        f"EXISTS (SELECT 1 FROM {table} AS child WHERE child.parent_id = {table}.id"
        f" AND child.status <> '{TaskStatus.CANCELLED}')"
    )


def _children_totals(table: str, *, depth: bool = False, parents: str = "") -> str:
    """Per parent, the weighted mean progress (rounded half up, as ``lights.weighted_mean``) and the worst
    light's rank of its counted children (with ``depth``, only the children at the depth given; with
    ``parents``, a query of ids, only the children of those parents)."""
    level = "AND depth = %s" if depth else f"AND parent_id IN ({parents})" if parents else ""
    return (
        "SELECT parent_id, (2 * SUM(weight * progress) + SUM(weight)) / (2 * SUM(weight)) AS mean,"
        f" MIN({_rank_sql('light')}) AS worst FROM {table}"
        f" WHERE parent_id IS NOT NULL AND status <> '{TaskStatus.CANCELLED}' {level} GROUP BY parent_id"
    )


def _own_progress(table: str) -> str:
    return f"(CASE WHEN {table}.status = '{TaskStatus.CLOSED}' THEN 100 ELSE {table}.reported_progress END)"


def _rolled_progress(table: str, agg: str) -> str:
    """``lights.combine``'s progress of a row with counted children, their totals in ``agg``."""
    return (
        f"(CASE WHEN {table}.status = '{TaskStatus.CLOSED}' THEN 100"
        f" WHEN {table}.status = '{TaskStatus.CANCELLED}' THEN {table}.reported_progress ELSE {agg}.mean END)"
    )


def _rolled_light(table: str, agg: str) -> str:
    """``lights.combine``'s light of a row with counted children: the worse of its own and theirs."""
    return (
        f"(CASE WHEN {table}.status IN ('{TaskStatus.CLOSED}', '{TaskStatus.CANCELLED}')"
        f" OR {table}.light_overridden OR {_rank_sql(f'{table}.own_light')} <= {agg}.worst"
        f" THEN {table}.own_light ELSE {_light_of_rank(f'{agg}.worst')} END)"
    )


def _consistent() -> bool:
    """Whether every row agrees with its own values and its children's stored values.

    If every row does, the stored tree is what a recomputation from the leaves gives (by induction from
    the leaves up), so ``check`` has nothing to report; one statement answers that.
    """
    table = Task._meta.db_table
    has = "agg.parent_id IS NOT NULL"
    query = (
        f"SELECT 1 FROM {table} LEFT JOIN ({_children_totals(table, depth=False)}) AS agg"
        f" ON agg.parent_id = {table}.id WHERE"
        f" ({has} AND ({table}.progress <> {_rolled_progress(table, 'agg')}"
        f" OR {table}.light <> {_rolled_light(table, 'agg')}))"
        f" OR (NOT {has} AND ({table}.progress <> {_own_progress(table)}"
        f" OR {table}.light <> {table}.own_light))"
        " LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchone() is None


# --- own values as of a date (the daily sweep) ------------------------------------------------------


def _store_own_values(cursor: Any, today: date) -> tuple[list[tuple[int, str]], list[int]]:
    """Write the report due dates, own lights and override flags as of ``today`` where they changed;
    returns the ``(id, path)`` of the rows written, and the ids of those among them with milestones.

    Set-based: one UPDATE for every task without milestones, the rules of ``lights.next_report_due`` and
    ``lights.own_light`` written in SQL (dates are compared with constants computed here, once). A row
    without counted children takes its light and progress from its own values, so they are written in
    the same statement: a changed row is written once. Tasks with milestones, whose expected progress is
    piecewise, are few and are judged in Python by ``lights.own_light`` itself.
    """
    table = Task._meta.db_table
    due = _next_report_due_sql("t")
    own, overridden, params = _own_light_sql("t", "kids.pid IS NULL", today, next_due=due)
    # First the rows that change, judged in one scan of the table into a scratch table; then those few
    # written by key. One UPDATE … FROM the judged table read the whole table twice (it joined every
    # row to itself by key) to write a few thousand.
    sql.fill_scratch_table(
        cursor,
        "rollup_judged",
        "id BIGINT PRIMARY KEY, due DATE, own VARCHAR(16), overridden BOOLEAN, leaf BOOLEAN,"
        " progress INTEGER, was_due DATE, was_own VARCHAR(16), was_light VARCHAR(16), was_progress INTEGER",
        "SELECT j.id, j.due, j.own, j.overridden, j.leaf, j.progress, j.was_due, j.was_own,"
        " j.was_light, j.was_progress"
        f" FROM (SELECT t.id, {due} AS due, {own} AS own, {overridden} AS overridden,"
        f" kids.pid IS NULL AS leaf, {_own_progress('t')} AS progress, t.next_report_due AS was_due,"
        " t.own_light AS was_own, t.light_overridden AS was_overridden, t.light AS was_light,"
        f" t.progress AS was_progress FROM {table} AS t"
        f" LEFT JOIN (SELECT DISTINCT parent_id AS pid FROM {table} WHERE parent_id IS NOT NULL"
        f" AND status <> '{TaskStatus.CANCELLED}') AS kids ON kids.pid = t.id"
        f" LEFT JOIN (SELECT DISTINCT task_id FROM {Milestone._meta.db_table}) AS planned"
        " ON planned.task_id = t.id WHERE planned.task_id IS NULL) AS j"
        f" WHERE {_differs('j.was_due', 'j.due')} OR j.was_own <> j.own OR j.was_overridden <> j.overridden"
        " OR (j.leaf AND (j.was_light <> j.own OR j.was_progress <> j.progress))",
        params,
    )
    # A row a service wrote meanwhile (its derived values no longer those judged) was brought to today
    # by the service itself, and is left alone. The rows are reached by key (``sql.keyed_reads``).
    with sql.keyed_reads():
        cursor.execute(
            f"UPDATE {table} SET next_report_due = j.due, own_light = j.own, light_overridden = j.overridden,"
            f" light = CASE WHEN j.leaf THEN j.own ELSE {table}.light END,"
            f" progress = CASE WHEN j.leaf THEN j.progress ELSE {table}.progress END"
            f" FROM rollup_judged j WHERE {table}.id = j.id"
            f" AND NOT ({_differs(f'{table}.next_report_due', 'j.was_due')})"
            f" AND {table}.own_light = j.was_own AND {table}.light = j.was_light"
            f" AND {table}.progress = j.was_progress"
            f" RETURNING {table}.id, {table}.path"
        )
    changed = [(pk, path) for pk, path in cursor.fetchall()]
    planned = _store_planned_own_values(today)
    changed += Task.objects.filter(pk__in=planned).values_list("pk", "path")
    return changed, planned


def _store_planned_own_values(today: date) -> list[int]:
    fields = ("next_report_due", "own_light", "light_overridden")
    planned = Milestone.objects.filter(task_id=OuterRef("pk"))
    counted = Task.objects.filter(parent_id=OuterRef("pk")).exclude(status=TaskStatus.CANCELLED)
    rows = list(
        Task.objects.filter(Exists(planned))
        .annotate(has_children=Exists(counted))
        .order_by()
        .values_list(*_Row._fields, "has_children")
    )
    if not rows:
        return []
    milestones: dict[int, list[tuple[date, int]]] = {}
    for task_id, due_on, planned_progress in Milestone.objects.filter(
        task_id__in=[r[0] for r in rows]
    ).values_list("task_id", "due_on", "planned_progress"):
        milestones.setdefault(task_id, []).append((due_on, planned_progress))
    groups: dict[tuple[Any, ...], list[int]] = {}
    for values in rows:
        row, has_children = _Row._make(values[:-1]), values[-1]
        next_due = lights.next_report_due(row.report_cadence, row.last_reported_on, row.start_on)
        facts = lights.LightFacts.of(row, milestones.get(row.id, ()))
        facts = dataclasses.replace(facts, next_report_due=next_due)
        verdict = lights.own_light(facts, today=today, is_leaf=not has_children)
        expected = (next_due, verdict.light, verdict.overridden)
        if expected != tuple(getattr(row, f) for f in fields):
            groups.setdefault(expected, []).append(row.id)
    # Grouped by their new values, so that each group is one UPDATE per batch of ids.
    for values, ids in groups.items():
        for start in range(0, len(ids), ID_BATCH):
            Task.objects.filter(pk__in=ids[start : start + ID_BATCH]).update(
                **dict(zip(fields, values, strict=True))
            )
    return [pk for ids in groups.values() for pk in ids]


def _differs(a: str, b: str) -> str:
    """``a`` and ``b`` differ, NULL counting as a value."""
    return f"{a} IS NOT {b}" if connection.vendor == "sqlite" else f"{a} IS DISTINCT FROM {b}"


def _next_report_due_sql(t: str) -> str:
    """``lights.next_report_due`` of the row ``t``, in the database's own date arithmetic."""
    config = lights.task_settings()
    monthly, quarterly = max(config["monthly_report_day"], 1) - 1, max(config["quarterly_report_day"], 1) - 1
    ref = f"COALESCE({t}.last_reported_on, {t}.start_on)"
    if connection.vendor == "sqlite":
        # The first day of the quarter of ``ref``: back 0–2 months from the first of its month.
        back = f"'-' || ((CAST(strftime('%%m', {ref}) AS INTEGER) - 1) %% 3) || ' months'"
        weekly, biweekly = f"date({ref}, '+7 days')", f"date({ref}, '+14 days')"
        month_after = (
            f"min(date({ref}, 'start of month', '+1 month', '+{monthly} days'),"
            f" date({ref}, 'start of month', '+2 months', '-1 day'))"
        )
        quarter_after = (
            f"min(date({ref}, 'start of month', {back}, '+3 months', '+{quarterly} days'),"
            f" date({ref}, 'start of month', {back}, '+4 months', '-1 day'))"
        )
    else:
        weekly, biweekly = f"({ref} + 7)", f"({ref} + 14)"
        first = f"(date_trunc('month', {ref}::timestamp) + interval '1 month')::date"
        month_after = f"LEAST({first} + {monthly}, ({first} + interval '1 month')::date - 1)"
        first = f"(date_trunc('quarter', {ref}::timestamp) + interval '3 months')::date"
        quarter_after = f"LEAST({first} + {quarterly}, ({first} + interval '1 month')::date - 1)"
    return (
        f"(CASE {t}.report_cadence WHEN '{ReportCadence.WEEKLY}' THEN {weekly}"
        f" WHEN '{ReportCadence.BIWEEKLY}' THEN {biweekly} WHEN '{ReportCadence.MONTHLY}' THEN {month_after}"
        f" WHEN '{ReportCadence.QUARTERLY}' THEN {quarter_after} ELSE NULL END)"
    )


def _own_light_sql(t: str, is_leaf: str, today: date, *, next_due: str) -> tuple[str, str, list[Any]]:
    """``lights.own_light`` of the row ``t`` without milestones as of ``today`` (its next report due by
    the expression ``next_due``), and whether a manual light decides it, with the statement's
    parameters in order."""
    config = lights.light_settings()
    if connection.vendor == "sqlite":
        elapsed, span = (
            f"(julianday(%s) - julianday({t}.start_on))",
            f"(julianday({t}.due_on) - julianday({t}.start_on))",
        )
    else:
        elapsed, span = f"(%s::date - {t}.start_on)", f"({t}.due_on - {t}.start_on)"
    params: list[Any] = []

    def behind(op: str, points: int) -> str:
        # expected_progress − reported {op} points, in integers: expected is 100 · elapsed / span
        # between the start and the deadline, 0 before the start and 100 from the deadline on.
        params.extend([today, today, today])
        return (
            f"(CASE WHEN {t}.due_on <= %s THEN 100 - {t}.reported_progress {op} {points}"
            f" WHEN {t}.start_on >= %s THEN 0 - {t}.reported_progress {op} {points}"
            f" ELSE 100 * {elapsed} {op} ({points} + {t}.reported_progress) * {span} END)"
        )

    params.append(today)
    override = f"{t}.override_light <> '' AND {t}.override_until IS NOT NULL AND {t}.override_until >= %s"
    params.append(today)
    overdue = f"{t}.due_on < %s"
    judged = f"{is_leaf} AND {t}.status <> '{TaskStatus.UNDER_REVIEW}'"
    far_behind = behind(">", config["red_behind"])
    params.append(today - timedelta(days=config["red_no_start_days"]))
    not_started = f"{t}.reported_progress = 0 AND {t}.last_reported_on IS NULL AND {t}.start_on < %s"
    late_behind = behind(">=", config["yellow_behind"])
    reporting = ", ".join(f"'{s}'" for s in sorted(REPORTING_STATUSES))
    params.append(today)
    report_late = f"{t}.status IN ({reporting}) AND {next_due} IS NOT NULL AND {next_due} < %s"
    params.append(workdays.add_working_days(today, config["blue_working_days"]))
    own = (
        f"(CASE WHEN {t}.status = '{TaskStatus.CLOSED}' THEN '{Light.CLOSED}'"
        f" WHEN {t}.status = '{TaskStatus.CANCELLED}' THEN '{Light.NONE}'"
        f" WHEN {override} THEN {t}.override_light"
        f" WHEN {t}.status = '{TaskStatus.PUBLIC_NOTICE}' THEN '{Light.GREEN}'"
        f" WHEN {overdue} OR {t}.rejection_count >= {int(config['red_rejections'])}"
        f" OR {t}.open_overdue_urgings > 0 THEN '{Light.RED}'"
        f" WHEN {judged} AND ({far_behind} OR ({not_started})) THEN '{Light.RED}'"
        f" WHEN {judged} AND ({late_behind} OR ({report_late})) THEN '{Light.YELLOW}'"
        f" WHEN {t}.due_on <= %s THEN '{Light.BLUE}' ELSE '{Light.GREEN}' END)"
    )
    # The override's date is a parameter of its own in the second expression.
    params.append(today)
    overridden = (
        f"(CASE WHEN {t}.status NOT IN ('{TaskStatus.CLOSED}', '{TaskStatus.CANCELLED}') AND {override}"
        " THEN TRUE ELSE FALSE END)"
    )
    return own, overridden, params
