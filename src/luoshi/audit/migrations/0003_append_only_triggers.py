"""Database triggers that refuse UPDATE and DELETE (and TRUNCATE) on audit events.

The SQL is kept here rather than imported, so that this migration keeps doing what it did when later code
changes. ``luoshi.audit.triggers`` names the same triggers, the function and the setting that lets
``flush`` wipe the table. On SQLite, a later migration that rebuilds ``audit_auditevent`` drops these
triggers with the old table: such a migration must create them again (``luoshi audit verify`` warns, and
``tests/audit`` fails, when they are missing).
"""

from django.db import migrations

MESSAGE = "audit events are append-only"

POSTGRES_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Wiping the whole table is allowed only inside luoshi.audit.triggers.allow_wipe() (flush).
        IF TG_OP IN ('DELETE', 'TRUNCATE')
                AND current_setting('luoshi.audit_wipe_allowed', true) = 'on' THEN
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()
    """,
    """
    CREATE TRIGGER audit_auditevent_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only()
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_append_only()",
]

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    # The function is registered on every Django connection (luoshi.audit.apps); other clients lack it
    # and are refused with "no such function".
    f"""
    CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT luoshi_audit_wipe_allowed()
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
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
        ("audit", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
