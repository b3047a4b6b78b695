"""The scale-out settings: a replica, the evidence store, the connect timeout; bad values are named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each test runs a process with settings of its own, never the database under test.
pytestmark = pytest.mark.own_database

PRIMARY = "postgres://luoshi@db.intranet:5432/luoshi"
REPLICA = "postgres://luoshi_ro@replica.intranet:5432/luoshi"
SHOW = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'databases': s.DATABASES, 'evidence': s.STORAGES['evidence'], "
    "'routers': s.DATABASE_ROUTERS}, default=str))"
)


def settings_with(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if not k.startswith(("LUOSHI_", "DJANGO_", "DATABASE_", "AWS_"))
    }
    full_env.update(env, LUOSHI_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="luoshi.config.settings")
    return subprocess.run(
        [sys.executable, "-c", SHOW], env=full_env, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_replica_is_a_second_alias_mirrored_in_tests(tmp_path: Path) -> None:
    result = settings_with({"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URL": REPLICA}, tmp_path)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    replica = shown["databases"]["replica"]
    assert replica["HOST"] == "replica.intranet"
    assert replica["USER"] == "luoshi_ro"
    assert replica["TEST"] == {"MIRROR": "default"}
    assert replica["CONN_HEALTH_CHECKS"] is True
    # Both give up connecting quickly while the server is away.
    assert replica["OPTIONS"]["connect_timeout"] == 3
    assert shown["databases"]["default"]["OPTIONS"]["connect_timeout"] == 3
    assert shown["routers"] == ["luoshi.config.routers.ReplicaRouter"]


def test_without_a_replica_there_is_one_alias_and_sqlite_keeps_its_options(tmp_path: Path) -> None:
    result = settings_with({}, tmp_path)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert list(shown["databases"]) == ["default"]
    assert "connect_timeout" not in shown["databases"]["default"]["OPTIONS"]
    assert shown["evidence"] == {"BACKEND": "luoshi.evidence.storage.EvidenceStorage"}


def test_s3_storage_from_the_environment(tmp_path: Path) -> None:
    result = settings_with(
        {
            "LUOSHI_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "evidence",
            "AWS_S3_ENDPOINT_URL": "https://minio.intranet:9000",
            "AWS_S3_ADDRESSING_STYLE": "path",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["evidence"] == {
        "BACKEND": "luoshi.evidence.storage_s3.S3EvidenceStorage",
        "OPTIONS": {
            "bucket_name": "evidence",
            "endpoint_url": "https://minio.intranet:9000",
            "addressing_style": "path",
            "location": "evidence",
        },
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_REPLICA_URL": REPLICA}, "DATABASE_REPLICA_URL needs DATABASE_URL"),
        ({"LUOSHI_STORAGE": "nfs"}, "LUOSHI_STORAGE must be filesystem or s3"),
        ({"LUOSHI_STORAGE": "s3"}, "LUOSHI_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        ({"DATABASE_URL": PRIMARY, "LUOSHI_DB_CONNECT_TIMEOUT": "soon"}, "must be a whole number"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = settings_with(env, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
