"""The full-text structures over ``search_searchentry.tokens``: a GIN index on PostgreSQL; on SQLite an
FTS5 table reading the entry table (external content) and the triggers that keep it in step.

The SQL is kept here rather than imported, so that this migration keeps doing what it did when later code
changes; ``luoshi.search.fulltext`` holds the same statements for ``luoshi search reindex`` to restore
them. On SQLite a later migration that rebuilds ``search_searchentry`` drops the triggers with the old
table: run ``luoshi search reindex`` after it (``tests/search`` fails while they are missing).
"""

from django.db import migrations

POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS search_entry_terms_gin ON search_searchentry USING gin (tokens, audience)",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS search_entry_terms_gin"]

SQLITE_FORWARD = [
    # ascii: every non-ASCII character is part of a token, so each space-separated term is one token and
    # nothing is folded; detail=none: rowids only, as lookups never need positions.
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        tokens, audience, content='search_searchentry', content_rowid='id', tokenize='ascii', detail='none'
    )
    """,
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
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]

FORWARD = {"postgresql": POSTGRES_FORWARD, "sqlite": SQLITE_FORWARD}
BACKWARD = {"postgresql": POSTGRES_BACKWARD, "sqlite": SQLITE_BACKWARD}


def install(apps, schema_editor):
    for statement in FORWARD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    for statement in BACKWARD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("search", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
