"""Attaching evidence files to a task, a progress report or a completion request.

``evidence_attach`` is one use case, called on its own or from inside another service's transaction
(``report_progress``, ``task_request_completion``), and it keeps files and rows consistent either way:

1. Every file is checked before anything is written (size, count, type by content, archive bombs); one
   bad file refuses the whole call and nothing is saved.
2. The files are written to their final random names, durably (``EvidenceStorage``).
3. The rows are inserted in the caller's transaction. If anything fails before this function returns,
   the files just written are removed. If the caller's transaction (or a savepoint around this call) is
   rolled back later, the files are removed too: Django has no rollback hook, but it drops the
   ``on_commit`` callbacks of a rolled-back block, and a guard registered there removes the files when it
   is dropped without having run (see ``_RemoveUnlessCommitted``).

So a committed row always has its file. The reverse is not guaranteed: a crash (power loss, kill -9)
between writing the files and the commit leaves files without rows. Such an orphan is harmless (nobody
can reach it: downloads go through rows) and ``luoshi evidence orphans --delete`` removes it.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any, cast

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core.errors import Conflict, LuoshiError, ValidationFailed
from luoshi.evidence import filetypes
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import evidence_storage, new_stored_name
from luoshi.organizations.models import User
from luoshi.tasks.models import OPEN_STATUSES, CompletionRequest, ProgressReport, RequestStatus, Task

logger = logging.getLogger(__name__)

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
# A shared directory (NFS, CIFS) that went away or turned read-only: the upload may succeed later.
STORE_UNREACHABLE = frozenset(
    {errno.EIO, errno.EROFS, errno.ESTALE, errno.ENOTCONN, errno.ETIMEDOUT, errno.EHOSTDOWN}
)
HASH_CHUNK = 1024 * 1024


class StoreFull(LuoshiError):
    """The evidence store has no room left; the upload was refused and nothing was saved."""

    code = "storage_full"
    status = 507


class StoreUnavailable(LuoshiError):
    """The evidence store (a shared directory or an object store) cannot be reached just now; the upload
    was refused and nothing was saved."""

    code = "storage_unavailable"
    status = 503


@dataclass(frozen=True)
class _Checked:
    """A file that passed every check, with what was learnt about it."""

    upload: File
    name: str
    kind: filetypes.Kind
    size: int
    sha256: str


def evidence_attach(
    *,
    actor: User,
    task: Task,
    files: Iterable[File],
    report: ProgressReport | None = None,
    completion_request: CompletionRequest | None = None,
) -> list[EvidenceFile]:
    """Attach ``files`` to ``task`` and to its ``report`` or ``completion_request`` (at most one).

    The actor must be one who may report on the task (or, for a completion request, ask for its
    completion). Returns the new rows in the order of ``files``; with no files it does nothing (not even a
    query), so callers may pass what they received without testing it first. The rows and the audit event
    are written in one atomic block, inside the caller's transaction when there is one.
    """
    uploads = list(files)
    if not uploads:
        return []
    _check_target(actor, task, report, completion_request)
    return evidence_store(
        actor=actor, task=task, files=uploads, report=report, completion_request=completion_request
    )


def evidence_store(
    *,
    actor: User,
    task: Task,
    files: Iterable[File],
    report: ProgressReport | None = None,
    completion_request: CompletionRequest | None = None,
) -> list[EvidenceFile]:
    """The file checks (count, size, type by content) and the storage of ``evidence_attach``, without its
    checks of who may attach and whether the task is open: for callers that decided those themselves
    (a look-back keeps evidence of closed work). Nothing is stored unless every file passes."""
    uploads = list(files)
    if not uploads:
        return []
    limit = settings.LUOSHI_EVIDENCE_MAX_FILES
    if len(uploads) > limit:
        message = ngettext(
            "At most %(limit)d file can be attached at once; %(count)d were chosen.",
            "At most %(limit)d files can be attached at once; %(count)d were chosen.",
            limit,
        ) % {"limit": limit, "count": len(uploads)}
        raise ValidationFailed(message, fields={"files": [message]})
    checked, refusals = [], []
    for upload in uploads:
        try:
            checked.append(_inspect(upload))
        except filetypes.Refused as refusal:
            refusals.append(refusal.message)
    if refusals:
        message = (
            refusals[0]
            if len(refusals) == 1
            else _("Nothing was saved: %(count)d of the files cannot be accepted.") % {"count": len(refusals)}
        )
        raise ValidationFailed(message, fields={"files": refusals})
    return _store(
        actor=actor, task=task, checked=checked, report=report, completion_request=completion_request
    )


def _check_target(
    actor: User, task: Task, report: ProgressReport | None, completion_request: CompletionRequest | None
) -> None:
    if report is not None and completion_request is not None:
        raise ValueError("Evidence belongs to a report or to a completion request, not to both.")
    if report is not None and report.task_id != task.pk:
        raise ValueError("The report belongs to another task.")
    if completion_request is not None and completion_request.task_id != task.pk:
        raise ValueError("The completion request belongs to another task.")
    # Raises NotFound for a task the actor may not see, NotAllowed for one they may not report on.
    access.require(actor, "request_completion" if completion_request is not None else "report", task)
    status = Task.objects.filter(pk=task.pk).values_list("status", flat=True).first()
    if status not in OPEN_STATUSES:
        raise Conflict(_("Evidence can only be added while the task is open."))
    if completion_request is not None and (
        CompletionRequest.objects.filter(pk=completion_request.pk).values_list("status", flat=True).first()
        != RequestStatus.PENDING
    ):
        raise Conflict(_("Evidence can only be added to a completion request that awaits its decision."))


def _inspect(upload: File) -> _Checked:
    name = filetypes.clean_name(upload.name or "")
    limit = settings.LUOSHI_EVIDENCE_MAX_BYTES
    # The declared size refuses an oversized file without reading it; the count below is what is trusted.
    if (upload.size or 0) > limit:
        raise _too_big(name, upload.size, limit)
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks(HASH_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _too_big(name, size, limit)
        digest.update(chunk)
    if size == 0:
        raise filetypes.Refused(_("“%(name)s” is empty.") % {"name": name})
    kind = filetypes.sniff(cast(IO[bytes], upload), name)
    return _Checked(upload, filetypes.name_for(name, kind), kind, size, digest.hexdigest())


def _too_big(name: str, size: int, limit: int) -> filetypes.Refused:
    return filetypes.Refused(
        _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
        % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
    )


def _store(
    *,
    actor: User,
    task: Task,
    checked: list[_Checked],
    report: ProgressReport | None,
    completion_request: CompletionRequest | None,
) -> list[EvidenceFile]:
    storage = evidence_storage()
    written: list[str] = []
    try:
        for item in checked:
            written.append(storage.save(new_stored_name(item.kind.extension), item.upload, max_length=100))
        with transaction.atomic():
            rows = [
                EvidenceFile.objects.create(
                    task=task,
                    report=report,
                    completion_request=completion_request,
                    uploaded_by=actor,
                    original_name=item.name,
                    stored_name=stored_name,
                    content_type=item.kind.content_type,
                    size=item.size,
                    sha256=item.sha256,
                )
                for item, stored_name in zip(checked, written, strict=True)
            ]
            # Registered in the same block as the rows: if this block, or any block around it, rolls
            # back, the rows go and so do the files.
            transaction.on_commit(
                _RemoveUnlessCommitted(storage, written, transaction.get_connection()).mark_committed
            )
            audit.record(
                actor=actor,
                action="evidence.attach",
                obj=task,
                changes={
                    "report": report.pk if report else None,
                    "completion_request": completion_request.pk if completion_request else None,
                    "files": [
                        {
                            "id": row.pk,
                            "name": row.original_name,
                            "type": row.content_type,
                            "size": row.size,
                            "sha256": row.sha256,
                        }
                        for row in rows
                    ],
                },
            )
    except BaseException as exc:
        _remove(storage, written)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            logger.error("The evidence store is full: %s", exc)
            raise StoreFull(_("The file store is full; nothing was saved.")) from exc
        if _unreachable(exc):
            logger.error("The evidence store cannot be reached: %s", exc)
            raise StoreUnavailable(
                _("The file store cannot be reached just now; nothing was saved. Try again in a while.")
            ) from exc
        raise
    return rows


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in STORE_UNREACHABLE:
        return True
    # Errors of an S3-compatible store (luoshi.evidence.storage_s3): endpoint down, bucket missing,
    # credentials refused. Imported here so that the file system store never loads boto3.
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, BotoCoreError | ClientError)


def _remove(storage: Storage, names: Iterable[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            # Left behind as an orphan for ``luoshi evidence orphans``; the caller's error matters more.
            logger.exception("Could not remove the evidence file %s", name)


class _RemoveUnlessCommitted:
    """Removes the files of rows whose transaction did not commit.

    Its ``mark_committed`` is registered with ``transaction.on_commit``. Django calls it after a commit,
    and simply drops it when the block it was registered in (or any block around it) rolls back; once
    dropped, nothing refers to this object any more, and its finalizer removes the files unless the
    commit was recorded.

    One more case keeps the files: when an earlier ``on_commit`` callback raised after the commit, Django
    drops the remaining ones (this one included) without calling them. The connection then still says
    that commit hooks were being run, and the files are kept, since their rows are committed. Whenever the
    outcome is in doubt the files stay: an orphan file is harmless, a row without its file is not.
    """

    def __init__(self, storage: Storage, names: list[str], connection: BaseDatabaseWrapper) -> None:
        self._state = {"committed": False}
        finalizer = weakref.finalize(
            self, _remove_uncommitted, storage, tuple(names), connection, self._state
        )
        # At interpreter exit the transaction's fate is unknown: keep the files (orphans at worst). The
        # ignore: typeshed declares finalize with empty __slots__, but ``atexit`` is a documented property.
        finalizer.atexit = False  # type: ignore[misc]

    def mark_committed(self) -> None:
        self._state["committed"] = True


def _remove_uncommitted(
    storage: Storage, names: tuple[str, ...], connection: Any, state: dict[str, bool]
) -> None:
    if state["committed"] or connection.run_commit_hooks_on_set_autocommit_on:
        return
    _remove(storage, names)
