# ruff: noqa: S608 - every statement is built from constants of this module, never from input.
"""The triggers that keep the summary tables exact, and the set-based rebuild they are checked against.

Triggers rather than service code, because tasks are written by many paths (the services, the roll-up's
set-based repair, bulk imports, the benchmark's COPY load): a trigger sees every one of them inside the
same transaction, so a summary can never disagree with a committed task. Each trigger does a few keyed
upserts, one row per unit of the lead unit's chain (the task's ``lead_org_path`` joined to the list of
levels gives the chain without a lookup), and the UPDATE trigger fires only when a counted column
really changed.

Deletions only decrement rows that exist (never upsert), so wiping the database in any table order
(``flush``) leaves nothing behind. The SQL is installed after every ``migrate`` (see ``apps.py``), so the
code here is always what runs; ``rebuild`` recomputes every row from the tasks and reports, and
``differences`` compares the two (``luoshi summaries --check``; ``--rebuild`` repairs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from luoshi.core import trees
from luoshi.tasks.models import OPEN_STATUSES, TaskStatus

OPEN_SQL = ", ".join(f"'{s}'" for s in sorted(OPEN_STATUSES))
CLOSED = TaskStatus.CLOSED.value
TRIGGER_NAMES = (
    "summaries_task_insert",
    "summaries_task_update",
    "summaries_task_delete",
    "summaries_report_insert",
    "summaries_report_delete",
)
# The levels a path can have (``max_length`` 250 of ten-digit segments), as a row source: joined to a
# row's path, each level within it gives one ancestor (the unit itself at the last level).
MAX_LEVELS = 25
LEVELS = "(VALUES " + ", ".join(f"({k})" for k in range(1, MAX_LEVELS + 1)) + ") AS levels"
LEVEL = "levels.column1"


def _prefix(path: str) -> str:
    """The ancestor path at ``levels.column1`` of ``path``."""
    return f"substr({path}, 1, {LEVEL} * {trees.SEGMENT})"


def _within(path: str) -> str:
    """The levels that ``path`` has (none for an empty path)."""
    return f"{LEVEL} * {trees.SEGMENT} <= length({path})"


def _week(vendor: str, column: str) -> str:
    """The Monday on or before a date, as a date."""
    if vendor == "sqlite":
        return f"date({column}, '-6 days', 'weekday 1')"
    return f"date_trunc('week', {column})::date"


def _ancestors(path: str) -> str:
    """The rows of every unit on the chain of ``path``. Two ``IN`` lists rather than one row-value
    ``IN``: SQLite's planner probes the (level, path) key with both lists, while with a row value it
    uses the level alone and scans the whole level. A path's length fixes its level, so the probes
    that pair a level with a path of another length find nothing."""
    return (
        f"level IN (SELECT {LEVEL} FROM {LEVELS} WHERE {_within(path)}) "
        f"AND org_path IN (SELECT {_prefix(path)} FROM {LEVELS} WHERE {_within(path)})"
    )


def _add(vendor: str, row: str) -> list[str]:
    """Statements that count the task ``row`` (NEW or OLD) in all three tables, for every unit of
    its lead unit's chain."""
    week = _week(vendor, f"{row}.closed_on")
    path = f"{row}.lead_org_path"
    chain = f"FROM {LEVELS} WHERE {_within(path)}"
    return [
        "INSERT INTO summaries_tasktally (level, org_path, focus_area, status, light, n) "
        f"SELECT {LEVEL}, {_prefix(path)}, COALESCE({row}.focus_area_id, 0), {row}.status, {row}.light, 1 "
        f"{chain} "
        "ON CONFLICT (level, org_path, focus_area, status, light) "
        "DO UPDATE SET n = summaries_tasktally.n + 1",
        "INSERT INTO summaries_openduetally (level, org_path, focus_area, due_on, n) "
        f"SELECT {LEVEL}, {_prefix(path)}, COALESCE({row}.focus_area_id, 0), {row}.due_on, 1 "
        f"{chain} AND {row}.status IN ({OPEN_SQL}) "
        "ON CONFLICT (level, org_path, focus_area, due_on) DO UPDATE SET n = summaries_openduetally.n + 1",
        "INSERT INTO summaries_weeklytally (level, org_path, week, kind, n) "
        f"SELECT {LEVEL}, {_prefix(path)}, {week}, 'closure', 1 "
        f"{chain} AND {row}.status = '{CLOSED}' AND {row}.closed_on IS NOT NULL "
        "ON CONFLICT (level, org_path, week, kind) DO UPDATE SET n = summaries_weeklytally.n + 1",
    ]


def _remove(vendor: str, row: str) -> list[str]:
    """Statements that stop counting the task ``row``; they only decrement rows that exist."""
    week = _week(vendor, f"{row}.closed_on")
    chain = _ancestors(f"{row}.lead_org_path")
    return [
        f"UPDATE summaries_tasktally SET n = n - 1 WHERE {chain} "
        f"AND focus_area = COALESCE({row}.focus_area_id, 0) "
        f"AND status = {row}.status AND light = {row}.light",
        f"UPDATE summaries_openduetally SET n = n - 1 WHERE {row}.status IN ({OPEN_SQL}) AND {chain} "
        f"AND focus_area = COALESCE({row}.focus_area_id, 0) AND due_on = {row}.due_on",
        "UPDATE summaries_weeklytally SET n = n - 1 "
        f"WHERE {row}.status = '{CLOSED}' AND {row}.closed_on IS NOT NULL "
        f"AND {chain} AND week = {week} AND kind = 'closure'",
    ]


REPORTING_PATH = "(SELECT path FROM organizations_organization WHERE id = {row}.reporting_org_id)"


def _report(vendor: str, row: str, delta: str) -> str:
    """Count (+1) or stop counting (-1) the report ``row`` for every unit of the filing unit's chain."""
    week = _week(vendor, f"{row}.reported_on")
    path = REPORTING_PATH.format(row=row)
    if delta == "+1":
        return (
            "INSERT INTO summaries_weeklytally (level, org_path, week, kind, n) "
            f"SELECT {LEVEL}, {_prefix(path)}, {week}, 'report', 1 FROM {LEVELS} WHERE {_within(path)} "
            "ON CONFLICT (level, org_path, week, kind) DO UPDATE SET n = summaries_weeklytally.n + 1"
        )
    return (
        "UPDATE summaries_weeklytally SET n = n - 1 "
        f"WHERE {_ancestors(path)} AND week = {week} AND kind = 'report'"
    )


COUNTED = ("status", "light", "lead_org_id", "lead_org_path", "focus_area_id", "due_on", "closed_on")


def sqlite_statements() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COUNTED)

    def body(statements: list[str]) -> str:
        return "BEGIN\n" + "".join(f"    {s};\n" for s in statements) + "END"

    return [
        *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGER_NAMES),
        f"CREATE TRIGGER summaries_task_insert AFTER INSERT ON tasks_task {body(_add('sqlite', 'NEW'))}",
        f"CREATE TRIGGER summaries_task_update AFTER UPDATE ON tasks_task WHEN {changed} "
        f"{body(_remove('sqlite', 'OLD') + _add('sqlite', 'NEW'))}",
        f"CREATE TRIGGER summaries_task_delete AFTER DELETE ON tasks_task {body(_remove('sqlite', 'OLD'))}",
        "CREATE TRIGGER summaries_report_insert AFTER INSERT ON tasks_progressreport "
        f"{body([_report('sqlite', 'NEW', '+1')])}",
        "CREATE TRIGGER summaries_report_delete AFTER DELETE ON tasks_progressreport "
        f"{body([_report('sqlite', 'OLD', '-1')])}",
    ]


def _pg_apply(table: str, keys: tuple[str, ...], changes: str) -> str:
    """One statement adding a whole SQL statement's net change to ``table``: ``changes`` selects
    ``path``, the ``keys`` and ``d`` (+1 or -1) per row; each is spread over the units of its chain,
    summed, and only the keys whose count really changed are written, each by its unique key (one
    index probe a row, never a scan of the table), in key order, so that concurrent writers take the
    rows' locks in the same order.

    Unlike SQLite's triggers, a decrement here may upsert: PostgreSQL empties tables with ``TRUNCATE``
    (``flush``, ``rebuild``), which fires no row or statement trigger, so no deletion ever meets a
    summary row that was wiped first."""
    columns = ", ".join(keys)
    spread_keys = ", ".join(f"c.{k}" for k in keys)
    return f"""
        INSERT INTO {table} (level, org_path, {columns}, n)
        SELECT {LEVEL}, {_prefix("c.path")}, {spread_keys}, SUM(c.d)
        FROM ({changes}) c JOIN {LEVELS} ON {_within("c.path")}
        GROUP BY {LEVEL}, {_prefix("c.path")}, {spread_keys} HAVING SUM(c.d) <> 0
        ORDER BY {LEVEL}, {_prefix("c.path")}, {spread_keys}
        ON CONFLICT (level, org_path, {columns}) DO UPDATE SET n = {table}.n + excluded.n"""


def _pg_task_changes(rows: dict[str, int]) -> list[str]:
    """The statements counting the task transition tables ``rows`` (name → +1 or -1)."""

    def union(select: str) -> str:
        return " UNION ALL ".join(select.format(rows=name, d=d) for name, d in rows.items())

    week = _week("postgresql", "closed_on")
    return [
        _pg_apply(
            "summaries_tasktally",
            ("focus_area", "status", "light"),
            union(
                "SELECT lead_org_path AS path, COALESCE(focus_area_id, 0) AS focus_area, status, light, "
                "{d} AS d FROM {rows}"
            ),
        ),
        _pg_apply(
            "summaries_openduetally",
            ("focus_area", "due_on"),
            union(
                "SELECT lead_org_path AS path, COALESCE(focus_area_id, 0) AS focus_area, due_on, {d} AS d "
                f"FROM {{rows}} WHERE status IN ({OPEN_SQL})"
            ),
        ),
        _pg_apply(
            "summaries_weeklytally",
            ("week", "kind"),
            union(
                f"SELECT lead_org_path AS path, {week} AS week, 'closure'::varchar AS kind, {{d}} AS d "
                f"FROM {{rows}} WHERE status = '{CLOSED}' AND closed_on IS NOT NULL"
            ),
        ),
    ]


def _pg_report_changes(rows: str, d: int) -> list[str]:
    week = _week("postgresql", "r.reported_on")
    return [
        _pg_apply(
            "summaries_weeklytally",
            ("week", "kind"),
            f"SELECT o.path, {week} AS week, 'report'::varchar AS kind, {d} AS d FROM {rows} r "
            "JOIN organizations_organization o ON o.id = r.reporting_org_id",
        )
    ]


# On PostgreSQL each trigger runs once per statement over its transition tables, so a set-based write
# of a million tasks (the sweep's lights, a repair) is counted in one grouped statement per table.
PG_TRIGGERS = {
    # trigger name: (table, event, transition tables, statements)
    "summaries_task_insert": (
        "tasks_task",
        "INSERT",
        "NEW TABLE AS new_rows",
        _pg_task_changes({"new_rows": 1}),
    ),
    "summaries_task_update": (
        "tasks_task",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _pg_task_changes({"new_rows": 1, "old_rows": -1}),
    ),
    "summaries_task_delete": (
        "tasks_task",
        "DELETE",
        "OLD TABLE AS old_rows",
        _pg_task_changes({"old_rows": -1}),
    ),
    "summaries_report_insert": (
        "tasks_progressreport",
        "INSERT",
        "NEW TABLE AS new_rows",
        _pg_report_changes("new_rows", 1),
    ),
    "summaries_report_delete": (
        "tasks_progressreport",
        "DELETE",
        "OLD TABLE AS old_rows",
        _pg_report_changes("old_rows", -1),
    ),
}


def postgres_statements() -> list[str]:
    result = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, (table, *_) in PG_TRIGGERS.items()]
    # The row-level functions of earlier versions.
    result += [
        "DROP FUNCTION IF EXISTS summaries_task_changed()",
        "DROP FUNCTION IF EXISTS summaries_report_changed()",
    ]
    for name, (table, event, transition, body) in PG_TRIGGERS.items():
        result.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
            + "".join(f"{sql};\n" for sql in body)
            + "RETURN NULL;\nEND;\n$$"
        )
        result.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return result


def statements(vendor: str) -> list[str]:
    return sqlite_statements() if vendor == "sqlite" else postgres_statements()


def installed(connection: BaseDatabaseWrapper) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'summaries_%'"
            )
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'summaries_%'")
        return {row[0] for row in cursor.fetchall()}


def _spread(per_unit: str, keys: str) -> str:
    """Counts per lead unit (``per_unit``: a query of ``path``, the ``keys`` columns and ``c``),
    spread to every unit of each chain and summed: grouping per unit first keeps the spread small.

    In key order, so that a unit's rows and its children's lie on neighbouring pages: the cockpit of a
    province's root reads ten thousand rows from a hundred-odd pages instead of four thousand."""
    key_columns = ", ".join(f"u.{k}" for k in keys.split(", "))
    return (
        f"SELECT {LEVEL}, {_prefix('u.path')}, {key_columns}, SUM(u.c) "
        f"FROM ({per_unit}) u JOIN {LEVELS} ON {_within('u.path')} "
        f"GROUP BY {LEVEL}, {_prefix('u.path')}, {key_columns} "
        f"ORDER BY {LEVEL}, {_prefix('u.path')}, {key_columns}"
    )


REBUILD = {
    "summaries_tasktally": (
        "INSERT INTO summaries_tasktally (level, org_path, focus_area, status, light, n) "
        + _spread(
            "SELECT lead_org_path AS path, COALESCE(focus_area_id, 0) AS focus_area, status, light, "
            "COUNT(*) AS c FROM tasks_task GROUP BY lead_org_path, COALESCE(focus_area_id, 0), status, light",
            "focus_area, status, light",
        )
    ),
    "summaries_openduetally": (
        "INSERT INTO summaries_openduetally (level, org_path, focus_area, due_on, n) "
        + _spread(
            "SELECT lead_org_path AS path, COALESCE(focus_area_id, 0) AS focus_area, due_on, COUNT(*) AS c "
            f"FROM tasks_task WHERE status IN ({OPEN_SQL}) "
            "GROUP BY lead_org_path, COALESCE(focus_area_id, 0), due_on",
            "focus_area, due_on",
        )
    ),
}


def _weekly_rebuild(vendor: str) -> str:
    closure_week = _week(vendor, "closed_on")
    report_week = _week(vendor, "r.reported_on")
    return "INSERT INTO summaries_weeklytally (level, org_path, week, kind, n) " + _spread(
        f"SELECT lead_org_path AS path, {closure_week} AS week, 'closure' AS kind, COUNT(*) AS c "
        f"FROM tasks_task WHERE status = '{CLOSED}' AND closed_on IS NOT NULL "
        f"GROUP BY lead_org_path, {closure_week} "
        f"UNION ALL SELECT o.path, {report_week}, 'report', COUNT(*) FROM tasks_progressreport r "
        f"JOIN organizations_organization o ON o.id = r.reporting_org_id GROUP BY o.path, {report_week}",
        "week, kind",
    )


TABLES = (*REBUILD, "summaries_weeklytally")


def rebuild(using: str = DEFAULT_DB_ALIAS) -> None:
    """Recompute every summary row from the tasks and reports, in one transaction.

    On PostgreSQL the tables are truncated (transactional there) rather than deleted from, so that a
    rebuild also gives back the space of the dead row versions that counting leaves behind."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(TABLES)}")
        else:
            for table in TABLES:
                cursor.execute(f"DELETE FROM {table}")
        for sql in REBUILD.values():
            cursor.execute(sql)
        cursor.execute(_weekly_rebuild(connection.vendor))


def install(using: str = DEFAULT_DB_ALIAS) -> bool:
    """(Re)create the triggers; if any was missing on a database holding tasks, rebuild the tables,
    since writes made while it was missing were not counted. True when a rebuild was needed."""
    connection = connections[using]
    missing = set(TRIGGER_NAMES) - installed(connection)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for sql in statements(connection.vendor):
            cursor.execute(sql)
        cursor.execute("SELECT EXISTS (SELECT 1 FROM tasks_task)")
        has_tasks = bool(cursor.fetchone()[0])
    if missing and has_tasks:
        rebuild(using)
        return True
    return False


def uninstall(using: str = DEFAULT_DB_ALIAS) -> None:
    """Drop the triggers (the summaries go stale until ``install`` puts them back and rebuilds)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for name in TRIGGER_NAMES:
            table = "tasks_progressreport" if "report" in name else "tasks_task"
            cursor.execute(
                f"DROP TRIGGER IF EXISTS {name}"
                if connection.vendor == "sqlite"
                else f"DROP TRIGGER IF EXISTS {name} ON {table}"
            )


@contextmanager
def suspended(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """For bulk loads: no counting row by row while inside; one set-based rebuild at the end.

    Only outside a transaction: dropping a trigger locks its table until the transaction ends, so
    inside one (a test, a caller's atomic block) every other connection would wait for the whole load.
    There the triggers simply keep counting."""
    if connections[using].in_atomic_block:
        yield
        return
    uninstall(using)
    try:
        yield
    finally:
        install(using)
        rebuild(using)


def install_after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    install(using)


def differences(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Rows of each summary table that differ from a fresh recomputation (0 everywhere when exact).

    Compares inside a transaction that is rolled back: the recomputation goes into the same tables."""
    connection = connections[using]
    tables = {
        "summaries_tasktally": "level, org_path, focus_area, status, light",
        "summaries_openduetally": "level, org_path, focus_area, due_on",
        "summaries_weeklytally": "level, org_path, week, kind",
    }

    def snapshot(cursor: Any) -> dict[str, set[tuple[Any, ...]]]:
        result = {}
        for table, key in tables.items():
            cursor.execute(f"SELECT {key}, n FROM {table} WHERE n <> 0")
            result[table] = {tuple(str(v) for v in row) for row in cursor.fetchall()}
        return result

    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            stored = snapshot(cursor)
        sid = transaction.savepoint(using=using)
        rebuild(using)
        with connection.cursor() as cursor:
            fresh = snapshot(cursor)
        transaction.savepoint_rollback(sid, using=using)
    return {table: len(stored[table] ^ fresh[table]) for table in tables}


def on_organization_moved(*, old_prefix: str, new_prefix: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Move the weekly report counts of a unit subtree that was moved (called after the paths changed).

    Tasks need nothing here: their ``lead_org_path`` is rewritten, and the update trigger moves their
    counts. Reports are counted under the filing unit's path, which changed without any report row
    changing, so their counts are taken off the old chains and put on the new ones here."""
    connection = connections[using]
    week = _week(connection.vendor, "r.reported_on")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT o.path, {week}, COUNT(*) FROM tasks_progressreport r "
            "JOIN organizations_organization o ON o.id = r.reporting_org_id "
            f"WHERE o.path >= %s AND o.path < %s GROUP BY o.path, {week}",
            [new_prefix, trees.successor(new_prefix)],
        )
        deltas: dict[tuple[int, str, Any], int] = {}
        for path, day, n in cursor.fetchall():
            old_path = old_prefix + path[len(new_prefix) :]
            for chain, sign in ((old_path, -1), (path, +1)):
                for level in range(1, trees.depth_of(chain) + 1):
                    key = (level, chain[: level * trees.SEGMENT], day)
                    deltas[key] = deltas.get(key, 0) + sign * n
        cursor.executemany(
            "INSERT INTO summaries_weeklytally (level, org_path, week, kind, n) "
            "VALUES (%s, %s, %s, 'report', %s) ON CONFLICT (level, org_path, week, kind) "
            "DO UPDATE SET n = summaries_weeklytally.n + excluded.n",
            [(*key, n) for key, n in sorted(deltas.items()) if n],
        )
