"""``luoshi evaluate``: compute and store a period's evaluation table from the record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from luoshi.core.errors import LuoshiError
from luoshi.evaluation import services
from luoshi.evaluation.periods import Period


class Command(BaseCommand):
    help = (
        "Score every unit and person for a period with the active scheme and store the table (again: "
        "recomputing replaces it and says whether it changed). Example: luoshi evaluate --period 2022-Q3"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="2022-W39, 2022-09, 2022-Q3 or 2022.")

    def handle(self, *args: Any, period: str, **options: Any) -> None:
        try:
            evaluation = services.evaluation_run(actor=None, period=Period.parse(period, field="--period"))
        except LuoshiError as exc:
            detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {detail}".strip()) from exc
        self.stdout.write(
            f"{evaluation.period_key}: {evaluation.scores.count()} scores, {evaluation.flags.count()} flags, "
            f"digest {evaluation.digest[:12]}"
        )
