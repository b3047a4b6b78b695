"""``luoshi demo`` end to end, in its own process as a user runs it: load, reload, reset, serve, Ctrl-C.

These run the installed console script against a fresh data directory, so they check what the unit tests
cannot: that --data-dir reaches the settings before they load, and that the server starts and stops.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from luoshi.demo import city

# Each test runs a process with settings of its own, never the database under test.
pytestmark = pytest.mark.own_database

LUOSHI = Path(sys.executable).with_name("luoshi")
# Loading the city and its work takes seconds, more on a busy machine.
LOAD_TIMEOUT = 240


def environment() -> dict[str, str]:
    """The caller's environment without anything that would point the demo at another database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LUOSHI_") and k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    # English output, whatever translations exist by now.
    env["LUOSHI_LANGUAGE"] = "en"
    return env


def luoshi(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the console script. Runs after the first pass --skip-checks: the first run made the system
    checks, and each costs about a second of importing every view."""
    return subprocess.run(
        [str(LUOSHI), *args], env=environment(), capture_output=True, text=True, timeout=timeout, check=False
    )


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """A data directory with the demo loaded once, shared by the tests below (loading takes seconds)."""
    path = tmp_path_factory.mktemp("demo") / "data"
    result = luoshi("demo", "--no-serve", "--data-dir", str(path), timeout=LOAD_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return path, result


@pytest.fixture
def data_dir(first_run) -> Path:
    return first_run[0]


def test_first_run_creates_the_database_loads_the_city_and_prints_the_accounts(first_run):
    data_dir, result = first_run
    db = data_dir / "luoshi.sqlite3"
    assert db.exists()
    assert count(db, "organizations_organization") == len(city.UNITS)
    assert count(db, "organizations_user") == len(city.PEOPLE)
    out = result.stdout
    assert "Loaded the demo city" in out
    assert re.search(
        r"Loaded the demo work: 2 directives with 36 clauses \(2 not yet decomposed\), \d{3} tasks", out
    )
    assert "Tasks by state: Draft " in out
    assert "Tasks by light: Red " in out
    assert count(db, "tasks_task") >= 250
    for username in ("admin", "zhaomin", "zhouwenbo", "liqiang", "wangfang", "chengang"):
        assert f"\n{username} " in out
    assert "username" in out
    assert "password" in out
    assert city.DEMO_PASSWORD in out
    assert "http://127.0.0.1:8000/" in out


def test_a_second_run_adds_nothing(data_dir):
    db = data_dir / "luoshi.sqlite3"
    before = (
        count(db, "organizations_organization"),
        count(db, "organizations_user"),
        count(db, "audit_auditevent"),
    )
    result = luoshi("demo", "--no-serve", "--skip-checks", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert "loaded already" in result.stdout
    after = (
        count(db, "organizations_organization"),
        count(db, "organizations_user"),
        count(db, "audit_auditevent"),
    )
    assert after == before


def test_reset_starts_afresh(data_dir):
    db = data_dir / "luoshi.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE organizations_organization SET name = 'renamed' WHERE parent_id IS NULL")
    result = luoshi(
        "demo",
        "--no-serve",
        "--skip-checks",
        "--reset",
        "--admin-password",
        "Reset-demo-pass-7",
        "--data-dir",
        str(data_dir),
        timeout=LOAD_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert "Loaded the demo city" in result.stdout
    assert "Loaded the demo work" in result.stdout
    assert "Reset-demo-pass-7" in result.stdout
    with sqlite3.connect(db) as conn:
        names = [
            row[0]
            for row in conn.execute("SELECT name FROM organizations_organization WHERE parent_id IS NULL")
        ]
        assert names == [city.ROOT_NAME]
        assert conn.execute("SELECT min(seq) FROM audit_auditevent").fetchone()[0] == 1
    assert count(db, "organizations_user") == len(city.PEOPLE)


def test_the_demo_serves_pages_and_static_files_and_stops_on_ctrl_c(data_dir):
    port = free_port()
    server = subprocess.Popen(
        [str(LUOSHI), "demo", "--skip-checks", "--data-dir", str(data_dir), "--port", str(port)],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # The worker process imports Django before it answers; a busy machine takes a while.
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                # TimeoutError: the port accepts connections before the worker is ready to answer.
                assert server.poll() is None, "the demo exited early"
                assert time.monotonic() < deadline, "the demo did not answer within 60 s"
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/static/django_htmx/htmx-2.min.js", timeout=5) as response:  # noqa: S310
            assert response.status == 200
            assert len(response.read()) > 10_000
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    assert server.returncode == 0, output
    assert f"{base}/" in output
    assert "The demo has stopped." in output
