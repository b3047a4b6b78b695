"""``luoshi backup``: the database, the uploaded files and an audit checkpoint, consistent with each other.

The database is copied first, as one snapshot: on SQLite with SQLite's online backup API (a copy that
writers cannot tear); on PostgreSQL with ``pg_dump`` reading a snapshot that this process exported and
holds open. The audit checkpoint and the row counts are read from that same snapshot, so they describe
exactly what the copy holds.

Files come after. Evidence is written before its row and never removed, so every evidence row in the
snapshot has its file: the backup copies exactly those files (through the evidence storage, so object
storage works too) and checks each against the SHA-256 its row recorded. Files uploaded after the
snapshot are left out, as their rows are. Other files under ``MEDIA_ROOT`` are copied as they are.
"""

from __future__ import annotations

import copy
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.utils import load_backend
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.audit.verify import ChainBroken, write_checkpoint
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import PARTIAL_PREFIX, evidence_storage
from luoshi.ops import archive
from luoshi.ops.archive import BackupError

SNAPSHOT_ALIAS = "luoshi_backup_snapshot"


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any] = field(default_factory=dict)


def pg_program(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``: in ``LUOSHI_PG_BINDIR`` if set, else on PATH."""
    bindir = settings.LUOSHI_PG_BINDIR
    found = str(Path(bindir) / name) if bindir else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        raise BackupError(
            _("%(program)s was not found: install the PostgreSQL client, or set LUOSHI_PG_BINDIR.")
            % {"program": name}
        )
    return found


def pg_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq's environment variables for a Django database: the password stays off the command line."""
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS") or {}
    pairs = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGSSLROOTCERT": options.get("sslrootcert"),
        "PGSSLCERT": options.get("sslcert"),
        "PGSSLKEY": options.get("sslkey"),
        "PGCONNECT_TIMEOUT": options.get("connect_timeout"),
    }
    env.update({name: str(value) for name, value in pairs.items() if value not in (None, "")})
    return env


def run_program(args: list[str], *, env: dict[str, str], what: str) -> None:
    # A fixed program and options built here, no shell: nothing from outside is interpreted.
    completed = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise BackupError(
            _("%(what)s failed (exit status %(status)d): %(error)s")
            % {"what": what, "status": completed.returncode, "error": completed.stderr.strip()[-2000:]}
        )


@contextmanager
def _alias(settings_dict: dict[str, Any]) -> Iterator[str]:
    """A connection of its own under a temporary alias, closed and forgotten afterwards.

    The connection is handed to ``connections`` without joining ``settings.DATABASES``, so the ORM finds
    it by alias (``using=``) while nothing that walks the configured databases (routers, checks, test
    isolation) ever sees it.
    """
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, SNAPSHOT_ALIAS)
    connections[SNAPSHOT_ALIAS] = wrapper
    try:
        yield SNAPSHOT_ALIAS
    finally:
        wrapper.close()
        del connections[SNAPSHOT_ALIAS]


def read_only_uri(path: Path) -> str:
    """An SQLite URI that opens ``path`` read-only (quoted: a "?" or "#" in a directory name is no query)."""
    return f"file:{quote(str(path))}?mode=ro"


@contextmanager
def sqlite_snapshot(work: Path, using: str = DEFAULT_DB_ALIAS) -> Iterator[str]:
    """Copy the SQLite database with the online backup API, and read the copy under a temporary alias."""
    source = connections[using]
    target = work / archive.DATABASE_FILES["sqlite"]
    source.ensure_connection()
    copy_connection = sqlite3.connect(target)
    try:
        # One step (pages=-1): the copy is taken under one read lock, a consistent state of the database.
        source.connection.backup(copy_connection)
        # The copy stands alone: no -wal/-shm files beside it.
        copy_connection.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy_connection.close()
    snapshot_settings = copy.deepcopy(source.settings_dict)
    snapshot_settings["NAME"] = read_only_uri(target)
    snapshot_settings["OPTIONS"] = {}
    with _alias(snapshot_settings) as alias:
        yield alias


@contextmanager
def postgresql_snapshot(work: Path, using: str = DEFAULT_DB_ALIAS) -> Iterator[str]:
    """Hold a repeatable-read transaction, export its snapshot and let pg_dump dump exactly that."""
    snapshot_settings = copy.deepcopy(connections[using].settings_dict)
    # A connection of its own: the caller's might be inside a transaction, or pooled.
    snapshot_settings["CONN_MAX_AGE"] = 0
    snapshot_settings["CONN_HEALTH_CHECKS"] = False
    with _alias(snapshot_settings) as alias, transaction.atomic(using=alias):
        with connections[alias].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
        run_program(
            [
                pg_program("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot_id}",
                "--no-owner",
                "--no-privileges",
                f"--file={work / archive.DATABASE_FILES['postgresql']}",
            ],
            env=pg_environment(snapshot_settings),
            what="pg_dump",
        )
        yield alias


def row_counts(using: str) -> dict[str, int]:
    """Rows of every model of Luoshi's own apps (people included), read through ``using``."""
    counts: dict[str, int] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or not model.__module__.startswith("luoshi."):
            continue
        counts[meta.label_lower] = model._base_manager.using(using).count()
    return dict(sorted(counts.items()))


def _copy_evidence(using: str, work: Path, progress: Callable[[str], None]) -> list[dict[str, Any]]:
    storage = evidence_storage()
    entries: list[dict[str, Any]] = []
    rows = EvidenceFile.objects.using(using).order_by("id").values_list("stored_name", "sha256", "size")
    for stored_name, expected_sha, _size in rows.iterator(chunk_size=500):
        relative = f"evidence/{stored_name}"
        try:
            with storage.open(stored_name, "rb") as source:
                digest, size = archive.copy_with_sha256(source, work / archive.FILES_DIR / relative)
        except FileNotFoundError:
            raise BackupError(
                _("The evidence file %(name)s is missing from the store; run `luoshi evidence verify`.")
                % {"name": stored_name}
            ) from None
        if digest != expected_sha:
            raise BackupError(
                _(
                    "The evidence file %(name)s no longer matches the checksum recorded when it was "
                    "uploaded: it was damaged or altered in the store."
                )
                % {"name": stored_name}
            )
        entries.append({"path": relative, "sha256": digest, "size": size})
    progress(_("%(count)d evidence files copied and checked.") % {"count": len(entries)})
    return entries


def other_media(media_root: Path) -> Iterator[tuple[Path, str]]:
    """Files under MEDIA_ROOT outside the evidence store, with their paths relative to MEDIA_ROOT."""
    skip: Path | None = None
    storage = evidence_storage()
    if isinstance(storage, FileSystemStorage):
        skip = Path(storage.location).resolve()
    if not media_root.is_dir():
        return
    for directory, subdirectories, files in os.walk(media_root):
        here = Path(directory)
        subdirectories[:] = sorted(d for d in subdirectories if skip is None or (here / d).resolve() != skip)
        for name in sorted(files):
            if not name.startswith((PARTIAL_PREFIX, ".health-")):
                yield here / name, (here / name).relative_to(media_root).as_posix()


def _copy_media(work: Path) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path, relative in other_media(Path(settings.MEDIA_ROOT)):
        with path.open("rb") as source:
            digest, size = archive.copy_with_sha256(source, work / archive.FILES_DIR / "media" / relative)
        entries.append({"path": f"media/{relative}", "sha256": digest, "size": size})
    return entries


def backup(dest: Path, *, progress: Callable[[str], None] = lambda _message: None) -> BackupResult:
    """Write a backup to ``dest`` (a new directory, or a ``.tar``/``.tar.gz`` file)."""
    dest = dest.expanduser().absolute()
    archive.prepare_destination(dest)
    vendor = connections[DEFAULT_DB_ALIAS].vendor
    if vendor not in archive.DATABASE_FILES:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor})
    snapshot = sqlite_snapshot if vendor == "sqlite" else postgresql_snapshot
    with archive.staging(dest) as work:
        created_at = timezone.now()
        with snapshot(work) as alias:
            progress(_("Database copied (%(vendor)s).") % {"vendor": vendor})
            try:
                checkpoint = write_checkpoint(work / archive.CHECKPOINT, using=alias)
            except ChainBroken as exc:
                raise BackupError(
                    _("The audit trail is broken, so no backup was made: %(error)s") % {"error": exc.message}
                ) from exc
            counts = row_counts(alias)
            files = _copy_evidence(alias, work, progress)
        files += _copy_media(work)
        database_file = work / archive.DATABASE_FILES[vendor]
        manifest: dict[str, Any] = {
            "format": archive.FORMAT,
            "version": archive.VERSION,
            "id": uuid.uuid4().hex,
            "created_at": created_at.isoformat(),
            "luoshi_version": metadata.version("luoshi"),
            "database": {
                "vendor": vendor,
                "file": database_file.name,
                "sha256": archive.sha256_file(database_file),
                "size": database_file.stat().st_size,
            },
            "audit_checkpoint": {
                "file": archive.CHECKPOINT,
                "sha256": archive.sha256_file(work / archive.CHECKPOINT),
                "count": checkpoint.count,
                "head_seq": checkpoint.head_seq,
                "head_hash": checkpoint.head_hash,
            },
            "counts": counts,
            "files": files,
            "file_count": len(files),
            "file_bytes": sum(entry["size"] for entry in files),
        }
        archive.write_manifest(work, manifest)
    audit.record(
        actor="luoshi backup",
        action="system.backup",
        object_type="backup",
        object_id=manifest["id"],
        object_repr=str(dest)[:200],
        changes={"audit_events": checkpoint.count, "files": len(files), "vendor": vendor},
    )
    return BackupResult(path=dest, manifest=manifest)
