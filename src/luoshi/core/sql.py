"""Written-out read statements: for the few reads on every request whose shape never changes, where
building them through the ORM costs more than running them (the cockpit, the scopes of a request)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connections, models, router


def read_rows(model: type[models.Model], sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``sql``, read from the database the ORM would read ``model`` from (the replica
    inside ``config.routers.replica_reads()``, else the primary)."""
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def as_date(value: Any) -> date:
    """A date column as read by a plain cursor: SQLite hands dates back as ISO text."""
    return date.fromisoformat(value) if isinstance(value, str) else value
