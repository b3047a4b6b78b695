"""``luoshi import tasks FILE --directive ID --as USERNAME [--dry-run] [--map TEXT=ID …]``.

Reads a task list workbook (see ``luoshi.tasks.importer``) and creates its tasks under the directive,
all or nothing, as the person named by ``--as`` (whose rights apply). Every problem is printed with its
row and column and the exit status is 1; ``--dry-run`` only checks and prints the preview. An unknown
unit is printed with suggestions; ``--map "铁西区政府=12"`` confirms one.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from luoshi.core.errors import LuoshiError
from luoshi.directives.models import Directive
from luoshi.organizations.models import Organization, User
from luoshi.tasks.deadlines import Deadline, describe
from luoshi.tasks.importer import ImportReport, task_import


def _mapping(values: list[str]) -> dict[str, int]:
    aliases = {}
    for value in values:
        text, sep, unit_id = value.rpartition("=")
        if not sep or not text.strip() or not unit_id.strip().isdigit():
            raise CommandError(
                _('--map takes TEXT=UNIT_ID, e.g. --map "铁西区政府=12"; got %(value)r.') % {"value": value}
            )
        aliases[text.strip()] = int(unit_id)
    return aliases


class Command(BaseCommand):
    """Import rows from an Excel workbook."""

    help = "Import a task list from an Excel workbook (.xlsx), all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="{tasks}")
        tasks = kinds.add_parser(
            "tasks",
            help=_(
                "Import a task list (序号 | 任务内容 | 牵头单位 | 责任单位 | 责任领导 | 完成时限 …) "
                "under a directive."
            ),
        )
        tasks.add_argument("file", help=_("The .xlsx workbook."))
        tasks.add_argument(
            "--directive", type=int, required=True, metavar="ID", help=_("The directive's id.")
        )
        tasks.add_argument(
            "--as", dest="username", required=True, metavar="USERNAME", help=_("Import as this person.")
        )
        tasks.add_argument(
            "--assigning-org",
            type=int,
            metavar="ID",
            help=_("The unit that assigns the tasks (default: the directive's issuing unit)."),
        )
        tasks.add_argument(
            "--dry-run", action="store_true", help=_("Only check the file and print the preview.")
        )
        tasks.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="TEXT=ID",
            help=_("Read a unit name written in the file as the unit with this id (repeatable)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            actor = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(
                _("No active person has the user name %(name)r.") % {"name": options["username"]}
            ) from None
        try:
            directive = Directive.objects.select_related("issuing_org").get(pk=options["directive"])
        except Directive.DoesNotExist:
            raise CommandError(_("There is no directive %(id)s.") % {"id": options["directive"]}) from None
        assigning_org = None
        if options["assigning_org"]:
            assigning_org = Organization.objects.filter(pk=options["assigning_org"]).first()
            if assigning_org is None:
                raise CommandError(_("There is no unit %(id)s.") % {"id": options["assigning_org"]})
        try:
            report = task_import(
                actor=actor,
                directive=directive,
                file=options["file"],
                dry_run=options["dry_run"],
                assigning_org=assigning_org,
                unit_aliases=_mapping(options["map"]),
            )
        except FileNotFoundError:
            raise CommandError(_("There is no file %(path)s.") % {"path": options["file"]}) from None
        except LuoshiError as exc:
            raise CommandError(str(exc.message)) from exc
        self._print(report)
        if not report.ok:
            sys.exit(1)

    def _print(self, report: ImportReport) -> None:
        for row in report.rows:
            deadline = describe(Deadline(due_on=row.due_on, cadence=row.cadence or None, ongoing=row.ongoing))
            units = "、".join([row.lead, *row.cooperating])
            self.stdout.write(f"{row.row:>5}  {row.title[:40]}  [{units}]  {row.deadline_text} → {deadline}")
        for suggestion in report.suggestions:
            candidates = ", ".join(
                f'{name} (--map "{suggestion.text}={pk}")' for pk, name in suggestion.candidates
            )
            self.stdout.write(
                _("Unknown unit “%(text)s”; did you mean: %(candidates)s")
                % {"text": suggestion.text, "candidates": candidates or "—"}
            )
        for error in report.errors:
            self.stderr.write(error.message)
        if not report.ok:
            self.stderr.write(_("Nothing was imported: %(count)d problems.") % {"count": len(report.errors)})
        elif report.dry_run:
            self.stdout.write(
                _("The file is correct: %(count)d tasks would be created.") % {"count": len(report.rows)}
            )
        else:
            self.stdout.write(_("Imported %(count)d tasks.") % {"count": report.created})
