"""``luoshi backup`` and ``luoshi restore``: a small city with evidence, backed up here and restored in
another process onto a fresh, empty installation, on whichever database the suite runs on.

On SQLite the target is a new data directory; on PostgreSQL a new database ``luoshi_ops_<random>``
beside the test database, dropped afterwards.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.services import evidence_attach
from luoshi.ops import archive
from luoshi.ops.restore import verify_restored
from luoshi.tasks import services, workflow
from tests.conftest import City
from tests.evidence import samples
from tests.ops.conftest import AUDIT_KEY

LUOSHI = Path(sys.executable).with_name("luoshi")
TIMEOUT = 180

# pg_dump and a restore in another process see only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Populated:
    city: City
    evidence: list[EvidenceFile]
    media_root: Path


@dataclass
class Target:
    """An empty installation to restore onto: a data directory, and on PostgreSQL a database."""

    data_dir: Path
    database_url: str = ""

    @property
    def media_root(self) -> Path:
        return self.data_dir / "files"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LUOSHI_")
            and k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            {"LUOSHI_DATA_DIR": str(self.data_dir), "LUOSHI_LANGUAGE": "en", "LUOSHI_AUDIT_KEY": AUDIT_KEY}
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(extra)
        return env

    def luoshi(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LUOSHI), *args],
            env=self.env(**extra_env),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as conn:
                cursor = conn.execute(query)
                return cursor.fetchall() if cursor.description else []
        with sqlite3.connect(self.data_dir / "luoshi.sqlite3") as conn:
            return conn.execute(query).fetchall()

    def tables(self) -> list[str]:
        if self.database_url:
            rows = self.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        else:
            rows = self.sql("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [row[0] for row in rows]


def admin_url(name: str) -> str:
    base = os.environ["DATABASE_URL"]
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    data_dir = tmp_path / "restored"
    data_dir.mkdir()
    if connection.vendor != "postgresql":
        yield Target(data_dir)
        return
    import psycopg

    name = f"luoshi_ops_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    try:
        yield Target(data_dir, admin_url(name))
    finally:
        with psycopg.connect(admin_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def populated(city: City, settings, media_root: Path) -> Populated:
    settings.LUOSHI_TODAY = "2024-03-01"
    created = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="老旧小区改造",
        due_on=date(2024, 6, 28),
    )
    assigned = workflow.task_assign(actor=city.zhao, task=created, version=created.version)
    task = workflow.task_acknowledge(actor=city.wang, task=assigned, version=assigned.version)
    evidence = evidence_attach(
        actor=city.wang,
        task=task,
        files=[
            SimpleUploadedFile("现场照片.png", samples.png(), content_type="image/png"),
            SimpleUploadedFile("验收报告.pdf", samples.pdf("Accepted"), content_type="application/pdf"),
        ],
    )
    other = media_root / "exports" / "ledger.xlsx"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"not evidence, but uploaded data all the same")
    return Populated(city=city, evidence=evidence, media_root=media_root)


def make_backup(dest: Path) -> dict[str, Any]:
    out = StringIO()
    call_command("backup", str(dest), stdout=out)
    assert "Backup written to" in out.getvalue()
    directory = dest
    if archive.is_tar(dest):
        return {}
    return json.loads((directory / archive.MANIFEST).read_text())


def test_backup_restores_onto_an_empty_installation_and_verifies(populated, target, tmp_path):
    dest = tmp_path / "backup"
    manifest = make_backup(dest)
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["counts"]["evidence.evidencefile"] == 2
    assert manifest["counts"]["organizations.organization"] == 7
    assert manifest["file_count"] == 3
    assert manifest["audit_checkpoint"]["count"] > 0
    assert sorted(entry["path"] for entry in manifest["files"]) == sorted(
        [f"evidence/{file.stored_name}" for file in populated.evidence] + ["media/exports/ledger.xlsx"]
    )

    result = target.luoshi("restore", str(dest))
    assert result.returncode == 0, result.stderr
    assert "Everything matches" in result.stdout
    assert "agrees with the checkpoint" in result.stdout

    for file in populated.evidence:
        restored = target.media_root / "evidence" / file.stored_name
        original = populated.media_root / "evidence" / file.stored_name
        assert restored.read_bytes() == original.read_bytes()
    assert (target.media_root / "exports" / "ledger.xlsx").exists()
    assert target.sql("SELECT count(*) FROM evidence_evidencefile") == [(2,)]
    assert (
        target.sql("SELECT count(*) FROM organizations_user")[0][0]
        == manifest["counts"]["organizations.user"]
    )
    # The restored trail holds the checkpoint's events, then the restore's own event.
    verified = target.luoshi("audit", "verify", "--checkpoint", str(dest / archive.CHECKPOINT))
    assert verified.returncode == 0, verified.stderr
    assert target.sql("SELECT action FROM audit_auditevent ORDER BY seq DESC LIMIT 1") == [
        ("system.restore",)
    ]


def test_a_tar_archive_restores_too(populated, target, tmp_path):
    dest = tmp_path / "luoshi-backup.tar.gz"
    make_backup(dest)
    assert dest.is_file()
    result = target.luoshi("restore", str(dest))
    assert result.returncode == 0, result.stderr
    assert target.sql("SELECT count(*) FROM evidence_evidencefile") == [(2,)]


def test_a_tampered_file_fails_the_restore_and_nothing_is_written(populated, target, tmp_path):
    dest = tmp_path / "backup"
    make_backup(dest)
    stored = dest / archive.FILES_DIR / "evidence" / populated.evidence[0].stored_name
    stored.write_bytes(stored.read_bytes() + b"\x00")

    result = target.luoshi("restore", str(dest))
    assert result.returncode == 1
    assert "nothing was restored" in result.stderr
    assert f"files/evidence/{populated.evidence[0].stored_name} does not match its checksum" in result.stderr
    assert target.tables() == []
    assert not target.media_root.exists() or not any(target.media_root.iterdir())


def test_a_manifest_rewritten_to_match_fails_on_its_signature(populated, target, tmp_path):
    dest = tmp_path / "backup"
    manifest = make_backup(dest)
    stored = dest / archive.FILES_DIR / "evidence" / populated.evidence[0].stored_name
    stored.write_bytes(b"forged")
    for entry in manifest["files"]:
        if entry["path"] == f"evidence/{populated.evidence[0].stored_name}":
            entry["sha256"] = archive.sha256_file(stored)
    (dest / archive.MANIFEST).write_text(json.dumps(manifest))

    result = target.luoshi("restore", str(dest))
    assert result.returncode == 1
    assert "wrong signature" in result.stderr
    assert target.tables() == []


def test_another_installations_key_cannot_check_the_backup(populated, target, tmp_path):
    dest = tmp_path / "backup"
    make_backup(dest)
    result = target.luoshi("restore", str(dest), LUOSHI_AUDIT_KEY="another-installation-key-0123456789abcdef")
    assert result.returncode == 1
    assert "wrong signature" in result.stderr


def test_restore_refuses_a_target_that_is_not_empty(populated, target, tmp_path):
    dest = tmp_path / "backup"
    make_backup(dest)
    if target.database_url:
        target.sql("CREATE TABLE precious (note text)")
        target.sql("INSERT INTO precious VALUES ('keep me')")
    else:
        with sqlite3.connect(target.data_dir / "luoshi.sqlite3") as conn:
            conn.execute("CREATE TABLE precious (note text)")
            conn.execute("INSERT INTO precious VALUES ('keep me')")
    (target.media_root / "evidence").mkdir(parents=True)
    (target.media_root / "evidence" / "someone-elses.pdf").write_bytes(b"%PDF")

    result = target.luoshi("restore", str(dest))
    assert result.returncode == 1
    assert "The database already has 1 table (e.g. precious)" in result.stderr
    assert "The upload directory" in result.stderr
    assert "is not empty" in result.stderr
    assert target.tables() == ["precious"]
    assert target.sql("SELECT note FROM precious") == [("keep me",)]
    assert [p.name for p in (target.media_root / "evidence").iterdir()] == ["someone-elses.pdf"]


def test_restore_refuses_a_migrated_database(populated, target, tmp_path):
    dest = tmp_path / "backup"
    make_backup(dest)
    if target.database_url:
        target.sql("CREATE TABLE django_migrations (id serial, app text, name text, applied timestamptz)")
    else:
        with sqlite3.connect(target.data_dir / "luoshi.sqlite3") as conn:
            conn.execute("CREATE TABLE django_migrations (id integer, app text, name text, applied text)")
    result = target.luoshi("restore", str(dest))
    assert result.returncode == 1
    assert "django_migrations" in result.stderr


def test_the_checks_after_a_restore_catch_a_changed_file(populated, tmp_path):
    """The same checks the restore runs, against this installation after a stored file changed."""
    dest = tmp_path / "backup"
    manifest = make_backup(dest)
    changed = populated.media_root / "evidence" / populated.evidence[1].stored_name
    changed.write_bytes(b"changed after the backup")
    result = verify_restored(dest, manifest)
    assert not result.ok
    assert f"evidence/{populated.evidence[1].stored_name} does not match its checksum after the restore." in (
        result.problems
    )
    # The audit chain only grew (by the backup's own event), which agrees with the checkpoint.
    assert not any("audit trail is broken" in problem for problem in result.problems)


def test_backup_refuses_an_existing_destination(populated, tmp_path):
    dest = tmp_path / "backup"
    dest.mkdir()
    (dest / "old").write_text("")
    err = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("backup", str(dest), stdout=StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert "already exists" in err.getvalue()
    assert [p.name for p in dest.iterdir()] == ["old"]


def test_backup_refuses_evidence_damaged_in_the_store(populated, tmp_path):
    stored = populated.media_root / "evidence" / populated.evidence[0].stored_name
    stored.write_bytes(b"bit rot")
    err = StringIO()
    with pytest.raises(SystemExit):
        call_command("backup", str(tmp_path / "backup"), stdout=StringIO(), stderr=err)
    assert "no longer matches the checksum recorded when it was uploaded" in err.getvalue()
    assert not (tmp_path / "backup").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".luoshi-backup")] == []


def test_restore_refuses_a_backup_of_the_other_database_vendor(populated, target, tmp_path):
    dest = tmp_path / "backup"
    manifest = make_backup(dest)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    manifest["database"]["vendor"] = other
    archive.write_manifest(dest, manifest)  # signed again, with the same key: a genuine-looking backup
    result = target.luoshi("restore", str(dest))
    assert result.returncode == 1
    assert (
        f"The backup is of a {other} database; this installation uses {connection.vendor}." in result.stderr
    )
    assert target.tables() == []


def test_restore_says_when_there_is_no_backup(target, tmp_path):
    (tmp_path / "empty").mkdir()
    result = target.luoshi("restore", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert "is not a Luoshi backup: it has no manifest.json" in result.stderr
    missing = target.luoshi("restore", str(tmp_path / "nowhere.tar.gz"))
    assert missing.returncode == 1
    assert "There is no backup at" in missing.stderr
