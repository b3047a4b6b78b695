"""What the reliability tests share: a database other processes can open, and the environment to run
``luoshi`` commands and contender processes against it.

On PostgreSQL that is the test database itself; on SQLite (whose test database lives in memory) a file
copy of it, taken after the test has set up its data.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(data_dir: Path) -> dict[str, str]:
    """This process's environment without Luoshi's settings, pointed at ``data_dir``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LUOSHI_", "CELERY_", "DATABASE_", "REDIS_URL", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="luoshi.config.settings",
        LUOSHI_DATA_DIR=str(data_dir),
        SECRET_KEY="reliability-tests",
        PYTHONPATH=str(ROOT),
    )
    return env


@dataclass
class SharedDatabase:
    """The test's database as other processes see it."""

    env: dict[str, str]
    sqlite_file: Path | None

    def publish(self) -> None:
        """On SQLite, copy what the test wrote so far into the file the other processes open."""
        if self.sqlite_file is not None:
            connection.ensure_connection()
            with sqlite3.connect(self.sqlite_file) as copy:
                connection.connection.backup(copy)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows as the other processes left them (the test's own connection on PostgreSQL)."""
        if self.sqlite_file is not None:
            with sqlite3.connect(self.sqlite_file) as db:
                return list(db.execute(sql.replace("%s", "?"), params))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def luoshi(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "luoshi.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def shared_database(tmp_path: Path) -> SharedDatabase:
    env = clean_env(tmp_path)
    sqlite_file = None
    if connection.vendor == "sqlite":
        sqlite_file = tmp_path / "luoshi.sqlite3"
    else:
        db = settings.DATABASES["default"]
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{host}:{port}/{db['NAME']}"
    return SharedDatabase(env=env, sqlite_file=sqlite_file)
