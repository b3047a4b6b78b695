"""``luoshi evidence orphans [--delete] [--min-age MINUTES]`` and ``luoshi evidence verify [--checksums]``.

``orphans`` lists files in the evidence store that no row points at: left by a crash between writing a
file and committing its row, or half-written when the process died. They are unreachable and harmless;
``--delete`` removes them. Files younger than ``--min-age`` are left alone, because their transaction may
still be running.

``verify`` checks the other direction, which must never fail: every row has its file, of the recorded
size (and, with ``--checksums``, the recorded SHA-256). Exit status 1 names every row that does not.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, NoReturn

from django.core.files.storage import Storage
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import evidence_storage

DEFAULT_MIN_AGE_MINUTES = 24 * 60


def walk(storage: Storage, directory: str = "") -> Iterator[tuple[str, list[str]]]:
    """Every directory of the store with the names of the files in it (paths relative to the store)."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    prefix = f"{directory}/" if directory else ""
    yield directory, [prefix + name for name in files]
    for child in sorted(directories):
        yield from walk(storage, prefix + child)


class Command(BaseCommand):
    """Find files without rows (orphans) or rows without their files in the evidence store."""

    help = "Find files without rows (orphans), or rows without their files, in the evidence store."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{orphans,verify}")
        orphans = subcommands.add_parser(
            "orphans",
            help=_("List (or delete) stored files that no evidence row points at."),
            description=_(
                "List the files in the evidence store that no evidence row points at. They are left by a "
                "crash during an upload, cannot be downloaded, and may be deleted."
            ),
        )
        orphans.add_argument("--delete", action="store_true", help=_("Delete the files listed."))
        orphans.add_argument(
            "--min-age",
            type=int,
            default=DEFAULT_MIN_AGE_MINUTES,
            metavar="MINUTES",
            help=_(
                "Only files older than this many minutes (default: one day), since a younger file may "
                "belong to an upload still in progress."
            ),
        )
        verify = subcommands.add_parser(
            "verify",
            help=_("Check that every evidence row has its file; exit 1 naming those that do not."),
        )
        verify.add_argument(
            "--checksums",
            action="store_true",
            help=_("Also recompute every file's SHA-256 (reads them all)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "orphans":
            self._orphans(delete=options["delete"], min_age=timedelta(minutes=max(0, options["min_age"])))
        else:
            self._verify(checksums=options["checksums"])

    def _orphans(self, *, delete: bool, min_age: timedelta) -> None:
        storage = evidence_storage()
        cutoff = timezone.now() - min_age
        found = skipped = 0
        for _directory, names in walk(storage):
            if not names:
                continue
            # One query per directory: a directory holds a small slice of the store (two hex levels).
            known = set(
                EvidenceFile.objects.filter(stored_name__in=names).values_list("stored_name", flat=True)
            )
            for name in sorted(set(names) - known):
                if min_age and storage.get_modified_time(name) > cutoff:
                    skipped += 1
                    continue
                found += 1
                if delete:
                    storage.delete(name)
                    self.stdout.write(_("deleted %(name)s") % {"name": name})
                else:
                    self.stdout.write(name)
        if skipped:
            self.stderr.write(
                ngettext(
                    "%(count)d newer file without a row was left alone (see --min-age).",
                    "%(count)d newer files without a row were left alone (see --min-age).",
                    skipped,
                )
                % {"count": skipped}
            )
        summary = (
            ngettext("Deleted %(count)d orphan file.", "Deleted %(count)d orphan files.", found)
            if delete
            else ngettext("Found %(count)d orphan file.", "Found %(count)d orphan files.", found)
        )
        self.stderr.write(summary % {"count": found})

    def _verify(self, *, checksums: bool) -> None:
        storage = evidence_storage()
        problems = 0
        rows = EvidenceFile.objects.order_by("pk").values_list("pk", "stored_name", "size", "sha256")
        for pk, name, size, sha256 in rows.iterator(chunk_size=2000):
            problem = self._problem(storage, name, size, sha256 if checksums else None)
            if problem:
                problems += 1
                self.stdout.write(f"{pk} {name}: {problem}")
        if problems:
            self._fail(
                ngettext(
                    "%(count)d evidence row does not match its file.",
                    "%(count)d evidence rows do not match their files.",
                    problems,
                )
                % {"count": problems}
            )
        self.stdout.write(self.style.SUCCESS(_("Every evidence row has its file.")))

    @staticmethod
    def _problem(storage: Storage, name: str, size: int, sha256: str | None) -> str:
        if not storage.exists(name):
            return _("the file is missing")
        if storage.size(name) != size:
            return _("the file has another size than recorded")
        if sha256 is not None:
            digest = hashlib.sha256()
            with storage.open(name, "rb") as handle:
                for chunk in handle.chunks():
                    digest.update(chunk)
            if digest.hexdigest() != sha256:
                return _("the file's SHA-256 differs from the recorded one")
        return ""

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(self.style.ERROR(message))
        sys.exit(1)
