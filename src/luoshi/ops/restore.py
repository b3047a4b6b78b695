"""``luoshi restore``: a backup onto an empty installation, then proof that it arrived whole.

Before anything is written, the backup is checked: its manifest's signature (under this installation's
audit checkpoint key), the checksum of the database copy, of the checkpoint and of every file. A damaged
or altered backup is refused with nothing changed. So is a target that is not empty: a database with any
table, or files in the upload directory or the evidence store. Restoring never merges or overwrites.

After the restore, the files are read back from where they now live and checked against the manifest and
against the checksums their evidence rows recorded; the audit chain is walked and compared with the
checkpoint taken at the snapshot; the row counts are compared with the manifest's. Any difference makes
the restore fail (exit status 1), with every difference listed.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi.audit import services as audit
from luoshi.audit.verify import verify_chain
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import evidence_storage
from luoshi.ops import archive
from luoshi.ops.archive import BackupError
from luoshi.ops.backup import pg_environment, pg_program, read_only_uri, row_counts, run_program


@dataclass
class RestoreResult:
    """What the checks after the restore found; ``ok`` only when nothing differs."""

    manifest: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    files = manifest.get("files")
    if not isinstance(files, list):
        raise BackupError(_("The backup's manifest lists no files."))
    for entry in files:
        path = entry.get("path") if isinstance(entry, dict) else None
        parts = PurePosixPath(path).parts if isinstance(path, str) else ()
        # Paths come from the (signed) manifest, but are still kept inside the target directories.
        if len(parts) < 2 or parts[0] not in {"evidence", "media"} or ".." in parts:
            raise BackupError(
                _("The backup's manifest names a file outside the backup: %(path)s") % {"path": path}
            )
    return files


def check_backup(source: Path, manifest: dict[str, Any]) -> list[str]:
    """Every difference between the backup's contents and its manifest (empty when it is whole)."""
    problems: list[str] = []
    database = manifest.get("database") or {}
    checkpoint = manifest.get("audit_checkpoint") or {}
    named = [
        (str(database.get("file", "")), database.get("sha256")),
        (str(checkpoint.get("file", "")), checkpoint.get("sha256")),
    ] + [(f"{archive.FILES_DIR}/{entry['path']}", entry.get("sha256")) for entry in _entries(manifest)]
    for relative, expected in named:
        path = source / relative
        if not relative or not path.is_file():
            problems.append(_("%(path)s is missing from the backup.") % {"path": relative})
        elif archive.sha256_file(path) != expected:
            problems.append(_("%(path)s does not match its checksum in the manifest.") % {"path": relative})
    return problems


def target_problems(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Why this installation is not empty enough to restore onto (empty list: it is)."""
    problems: list[str] = []
    connection = connections[using]
    tables = connection.introspection.table_names()
    if tables:
        problems.append(
            ngettext(
                "The database already has %(count)d table (e.g. %(example)s); restore needs an empty "
                "database: create a new one, or delete the SQLite file.",
                "The database already has %(count)d tables (e.g. %(example)s); restore needs an empty "
                "database: create a new one, or delete the SQLite file.",
                len(tables),
            )
            % {"count": len(tables), "example": sorted(tables)[0]}
        )
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir() and any(media_root.iterdir()):
        problems.append(
            _("The upload directory %(path)s is not empty; restore needs an empty one.")
            % {"path": media_root}
        )
    storage = evidence_storage()
    if not isinstance(storage, FileSystemStorage):
        directories, files = storage.listdir("")
        if directories or files:
            problems.append(_("The evidence store is not empty; restore needs an empty one."))
    else:
        location = Path(storage.location)
        if location.is_dir() and any(location.iterdir()) and not location.is_relative_to(media_root):
            problems.append(
                _("The evidence directory %(path)s is not empty; restore needs an empty one.")
                % {"path": location}
            )
    return problems


def _restore_sqlite(source: Path, using: str) -> None:
    connection = connections[using]
    connection.close()
    target = Path(str(connection.settings_dict["NAME"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    copy_from = sqlite3.connect(read_only_uri(source), uri=True)
    copy_to = sqlite3.connect(target)
    try:
        copy_from.backup(copy_to)
        # The installation's own setting (WAL) again; the backup copy was made standalone.
        copy_to.execute("PRAGMA journal_mode=WAL")
    finally:
        copy_to.close()
        copy_from.close()


def _restore_postgresql(source: Path, using: str) -> None:
    connection = connections[using]
    settings_dict = connection.settings_dict
    connection.close()
    run_program(
        [
            pg_program("pg_restore"),
            "--exit-on-error",
            # All or nothing: a failure half-way leaves the database as empty as it was.
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            f"--dbname={settings_dict['NAME']}",
            str(source),
        ],
        env=pg_environment(settings_dict),
        what="pg_restore",
    )


def _restore_files(source: Path, entries: list[dict[str, Any]]) -> None:
    media_root = Path(settings.MEDIA_ROOT)
    storage = evidence_storage()
    for entry in entries:
        kind, _separator, name = entry["path"].partition("/")
        backed_up = source / archive.FILES_DIR / entry["path"]
        if kind == "media":
            target = media_root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(backed_up, target)
        else:
            with backed_up.open("rb") as handle:
                stored = storage.save(name, File(handle, name=name))
            if stored != name:
                raise BackupError(
                    _("The evidence store kept %(name)s under another name, %(stored)s.")
                    % {"name": name, "stored": stored}
                )


def _sha256_of(open_file: Any) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: open_file.read(archive.CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def verify_restored(
    source: Path, manifest: dict[str, Any], *, using: str = DEFAULT_DB_ALIAS
) -> RestoreResult:
    """Check the restored installation against the backup: files, evidence rows, counts, audit chain."""
    result = RestoreResult(manifest=manifest)
    storage = evidence_storage()
    media_root = Path(settings.MEDIA_ROOT)
    for entry in _entries(manifest):
        kind, _separator, name = entry["path"].partition("/")
        try:
            if kind == "media":
                with (media_root / name).open("rb") as handle:
                    digest = _sha256_of(handle)
            else:
                with storage.open(name, "rb") as handle:
                    digest = _sha256_of(handle)
        except FileNotFoundError:
            result.problems.append(_("%(path)s was not restored.") % {"path": entry["path"]})
            continue
        if digest != entry["sha256"]:
            result.problems.append(
                _("%(path)s does not match its checksum after the restore.") % {"path": entry["path"]}
            )
    backed_up = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    rows = EvidenceFile.objects.using(using).values_list("stored_name", "sha256")
    for stored_name, recorded in rows.iterator(chunk_size=500):
        if backed_up.get(f"evidence/{stored_name}") != recorded:
            result.problems.append(
                _("The evidence row for %(name)s has no file with its recorded checksum.")
                % {"name": stored_name}
            )
    expected_counts = manifest.get("counts") or {}
    for label, count in row_counts(using).items():
        if label in expected_counts and expected_counts[label] != count:
            result.problems.append(
                _("%(model)s has %(count)d rows; the backup had %(expected)d.")
                % {"model": label, "count": count, "expected": expected_counts[label]}
            )
    chain = verify_chain(checkpoint=source / archive.CHECKPOINT, using=using)
    if chain.ok:
        result.notes.append(chain.message)
    else:
        result.problems.append(chain.message)
    return result


def restore(source: Path, *, progress: Callable[[str], None] = lambda _message: None) -> RestoreResult:
    """Restore the backup at ``source`` (a directory or a tar archive) onto this empty installation.

    Raises ``BackupError`` when the backup or the target is refused (nothing changed); returns the
    result of the checks after the restore otherwise.
    """
    source = source.expanduser().absolute()
    with archive.opened(source) as directory:
        manifest = archive.read_manifest(directory)
        archive.check_signature(manifest)
        vendor = connections[DEFAULT_DB_ALIAS].vendor
        backed_up_vendor = (manifest.get("database") or {}).get("vendor")
        if backed_up_vendor != vendor:
            raise BackupError(
                _("The backup is of a %(backup)s database; this installation uses %(vendor)s.")
                % {"backup": backed_up_vendor, "vendor": vendor}
            )
        problems = check_backup(directory, manifest)
        if problems:
            raise BackupError(
                _("The backup is damaged or was altered; nothing was restored.") + "\n" + "\n".join(problems)
            )
        progress(_("The backup is whole: every checksum matches its signed manifest."))
        refusals = target_problems()
        if refusals:
            raise BackupError("\n".join(refusals))
        database_file = directory / manifest["database"]["file"]
        if vendor == "sqlite":
            _restore_sqlite(database_file, DEFAULT_DB_ALIAS)
        else:
            # One transaction: when pg_restore fails, the database is as empty as it was.
            _restore_postgresql(database_file, DEFAULT_DB_ALIAS)
        progress(_("Database restored."))
        try:
            _restore_files(directory, manifest["files"])
        except (OSError, BackupError) as exc:
            raise BackupError(
                _(
                    "The database was restored, but copying the files stopped: %(error)s. Empty the "
                    "database and the upload directory, make room or fix the cause, and restore again."
                )
                % {"error": getattr(exc, "message", exc)}
            ) from exc
        progress(
            ngettext("%(count)d file restored.", "%(count)d files restored.", len(manifest["files"]))
            % {"count": len(manifest["files"])}
        )
        result = verify_restored(directory, manifest)
    # Appended after the checks, so the trail itself says when this copy was restored, and whether it
    # proved whole; the chain goes on from the checkpoint's head.
    audit.record(
        actor="luoshi restore",
        action="system.restore",
        object_type="backup",
        object_id=str(manifest.get("id", "")),
        object_repr=str(source)[:200],
        changes={"backup_created_at": manifest.get("created_at"), "verified": result.ok},
    )
    return result
