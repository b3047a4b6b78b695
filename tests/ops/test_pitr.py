"""The point-in-time recovery recipe of docs/operations.md, run for real by scripts/pitr-drill.sh.

It needs PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup) and, as root, a "postgres" user to
run them as. It runs in the PostgreSQL pass of the suite only (it does not use the suite's database, so
once is enough), in about 20 seconds.
"""

from __future__ import annotations

import glob
import os
import pwd
import subprocess
from pathlib import Path

import pytest
from django.db import connection

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pitr-drill.sh"


def _missing() -> str:
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") and not os.environ.get("PG_BINDIR"):
        return "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user for initdb"
    return ""


@pytest.mark.skipif(bool(_missing()), reason=_missing() or "ready")
def test_point_in_time_recovery_keeps_only_the_writes_before_the_target():
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass of the suite")
    result = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "before: 50 of 50, after: 0 of 0" in result.stdout
    assert "pitr-drill: OK" in result.stdout
