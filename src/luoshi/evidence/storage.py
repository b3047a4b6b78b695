"""Where evidence files live: the ``"evidence"`` alias of ``settings.STORAGES``.

Every read and write goes through ``evidence_storage()``, so a deployment can move the files to object
storage (e.g. django-storages' S3 backend) by changing that alias alone. The default backend keeps them
in ``MEDIA_ROOT/evidence``, under the data directory and outside any directory the web server serves;
there is deliberately no URL for them (``EvidenceStorage.url`` refuses): the only way out is the download
view, which checks who is asking.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from typing import Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.functional import cached_property

STORAGE_ALIAS = "evidence"
# A file being written has this prefix until it is complete; a crash leaves one behind as an orphan,
# which ``luoshi evidence orphans`` finds like any other file without a row.
PARTIAL_PREFIX = ".partial-"


def evidence_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def new_stored_name(extension: str) -> str:
    """A fresh random name, spread over two directory levels so that no directory grows huge.

    128 random bits: names are neither guessable nor derived from anything the uploader chose.
    """
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}.{extension}"


class WithoutURLs:
    """For evidence storages: a file has no address of its own, so nobody can fetch it past the
    download view that checks access. ``url()`` raising ``NotImplementedError`` is how Django's storage
    API says a storage serves no URLs (its base class does the same); a refusal on purpose, not a gap."""

    def url(self, name: str | None, *args: Any, **kwargs: Any) -> str:
        raise NotImplementedError(
            "Evidence files have no URL; they are served by the evidence download view."
        )


class EvidenceStorage(WithoutURLs, FileSystemStorage):
    """The file system backend for evidence: ``MEDIA_ROOT/evidence``, written atomically and durably.

    A file is written under a temporary name in its final directory, flushed to disk, then renamed: a
    reader never sees half a file, and once ``save`` returns the bytes survive a power cut. The database
    row that points at the file is inserted only after that, so a committed row always has its file.
    """

    def __init__(self, **options: Any) -> None:
        # Evidence is read only through the application, so nobody else on the server needs to read it.
        options.setdefault("file_permissions_mode", 0o640)
        options.setdefault("directory_permissions_mode", 0o750)
        self._configured_location: str | None = options.get("location")
        super().__init__(**options)

    @cached_property
    def base_location(self) -> str:
        # Read lazily, and reset by FileSystemStorage when MEDIA_ROOT changes (as tests do).
        if self._configured_location is not None:
            return str(self._configured_location)
        return os.path.join(settings.MEDIA_ROOT, "evidence")

    def _save(self, name: str, content: File) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        self._make_directories(directory)
        fd, partial = tempfile.mkstemp(dir=directory, prefix=PARTIAL_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(partial, self.file_permissions_mode or 0o640)
            os.replace(partial, full_path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            raise
        _fsync_directory(directory)
        return name.replace("\\", "/")

    def _make_directories(self, directory: str) -> None:
        """Create the store and the directories down to ``directory``, each with the restricted mode
        (``os.makedirs`` would give the intermediate ones the default mode)."""
        mode = self.directory_permissions_mode or 0o750
        path = os.path.dirname(self.location)
        os.makedirs(path, exist_ok=True)
        for part in [
            os.path.basename(self.location),
            *os.path.relpath(directory, self.location).split(os.sep),
        ]:
            path = os.path.join(path, part)
            try:
                os.mkdir(path, mode)
            except FileExistsError:
                if not os.path.isdir(path):
                    raise


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); where directories cannot be opened, there is nothing to do."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
