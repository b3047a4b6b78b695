"""The settings: the production profile passes Django's deployment checks; bad values are refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each test runs a process with settings of its own, never the database under test.
pytestmark = pytest.mark.own_database

PRODUCTION_ENV = {
    "LUOSHI_PROFILE": "production",
    "SECRET_KEY": "k7#Vq2!pZr9@Lm4$Xw8^Tn1&Hs6*Bd3(Fg5)Jc0_Ye-Ua+Oi=Re~Wt|Qy<Pu>Mz",
    # Production refuses to start without field encryption keys (luoshi.core.crypto).
    "LUOSHI_FIELD_KEYS": "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "ALLOWED_HOSTS": "luoshi.example.gov.cn",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "DEBUG": "false",
}


def run_django(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("LUOSHI_", "DJANGO_"))}
    full_env.update(env)
    full_env["LUOSHI_DATA_DIR"] = str(tmp_path)
    full_env["DJANGO_SETTINGS_MODULE"] = "luoshi.config.settings"
    return subprocess.run(
        [sys.executable, "-m", "django", *args], env=full_env, capture_output=True, text=True, timeout=120
    )


def test_production_profile_passes_check_deploy(tmp_path):
    result = run_django(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_requires_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = run_django(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LUOSHI_PROFILE", "staging", "LUOSHI_PROFILE must be demo, production or test"),
        ("DEBUG", "maybe", "DEBUG must be true or false"),
        ("LUOSHI_AUDIT_HASH", "md5", "LUOSHI_AUDIT_HASH must be sha256 or sm3"),
        ("LUOSHI_PAGE_SIZE", "many", "LUOSHI_PAGE_SIZE must be a whole number"),
        (
            "DATABASE_URL",
            "mysql://luoshi@127.0.0.1/luoshi",
            "Luoshi runs on PostgreSQL (production) or SQLite",
        ),
    ],
)
def test_malformed_settings_are_named(tmp_path, name, value, message):
    result = run_django(["check"], {name: value}, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_demo_profile_uses_sqlite_in_wal_mode_under_the_data_dir(tmp_path):
    code = (
        "import django; django.setup();"
        "from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0]);"
        "print(connection.settings_dict['NAME'])"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("LUOSHI_", "DJANGO_", "DATABASE_"))}
    full_env.update({"LUOSHI_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "luoshi.config.settings"})
    result = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=60, check=True
    )
    mode, name = result.stdout.split()
    assert mode == "wal"
    assert name == str(tmp_path / "luoshi.sqlite3")
