"""``luoshi bulletin``: generate a unit's supervision bulletin for a period and write it to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from luoshi.core.errors import LuoshiError
from luoshi.evaluation.periods import Period
from luoshi.organizations.models import Organization
from luoshi.reports import documents, services
from luoshi.reports.views import filename


class Command(BaseCommand):
    help = (
        "Generate the supervision bulletin of a unit (and the units below it) for a period from the record, "
        "keep it as a new version, and write it as .docx (official document layout), .xlsx or .pdf. "
        "Example: luoshi bulletin --period 2022-Q3 --org 1 --format docx"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="2022-W39, 2022-09, 2022-Q3 or 2022.")
        parser.add_argument("--org", required=True, type=int, help="The id of the unit the bulletin covers.")
        parser.add_argument(
            "--format", default="docx", choices=sorted(documents.RENDERERS), dest="file_format"
        )
        parser.add_argument(
            "--output", help="The file to write (default: a name like bulletin-1-2022-Q3-v1.docx)."
        )
        parser.add_argument("--demands", default="", help="Further demands, one per line.")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="zh-hans (default) or en.")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(pk=options["org"]).first()
        if org is None:
            raise CommandError(f"--org: there is no unit with id {options['org']}.")
        try:
            with translation.override(options["language"]):
                period = Period.parse(options["period"], field="--period")
                bulletin = services.bulletin_generate(
                    actor=None,
                    org=org,
                    period=period,
                    demands=options["demands"],
                    language=options["language"],
                )
                data = documents.render(bulletin, options["file_format"])
        except LuoshiError as exc:
            detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {detail}".strip()) from exc
        target = Path(options["output"] or filename(bulletin, options["file_format"]))
        target.write_bytes(data)
        t = bulletin.content["totals"]
        self.stdout.write(
            f"{target} — {bulletin.title} (v{bulletin.number}): {t['items']} items, {t['closed']} closed, "
            f"{t['closed_rate']} %"
        )
