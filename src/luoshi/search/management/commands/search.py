"""``luoshi search reindex [--batch N | --bulk [--workers N]]``: rebuild the search index from the records.

Safe to run at any time and as often as wanted (the result is the same index); run it after restoring a
backup, after a migration that rebuilt the search table on SQLite, or after changing the user dictionary.
``--bulk`` rebuilds it many times faster (``luoshi.search.bulk``), but searches wait until it is done:
for a restore or a maintenance window, not a busy day.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from luoshi.search import bulk, fulltext, services


class Command(BaseCommand):
    help = "Rebuild the search index of tasks, progress reports, clauses and directives."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, metavar="{reindex}")
        reindex = subcommands.add_parser(
            "reindex",
            help=_("Index every task, report, clause and directive again; idempotent."),
            description=_(
                "Index every task, progress report, clause and directive again, remove the entries of "
                "records that no longer exist, and restore missing full-text structures. Each batch is "
                "one transaction, so the site stays usable while it runs."
            ),
        )
        reindex.add_argument(
            "--batch",
            type=int,
            default=services.DEFAULT_BATCH,
            metavar="N",
            help=_("Records per transaction (default %(default)s)."),
        )
        reindex.add_argument(
            "--bulk",
            action="store_true",
            dest="in_bulk",
            help=_(
                "Replace the whole index in one transaction, with worker processes and the indexes built "
                "once: much faster, but searches wait until it is done."
            ),
        )
        reindex.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help=_("With --bulk: processes computing index terms (default: one per core)."),
        )

    def handle(
        self, *args: Any, subcommand: str, batch: int, in_bulk: bool, workers: int | None, **options: Any
    ) -> None:
        if batch < 1:
            raise CommandError(_("--batch must be at least 1."))
        if workers is not None and (workers < 0 or not in_bulk):
            raise CommandError(_("--workers takes a number of at least 0, with --bulk."))
        restored = fulltext.missing()
        if restored:
            self.stderr.write(
                self.style.WARNING(
                    _("Restoring missing full-text structures: %(names)s.")
                    % {"names": ", ".join(sorted(restored))}
                )
            )
        verbose = options["verbosity"] > 1

        def progress(kind: str, done: int) -> None:
            if verbose:
                self.stdout.write(_("%(kind)s: %(count)s indexed") % {"kind": kind, "count": done})

        if in_bulk:
            counts = bulk.rebuild(workers=workers, progress=progress)
        else:
            counts = services.reindex_all(batch=batch, progress=progress)
        summary = ", ".join(f"{kind} {count}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(_("Search index rebuilt: %(summary)s.") % {"summary": summary}))
