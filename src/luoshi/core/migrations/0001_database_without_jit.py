"""Luoshi's PostgreSQL database compiles no statement just in time (``jit = off`` as the database's
own setting, for every session, behind any pooler).

Compiling never paid for itself here: the roll-up spent 4.7 s of a 20 s statement compiling, a search's
visibility subqueries ten times the lookup itself. ``core.sql.without_jit`` turned it off for those
statements in a transaction of their own, three round trips per search; with the database's setting it
has nothing to do. An account that may not alter its database leaves the setting as it is (with a
notice): ``without_jit`` then still turns it off where it matters.
"""

from django.db import migrations


def _alter(change: str):  # type: ignore[no-untyped-def]
    """A migration step that runs ``ALTER DATABASE <this database> <change>`` on PostgreSQL, or leaves
    a notice where the account may not."""
    statement = f"""
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I {change}', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'jit left as it is: this account may not alter database %', current_database();
END
$$;
"""

    def step(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            # A cursor with no parameters: the statement's ``%`` signs are PL/pgSQL's, not placeholders.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(statement)

    return step


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(_alter("SET jit = off"), _alter("RESET jit"), elidable=False)]
