"""Written-out statements: for the few statements on every request whose shape never changes, where
building them through the ORM costs more than running them (the cockpit, the scopes of a request, the
lock of a task's chain and the rows of every report), and the session settings of the set-based
statements over whole tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, Generic, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models, router, transaction
from django.db.models import signals
from django.db.models.expressions import Col

M = TypeVar("M", bound=models.Model)


def read_rows(model: type[models.Model], sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``sql``, read from the database the ORM would read ``model`` from (the replica
    inside ``config.routers.replica_reads()``, else the primary)."""
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, list(params))
        return list(cursor.fetchall())


def read_many(
    model: type[models.Model], statements: Sequence[tuple[str, Sequence[Any]]]
) -> list[list[tuple[Any, ...]]]:
    """Every row of each of ``statements``, as ``read_rows`` reads them. On PostgreSQL they are sent
    together, in one pipeline: one round trip for all of them, where one after another waits for each
    answer in turn (a dashboard's five summary reads spent more time waiting than reading)."""
    db = connections[router.db_for_read(model)]
    if db.vendor != "postgresql" or len(statements) < 2:
        return [read_rows(model, statement, params) for statement, params in statements]
    db.ensure_connection()
    cursors = []
    try:
        with db.connection.pipeline():
            for statement, params in statements:
                cursor = db.cursor()
                cursors.append(cursor)
                cursor.execute(statement, list(params))
        return [list(cursor.fetchall()) for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


class ColumnValues:
    """The raw values of a written-out SELECT's columns (``cols``, their expressions, in order) as the ORM
    reads them: each column's converters applied (SQLite's dates, booleans and aware date-times;
    PostgreSQL needs none). The columns are fixed, so one object serves the whole process."""

    def __init__(self, cols: Sequence[Col]) -> None:
        self.cols = tuple(cols)
        # Per database alias: the positions and expressions of the columns that have converters there.
        self._converted: dict[str, list[tuple[int, Col]]] = {}

    def convert(self, row: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> list[Any]:
        db = connections[using]
        values = list(row)
        # The converters are bound to a connection, so they are looked up on this one each time; only the
        # positions that have any are remembered.
        for index, col in self._columns_to_convert(using):
            for convert in db.ops.get_db_converters(col) + col.get_db_converters(db):
                values[index] = convert(values[index], col, db)
        return values

    def _columns_to_convert(self, using: str) -> list[tuple[int, Col]]:
        found = self._converted.get(using)
        if found is None:
            db = connections[using]
            found = [
                (index, col)
                for index, col in enumerate(self.cols)
                if db.ops.get_db_converters(col) + col.get_db_converters(db)
            ]
            self._converted[using] = found
        return found


class ModelColumns(Generic[M]):
    """Every concrete column of ``model`` under the table alias ``alias``, for a written-out SELECT, and
    the instances built back from its rows as the ORM builds them: ``from_db`` with the values
    ``ColumnValues`` converts. A model's columns are fixed, so one object per model and alias serves the
    whole process."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = tuple(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.sql = ", ".join(f'{alias}."{f.column}"' for f in self.fields)
        self.values = ColumnValues([f.get_col(alias) for f in self.fields])

    def build(self, row: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> M:
        """The instance held by ``row`` (the columns of ``sql``, in that order)."""
        return self.model.from_db(using, self.attnames, self.values.convert(row, using=using))


_ALL_COLUMNS: dict[type[models.Model], ModelColumns[Any]] = {}


def read_objects(model: type[M], where: str, params: Sequence[Any]) -> list[M]:
    """The instances of ``model`` whose rows ``where`` (the statement's text after ``FROM table t``:
    conditions on the alias ``t``, an ordering) selects, as the ORM builds them; for the lookups every
    request of a page makes, whose query the ORM builds again each time."""
    columns = _ALL_COLUMNS.get(model)
    if columns is None:
        columns = _ALL_COLUMNS[model] = ModelColumns(model, "t")
    using = router.db_for_read(model)
    statement = f'SELECT {columns.sql} FROM "{model._meta.db_table}" t {where}'  # noqa: S608 -- the model's names
    return [columns.build(row, using=using) for row in read_rows(model, statement, params)]


def insert(obj: M, *, using: str = DEFAULT_DB_ALIAS) -> M:
    """``obj.save(force_insert=True)`` as one written-out INSERT, for the rows every report writes.

    Each field prepares its value as the ORM has it do (``pre_save``, which stamps ``auto_now`` fields,
    then ``get_db_prep_save``); only the compiler, which cost more than the statement, is left out. A
    model that overrides ``save`` or has save signal receivers, and a value that is an expression, are
    saved by ``save`` itself, so nothing the ORM would do is ever skipped.
    """
    meta = obj._meta
    auto = meta.auto_field
    generated = auto is not None and obj.pk is None
    fields = [f for f in meta.local_concrete_fields if not (generated and f is auto)]
    values = _prepared(obj, fields, add=True, using=using)
    if values is None:
        obj.save(force_insert=True, using=using)
        return obj
    db = connections[using]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    statement = f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({", ".join(["%s"] * len(fields))})'  # noqa: S608 -- names from the model
    returning = generated and db.features.can_return_columns_from_insert
    if auto is not None and returning:
        statement += f' RETURNING "{auto.column}"'
    with db.cursor() as cursor:
        cursor.execute(statement, values)
        if auto is not None and generated:
            setattr(obj, auto.attname, cursor.fetchone()[0] if returning else cursor.lastrowid)
    obj._state.adding = False
    obj._state.db = using
    return obj


def update(obj: models.Model, fields: Sequence[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """``obj.save(update_fields=fields)`` as one written-out UPDATE (see ``insert``): each field's value
    prepared as the ORM prepares it, and the same error when the row is gone."""
    meta = obj._meta
    changed = [cast("models.Field[Any, Any]", meta.get_field(name)) for name in fields]
    values = _prepared(obj, changed, add=False, using=using)
    if values is None:
        obj.save(update_fields=fields, using=using)
        return
    assignments = ", ".join(f'"{f.column}" = %s' for f in changed)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f'UPDATE "{meta.db_table}" SET {assignments} WHERE "{meta.pk.column}" = %s',  # noqa: S608 -- names from the model
            [*values, obj.pk],
        )
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def _prepared(
    obj: models.Model, fields: Sequence[models.Field[Any, Any]], *, add: bool, using: str
) -> list[Any] | None:
    """The values of ``fields`` as ``save`` sends them, or None when ``save`` itself must write: the model
    overrides it or has receivers of its signals, or a value is an expression (``F("n") + 1``)."""
    model = type(obj)
    if (
        model.save is not models.Model.save
        or model.save_base is not models.Model.save_base
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
    ):
        return None
    # The check ``save`` makes first (private to Django, but what ``save`` calls): no unsaved object is
    # assigned to a foreign key.
    obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    raw = [f.pre_save(obj, add=add) for f in fields]
    if any(hasattr(value, "resolve_expression") for value in raw):
        return None
    db = connections[using]
    return [f.get_db_prep_save(value, connection=db) for f, value in zip(fields, raw, strict=True)]


def as_date(value: Any) -> date:
    """A date column as read by a plain cursor: SQLite hands dates back as ISO text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _session_without_jit() -> bool:
    """Whether this PostgreSQL session compiles nothing already (the database's own setting, which the
    migrations set where the account may: ``core`` 0001), asked once per connection to the server."""
    raw = connection.connection
    known = getattr(connection, "_luoshi_jit", None)
    if known is None or known[0] is not raw:
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            known = (connection.connection, cursor.fetchone()[0] == "off")
        connection._luoshi_jit = known  # type: ignore[attr-defined]
    return bool(known[1])


@contextmanager
def without_jit(*, work_mem: str | None = None) -> Iterator[None]:
    """On PostgreSQL, a transaction (the caller's, when one is open) in which no statement is compiled
    just in time, and, with ``work_mem``, each sort or hash may use that much memory; on SQLite, which
    compiles nothing, no transaction of its own.

    Luoshi's big statements (the roll-up over every task, a search's visibility subqueries) are planned
    at a cost far above ``jit_above_cost``, and compiling them took longer than running them (4.7 s of a
    20 s roll-up statement at province scale). The nightly jobs' joins over a million tasks spilled to
    disk in the default 4 MB: ``BIG_WORK_MEM`` for them. Settings local to the transaction, so that they
    also hold behind a pooler in transaction mode. Where the database compiles nothing already (its
    setting holds behind any pooler), a search needs no transaction and none of its three round trips.
    """
    if connection.vendor != "postgresql" or (work_mem is None and _session_without_jit()):
        yield
        return
    # No savepoint inside a caller's transaction: an error there aborts the whole transaction anyway on
    # PostgreSQL, and the setting may as well last until that transaction ends.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        if work_mem is not None:
            cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        yield


# The memory of one sort or hash in the nightly jobs (one connection at a time runs them).
BIG_WORK_MEM = "64MB"

# ``random_page_cost`` for statements that touch a few percent of a big table by key: the price of a
# random read on a solid-state disk, or of a table the operating system keeps cached (PostgreSQL's
# default, 4, prices the seek of a spinning disk).
KEYED_RANDOM_PAGE_COST = "1.1"


@contextmanager
def keyed_reads() -> Iterator[None]:
    """Inside the caller's transaction on PostgreSQL, statements planned with random reads priced as
    ``KEYED_RANDOM_PAGE_COST``, the setting restored after them; nothing on SQLite.

    The nightly sweep writes and rolls up tens of thousands of a province's million tasks, reached by
    key from a scratch table. At the default price the planner scanned the whole task table for each of
    those statements (a second or more each); priced as the disk is, it reads them by index. Scoped to
    those statements: others of the same night (the ladder's anti-join over every late task) are better
    planned at the default."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('random_page_cost')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('random_page_cost', %s, true)", [KEYED_RANDOM_PAGE_COST])
        yield
        # Not restored after an error: the transaction is then aborted, and the setting ends with it.
        cursor.execute("SELECT set_config('random_page_cost', %s, true)", [before])


def scratch_table(cursor: Any, name: str, columns: str) -> None:
    """An empty temporary table ``name`` (``columns`` as in CREATE TABLE), for the big set-based steps
    to copy a short list into before they write from it.

    Created on first use and kept for the connection (a later step or run empties it), since SQLite has
    no ON COMMIT DROP and PostgreSQL would otherwise catalogue a new table every time."""
    cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns})")
    cursor.execute(f"DELETE FROM {name}")  # noqa: S608 -- a constant name


def fill_scratch_table(cursor: Any, name: str, columns: str, select: str, params: Sequence[Any]) -> int:
    """``scratch_table`` ``name`` holding the rows of ``select`` (its columns in the order of ``columns``),
    analysed for the statements that read it next; returns how many rows it received."""
    scratch_table(cursor, name, columns)
    cursor.execute(f"INSERT INTO {name} {select}", params)
    received = max(cursor.rowcount, 0)
    analyze(cursor, name)
    return received


def analyze(cursor: Any, name: str) -> None:
    """Tell PostgreSQL's planner how many rows a scratch table just received. Autovacuum never analyses
    temporary tables, and a plan made without numbers took a join of 900,000 entering lights to the
    memberships as a loop of index probes: two minutes at province scale."""
    if connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {name}")
