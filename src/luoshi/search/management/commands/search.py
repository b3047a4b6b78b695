"""``luoshi search reindex [--batch N]``: rebuild the search index from the records.

Safe to run at any time and as often as wanted (the result is the same index); run it after restoring a
backup, after a migration that rebuilt the search table on SQLite, or after changing the user dictionary.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from luoshi.search import fulltext, services


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

    def handle(self, *args: Any, subcommand: str, batch: int, **options: Any) -> None:
        if batch < 1:
            raise CommandError(_("--batch must be at least 1."))
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

        counts = services.reindex_all(batch=batch, progress=progress)
        summary = ", ".join(f"{kind} {count}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(_("Search index rebuilt: %(summary)s.") % {"summary": summary}))
