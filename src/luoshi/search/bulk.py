"""Rebuilding the whole search index at once, for a fresh load or a restore (DESIGN §10).

``rebuild`` writes the entries ``services.reindex_all`` writes into an empty index: the same text, terms,
unit and audience, created in the same order (directives, clauses, tasks, reports, each by id) so that
hits list newest first alike. It replaces whatever entries there were. What makes it fast:

- The records are read a page at a time by id, each page one short statement. Outside a transaction
  they are read on a connection of their own, in autocommit, so that no lock on tasks or reports is held
  while the index is written; inside one, on the caller's connection (what that transaction sees).
- Texts and terms are computed by a pool of worker processes, one per core, each building the segmenter
  once; the chunks go out a few ahead of the writer and come back in order.
- The entries are replaced in one transaction. PostgreSQL empties the table, drops its indexes (the GIN
  index, the plain ones, the unique constraint), writes with ``COPY`` and builds each index once at the
  end under the name the migrations gave it. SQLite drops the FTS5 triggers, inserts in batches, and
  builds the FTS5 table once from the entries (``fulltext.ensure``).

Emptying the table locks it until the transaction ends: on PostgreSQL a search, or a service writing an
entry, waits for the rebuild to finish (the service then writes over the new entries, so nothing it did
is lost). That suits a load or a restore; on a live site ``reindex_all`` keeps serving.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.utils import timezone

from luoshi.core import bulk, trees
from luoshi.directives.models import Clause, Directive
from luoshi.search import fulltext, tokens
from luoshi.search.models import EntryKind, SearchEntry
from luoshi.search.services import COOPERATION, FIELDS, REINDEX_ORDER
from luoshi.search.text import audience_term
from luoshi.tasks.models import ProgressReport, Task

# Records read per statement.
PAGE = 10_000
# Objects per job of a worker process, and jobs in flight per worker: enough to keep every worker busy
# while the writer waits for the oldest.
JOB = 1_000
AHEAD = 4
# Entries per COPY (PostgreSQL) or executemany (SQLite).
FLUSH = 10_000
# Memory for building each index at the end (PostgreSQL; for this transaction only). GIN builds in
# fewer, larger passes with more.
INDEX_MEMORY = "1GB"

COLUMNS = (
    "kind",
    "object_id",
    "task_id",
    "directive_id",
    "org_path",
    "text",
    "tokens",
    "audience",
    "updated_at",
)

Progress = Callable[[str, int], None]


def default_workers() -> int:
    """One worker process per core this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def rebuild(*, workers: int | None = None, progress: Progress | None = None) -> dict[str, int]:
    """Replace the whole index by the entries of every task, report, clause and directive.

    ``workers`` is the number of processes computing terms (default: one per core; 0 computes them in
    this process). ``progress(kind, done)`` is called after every page of records read. Returns the
    number of entries per kind.
    """
    count = default_workers() if workers is None else workers
    with _reader() as reader, _pool(count) as pool, transaction.atomic():
        _drop_structures()
        writer = _Writer(pool, AHEAD * max(1, count))
        counts = _Source(reader, writer, progress).run()
        writer.finish()
        _build_structures()
    return counts


# --- reading --------------------------------------------------------------------------------------


@contextmanager
def _reader() -> Iterator[BaseDatabaseWrapper]:
    """Where the records are read: a connection of its own in autocommit on PostgreSQL, unless the
    caller holds a transaction; on SQLite the one connection (a lock there is the whole file's anyway)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield connection
        return
    own = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield own
    finally:
        own.close()


def _pages(reader: BaseDatabaseWrapper, qs: QuerySet[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``qs`` (a ``values_list`` whose first value is the id) in id order, a page per
    statement: each statement is short, and the next starts after the last id seen."""
    last: int | None = None
    while True:
        part = qs if last is None else qs.filter(pk__gt=last)
        sql, params = part.order_by("pk")[:PAGE].query.get_compiler(connection=reader).as_sql()
        with reader.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rows:
            yield rows
        if len(rows) < PAGE:
            return
        last = rows[-1][0]


class _Audiences:
    """Audience terms of sets of units, each distinct set rendered once (most tasks share theirs with
    many others), and the units on each path."""

    def __init__(self) -> None:
        self._chains: dict[str, frozenset[int]] = {}
        self._terms: dict[frozenset[int], str] = {}
        self._paths: dict[str, str] = {}

    def chain(self, path: str | None) -> frozenset[int]:
        if not path:
            return frozenset()
        units = self._chains.get(path)
        if units is None:
            units = self._chains[path] = frozenset(trees.ids_in_path(path))
        return units

    def terms(self, units: frozenset[int]) -> str:
        terms = self._terms.get(units)
        if terms is None:
            terms = self._terms[units] = " ".join(sorted(audience_term(u) for u in units))
        return terms

    def path(self, path: str) -> str:
        """The one copy of ``path`` kept (a million tasks share a few thousand unit paths)."""
        return self._paths.setdefault(path, path)


class _Source:
    """The entries of every record, in the order ``reindex_all`` creates them.

    First the units that see each task and each directive (as ``services`` decides them: a task is seen
    from the paths of its lead, assigning and cooperating units; a directive from its issuing unit's and
    from those of all its tasks), then the texts of each kind, handed to the writer page by page.
    """

    def __init__(self, reader: BaseDatabaseWrapper, writer: _Writer, progress: Progress | None) -> None:
        self.reader = reader
        self.writer = writer
        self.progress = progress
        self.audiences = _Audiences()
        # Task id -> (its lead unit's path, its audience terms); directive id -> (issuing path, terms).
        self.tasks: dict[int, tuple[str, str]] = {}
        self.directives: dict[int, tuple[str, str]] = {}

    def run(self) -> dict[str, int]:
        self._learn_audiences()
        entries = {
            EntryKind.DIRECTIVE: self._directives,
            EntryKind.CLAUSE: self._clauses,
            EntryKind.TASK: self._tasks,
            EntryKind.REPORT: self._reports,
        }
        counts = {}
        for kind in REINDEX_ORDER:
            counts[str(kind)] = entries[kind]()
        return counts

    def _learn_audiences(self) -> None:
        seen = self.audiences
        cooperating: dict[int, frozenset[int]] = {}
        for page in _pages(
            self.reader, COOPERATION.objects.values_list("pk", "task_id", "organization__path")
        ):
            for _pk, task_id, path in page:
                cooperating[task_id] = cooperating.get(task_id, frozenset()) | seen.chain(path)
        issuing = {}
        directive_units: dict[int, frozenset[int]] = {}
        for page in _pages(self.reader, Directive.objects.values_list("pk", "issuing_org__path")):
            for pk, path in page:
                issuing[pk] = seen.path(path)
                directive_units[pk] = seen.chain(path)
        fields = ("pk", "directive_id", "lead_org_path", "assigning_org__path")
        for page in _pages(self.reader, Task.objects.values_list(*fields)):
            for pk, directive_id, lead, assigning in page:
                units = seen.chain(lead) | seen.chain(assigning) | cooperating.get(pk, frozenset())
                self.tasks[pk] = (seen.path(lead), seen.terms(units))
                if directive_id in directive_units:
                    directive_units[directive_id] = directive_units[directive_id] | units
        self.directives = {pk: (issuing[pk], seen.terms(units)) for pk, units in directive_units.items()}

    def _each(
        self, kind: str, qs: QuerySet[Any], facts: Callable[[tuple[Any, ...]], tuple[Any, ...] | None]
    ) -> int:
        """Hand every row of ``qs`` to the writer: ``facts(row)`` gives its entry's (task id, directive id,
        unit path, audience), or None for a record that was not there when the audiences were learnt
        (only a writer that bypasses the services makes one, and it is not indexed); the row's last
        values are the searched fields."""
        done = 0
        width = len(FIELDS[kind])
        for page in _pages(self.reader, qs):
            for row in page:
                known = facts(row)
                if known is not None:
                    self.writer.add((kind, row[0], *known), row[-width:])
                    done += 1
            if self.progress is not None:
                self.progress(kind, done)
        return done

    def _directives(self) -> int:
        def facts(row: tuple[Any, ...]) -> tuple[Any, ...] | None:
            path_and_terms = self.directives.get(row[0])
            return None if path_and_terms is None else (None, row[0], *path_and_terms)

        qs = Directive.objects.values_list("pk", *FIELDS[EntryKind.DIRECTIVE])
        return self._each(EntryKind.DIRECTIVE, qs, facts)

    def _clauses(self) -> int:
        def facts(row: tuple[Any, ...]) -> tuple[Any, ...] | None:
            path_and_terms = self.directives.get(row[1])
            return None if path_and_terms is None else (None, row[1], *path_and_terms)

        qs = Clause.objects.values_list("pk", "directive_id", *FIELDS[EntryKind.CLAUSE])
        return self._each(EntryKind.CLAUSE, qs, facts)

    def _tasks(self) -> int:
        def facts(row: tuple[Any, ...]) -> tuple[Any, ...] | None:
            path_and_terms = self.tasks.get(row[0])
            return None if path_and_terms is None else (row[0], None, *path_and_terms)

        qs = Task.objects.values_list("pk", *FIELDS[EntryKind.TASK])
        return self._each(EntryKind.TASK, qs, facts)

    def _reports(self) -> int:
        def facts(row: tuple[Any, ...]) -> tuple[Any, ...] | None:
            path_and_terms = self.tasks.get(row[1])
            return None if path_and_terms is None else (row[1], None, *path_and_terms)

        qs = ProgressReport.objects.values_list("pk", "task_id", *FIELDS[EntryKind.REPORT])
        return self._each(EntryKind.REPORT, qs, facts)


# --- computing and writing ------------------------------------------------------------------------


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    """The worker processes, or None to compute in this process. Forked where the system can (the
    workers start at once and inherit a segmenter already built), each warmed before its first job."""
    if workers < 1:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=tokens.warm) as pool:
        yield pool


class _Writer:
    """Sends objects' fields to the workers a job at a time, takes the results back in order, and writes
    the entries in batches."""

    def __init__(self, pool: ProcessPoolExecutor | None, in_flight: int) -> None:
        self.pool = pool
        self.in_flight = in_flight
        self.now = timezone.now()
        # Facts of the entries (kind, object, task, directive, unit path, audience) and their fields,
        # gathered into the next job.
        self.facts: list[tuple[Any, ...]] = []
        self.fields: list[Sequence[str | None]] = []
        self.jobs: deque[tuple[list[tuple[Any, ...]], Future[list[tuple[str, str]]] | None, list[Any]]] = (
            deque()
        )
        self.rows: list[tuple[Any, ...]] = []

    def add(self, facts: tuple[Any, ...], fields: Sequence[str | None]) -> None:
        self.facts.append(facts)
        self.fields.append(fields)
        if len(self.facts) >= JOB:
            self._send()

    def finish(self) -> None:
        self._send()
        while self.jobs:
            self._receive()
        self._flush()

    def _send(self) -> None:
        if not self.facts:
            return
        future = self.pool.submit(tokens.many, self.fields) if self.pool is not None else None
        self.jobs.append((self.facts, future, self.fields))
        self.facts, self.fields = [], []
        while len(self.jobs) > self.in_flight:
            self._receive()

    def _receive(self) -> None:
        facts, future, fields = self.jobs.popleft()
        computed = future.result() if future is not None else tokens.many(fields)
        now = self.now
        for (kind, object_id, task_id, directive_id, org_path, audience), (text, terms) in zip(
            facts, computed, strict=True
        ):
            self.rows.append((kind, object_id, task_id, directive_id, org_path, text, terms, audience, now))
        if len(self.rows) >= FLUSH:
            self._flush()

    def _flush(self) -> None:
        if self.rows:
            # The terms are read as tsvector literals, as ``CAST(%s AS tsvector)`` reads them.
            bulk.copy_rows(SearchEntry, COLUMNS, self.rows)
            self.rows = []


# --- the table's structures -----------------------------------------------------------------------


def _drop_structures() -> None:
    """Empty the entry table and drop what every row written would otherwise update: on PostgreSQL its
    indexes and unique constraint, on SQLite its plain indexes and the FTS5 triggers (the unique
    constraint stays: SQLite cannot drop one without copying the table)."""
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table}")
            cursor.execute(f"DROP INDEX IF EXISTS {fulltext.POSTGRES_INDEX}")
        else:
            for trigger in sorted(fulltext.SQLITE_TRIGGERS):
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            # The FTS5 table is rebuilt from the entries at the end, so its stale rows go with it.
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 -- the model's table
        for index in SearchEntry._meta.indexes:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(index.name)}")
        if connection.vendor == "postgresql":
            for constraint in SearchEntry._meta.constraints:
                name = connection.ops.quote_name(constraint.name)
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


def _build_structures() -> None:
    """Create again what ``_drop_structures`` dropped, as the migrations create it, then refresh the
    planner's statistics of the table."""
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'")
        # The schema editor only writes the statements (used as a context it would open a transaction of
        # its own, which SQLite refuses inside this one).
        editor = connection.schema_editor()
        statements = [index.create_sql(SearchEntry, editor) for index in SearchEntry._meta.indexes]
        if connection.vendor == "postgresql":
            statements += [c.create_sql(SearchEntry, editor) for c in SearchEntry._meta.constraints]
        for statement in statements:
            cursor.execute(str(statement))
        # The GIN index, or the FTS5 triggers and the FTS5 index filled from the entries.
        fulltext.ensure()
        fulltext.optimize()
        cursor.execute(f"ANALYZE {table}")
