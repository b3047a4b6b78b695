"""Excel exports of task lists, laid out as governments write their ledgers (DESIGN §9).

The workbook is written in openpyxl's write-only mode, row by row from a database iterator, into a
temporary file that the response then streams: memory stays flat however many rows there are.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from luoshi.tasks.models import Light, Task, TaskStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows fetched from the database at a time (cooperating units are prefetched per chunk).
CHUNK = 2000


def light_label(light: str, closed_late: bool) -> str:
    """The word for a light, as the badge says it (a colour alone means nothing in a spreadsheet)."""
    if light == Light.CLOSED:
        return pgettext("light", "Closed late") if closed_late else pgettext("light", "Closed")
    labels: dict[str, Any] = {
        Light.RED: _("Red light"),
        Light.YELLOW: _("Yellow light"),
        Light.BLUE: _("Blue light"),
        Light.GREEN: _("Green light"),
    }
    return str(labels.get(light, _("No light")))


def ledger_columns() -> list[tuple[str, float]]:
    """Headers in the reader's language, with column widths in characters. In Chinese they read
    序号 | 任务内容 | 牵头单位 | 配合单位 | 责任领导 | 经办人 | 完成时限 | 状态 | 亮灯 | 进度 | 最新进展."""
    return [
        (_("No."), 6),
        (_("Task"), 48),
        (_("Lead unit"), 20),
        (_("Cooperating units"), 26),
        (_("Responsible leader"), 12),
        (_("Handler"), 12),
        (_("Deadline"), 12),
        (_("Status"), 12),
        (_("Light"), 10),
        (_("Progress"), 9),
        (_("Latest progress"), 50),
    ]


def ledger_workbook(tasks: Iterable[Task]) -> IO[bytes]:
    """The rows of ``tasks`` (with ``tasklists.with_export_facts``) as an .xlsx file, ready to read."""
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(_("Ledger"))
    columns = ledger_columns()
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EFF6")
    header = []
    for title, _width in columns:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(vertical="top", wrap_text=True)
    top = Alignment(vertical="top")

    def data(value: Any, number_format: str = "") -> Any:
        written = WriteOnlyCell(sheet, value=value)
        written.alignment = wrap if isinstance(value, str) else top
        if number_format:
            written.number_format = number_format
        return written

    rows = tasks.iterator(chunk_size=CHUNK) if isinstance(tasks, QuerySet) else tasks
    for number, task in enumerate(rows, start=1):
        sheet.append(
            [
                data(number),
                data(task.title),
                data(task.lead_org.name),
                data("、".join(o.name for o in task.cooperating_orgs.all())),
                data(str(task.responsible_leader) if task.responsible_leader else ""),
                data(str(task.handler) if task.handler else ""),
                data(task.due_on, "yyyy-mm-dd"),
                data(str(TaskStatus(task.status).label)),
                data(light_label(task.light, task.closed_late)),
                data(task.progress / 100, "0%"),
                data(getattr(task, "latest_narrative", None) or ""),
            ]
        )
    # Not a context manager: the open file is handed to the response, which closes it when streamed.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output
