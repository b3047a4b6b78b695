"""Search over tasks, progress reports, clauses and directives in Chinese and English (DESIGN §10).

A hit is an object whose normalized text contains the normalized query: exactly what a substring search
finds, one- and two-character Chinese queries included (``luoshi.search.text`` explains why the index
never misses one). One statement finds the hits: the full-text index narrows the candidates (to entries
holding the query's terms and naming one of the searcher's units in their audience), a real substring
test (``instr`` / ``strpos``) on the stored text decides, and the visibility rules filter.
At most ``MAX_RESULTS`` hits are counted and reachable by paging ("more than 1,000 results": refine
the query), so a query stops reading once it has that many, and they come newest entry first. With
more hits than that, SQLite lists the newest ones; so does PostgreSQL for a query common among the
newest entries, asked by someone who sees every entry (``fulltext.found``); otherwise it lists the first
it reads, as asking it for the newest would make it read every hit of a common word (see
``fulltext.matching``), and for a query common enough, those come from a sample of the table's pages
(``fulltext.plan``).
Titles and snippets come from the records themselves, one query per kind on the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import StrIndex
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core import sql, trees
from luoshi.core.errors import ValidationFailed
from luoshi.directives.models import Directive
from luoshi.organizations.models import Organization
from luoshi.search import fulltext
from luoshi.search.models import EntryKind, SearchEntry
from luoshi.search.services import FIELDS, MODELS
from luoshi.search.text import (
    MAX_QUERY,
    Term,
    audience_term,
    excerpt,
    highlight,
    normalize,
    query_terms,
)
from luoshi.tasks.models import Task

MAX_RESULTS = 1000


@dataclass(frozen=True)
class SearchHit:
    """One object that contains the query. ``snippet`` is HTML: escaped text, the query in ``<mark>``."""

    kind: str
    object_id: int
    task_id: int | None
    directive_id: int | None
    title: str
    snippet: SafeString


@dataclass(frozen=True)
class SearchResults:
    """A page of hits. ``total`` counts every hit up to ``MAX_RESULTS``; ``total_is_exact`` is false
    when there are more."""

    query: str
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    total_is_exact: bool = True
    offset: int = 0
    limit: int = 50

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


def parse_query(query: str | None) -> tuple[str, list[Term]]:
    """The normalized query and its index lookups, or ``ValidationFailed`` naming field ``q``."""
    needle = normalize(query or "")
    terms = query_terms(needle) if len(needle) <= MAX_QUERY else []
    if not needle:
        message = _("Type a word, a phrase or a few characters to search for.")
    elif len(needle) > MAX_QUERY:
        message = _("Search for at most %(count)s characters.") % {"count": MAX_QUERY}
    elif not terms:
        message = _("Search for letters, digits or Chinese characters, not only punctuation.")
    else:
        return needle, terms
    raise ValidationFailed(message, fields={"q": [message]})


def _kinds(kinds: Iterable[str] | None) -> list[str]:
    if kinds is None:
        return list(EntryKind.values)
    chosen = set(kinds)
    unknown = chosen - set(EntryKind.values)
    if unknown:
        message = _("Choose among tasks, progress reports, clauses and directives.")
        raise ValidationFailed(message, fields={"kind": [message]})
    return sorted(chosen)


def _outermost(paths: Iterable[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


def _audience(user: Any) -> list[str] | None:
    """The audience terms that narrow the lookup to the user's units; ``None`` (no narrowing) for
    superusers. A unit's term is on every entry seen from it or from above it (``services``), so the
    outermost units of the user's scopes suffice."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_superuser:
        return None
    paths = _outermost(s.path for s in access.scopes_of(user))
    return [audience_term(trees.ids_in_path(path)[-1]) for path in paths]


def _sees_every_unit(paths: list[str]) -> bool:
    """Whether ``paths`` (outermost scope paths) hold every top-level unit, hence every unit's subtree.

    Only a scope of a top-level unit can hold one, so nobody else costs a query. The top-level units are
    read on each call: a unit added at the top must narrow the search at once."""
    if not any(trees.depth_of(path) == 1 for path in paths):
        return False
    statement = f"SELECT path FROM {Organization._meta.db_table} WHERE parent_id IS NULL"  # noqa: S608
    roots = [path for (path,) in sql.read_rows(Organization, statement, [])]
    return bool(roots) and all(any(trees.is_within(root, p) for p in paths) for root in roots)


# What ``_entry_rule`` gives for a person who may see no entry.
_NO_ENTRY = Q(pk__in=[])


def _entry_rule(user: Any) -> Q | None:
    """The condition the entries ``user`` may see meet (``visible_entries``), ``None`` when every entry is
    theirs to see, ``_NO_ENTRY`` when none is."""
    if user is None or not user.is_authenticated or not user.is_active:
        return _NO_ENTRY
    if user.is_superuser:
        return None
    paths = _outermost(s.path for s in access.scopes_of(user))
    if not paths:
        return _NO_ENTRY
    if _sees_every_unit(paths):
        return None
    within = Q(pk__in=[])
    for path in paths:
        within |= trees.subtree_q("org_path", path)
    # An entry has a task or a directive, never both, so each rule meets only its own entries (and no
    # condition on the kind invites the planner to scan an index of every entry of a kind).
    task_rule = Exists(access.visible(user, Task.objects.filter(pk=OuterRef("task_id"))))
    directive_rule = Exists(access.visible(user, Directive.objects.filter(pk=OuterRef("directive_id"))))
    return within | task_rule | directive_rule


def visible_entries(user: Any, qs: QuerySet[SearchEntry]) -> QuerySet[SearchEntry]:
    """The entries of objects ``user`` may see: tasks and reports by the task rule, clauses and
    directives by the directive rule (both as registered in ``luoshi.access``).

    Most visible entries lie under one of the user's units, which the entry's own ``org_path`` shows
    with a range comparison; only the others (a cooperating unit's task, a directive seen through one
    of its tasks) fall through to the registered rule, asked per candidate as a correlated subquery, so
    the answer is always the rule's.

    An entry's ``org_path`` is always a unit's path, so for a person whose scopes hold every top-level
    unit (a province's or city's overseers) the range comparison holds for every entry and the rules
    could add nothing: no condition is added, which saves building the rules' subqueries (most of a
    search's time at city scale).
    """
    rule = _entry_rule(user)
    if rule is None:
        return qs
    if rule is _NO_ENTRY:
        return qs.none()
    return qs.filter(rule)


def search(
    user: Any,
    query: str | None,
    *,
    kinds: Iterable[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> SearchResults:
    """The hits of ``query`` that ``user`` may see, newest first, ``limit`` of them from ``offset``."""
    needle, terms = parse_query(query)
    chosen = _kinds(kinds)
    limit = max(0, limit)
    offset = max(0, offset)
    rule = _entry_rule(user)
    # Whoever may see every entry is narrowed by no unit's audience either, as a superuser is not: every
    # entry names one of the top-level units, which such a person's scopes hold.
    audience = None if rule is None else _audience(user)
    if rule is None:
        # Nothing narrows the entries but the query: the statement is written out (``fulltext.found``).
        wanted = chosen if len(chosen) < len(EntryKind.values) else None

        def read(*, common: bool, sample: float | None = None) -> list[tuple[Any, ...]]:
            return fulltext.found(
                needle, terms, audience, kinds=wanted, limit=MAX_RESULTS + 1, common=common, sample=sample
            )

    else:
        entries = SearchEntry.objects.all()
        if len(chosen) < len(EntryKind.values):
            entries = entries.filter(kind__in=chosen)
        # The substring test decides; the lookups added by ``matching`` let an index find the candidates
        # (every text that passes the test holds all of them, so they never turn a hit away).
        entries = entries.alias(position=StrIndex("text", Value(needle))).filter(position__gt=0)
        entries = entries.none() if rule is _NO_ENTRY else entries.filter(rule)

        def read(*, common: bool, sample: float | None = None) -> list[tuple[Any, ...]]:
            matched = fulltext.matching(entries, terms, audience, common=common)
            rows: QuerySet[Any, tuple[Any, ...]] = matched.values_list(*fulltext.FOUND_COLUMNS)
            if sample is not None:
                return fulltext.sampled(rows[: MAX_RESULTS + 1], sample)
            return list(rows[: MAX_RESULTS + 1])

    # The planner's cost of the visibility subqueries often passes ``jit_above_cost``, and compiling
    # then takes ten times longer than the lookup itself.
    with sql.without_jit():
        lookup = fulltext.plan(needle, audience, wanted=MAX_RESULTS + 1)
        found: list[tuple[Any, ...]] = []
        if lookup.sample is not None:
            # Common in the table though not among its newest entries: more than enough hits in a sample
            # of the pages, or else the index decides.
            found = read(common=True, sample=lookup.sample)
        if len(found) <= MAX_RESULTS:
            found = read(common=lookup.common)
    # Newest first (SQLite already reads them so; PostgreSQL reads them in no particular order). The
    # one beyond the cap only tells that there are more.
    rows = sorted(found, reverse=True)[:MAX_RESULTS]
    page = [row[1:] for row in rows[offset : offset + limit]]
    return SearchResults(
        query=needle,
        hits=_hits(page, needle),
        total=len(rows),
        total_is_exact=len(found) <= MAX_RESULTS,
        offset=offset,
        limit=limit,
    )


# --- titles and snippets --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    """What a hit shows of its record: the title, and the searched fields (``services.FIELDS``) in
    order, empty ones as ""."""

    title: str
    fields: list[str]


def _texts(values: Sequence[Any]) -> list[str]:
    return [value or "" for value in values]


def _record_statement(kind: str) -> str:
    """The statement ``_records`` reads ``kind`` with: the id, what the title names (the task of a
    report and its date, the directive of a clause and the clause's number) and the searched fields."""
    model = MODELS[kind]
    columns = {field.name: field.column for field in model._meta.concrete_fields}
    fields = ", ".join(f'r."{columns[name]}"' for name in FIELDS[kind])
    table = model._meta.db_table
    # Every record model's key is its "id" column, as the entries' object ids are.
    if kind == EntryKind.REPORT:
        return (
            f'SELECT r.id, t."title", r."reported_on", {fields} FROM "{table}" r'  # noqa: S608 -- names from the models
            f' JOIN "{Task._meta.db_table}" t ON t.id = r."task_id" WHERE r.id IN ({{ids}})'
        )
    if kind == EntryKind.CLAUSE:
        return (
            f'SELECT r.id, d."title", r."ordinal", {fields} FROM "{table}" r'  # noqa: S608 -- names from the models
            f' JOIN "{Directive._meta.db_table}" d ON d.id = r."directive_id" WHERE r.id IN ({{ids}})'
        )
    return f'SELECT r.id, {fields} FROM "{table}" r WHERE r.id IN ({{ids}})'  # noqa: S608 -- names from the models


_RECORD_STATEMENTS = {kind: _record_statement(kind) for kind in EntryKind.values}


def _records(kind: str, ids: list[int]) -> dict[int, _Record]:
    """The page's records of one kind, as their titles and snippets need them: one written-out statement
    (building it through the ORM cost more than running it, and model instances twice as much again)."""
    statement = _RECORD_STATEMENTS[kind].format(ids=", ".join(["%s"] * len(ids)))
    rows = sql.read_rows(MODELS[kind], statement, ids)
    if kind == EntryKind.TASK:
        return {pk: _Record(str(values[0]), _texts(values)) for pk, *values in rows}
    # Each title's pattern is translated once per page, not once per row.
    if kind == EntryKind.REPORT:
        report_title = _("%(task)s: report of %(date)s")
        return {
            pk: _Record(report_title % {"task": task, "date": sql.as_date(on).isoformat()}, _texts(values))
            for pk, task, on, *values in rows
        }
    if kind == EntryKind.CLAUSE:
        clause_title = _("%(directive)s, clause %(number)s")
        return {
            pk: _Record(clause_title % {"directive": directive, "number": ordinal}, _texts(values))
            for pk, directive, ordinal, *values in rows
        }
    # As ``Directive.__str__`` names it.
    return {
        pk: _Record(str(Directive(title=title, doc_number=number)), _texts((title, number, *rest)))
        for pk, title, number, *rest in rows
    }


def _snippet(record: _Record, needle: str) -> SafeString:
    fields = [f for f in record.fields if f]
    for text in fields:
        marked = highlight(text, needle)
        if marked is not None:
            return marked
    # The record changed after it was indexed (its service will index it again): show its start.
    return excerpt(fields[0] if fields else "")


def _hits(rows: list[tuple[str, int, int | None, int | None]], needle: str) -> list[SearchHit]:
    wanted: dict[str, list[int]] = {}
    for kind, object_id, _task, _directive in rows:
        wanted.setdefault(kind, []).append(object_id)
    records = {kind: _records(kind, ids) for kind, ids in wanted.items()}
    hits = []
    for kind, object_id, task_id, directive_id in rows:
        record = records[kind].get(object_id)
        if record is None:
            continue  # deleted since it was indexed
        hits.append(
            SearchHit(
                kind=kind,
                object_id=object_id,
                task_id=task_id,
                directive_id=directive_id,
                title=record.title,
                snippet=_snippet(record, needle),
            )
        )
    return hits
