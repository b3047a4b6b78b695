"""``luoshi restore SRC``: a backup onto an empty installation, checked file by file and event by event."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from luoshi.audit.checkpoints import CheckpointError
from luoshi.ops.archive import BackupError
from luoshi.ops.restore import restore


class Command(BaseCommand):
    """Restore a backup made by ``luoshi backup`` onto an empty installation, then verify it."""

    help = (
        "Restore a backup made by `luoshi backup` onto this installation, which must be empty (no tables in "
        "the database, no uploaded files). Then check every file's checksum and the audit chain against the "
        "checkpoint in the backup; exit status 1 on any difference."
    )

    # The target is an empty database on purpose; system checks that read tables would fail on it
    # before the restore could fill it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, metavar="SRC", help=_("The backup directory or archive."))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore(options["source"], progress=self.stdout.write)
        except (BackupError, CheckpointError) as exc:
            self.stderr.write(str(exc.message))
            sys.exit(1)
        manifest = result.manifest
        for note in result.notes:
            self.stdout.write(note)
        summary = _(
            "Restored the backup of %(date)s: %(files)d files, %(events)d audit events at the checkpoint."
        ) % {
            "date": manifest.get("created_at"),
            "files": len(manifest["files"]),
            "events": manifest["audit_checkpoint"]["count"],
        }
        if result.ok:
            self.stdout.write(self.style.SUCCESS(summary + " " + _("Everything matches.")))
            return
        self.stderr.write(summary)
        self.stderr.write(_("The restored data does not match the backup:"))
        for problem in result.problems:
            self.stderr.write(f"- {problem}")
        sys.exit(1)
