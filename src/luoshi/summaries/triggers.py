# ruff: noqa: S608 - every statement is built from constants of this module, never from input.
"""The triggers that keep the summary tables exact, and the set-based rebuild they are checked against.

Triggers rather than service code, because tasks are written by many paths (the services, the roll-up's
set-based repair, bulk imports, the benchmark's COPY load): a trigger sees every one of them inside the
same transaction, so a summary can never disagree with a committed task. Each trigger does a few keyed
upserts, and the UPDATE trigger fires only when a counted column really changed.

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


def _week(vendor: str, column: str) -> str:
    """The Monday on or before a date, as a date."""
    if vendor == "sqlite":
        return f"date({column}, '-6 days', 'weekday 1')"
    return f"date_trunc('week', {column})::date"


def _add(vendor: str, row: str) -> list[str]:
    """Statements that count the task ``row`` (NEW or OLD) in all three tables."""
    week = _week(vendor, f"{row}.closed_on")
    return [
        "INSERT INTO summaries_tasktally (org_id, focus_area, status, light, n) "
        f"SELECT {row}.lead_org_id, COALESCE({row}.focus_area_id, 0), {row}.status, {row}.light, 1 "
        "WHERE TRUE "
        "ON CONFLICT (org_id, focus_area, status, light) DO UPDATE SET n = summaries_tasktally.n + 1",
        "INSERT INTO summaries_openduetally (org_id, focus_area, due_on, n) "
        f"SELECT {row}.lead_org_id, COALESCE({row}.focus_area_id, 0), {row}.due_on, 1 "
        f"WHERE {row}.status IN ({OPEN_SQL}) "
        "ON CONFLICT (org_id, focus_area, due_on) DO UPDATE SET n = summaries_openduetally.n + 1",
        "INSERT INTO summaries_weeklytally (org_id, week, kind, n) "
        f"SELECT {row}.lead_org_id, {week}, 'closure', 1 "
        f"WHERE {row}.status = '{CLOSED}' AND {row}.closed_on IS NOT NULL "
        "ON CONFLICT (org_id, week, kind) DO UPDATE SET n = summaries_weeklytally.n + 1",
    ]


def _remove(vendor: str, row: str) -> list[str]:
    """Statements that stop counting the task ``row``; they only decrement rows that exist."""
    week = _week(vendor, f"{row}.closed_on")
    return [
        "UPDATE summaries_tasktally SET n = n - 1 "
        f"WHERE org_id = {row}.lead_org_id AND focus_area = COALESCE({row}.focus_area_id, 0) "
        f"AND status = {row}.status AND light = {row}.light",
        "UPDATE summaries_openduetally SET n = n - 1 "
        f"WHERE {row}.status IN ({OPEN_SQL}) AND org_id = {row}.lead_org_id "
        f"AND focus_area = COALESCE({row}.focus_area_id, 0) AND due_on = {row}.due_on",
        "UPDATE summaries_weeklytally SET n = n - 1 "
        f"WHERE {row}.status = '{CLOSED}' AND {row}.closed_on IS NOT NULL "
        f"AND org_id = {row}.lead_org_id AND week = {week} AND kind = 'closure'",
    ]


def _report(vendor: str, row: str, delta: str) -> str:
    week = _week(vendor, f"{row}.reported_on")
    if delta == "+1":
        return (
            "INSERT INTO summaries_weeklytally (org_id, week, kind, n) "
            f"SELECT {row}.reporting_org_id, {week}, 'report', 1 WHERE TRUE "
            "ON CONFLICT (org_id, week, kind) DO UPDATE SET n = summaries_weeklytally.n + 1"
        )
    return (
        "UPDATE summaries_weeklytally SET n = n - 1 "
        f"WHERE org_id = {row}.reporting_org_id AND week = {week} AND kind = 'report'"
    )


COUNTED = ("status", "light", "lead_org_id", "focus_area_id", "due_on", "closed_on")


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


def postgres_statements() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COUNTED)

    def block(statements: list[str]) -> str:
        return "".join(f"        {s};\n" for s in statements)

    task_function = f"""
    CREATE OR REPLACE FUNCTION summaries_task_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
{block(_remove("postgresql", "OLD"))}
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
{block(_add("postgresql", "NEW"))}
    END IF;
    RETURN NULL;
    END;
    $$
    """
    report_function = f"""
    CREATE OR REPLACE FUNCTION summaries_report_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
    IF TG_OP = 'DELETE' THEN
{block([_report("postgresql", "OLD", "-1")])}
    ELSE
{block([_report("postgresql", "NEW", "+1")])}
    END IF;
    RETURN NULL;
    END;
    $$
    """
    return [
        task_function,
        report_function,
        "DROP TRIGGER IF EXISTS summaries_task_insert ON tasks_task",
        "DROP TRIGGER IF EXISTS summaries_task_update ON tasks_task",
        "DROP TRIGGER IF EXISTS summaries_task_delete ON tasks_task",
        "DROP TRIGGER IF EXISTS summaries_report_insert ON tasks_progressreport",
        "DROP TRIGGER IF EXISTS summaries_report_delete ON tasks_progressreport",
        "CREATE TRIGGER summaries_task_insert AFTER INSERT ON tasks_task "
        "FOR EACH ROW EXECUTE FUNCTION summaries_task_changed()",
        "CREATE TRIGGER summaries_task_update AFTER UPDATE ON tasks_task "
        f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION summaries_task_changed()",
        "CREATE TRIGGER summaries_task_delete AFTER DELETE ON tasks_task "
        "FOR EACH ROW EXECUTE FUNCTION summaries_task_changed()",
        "CREATE TRIGGER summaries_report_insert AFTER INSERT ON tasks_progressreport "
        "FOR EACH ROW EXECUTE FUNCTION summaries_report_changed()",
        "CREATE TRIGGER summaries_report_delete AFTER DELETE ON tasks_progressreport "
        "FOR EACH ROW EXECUTE FUNCTION summaries_report_changed()",
    ]


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


REBUILD = {
    "summaries_tasktally": (
        "INSERT INTO summaries_tasktally (org_id, focus_area, status, light, n) "
        "SELECT lead_org_id, COALESCE(focus_area_id, 0), status, light, COUNT(*) FROM tasks_task "
        "GROUP BY lead_org_id, COALESCE(focus_area_id, 0), status, light"
    ),
    "summaries_openduetally": (
        "INSERT INTO summaries_openduetally (org_id, focus_area, due_on, n) "
        "SELECT lead_org_id, COALESCE(focus_area_id, 0), due_on, COUNT(*) FROM tasks_task "
        f"WHERE status IN ({OPEN_SQL}) GROUP BY lead_org_id, COALESCE(focus_area_id, 0), due_on"
    ),
}


def _weekly_rebuild(vendor: str) -> str:
    closure_week = _week(vendor, "closed_on")
    report_week = _week(vendor, "reported_on")
    return (
        "INSERT INTO summaries_weeklytally (org_id, week, kind, n) "
        f"SELECT lead_org_id, {closure_week}, 'closure', COUNT(*) FROM tasks_task "
        f"WHERE status = '{CLOSED}' AND closed_on IS NOT NULL GROUP BY lead_org_id, {closure_week} "
        f"UNION ALL SELECT reporting_org_id, {report_week}, 'report', COUNT(*) FROM tasks_progressreport "
        f"GROUP BY reporting_org_id, {report_week}"
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
        "summaries_tasktally": "org_id, focus_area, status, light",
        "summaries_openduetally": "org_id, focus_area, due_on",
        "summaries_weeklytally": "org_id, week, kind",
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
