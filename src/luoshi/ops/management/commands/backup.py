"""``luoshi backup DEST``: a consistent copy of the database, the uploaded files and an audit checkpoint."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from luoshi.audit.checkpoints import CheckpointError
from luoshi.ops.archive import BackupError
from luoshi.ops.backup import backup


class Command(BaseCommand):
    """Write a backup to a new directory or tar archive (see docs/operations.md)."""

    help = (
        "Back up the database, the uploaded files and a signed audit checkpoint, all taken at one moment, "
        "to DEST: a new directory, or a .tar / .tar.gz file. Restore it with `luoshi restore`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "dest", type=Path, metavar="DEST", help=_("A new directory, or a file ending .tar or .tar.gz.")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup(options["dest"], progress=self.stdout.write)
        except (BackupError, CheckpointError) as exc:
            # The message alone on standard error and exit status 1, as `luoshi audit` does.
            self.stderr.write(str(exc.message))
            sys.exit(1)
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backup written to %(path)s: %(vendor)s database, %(files)d files (%(bytes)d bytes), "
                    "audit trail of %(events)d events checkpointed."
                )
                % {
                    "path": result.path,
                    "vendor": manifest["database"]["vendor"],
                    "files": manifest["file_count"],
                    "bytes": manifest["file_bytes"],
                    "events": manifest["audit_checkpoint"]["count"],
                }
            )
        )
