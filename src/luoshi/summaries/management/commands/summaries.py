"""``luoshi summaries``: compare the cockpit's summary tables with a recomputation, or rebuild them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from luoshi.summaries import triggers


class Command(BaseCommand):
    help = (
        "Check the summary tables the cockpit reads against a recomputation from the tasks and reports "
        "(exit 1 on any difference), or rebuild them and put their triggers back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--check", action="store_true", help="Compare only (the default).")
        action.add_argument("--rebuild", action="store_true", help="Reinstall the triggers and recompute.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rebuild"]:
            triggers.install()
            triggers.rebuild()
            self.stdout.write("summary tables rebuilt")
            return
        differences = triggers.differences()
        for table, count in differences.items():
            self.stdout.write(f"{table}: {count} rows differ")
        if any(differences.values()):
            raise CommandError(
                "the summary tables differ from a recomputation; run `luoshi summaries --rebuild`"
            )
        self.stdout.write("the summary tables match the tasks and reports")
