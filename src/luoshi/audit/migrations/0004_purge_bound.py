"""Let the retention purge, and only it, delete old audit events past the append-only triggers.

A delete passes when the connection has set the purge bound (``luoshi.audit.triggers.allow_purge``) and
the event is at or below it *and* older than 185 days, the shortest retention Luoshi accepts: with the
flag set or not, the database keeps every younger event. The whole-database wipe of ``flush`` is
unchanged. The SQL is kept here, frozen, as migrations must be.
"""

from django.db import migrations

MESSAGE = "audit events are append-only"

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The retention purge (luoshi.audit.triggers.allow_purge): old events up to the signed cut only.
    IF TG_OP = 'DELETE'
            AND OLD.seq <= COALESCE(NULLIF(current_setting('luoshi.audit_purge_through', true), '')::bigint, 0)
            AND OLD.occurred_at < now() - interval '185 days' THEN
        RETURN OLD;
    END IF;
    -- Wiping the whole table is allowed only inside luoshi.audit.triggers.allow_wipe() (flush).
    IF TG_OP IN ('DELETE', 'TRUNCATE')
            AND current_setting('luoshi.audit_wipe_allowed', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '%(message)s' USING ERRCODE = 'restrict_violation';
END;
$$
"""

POSTGRES_FUNCTION_0003 = """
CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE')
            AND current_setting('luoshi.audit_wipe_allowed', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '%(message)s' USING ERRCODE = 'restrict_violation';
END;
$$
"""

# Django stores SQLite datetimes as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]", which sorts like
# datetime('now', ...) does.
SQLITE_DELETE_TRIGGER = f"""
CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
WHEN NOT luoshi_audit_wipe_allowed()
    AND NOT (OLD.seq <= luoshi_audit_purge_through() AND OLD.occurred_at < datetime('now', '-185 days'))
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
"""

SQLITE_DELETE_TRIGGER_0003 = f"""
CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
WHEN NOT luoshi_audit_wipe_allowed()
BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
"""

FORWARD = {
    "postgresql": [POSTGRES_FUNCTION % {"message": MESSAGE}],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_auditevent_no_delete", SQLITE_DELETE_TRIGGER],
}
BACKWARD = {
    "postgresql": [POSTGRES_FUNCTION_0003 % {"message": MESSAGE}],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_auditevent_no_delete", SQLITE_DELETE_TRIGGER_0003],
}


def install(apps, schema_editor):
    for statement in FORWARD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    for statement in BACKWARD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0003_append_only_triggers"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
