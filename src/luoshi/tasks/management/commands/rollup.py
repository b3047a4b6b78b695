"""``luoshi rollup``: verify or repair the stored progress and lights of every task."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from luoshi.tasks import rollup

# Differences printed one per line before the rest are only counted (a broken million-task tree would
# otherwise flood the terminal).
SHOWN = 200


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--today takes a date like 2022-09-30, not {text!r}") from exc


class Command(BaseCommand):
    help = (
        "Recompute the progress and lights of every task from the leaves. --check reports every stored "
        "value that differs (and exits with status 1 if any does); --repair rewrites them with set-based "
        "SQL, level by level. --today DATE also recomputes the date-dependent lights as of DATE (the daily "
        "sweep)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--check", action="store_true", help="Report differences; change nothing.")
        mode.add_argument("--repair", action="store_true", help="Rewrite every stored roll-up.")
        parser.add_argument("--today", type=_date, help="Recompute date-dependent lights as of this date.")

    def handle(self, *args: Any, check: bool, repair: bool, today: date | None, **options: Any) -> None:
        found = self._report(today)
        if check:
            if found:
                raise CommandError(f"{found} stored value(s) differ from the recomputation.")
            self.stdout.write(self.style.SUCCESS("Roll-up check: no differences."))
            return
        rollup.repair(today=today)
        left = sum(1 for _ in rollup.check())
        if left:
            raise CommandError(f"{left} value(s) still differ after the repair.")
        self.stdout.write(
            self.style.SUCCESS(f"Roll-up repaired: {found} value(s) fixed; no differences left.")
        )

    def _report(self, today: date | None) -> int:
        found = 0
        for difference in rollup.check(today=today):
            found += 1
            if found <= SHOWN:
                self.stdout.write(str(difference))
        if found > SHOWN:
            self.stdout.write(f"… and {found - SHOWN} more.")
        return found
