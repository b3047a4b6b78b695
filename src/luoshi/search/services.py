"""Keeping the search index in step with tasks, reports, clauses and directives (DESIGN §10).

The services that change those objects call ``index_task`` / ``index_report`` / ``index_clause`` /
``index_directive`` after their write, inside their transaction (explicit calls, no signals: a rolled
back change rolls its index entry back with it). ``index_objects`` does the same by ids, for callers that
hold only ids and for batches, and ``index_new_tasks`` for tasks just created in bulk; ``reindex_all``
(``luoshi search reindex``) rebuilds everything and is idempotent. The index is derived data: it is not
audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Exists, Model, OuterRef, QuerySet, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from luoshi.core import bulk, trees
from luoshi.directives.models import Clause, Directive
from luoshi.organizations.models import Organization
from luoshi.search import fulltext, tokens
from luoshi.search.models import DIRECTIVE_KINDS, EntryKind, SearchEntry
from luoshi.search.text import audience_term, searchable_text
from luoshi.tasks.models import ProgressReport, Task

# Ids per statement: well under SQLite's limit on parameters, and a few hundred kilobytes of terms.
CHUNK = 500
DEFAULT_BATCH = 5000

# What each kind of object is searched by, in the order snippets look for the query.
FIELDS: dict[str, tuple[str, ...]] = {
    EntryKind.TASK: ("title", "description", "expected_outcome"),
    EntryKind.REPORT: ("narrative", "problems", "next_steps"),
    EntryKind.CLAUSE: ("heading", "text"),
    # The full text is searched through its clauses; the directive itself by what names it.
    EntryKind.DIRECTIVE: ("title", "doc_number", "issuing_body"),
}
MODELS: dict[str, type[Model]] = {
    EntryKind.TASK: Task,
    EntryKind.REPORT: ProgressReport,
    EntryKind.CLAUSE: Clause,
    EntryKind.DIRECTIVE: Directive,
}
# The order in which the loop creates records, so that a rebuilt index lists hits (newest entry first)
# much as one grown by the services does.
REINDEX_ORDER = (EntryKind.DIRECTIVE, EntryKind.CLAUSE, EntryKind.TASK, EntryKind.REPORT)
UPDATED = ["task_id", "directive_id", "org_path", "text", "tokens", "audience", "updated_at"]
# An entry written again replaces the one under its key, as ``bulk_create(update_conflicts=True)`` would.
UPSERT = "ON CONFLICT (kind, object_id) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in UPDATED)
COOPERATION = Task.cooperating_orgs.through


def source_fields(kind: str, obj: Any) -> list[str]:
    """The texts of ``obj`` that are searched, in order (shared with the snippets of search hits)."""
    return [getattr(obj, name) or "" for name in FIELDS[kind]]


# --- audiences ------------------------------------------------------------------------------------
# The units whose people may see an entry, as the visibility rules have it (luoshi.tasks.rules,
# luoshi.directives.rules): a unit sees what is under it, so every unit on the path of the task's lead,
# assigning and cooperating units sees the task; a directive is seen from its issuing unit's path and
# from every unit that sees one of its tasks.


def _chain(path: str | None) -> set[int]:
    return set(trees.ids_in_path(path)) if path else set()


def _audience(units: Iterable[int]) -> str:
    return " ".join(sorted(audience_term(u) for u in set(units)))


def _task_audiences(task_ids: Sequence[int]) -> dict[int, set[int]]:
    result: dict[int, set[int]] = {}
    for pk, lead, assigning in Task.objects.filter(pk__in=task_ids).values_list(
        "pk", "lead_org_path", "assigning_org__path"
    ):
        result[pk] = _chain(lead) | _chain(assigning)
    for pk, path in COOPERATION.objects.filter(task_id__in=task_ids).values_list(
        "task_id", "organization__path"
    ):
        result[pk] |= _chain(path)
    return result


def _task_audiences_of(tasks: Sequence[Task]) -> dict[int, set[int]]:
    """``_task_audiences`` for tasks in hand (with their assigning unit loaded): only the cooperating
    units are queried."""
    result = {t.pk: _chain(t.lead_org_path) | _chain(t.assigning_org.path) for t in tasks}
    ids = list(result)
    for start in range(0, len(ids), CHUNK):
        for pk, path in COOPERATION.objects.filter(task_id__in=ids[start : start + CHUNK]).values_list(
            "task_id", "organization__path"
        ):
            result[pk] |= _chain(path)
    return result


def _directive_audiences(directive_ids: Sequence[int]) -> dict[int, set[int]]:
    result = {
        pk: _chain(path)
        for pk, path in Directive.objects.filter(pk__in=directive_ids).values_list("pk", "issuing_org__path")
    }
    tasks = (
        Task.objects.filter(directive_id__in=directive_ids)
        .order_by()
        .values_list("directive_id", "lead_org_path", "assigning_org__path")
        .distinct()
    )
    for directive_id, lead, assigning in tasks:
        result[directive_id] |= _chain(lead) | _chain(assigning)
    cooperating = (
        COOPERATION.objects.filter(task__directive_id__in=directive_ids)
        .order_by()
        .values_list("task__directive_id", "organization__path")
        .distinct()
    )
    for directive_id, path in cooperating:
        result[directive_id] |= _chain(path)
    return result


# --- entries --------------------------------------------------------------------------------------


def _entry(
    kind: str,
    obj: Any,
    *,
    task_id: int | None,
    directive_id: int | None,
    org_path: str,
    audience: Iterable[int],
) -> SearchEntry:
    text = searchable_text(source_fields(kind, obj))
    return SearchEntry(
        kind=kind,
        object_id=obj.pk,
        task_id=task_id,
        directive_id=directive_id,
        org_path=org_path,
        text=text,
        tokens=_tokens(text),
        audience=_audience(audience),
    )


def _tokens(text: str) -> str:
    return tokens.tokens(text)


class _Row(NamedTuple):
    """The values of one entry, for ``_write``."""

    kind: str
    object_id: int
    task_id: int | None
    directive_id: int | None
    org_path: str
    text: str
    tokens: str
    audience: str


def _write(entries: Sequence[_Row]) -> None:
    """Insert or replace entries as ``bulk_create(update_conflicts=True)`` would, in plain SQL.

    For the writes of every report and every imported task: building a model instance per entry and
    having Django prepare each of its values field by field cost more than the statement itself. The
    values here are ready as they are (text, integers, and terms the placeholder casts on PostgreSQL).
    """
    if not entries:
        return
    table = SearchEntry._meta.db_table
    terms = _terms_binding()
    row = f"(%s, %s, %s, %s, %s, %s, {terms}, {terms}, %s)"
    columns = "kind, object_id, task_id, directive_id, org_path, text, tokens, audience, updated_at"
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One row per statement, sent in one pipeline: psycopg converts the statement once, where a
            # statement binding 500 rows' parameters was parsed anew in Python each time (a second per
            # 10,000 tasks imported).
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES {row} {UPSERT}",  # noqa: S608 -- names from the model, values bound
                [(*entry, now) for entry in entries],
            )
            return
        bulk.insert_values(
            cursor, f"INSERT INTO {table} ({columns})", 9, ((*entry, now) for entry in entries), UPSERT
        )


def _terms_binding() -> str:
    """How a statement binds a value of terms: the field's own placeholder (a cast on PostgreSQL)."""
    return str(SearchEntry._meta.get_field("tokens").get_placeholder(None, None, connection))


def _insert_new(rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert the entries of objects that have none yet (tasks just created in this transaction): plain
    rows (``NEW_COLUMNS``), by ``COPY`` on PostgreSQL, where ``_write`` is an upsert of one statement per
    row. On PostgreSQL the terms are read as tsvector literals, as ``CAST(%s AS tsvector)`` reads them."""
    bulk.copy_rows(SearchEntry, NEW_COLUMNS, rows)


# The values of a row of ``_insert_new``: an entry's (``_Row``) and the time it is written.
NEW_COLUMNS = (*_Row._fields, "updated_at")


def _load(kind: str, ids: Sequence[int]) -> list[SearchEntry]:
    fields = FIELDS[kind]
    if kind == EntryKind.TASK:
        tasks = list(Task.objects.filter(pk__in=ids).only(*fields, "lead_org_path"))
        seen_by = _task_audiences([t.pk for t in tasks])
        return [
            _entry(
                kind,
                t,
                task_id=t.pk,
                directive_id=None,
                org_path=t.lead_org_path,
                audience=seen_by[t.pk],
            )
            for t in tasks
        ]
    if kind == EntryKind.REPORT:
        reports = list(
            ProgressReport.objects.filter(pk__in=ids)
            .select_related("task")
            .only(*fields, "task__lead_org_path")
        )
        seen_by = _task_audiences(sorted({r.task_id for r in reports}))
        return [
            _entry(
                kind,
                r,
                task_id=r.task_id,
                directive_id=None,
                org_path=r.task.lead_org_path,
                audience=seen_by[r.task_id],
            )
            for r in reports
        ]
    if kind == EntryKind.CLAUSE:
        clauses = list(
            Clause.objects.filter(pk__in=ids)
            .select_related("directive__issuing_org")
            .only(*fields, "directive__issuing_org__path")
        )
        seen_by = _directive_audiences(sorted({c.directive_id for c in clauses}))
        return [
            _entry(
                kind,
                c,
                task_id=None,
                directive_id=c.directive_id,
                org_path=c.directive.issuing_org.path,
                audience=seen_by[c.directive_id],
            )
            for c in clauses
        ]
    if kind == EntryKind.DIRECTIVE:
        directives = list(
            Directive.objects.filter(pk__in=ids)
            .select_related("issuing_org")
            .only(*fields, "issuing_org__path")
        )
        seen_by = _directive_audiences([d.pk for d in directives])
        return [
            _entry(
                kind, d, task_id=None, directive_id=d.pk, org_path=d.issuing_org.path, audience=seen_by[d.pk]
            )
            for d in directives
        ]
    raise ValueError(f"unknown kind of search entry: {kind!r}")


def _widen_directive(directive_id: int, units: set[int]) -> None:
    """Add units to the audience of a directive's entries (its own and its clauses'), in one statement
    that touches only the entries missing one of them.

    Only ever adds: a unit that no longer sees the directive (its task moved on) stays named until the
    next full reindex, and the visibility rules, which decide, leave it out.
    """
    wanted = sorted(audience_term(u) for u in units)
    if not wanted:
        return
    SearchEntry.objects.filter(directive_id=directive_id, kind__in=DIRECTIVE_KINDS).filter(
        fulltext.lacking_any(wanted)
    ).update(audience=fulltext.audience_with(wanted))


def _follow(kind: str, entries: list[SearchEntry]) -> None:
    """Carry a task's unit and audience to its reports' entries and into its directive's; a directive's
    to its clauses' (e.g. after a transfer, or a cooperating unit added).

    Per chunk of entries: one query finds which tasks have report entries at all (a new task has none),
    and each directive is widened once with the units of all its tasks in the chunk."""
    if not entries:
        return
    if kind == EntryKind.TASK:
        ids = [e.object_id for e in entries]
        directive_of = dict(Task.objects.filter(pk__in=ids).values_list("pk", "directive_id"))
        reported = set(
            SearchEntry.objects.filter(kind=EntryKind.REPORT, task_id__in=ids)
            .order_by()
            .values_list("task_id", flat=True)
            .distinct()
        )
        units_of_directive: dict[int, set[int]] = {}
        for entry in entries:
            if entry.object_id in reported:
                SearchEntry.objects.filter(kind=EntryKind.REPORT, task_id=entry.object_id).update(
                    org_path=entry.org_path, audience=entry.audience
                )
            directive_id = directive_of.get(entry.object_id)
            if directive_id is not None:
                units_of_directive.setdefault(directive_id, set()).update(_task_units(entry))
        for directive_id, units in units_of_directive.items():
            _widen_directive(directive_id, units)
    elif kind == EntryKind.DIRECTIVE:
        for entry in entries:
            SearchEntry.objects.filter(kind=EntryKind.CLAUSE, directive_id=entry.object_id).update(
                org_path=entry.org_path, audience=entry.audience
            )


def _task_units(entry: SearchEntry) -> set[int]:
    return {int(term[1:]) for term in entry.audience.split()}


def _index(kind: str, ids: Sequence[int], *, follow: bool) -> int:
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        entries = _load(kind, chunk)
        if entries:
            SearchEntry.objects.bulk_create(
                entries, update_conflicts=True, unique_fields=["kind", "object_id"], update_fields=UPDATED
            )
        gone = set(chunk) - {e.object_id for e in entries}
        if gone:
            SearchEntry.objects.filter(kind=kind, object_id__in=gone).delete()
        if follow:
            _follow(kind, entries)
        written += len(entries)
    return written


@transaction.atomic
def index_objects(kind: str, ids: Iterable[int]) -> int:
    """Index the objects of ``kind`` with these ids as they are now; ids that no longer exist leave the
    index. Returns the number of entries written."""
    kind = EntryKind(kind)
    return _index(kind, sorted(set(ids)), follow=True)


def index_task(task: Task) -> None:
    """After a task was created or changed (title, texts, lead unit): its entry and its reports' unit."""
    index_objects(EntryKind.TASK, [task.pk])


def index_report(report: ProgressReport) -> None:
    """After a report was written: a report is seen by whoever sees its task, so its entry takes the
    task entry's unit and audience, copied by the statement that writes it (one statement on the hot
    path of reporting). A task not indexed yet (e.g. before a first reindex) gives them from its own
    units instead."""
    text = searchable_text(source_fields(EntryKind.REPORT, report))
    table = SearchEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, object_id, task_id, org_path, text, tokens, audience, updated_at)"  # noqa: S608 -- names from the model, values bound
            f" SELECT %s, %s, %s, org_path, %s, {_terms_binding()}, audience, %s FROM {table}"
            f" WHERE kind = %s AND object_id = %s {UPSERT}",
            [
                str(EntryKind.REPORT),
                report.pk,
                report.task_id,
                text,
                _tokens(text),
                connection.ops.adapt_datetimefield_value(timezone.now()),
                str(EntryKind.TASK),
                report.task_id,
            ],
        )
        if cursor.rowcount:
            return
    task = report.task
    audience = _audience(_task_audiences_of([task])[task.pk])
    row = _Row(
        str(EntryKind.REPORT),
        report.pk,
        report.task_id,
        None,
        task.lead_org_path,
        text,
        _tokens(text),
        audience,
    )
    _write([row])


def index_new_tasks(tasks: Sequence[Task], cooperating: Mapping[int, Iterable[Organization]]) -> None:
    """Index tasks just created in this transaction from the rows in hand (``cooperating``: each task's
    cooperating units by its id), where ``index_objects`` would read them back: for bulk registrations.
    The directive's entries are widened once per directive; a new task has no reports to follow."""
    kind = str(EntryKind.TASK)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    texts_of = attrgetter(*FIELDS[EntryKind.TASK])  # ``source_fields``, for one kind
    # The tasks of a list share a few units, so a task's audience (the units on the paths of its lead,
    # assigning and cooperating units) is worked out once for each combination of those paths.
    audiences: dict[tuple[str, ...], tuple[set[int], str]] = {}
    rows = []
    units_of_directive: dict[int, set[int]] = {}
    for task in tasks:
        pk = task.pk
        paths = (task.lead_org_path, task.assigning_org.path, *[org.path for org in cooperating.get(pk, ())])
        known = audiences.get(paths)
        if known is None:
            units = set().union(*[_chain(path) for path in paths])
            known = audiences[paths] = (units, _audience(units))
        units, audience = known
        text = searchable_text(texts_of(task))
        # As ``_Row`` has them, then the time (``NEW_COLUMNS``).
        rows.append((kind, pk, pk, None, task.lead_org_path, text, _tokens(text), audience, now))
        if task.directive_id is not None:
            units_of_directive.setdefault(task.directive_id, set()).update(units)
    _insert_new(rows)
    for directive_id, units in units_of_directive.items():
        _widen_directive(directive_id, units)


def index_clause(clause: Clause) -> None:
    index_objects(EntryKind.CLAUSE, [clause.pk])


def index_directive(directive: Directive) -> None:
    """After a directive was created or changed: its entry and its clauses' unit."""
    index_objects(EntryKind.DIRECTIVE, [directive.pk])


def remove(kind: str, object_id: int) -> None:
    """Take one object out of the index (when it is deleted)."""
    SearchEntry.objects.filter(kind=EntryKind(kind), object_id=object_id).delete()


def on_organization_moved(*, old_prefix: str, new_prefix: str) -> int:
    """After a unit moved (inside the move's transaction): rewrite ``org_path`` of the entries under
    it in one statement, as tasks do for ``lead_org_path``, and add the unit's new ancestors to every
    audience that names the unit, in a second. Returns the number of entries under the unit."""
    moved = SearchEntry.objects.filter(trees.subtree_q("org_path", old_prefix)).update(
        org_path=Concat(Value(new_prefix), Substr("org_path", len(old_prefix) + 1))
    )
    unit = trees.ids_in_path(new_prefix)[-1]
    above = trees.ids_in_path(new_prefix)[:-1]
    if above:
        SearchEntry.objects.filter(fulltext.holding_any([audience_term(unit)])).update(
            audience=fulltext.audience_with(audience_term(u) for u in above)
        )
    return moved


def reindex_all(
    *, batch: int = DEFAULT_BATCH, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Rebuild the whole index from the records, ``batch`` objects per transaction; idempotent.

    Also restores the full-text structures a table rebuild may have dropped, removes the entries of
    objects that no longer exist and, on SQLite, merges the FTS5 index. ``progress(kind, done)`` is
    called after every batch. Returns the number of entries per kind.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    fulltext.ensure()
    counts: dict[str, int] = {}
    for kind in REINDEX_ORDER:
        objects: QuerySet[Any] = MODELS[kind]._default_manager.order_by("pk")
        done = 0
        last = 0
        while True:
            ids = list(objects.filter(pk__gt=last).values_list("pk", flat=True)[:batch])
            if not ids:
                break
            with transaction.atomic():
                # Every kind is reindexed, so following tasks to reports (and so on) would be wasted work.
                done += _index(kind, ids, follow=False)
            last = ids[-1]
            if progress is not None:
                progress(kind, done)
        # NOT EXISTS rather than NOT IN: PostgreSQL runs it as an anti-join however many records there are.
        SearchEntry.objects.filter(kind=kind).filter(
            ~Exists(MODELS[kind]._default_manager.filter(pk=OuterRef("object_id")))
        ).delete()
        counts[kind] = done
    fulltext.optimize()
    return counts
