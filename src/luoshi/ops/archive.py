"""The backup's layout and its manifest: what ``luoshi backup`` writes and ``luoshi restore`` reads.

A backup is one directory, or the same directory in a tar archive (``.tar``, ``.tar.gz``, ``.tgz``)::

    manifest.json            format, version, time, database vendor, row counts, every file's SHA-256
    database.sqlite3         SQLite: a copy made with SQLite's online backup API
    database.pgdump          PostgreSQL: pg_dump's custom format (pg_restore reads it)
    audit-checkpoint.json    the audit trail's signed head at the moment of the snapshot
    files/evidence/…         evidence files, under their stored names
    files/media/…            anything else under MEDIA_ROOT

The manifest is signed (HMAC-SHA256) with the audit checkpoint key, like checkpoints, so a restore can
tell a backup that was altered after it was made from one that was damaged by accident: both fail, but a
backup whose manifest was rewritten to match altered files fails on the signature.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from django.utils.translation import gettext as _

from luoshi.audit import checkpoints
from luoshi.core.errors import LuoshiError

FORMAT = "luoshi-backup"
VERSION = 1
MANIFEST = "manifest.json"
CHECKPOINT = "audit-checkpoint.json"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES_DIR = "files"
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")
CHUNK = 1024 * 1024


class Readable(Protocol):
    """An open binary file: a plain one, or a storage backend's ``File``."""

    def read(self, size: int = -1, /) -> bytes: ...


class BackupError(LuoshiError):
    """A backup cannot be made or restored: the reason is in the message, and nothing was changed."""

    code = "backup"
    status = 409


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_with_sha256(source: Readable, target: Path) -> tuple[str, int]:
    """Copy a stream to ``target`` (made with its directories), returning its SHA-256 and size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        for chunk in iter(lambda: source.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), size


def _canonical(manifest: dict[str, Any]) -> bytes:
    unsigned = {key: value for key, value in manifest.items() if key != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    key = checkpoints.signing_key(create=True)
    return {**manifest, "signature": hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()}


def check_signature(manifest: dict[str, Any]) -> None:
    """Raise ``BackupError`` unless the manifest carries a good signature under this installation's key."""
    try:
        key = checkpoints.signing_key()
    except checkpoints.CheckpointError as exc:
        raise BackupError(
            _("The backup cannot be checked without the audit checkpoint key it was made with: %(error)s")
            % {"error": exc.message}
        ) from exc
    expected = hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, str(manifest.get("signature", ""))):
        raise BackupError(
            _(
                "The backup's manifest has a wrong signature: it was changed after the backup was made, "
                "or this installation has another audit checkpoint key."
            )
        )


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(sign_manifest(manifest), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    (directory / MANIFEST).write_text(text, encoding="utf-8")


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            _("%(path)s is not a Luoshi backup: it has no manifest.json.") % {"path": directory}
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(_("The backup's manifest cannot be read: %(error)s") % {"error": exc}) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s is not a Luoshi backup.") % {"path": directory})
    if manifest.get("version") != VERSION:
        raise BackupError(
            _("The backup has format version %(found)s; this Luoshi reads version %(version)d.")
            % {"found": manifest.get("version"), "version": VERSION}
        )
    return manifest


def is_tar(path: Path) -> bool:
    return path.name.endswith(TAR_SUFFIXES)


def prepare_destination(dest: Path) -> None:
    """Refuse to write over anything: the destination must not exist (or be an empty directory)."""
    if is_tar(dest):
        if dest.exists():
            raise BackupError(_("%(path)s already exists; choose a new name.") % {"path": dest})
    elif dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(_("%(path)s already exists and is not an empty directory.") % {"path": dest})
    if not dest.parent.is_dir():
        raise BackupError(_("The directory %(path)s does not exist.") % {"path": dest.parent})


@contextlib.contextmanager
def staging(dest: Path) -> Iterator[Path]:
    """A directory to build the backup in, next to ``dest``, moved (or archived) into place at the end.

    Building beside the destination means a failed backup leaves nothing that looks like a backup.
    """
    work = Path(tempfile.mkdtemp(prefix=".luoshi-backup-", dir=dest.parent))
    try:
        yield work
        if is_tar(dest):
            partial = dest.with_name(f".{dest.name}.partial")
            compressed = dest.name.endswith((".gz", ".tgz"))
            with tarfile.open(partial, "w:gz") if compressed else tarfile.open(partial, "w") as archive:
                for entry in sorted(work.iterdir()):
                    archive.add(entry, arcname=entry.name)
            os.replace(partial, dest)
        else:
            if dest.exists():
                dest.rmdir()
            os.replace(work, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def opened(source: Path) -> Iterator[Path]:
    """The backup at ``source`` as a directory: itself, or a tar archive unpacked into a temporary one."""
    if source.is_dir():
        yield source
        return
    if not source.is_file():
        raise BackupError(_("There is no backup at %(path)s.") % {"path": source})
    with tempfile.TemporaryDirectory(prefix="luoshi-restore-") as work:
        try:
            with tarfile.open(source) as archive:
                # The "data" filter refuses absolute paths, ".." and links out of the directory.
                archive.extractall(work, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(
                _("The archive %(path)s cannot be unpacked: %(error)s") % {"path": source, "error": exc}
            ) from exc
        yield Path(work)
