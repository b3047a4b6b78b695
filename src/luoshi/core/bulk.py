"""Bulk inserts without the ORM's per-row statement building, for the writes of thousands of rows at once
(an Excel import of a task list, the benchmark's load).

``bulk_create`` compiles every value of every row through the field's whole preparation chain and, on
PostgreSQL, sends each column as an array that psycopg quotes element by element in Python; for 10,000
tasks that was most of an import. Here the rows go to the database as they are, by ``COPY`` on
PostgreSQL and multi-row ``INSERT``s on SQLite; only the fields whose values need converting (date-times,
JSON, encrypted columns) go through the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

# Rows per statement on SQLite, at most.
BATCH = 2000

# Field classes whose Python values both databases take as they are (exact classes: a subclass, e.g. an
# encrypted text field, may prepare its value).
_AS_IS: tuple[type[models.Field[Any, Any]], ...] = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.BooleanField,
    models.DateField,
)


def max_parameters() -> int:
    """Bound parameters one statement may carry on this connection."""
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        # SQLite's own limit (32,766 since 3.32) rather than Django's fixed 999 for the oldest builds.
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return 65_535


def insert_values(cursor: Any, head: str, width: int, rows: Iterable[Sequence[Any]], tail: str = "") -> int:
    """``head VALUES (…), (…), … tail`` for ``rows`` of ``width`` values, as many rows per statement as
    the bound parameters allow (up to ``BATCH``); returns how many rows the statements wrote.

    Not one statement per row (``executemany``): SQLite's full-text index (FTS5, filled by the search
    entries' triggers) writes its pending terms out at the end of every statement that changed it, which
    made each entry of an import cost 8 ms on a city's index where a statement of 2,000 costs 0.1 s.
    ``head`` and ``tail`` hold names and keywords only; the values are bound parameters.
    """
    per_statement = max(1, min(BATCH, max_parameters() // width))
    one = f"({', '.join(['%s'] * width)})"
    written = 0
    batch: list[Any] = []
    count = 0

    def flush() -> int:
        cursor.execute(f"{head} VALUES {', '.join([one] * count)} {tail}", batch)
        return max(cursor.rowcount, 0)

    for row in rows:
        batch.extend(row)
        count += 1
        if count == per_statement:
            written += flush()
            batch, count = [], 0
    if count:
        written += flush()
    return written


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in the order of the column names ``columns``, ready for the database)
    into ``model``'s table. Returns how many rows were written."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        return insert_values(cursor, f"INSERT INTO {table} ({names})", len(columns), rows)


def copy_new_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """``copy_rows``, but a row whose unique key is already taken is skipped (``ON CONFLICT DO
    NOTHING``), as writers that may meet the same fact twice need; returns how many rows were written.

    ``COPY`` cannot skip rows, so on PostgreSQL they go to a scratch table first (of the given columns,
    dropped again at the end of the call) and from there into the table in one statement.
    """
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            scratch = quote(f"new_{model._meta.db_table}")
            with transaction.atomic():
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {scratch} AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608 -- names from the model
                )
                with cursor.cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} ON CONFLICT DO NOTHING"  # noqa: S608 -- names from the model
                )
                written = max(cursor.rowcount, 0)
                cursor.execute(f"DROP TABLE {scratch}")
            return written
        head = f"INSERT INTO {table} ({names})"
        return insert_values(cursor, head, len(columns), rows, "ON CONFLICT DO NOTHING")


def _preparer(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """What turns the field's Python value into the database's, or None when the value goes as it is."""
    if type(field) in _AS_IS:
        return None
    if isinstance(field, models.ForeignKey) and type(field.target_field) in (
        models.AutoField,
        models.BigAutoField,
    ):
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def insert_new(objs: Sequence[M], *, before_write: Callable[[M], None] | None = None) -> None:
    """Insert new, unsaved instances of one model and set their primary keys, as ``bulk_create`` does.

    The keys are taken before the write (from the table's sequence on PostgreSQL; on SQLite past the
    largest ever handed out, under the write lock the transaction holds until it ends), so that values
    derived from the key (a top-level task's path) are written with the row: ``before_write`` is called
    on each instance once its key is set. ``auto_now`` and ``auto_now_add`` columns take the time of the
    call, one instant for every row.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = [meta.pk.column, *(f.column for f in fields)]

    # One instant for the whole call, so that rows written together say so; prepared for the database
    # once, as it is the same in every row.
    now = timezone.now()
    stamps: list[tuple[int, str, Any, Any]] = []  # (column, attribute, value, as written)
    converted: list[tuple[int, Callable[[Any], Any]]] = []  # (column, preparation)
    for column, field in enumerate(fields, start=1):
        prepare = _preparer(field)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            stamp = now if isinstance(field, models.DateTimeField) else timezone.localdate(now)
            stamps.append((column, field.attname, stamp, prepare(stamp) if prepare else stamp))
        elif prepare is not None:
            converted.append((column, prepare))
    # The row's values in column order, read by one C call; the few that need converting are replaced.
    # Read from the instance's ``__dict__``, where a new instance holds every field's value: the
    # attributes of the foreign keys (``lead_org_id``) are descriptors, a Python call each.
    values_of = itemgetter(meta.pk.attname, *(f.attname for f in fields))

    def row(obj: M) -> list[Any]:
        if before_write is not None:
            before_write(obj)
        for _column, attname, stamp, _written in stamps:
            setattr(obj, attname, stamp)
        values = list(values_of(obj.__dict__))
        for column, prepare in converted:
            values[column] = prepare(values[column])
        for column, _attname, _stamp, written in stamps:
            values[column] = written
        return values

    with transaction.atomic():
        for obj, key in zip(objs, _new_keys(model, len(objs)), strict=True):
            obj.pk = key
        copy_rows(model, columns, (row(obj) for obj in objs))
    alias = connection.alias
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


def _new_keys(model: type[models.Model], count: int) -> list[int]:
    """``count`` primary keys for new rows of ``model`` (inside the caller's transaction)."""
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, count],
            )
            return [key for (key,) in cursor.fetchall()]
        # SQLite has one writer at a time: once this transaction holds the write lock (taken by the first
        # write, here a no-op update of the key counter), the keys after the largest ever handed out are
        # ours until it ends. The counter covers deleted rows, whose keys are never reused.
        quote = connection.ops.quote_name
        cursor.execute("UPDATE sqlite_sequence SET seq = seq WHERE name = %s", [table])
        cursor.execute(
            f"SELECT MAX(top) FROM (SELECT seq AS top FROM sqlite_sequence WHERE name = %s"  # noqa: S608 -- names from the model
            f" UNION ALL SELECT MAX({quote(column)}) FROM {quote(table)})",
            [table],
        )
        top = cursor.fetchone()[0] or 0
        return list(range(top + 1, top + 1 + count))
