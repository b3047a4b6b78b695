"""What differs between the databases: the full-text structures and how a lookup is written.

Each entry has two columns of terms: ``tokens`` (from its text) and ``audience`` (``§<unit id>`` of the
units whose people may see it). Their vocabularies cannot meet (text terms hold only letters and
digits), so one lookup asks for both: "all the query's terms, and one of the searcher's units".

PostgreSQL: both columns are ``tsvector`` with one GIN index over the two; a lookup is
``tokens @@ 'a' & 'b' AND audience @@ '§1' | '§7'`` (``tsquery`` literals: no parser or dictionary
touches the terms, whatever the database's locale). The GIN index finds every match before the first
row comes out, so a query found in a good share of millions of entries is answered otherwise: by reading
the newest entries when they hold it, else by reading a sample of the table's pages (``plan``,
``sampled``); the GIN index answers whenever a sample holds too few hits.

SQLite: the FTS5 table ``search_fts`` indexes both columns of the entry table (external content, rowid =
entry id); triggers keep it in step with every insert, update and delete of entries. A lookup joins the
FTS5 table and walks its rowids newest first, so a search stops as soon as it has enough hits instead of
collecting every entry that contains a common word.

The statements are those of migration 0002 (which keeps its own frozen copy); ``ensure`` restores them
where a later table rebuild lost them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, router
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from luoshi.search.models import SearchEntry
from luoshi.search.text import Term

FTS_TABLE = "search_fts"
SQLITE_TRIGGERS = frozenset({"search_entry_fts_insert", "search_entry_fts_delete", "search_entry_fts_update"})
POSTGRES_INDEX = "search_entry_terms_gin"

SQLITE_TABLE = """
    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        tokens, audience, content='search_searchentry', content_rowid='id', tokenize='ascii', detail='none'
    )
"""
SQLITE_TRIGGER_STATEMENTS = [
    """
    CREATE TRIGGER IF NOT EXISTS search_entry_fts_insert AFTER INSERT ON search_searchentry BEGIN
        INSERT INTO search_fts(rowid, tokens, audience) VALUES (new.id, new.tokens, new.audience);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS search_entry_fts_delete AFTER DELETE ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, tokens, audience)
            VALUES ('delete', old.id, old.tokens, old.audience);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS search_entry_fts_update
    AFTER UPDATE OF tokens, audience ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, tokens, audience)
            VALUES ('delete', old.id, old.tokens, old.audience);
        INSERT INTO search_fts(rowid, tokens, audience) VALUES (new.id, new.tokens, new.audience);
    END
    """,
]
POSTGRES_INDEX_STATEMENT = (
    "CREATE INDEX IF NOT EXISTS search_entry_terms_gin ON search_searchentry USING gin (tokens, audience)"
)


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def fts5_query(terms: Sequence[Term], audience: Sequence[str] | None = None) -> str:
    """An FTS5 MATCH expression: every term (``*`` for prefixes), and one of ``audience`` if given."""
    expression = " AND ".join(_fts5_string(t.text) + ("*" if t.prefix else "") for t in terms)
    if audience is not None:
        expression = f"({expression}) AND ({' OR '.join(_fts5_string(a) for a in audience)})"
    return expression


def tsquery(terms: Sequence[Term]) -> str:
    """A ``tsquery`` literal: every term quoted as a lexeme, ``:*`` for prefixes, joined by ``&``."""
    return " & ".join(_lexeme(t.text) + (":*" if t.prefix else "") for t in terms)


def any_of(terms: Iterable[str]) -> str:
    """A ``tsquery`` literal that any one of ``terms`` satisfies."""
    return " | ".join(_lexeme(t) for t in terms)


# PostgreSQL: how many of the newest entries are read to tell a common query from a rare one, and the
# share of them that must contain it to count as common.
PROBE_ENTRIES = 2000
COMMON_SHARE = 0.02


# PostgreSQL: a query common in the table but not among its newest entries is answered from a sample of
# the table's pages rather than the GIN index (``plan``).
# Pages the probe reads to estimate how common a query is, and the tables too small to bother.
PROBE_PAGES = 300
SAMPLE_MIN_ENTRIES = 200_000
# Reading one sampled entry costs about as much as this many matches of a GIN lookup (whole searches
# timed at province scale, 5.7 million entries: a query in 2.5 % of them took half as long sampled).
SCAN_COST = 1.5
# The sample is drawn to hold about this many times the hits wanted, so that it rarely holds fewer.
SAMPLE_MARGIN = 2.0
# Always the same pages for the same share of the table, so that paging through hits is stable.
SAMPLE_SEED = 8


@dataclass(frozen=True)
class Lookup:
    """How to find the candidates of a query: ``common``, by reading entries in turn without the text
    terms; else from ``sample`` percent of the table's pages first, if set; else through the index."""

    common: bool = False
    sample: float | None = None


def plan(needle: str, audience: Sequence[str] | None, *, wanted: int) -> Lookup:
    """PostgreSQL: how to look ``needle`` up for ``wanted`` hits (on SQLite, always the index).

    A GIN lookup builds the set of every entry holding the query's terms before the first row comes
    out, so its cost grows with the number of matches, which the planner cannot foresee (it takes a
    phrase's overlapping pairs to occur independently, which makes every phrase look rare); reading
    entries until enough contain the query costs ``wanted / share`` rows. So the data is asked:

    - ``is common``: at least ``COMMON_SHARE`` of the newest ``PROBE_ENTRIES`` entries (the ones most
      likely in memory) contain it, so reading entries finds enough soon;
    - else, on a large table, a probe of ``PROBE_PAGES`` pages sampled across the whole table estimates
      the share of entries that contain it (and name one of the searcher's units): entries are stored
      in the order they were made, and a phrase found everywhere overall can be absent from a long run
      of them (one district's reports). If reading a sample is cheaper than the GIN lookup, the sample
      is drawn to hold about ``SAMPLE_MARGIN`` times the hits wanted.
    """
    if connection.vendor != "postgresql":
        return Lookup()
    table = SearchEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM (SELECT text FROM {table} ORDER BY id DESC LIMIT %s) AS newest"  # noqa: S608 -- the model's table
            " WHERE strpos(text, %s) > 0), relpages, reltuples FROM pg_class WHERE oid = %s::regclass",
            [PROBE_ENTRIES, needle, table],
        )
        newest, pages, entries = cursor.fetchone()
        if newest >= PROBE_ENTRIES * COMMON_SHARE:
            return Lookup(common=True)
        if entries < SAMPLE_MIN_ENTRIES or pages < 1:
            return Lookup()
        condition = "strpos(text, %s) > 0"
        params: list[str] = [needle]
        if audience is not None:
            condition += " AND audience @@ CAST(%s AS tsquery)"
            params.append(any_of(audience))
        probe = min(100.0, 100.0 * PROBE_PAGES / pages)
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {condition}) FROM {table}"  # noqa: S608 -- constants
            f" TABLESAMPLE SYSTEM ({probe:.6f}) REPEATABLE ({SAMPLE_SEED})",
            params,
        )
        read, hits = cursor.fetchone()
    if not read or not hits:
        return Lookup()
    share = hits / read
    if share * share * entries < SCAN_COST * wanted:
        return Lookup()
    percent = 100.0 * SAMPLE_MARGIN * wanted / share / entries
    # A power of two: the same share (so the same pages) for queries about as common.
    return Lookup(sample=min(100.0, 2.0 ** math.ceil(math.log2(percent))))


def sampled(qs: QuerySet[Any], percent: float) -> list[tuple[Any, ...]]:
    """The rows of ``qs`` (over the entry table) read from ``percent`` % of its pages, in page order."""
    try:
        sql, params = qs.query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:
        # A query that can match nothing (``none()``, an empty audience) has no statement to sample.
        return []
    table = f'FROM "{SearchEntry._meta.db_table}"'
    if sql.count(table) != 1:
        raise ValueError("the statement must read the entry table once")
    sample = f"{table} TABLESAMPLE SYSTEM ({percent:.6f}) REPEATABLE ({SAMPLE_SEED})"
    with connection.cursor() as cursor:
        cursor.execute(sql.replace(table, sample), params)
        return list(cursor.fetchall())


def matching(
    qs: QuerySet[SearchEntry], terms: Sequence[Term], audience: Sequence[str] | None, *, common: bool = False
) -> QuerySet[SearchEntry]:
    """``qs`` narrowed to the entries holding every term (and, unless ``audience`` is None, one of the
    audience terms). SQLite yields them newest first; PostgreSQL in the order it finds them.

    ``common`` (PostgreSQL, from ``plan``, or for a statement run by ``sampled``) leaves the text
    terms out: reading entries in turn (or a sample of pages) finds enough hits of a common query sooner
    than the GIN index can intersect the long lists of its terms, and the substring test decides either
    way. The audience still narrows through the index, which pays when the person's units hold a small
    share of the entries, however common the query.
    """
    if audience is not None and not audience:
        return qs.none()
    if connection.vendor == "postgresql":
        conditions = []
        params = []
        if not common:
            conditions.append('"search_searchentry"."tokens" @@ CAST(%s AS tsquery)')
            params.append(tsquery(terms))
        if audience is not None:
            conditions.append('"search_searchentry"."audience" @@ CAST(%s AS tsquery)')
            params.append(any_of(audience))
        if not conditions:
            return qs.order_by()
        sql = " AND ".join(conditions)
        condition = RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 -- constant pieces
        # Unordered on purpose: with ORDER BY id the planner must either sort every match or walk the
        # whole table in key order, and it cannot tell which is cheaper (it underestimates how often
        # a phrase's overlapping pairs occur together). Without it, a common query stops after the
        # first rows it reads and a rare one reads its few matches from the GIN index.
        return qs.filter(condition).order_by()
    # SQLite (settings refuse any other database). The one join the ORM cannot express: with the FTS5
    # table, ordered by its rowid, SQLite streams the matching rowids newest first (no sort of every
    # match) and looks each entry up by key.
    return qs.extra(  # noqa: S610 -- constant SQL; the query text is a parameter
        tables=[FTS_TABLE],
        where=[f'"{FTS_TABLE}".rowid = "search_searchentry"."id"', f'"{FTS_TABLE}" MATCH %s'],
        params=[fts5_query(terms, audience)],
        order_by=[f"-{FTS_TABLE}.rowid"],
    )


# What ``found`` reads of each entry.
FOUND_COLUMNS = ("id", "kind", "object_id", "task_id", "directive_id")


def found(
    needle: str,
    terms: Sequence[Term],
    audience: Sequence[str] | None,
    *,
    kinds: Sequence[str] | None,
    limit: int,
    common: bool = False,
    sample: float | None = None,
) -> list[tuple[Any, ...]]:
    """(id, kind, object_id, task_id, directive_id) of up to ``limit`` entries of ``kinds`` (all kinds
    when None) whose text contains ``needle``: the rows of ``matching`` over those entries, read as
    ``sampled`` reads them when ``sample`` is given, in one written-out statement.

    For a searcher no visibility rule narrows (every entry is theirs to see) this is a whole search's
    statement, and building it through the ORM cost half as much as running it. The conditions are
    those of ``matching``, in the same order; ``tests/search/test_search.py`` holds the two to the same
    rows.
    """
    if audience is not None and not audience:
        return []
    # The database the ORM would read the entries from (a replica inside ``replica_reads()``).
    db = connections[router.db_for_read(SearchEntry)]
    table = SearchEntry._meta.db_table
    columns = ", ".join(f'"{table}"."{name}"' for name in FOUND_COLUMNS)
    where: list[str] = []
    params: list[Any] = []
    if kinds is not None:
        where.append(f'"{table}"."kind" IN ({", ".join(["%s"] * len(kinds))})')
        params.extend(kinds)
    if db.vendor == "postgresql":
        where.append(f'STRPOS("{table}"."text", %s) > 0')
        params.append(needle)
        if not common:
            where.append(f'"{table}"."tokens" @@ CAST(%s AS tsquery)')
            params.append(tsquery(terms))
        if audience is not None:
            where.append(f'"{table}"."audience" @@ CAST(%s AS tsquery)')
            params.append(any_of(audience))
        source = f'"{table}"'
        if sample is not None:
            source += f" TABLESAMPLE SYSTEM ({sample:.6f}) REPEATABLE ({SAMPLE_SEED})"
        # Unordered, as ``matching`` explains; but a query ``plan`` found common among the newest entries,
        # with nothing else to narrow by, reads them newest first through the key's index and stops
        # soon, at the same rows every time. Unordered, its scan of the table began where the last scan
        # of the table had stopped (PostgreSQL's synchronized scans): each request read other pages,
        # often no longer cached, and answered with other hits.
        newest_first = common and sample is None and audience is None
        order = f' ORDER BY "{table}"."id" DESC' if newest_first else ""
        statement = f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)}{order} LIMIT %s"  # noqa: S608 -- constants
    else:
        # SQLite (settings refuse any other database).
        if sample is not None:
            raise ValueError("SQLite reads no samples")
        # The FTS5 join of ``matching``: the matching rowids newest first, each entry looked up by key.
        where.append(f'INSTR("{table}"."text", %s) > 0')
        where.append(f'"{FTS_TABLE}".rowid = "{table}"."id" AND "{FTS_TABLE}" MATCH %s')
        params.extend([needle, fts5_query(terms, audience)])
        statement = (
            f'SELECT {columns} FROM "{table}", "{FTS_TABLE}" WHERE {" AND ".join(where)}'  # noqa: S608 -- constants
            f' ORDER BY "{FTS_TABLE}".rowid DESC LIMIT %s'
        )
    params.append(limit)
    with db.cursor() as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall())


def holding_any(audience: Sequence[str]) -> RawSQL:
    """A condition on entries: the audience names one of ``audience`` (for updates found by index)."""
    if connection.vendor == "postgresql":
        return RawSQL(
            '"search_searchentry"."audience" @@ CAST(%s AS tsquery)', [any_of(audience)], BooleanField()
        )
    return RawSQL(
        '"search_searchentry"."id" IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s)',
        [" OR ".join(_fts5_string(a) for a in audience)],
        BooleanField(),
    )


def lacking_any(audience: Sequence[str]) -> RawSQL:
    """A condition on entries: the audience misses at least one of ``audience`` (checked on the row)."""
    if connection.vendor == "postgresql":
        return RawSQL(
            'NOT ("search_searchentry"."audience" @@ CAST(%s AS tsquery))',
            [" & ".join(_lexeme(a) for a in audience)],
            BooleanField(),
        )
    # SQLite keeps the audience as text: look for each term between spaces.
    present = " AND ".join(
        ["instr(' ' || \"search_searchentry\".\"audience\" || ' ', %s) > 0"] * len(audience)
    )
    return RawSQL(f"NOT ({present})", [f" {a} " for a in audience], BooleanField())  # noqa: S611 -- see above


def audience_with(terms: Iterable[str]) -> RawSQL:
    """The audience column with ``terms`` added (a repeated term is harmless to both databases and
    disappears at the next full reindex)."""
    value = " ".join(sorted(terms))
    if connection.vendor == "postgresql":
        return RawSQL('"audience" || CAST(%s AS tsvector)', [value])
    return RawSQL("\"audience\" || ' ' || %s", [value])


def read_terms(value: str) -> set[str]:
    """The terms of a terms column as read back (PostgreSQL renders each lexeme quoted)."""
    return {term.strip("'") for term in value.split()}


def missing() -> set[str]:
    """Names of the full-text structures this database lacks (empty when all is in place)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = %s OR type = 'trigger'", [FTS_TABLE])
            present = {row[0] for row in cursor.fetchall()}
            return ({FTS_TABLE} | SQLITE_TRIGGERS) - present
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [POSTGRES_INDEX])
            return set() if cursor.fetchone() else {POSTGRES_INDEX}
    return set()


def ensure() -> set[str]:
    """Create whatever ``missing`` names; an FTS5 table made afresh is filled from the entries.

    Returns what was created.
    """
    absent = missing()
    if not absent:
        return absent
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE_TABLE)
            for statement in SQLITE_TRIGGER_STATEMENTS:
                cursor.execute(statement)
            # Entries may have changed while the triggers were gone: index them all again.
            rebuild()
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES_INDEX_STATEMENT)
    return absent


def rebuild() -> None:
    """SQLite: rebuild the FTS5 index from the entry table (repairs any drift; PostgreSQL cannot drift)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def optimize() -> None:
    """After a bulk reindex: merge FTS5's segments into one (PostgreSQL's GIN needs nothing)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
