"""Written-out statements: for the few reads on every request whose shape never changes, where building
them through the ORM costs more than running them (the cockpit, the scopes of a request), and the
session settings of the set-based statements over whole tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import connection, connections, models, router, transaction


def read_rows(model: type[models.Model], sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``sql``, read from the database the ORM would read ``model`` from (the replica
    inside ``config.routers.replica_reads()``, else the primary)."""
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def as_date(value: Any) -> date:
    """A date column as read by a plain cursor: SQLite hands dates back as ISO text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


@contextmanager
def without_jit() -> Iterator[None]:
    """On PostgreSQL, a transaction (the caller's, when one is open) in which no statement is compiled
    just in time; on SQLite, which compiles nothing, no transaction of its own.

    Luoshi's big statements (the roll-up over every task, a search's visibility subqueries) are planned
    at a cost far above ``jit_above_cost``, and compiling them took longer than running them (4.7 s of a
    20 s roll-up statement at province scale). A setting local to the transaction, so that it also holds
    behind a pooler in transaction mode."""
    if connection.vendor != "postgresql":
        yield
        return
    # No savepoint inside a caller's transaction: an error there aborts the whole transaction anyway on
    # PostgreSQL, and the setting may as well last until that transaction ends.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield
