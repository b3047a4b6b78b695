"""Fixtures for the audit trail: a checkpoint key outside the database, and raw-SQL tampering."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

Tamper = Callable[[str, Sequence[Any]], None]


@pytest.fixture(autouse=True)
def audit_key_file(settings, tmp_path):
    """Each test gets its own key file (not yet created) and no key from the environment."""
    settings.LUOSHI_AUDIT_KEY = ""
    settings.LUOSHI_AUDIT_KEY_FILE = tmp_path / "keys" / "audit_checkpoint.key"
    return settings.LUOSHI_AUDIT_KEY_FILE


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source form, whatever the default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def tamper(db: None) -> Tamper:
    """Run SQL on the audit table the way an attacker with database administrator rights would.

    The append-only triggers are off for that statement only (dropped and re-created on SQLite, disabled
    and re-enabled on PostgreSQL); the test's transaction rolls the edit back with everything else.
    """

    def run(sql: str, params: Sequence[Any] = ()) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
                cursor.execute(sql, params)
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'audit_auditevent'"
                )
                saved = cursor.fetchall()
                for name, _ in saved:
                    cursor.execute(f'DROP TRIGGER "{name}"')
                cursor.execute(sql, params)
                for _, create in saved:
                    cursor.execute(create)

    return run
