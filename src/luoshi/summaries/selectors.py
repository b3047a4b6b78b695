# ruff: noqa: S608 - table names and states are constants of the models; every value is a parameter.
"""Reading the subtree summaries for one unit: its own rows and its children's, in plain SQL.

The cockpit reads these on every request. The statements are fixed, so they are written once here
rather than built through the ORM per request: building them cost several times what running them
costs (the same reason ``tasks.rollup.refresh`` writes its aggregate by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from luoshi.core import sql, trees
from luoshi.summaries.models import OpenDueTally, TaskTally, WeeklyTally
from luoshi.tasks.models import Light, TaskStatus

_DONE = f"('{TaskStatus.CLOSED}', '{TaskStatus.CANCELLED}')"
# A child's figures, summed in the database: the fields of the cockpit's groups, in this order.
CHILD_FIELDS = ("total", "cancelled", "closed", "red", "yellow")
_CHILD_SUMS = ", ".join(
    [
        "SUM(n)",
        f"SUM(CASE WHEN status = '{TaskStatus.CANCELLED}' THEN n ELSE 0 END)",
        f"SUM(CASE WHEN status = '{TaskStatus.CLOSED}' THEN n ELSE 0 END)",
        f"SUM(CASE WHEN light = '{Light.RED}' AND status NOT IN {_DONE} THEN n ELSE 0 END)",
        f"SUM(CASE WHEN light = '{Light.YELLOW}' AND status NOT IN {_DONE} THEN n ELSE 0 END)",
    ]
)


@dataclass
class SubtreeRows:
    own: list[tuple[int, str, str, int]]  # the unit's tasks below it: focus area, state, light, count
    children: list[tuple[Any, ...]]  # per child: its path, then CHILD_FIELDS
    overdue_own: list[tuple[int, int]]  # open and due before today, the unit's: focus area, count
    overdue_children: list[tuple[str, int]]  # the same per child: its path, count
    weekly: list[tuple[str, date, int]]  # kind, week (its Monday), count


def subtree_rows(path: str, *, today: date, since: date) -> SubtreeRows:
    """The summary rows of the unit at ``path`` and of its children: five index range reads."""
    level = trees.depth_of(path)
    low, high = path, trees.successor(path)
    tally, open_due, weekly = (
        TaskTally._meta.db_table,
        OpenDueTally._meta.db_table,
        WeeklyTally._meta.db_table,
    )
    # Five index range reads, sent together (``sql.read_many``).
    own, children, overdue_own, overdue_children, weekly_rows = sql.read_many(
        TaskTally,
        [
            (
                f"SELECT focus_area, status, light, n FROM {tally} WHERE level = %s AND org_path = %s",
                [level, path],
            ),
            (
                f"SELECT org_path, {_CHILD_SUMS} FROM {tally}"
                " WHERE level = %s AND org_path >= %s AND org_path < %s GROUP BY org_path",
                [level + 1, low, high],
            ),
            # Overdue in two statements: grouping the unit's rows by focus area and its children's by
            # child is half the work of one statement grouping both by (path, focus area).
            (
                f"SELECT focus_area, SUM(n) FROM {open_due}"
                " WHERE level = %s AND org_path = %s AND due_on < %s GROUP BY focus_area",
                [level, path, today.isoformat()],
            ),
            (
                f"SELECT org_path, SUM(n) FROM {open_due}"
                " WHERE level = %s AND org_path >= %s AND org_path < %s AND due_on < %s GROUP BY org_path",
                [level + 1, low, high, today.isoformat()],
            ),
            (
                f"SELECT kind, week, n FROM {weekly} WHERE level = %s AND org_path = %s AND week >= %s",
                [level, path, since.isoformat()],
            ),
        ],
    )
    return SubtreeRows(
        own=own,
        children=children,
        overdue_own=overdue_own,
        overdue_children=overdue_children,
        weekly=[(kind, sql.as_date(week), n) for kind, week, n in weekly_rows],
    )


def subtree_count_statement(
    path: str,
    *,
    focus_area: int | None = None,
    lights: list[str] | None = None,
    statuses: list[str] | None = None,
) -> tuple[str, list[Any]]:
    """``task_count``'s statement and its parameters, for a caller that sends it along with others
    (``core.sql.read_many``)."""
    conditions = ["level = %s", "org_path = %s"]
    params: list[Any] = [trees.depth_of(path), path]
    if focus_area is not None:
        conditions.append("focus_area = %s")
        params.append(focus_area)
    for column, values in (("light", lights), ("status", statuses)):
        if values:
            conditions.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
            params.extend(values)
    return (
        f"SELECT COALESCE(SUM(n), 0) FROM {TaskTally._meta.db_table} WHERE {' AND '.join(conditions)}",
        params,
    )


def task_count(
    path: str,
    *,
    focus_area: int | None = None,
    lights: list[str] | None = None,
    statuses: list[str] | None = None,
) -> int:
    """How many tasks are led in the subtree at ``path``, optionally of one focus area and of some
    lights and states: the tally's dimensions, so one index range read answers what counting the task
    rows would."""
    statement, params = subtree_count_statement(path, focus_area=focus_area, lights=lights, statuses=statuses)
    [(count,)] = sql.read_rows(TaskTally, statement, params)
    return int(count)
