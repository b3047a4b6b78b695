"""The database's side of "append-only": triggers that refuse to change or remove audit events.

Migration ``0003_append_only_triggers`` installs them and ``0004_purge_bound`` extends them. UPDATE is
refused always. DELETE (and TRUNCATE on PostgreSQL) is refused, with two exceptions:

- ``allow_purge(through_seq)``, which only the retention purge (``luoshi.audit.retention``) enters, lets
  the connection delete events up to ``through_seq`` *and* older than ``MIN_PURGE_AGE_DAYS``: even with
  the flag set, the database refuses to delete anything younger than the shortest retention allowed.
- ``allow_wipe()`` wipes the *whole* database (``manage.py flush``, which test teardown also runs, and demo
  resets); a wipe leaves nothing behind to pass for a trail, and a checkpoint shows it.

Nothing in the application edits the trail.

The triggers guard against mistakes and against roles that cannot alter the table; someone who owns the
table can drop them. The hash chain and signed checkpoints are what make such tampering *evident*.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

# Names used by migration 0003 (which keeps its own copy of the SQL, as migrations must stay frozen).
SQLITE_TRIGGERS = frozenset({"audit_auditevent_no_update", "audit_auditevent_no_delete"})
POSTGRES_TRIGGERS = frozenset({"audit_auditevent_append_only", "audit_auditevent_no_truncate"})
SQLITE_WIPE_FUNCTION = "luoshi_audit_wipe_allowed"
POSTGRES_WIPE_SETTING = "luoshi.audit_wipe_allowed"
SQLITE_PURGE_FUNCTION = "luoshi_audit_purge_through"
POSTGRES_PURGE_SETTING = "luoshi.audit_purge_through"
# The triggers refuse to delete younger events whatever the flags say (migration 0004 has the number too).
MIN_PURGE_AGE_DAYS = 185

# SQLite has no session variables, so its trigger asks a function registered on each connection. The
# function reads this flag; a client without the function (the sqlite3 shell) gets "no such function"
# and is refused as well.
_wipe_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "luoshi_audit_wipe_allowed", default=False
)
_purge_through: contextvars.ContextVar[int] = contextvars.ContextVar("luoshi_audit_purge_through", default=0)


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: give each new SQLite connection the function its trigger calls."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_WIPE_FUNCTION, 0, lambda: int(_wipe_allowed.get()), deterministic=False
        )
        connection.connection.create_function(
            SQLITE_PURGE_FUNCTION, 0, lambda: _purge_through.get(), deterministic=False
        )


@contextmanager
def allow_purge(through_seq: int, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let this connection delete the events up to ``through_seq`` (and old enough), in one transaction.

    Only ``luoshi.audit.retention.purge_expired`` enters this, after signing a checkpoint at the cut.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        _set_postgres_setting(connection, POSTGRES_PURGE_SETTING, str(int(through_seq)))
        token = _purge_through.set(int(through_seq))
        try:
            yield
        finally:
            _purge_through.reset(token)
        # As in allow_wipe: a transaction-local setting outlives a savepoint, so switch it off.
        _set_postgres_setting(connection, POSTGRES_PURGE_SETTING, "")


@contextmanager
def allow_wipe(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let this connection delete audit rows, inside one transaction, to wipe the whole database.

    Only for ``flush`` and demo resets. Deleting selected events is tampering however it is done, and
    ``luoshi audit verify --checkpoint`` reports it. (On SQLite the permission follows the current thread
    or task rather than one connection, as the trigger's function can only read process state.)
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        _set_postgres_flag(connection, "on")
        token = _wipe_allowed.set(True)
        try:
            yield
        finally:
            _wipe_allowed.reset(token)
        # A transaction-local setting made inside a savepoint outlives the savepoint, so when this block
        # is nested in a larger transaction the flag is switched off explicitly. (On an exception the
        # savepoint's rollback reverts it.)
        _set_postgres_flag(connection, "")


def _set_postgres_flag(connection: BaseDatabaseWrapper, value: str) -> None:
    _set_postgres_setting(connection, POSTGRES_WIPE_SETTING, value)


def _set_postgres_setting(connection: BaseDatabaseWrapper, name: str, value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Transaction-local (third argument true): it can never outlast the transaction.
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def installed_triggers(using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """Names of the append-only triggers present on the audit table."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger "
                "WHERE tgrelid = 'audit_auditevent'::regclass AND NOT tgisinternal AND tgenabled <> 'D'"
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()}


def missing_triggers(using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """Append-only triggers that should exist on this database but do not (or are disabled).

    On SQLite, a migration that rebuilds the audit table drops its triggers with the old table, so
    ``luoshi audit verify`` reports this rather than let the protection vanish silently.
    """
    vendor = connections[using].vendor
    expected = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(vendor, frozenset())
    return set(expected) - installed_triggers(using)
