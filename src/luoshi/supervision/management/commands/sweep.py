"""``luoshi sweep``: run the daily supervision sweep now (idempotent), and say what it did."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from luoshi.core import workdays
from luoshi.supervision import services
from luoshi.supervision.models import UrgingLevel


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--today takes a date like 2022-09-30, not {text!r}") from exc


class Command(BaseCommand):
    help = (
        "Run the supervision sweep: recompute the lights, announce tasks entering blue, yellow or red, "
        "climb the escalation ladder, and remind of reports due and missing, late acknowledgements, "
        "waiting reviews, unanswered urgings, ended public notices and look-backs due. Running it twice on "
        "one day does nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=_date, help="Sweep as of this date (default: today, or LUOSHI_TODAY when set)."
        )

    def handle(self, *args: Any, today: date | None, **options: Any) -> None:
        day = today or workdays.today()
        result = services.sweep(today=day)
        lines = [
            ("urgings closed with their tasks", result.urgings_closed_with_task),
            ("urgings unanswered past their date (issuers told)", result.urgings_unanswered),
            ("tasks whose count of unanswered urgings changed", result.tasks_with_unanswered_urgings),
            ("public notices ended and closed", result.notices_concluded),
            ("tasks announced entering blue, yellow or red", result.lights_announced),
            *(
                (f"urgings issued: {UrgingLevel(level).label}", count)
                for level, count in result.urgings_issued.items()
            ),
            ("reports coming due announced", result.reports_due),
            ("reports missing announced", result.reports_missing),
            ("acknowledgements late announced", result.acknowledgements_late),
            ("reviews waiting too long announced", result.reviews_waiting),
        ]
        self.stdout.write(f"Sweep of {day.isoformat()}:")
        for label, count in lines:
            self.stdout.write(f"  {label}: {count}")
        if result.lookbacks_due is None:
            self.stdout.write("  look-backs due: (look-backs are not installed)")
        else:
            self.stdout.write(f"  look-backs due: {result.lookbacks_due}")
        for failure in result.notices_failed:
            self.stdout.write(self.style.WARNING(f"  public notice not closed: task {failure}"))
        if result.total:
            self.stdout.write(self.style.SUCCESS(f"Done: {result.total} act(s)."))
        else:
            self.stdout.write(self.style.SUCCESS("Done: nothing new."))
