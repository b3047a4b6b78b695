"""The rectification list (整改台账) of an inspection directive: each problem with its source, deadline type,
measures, tasks (lead and cooperating units, light), closing-criteria status and state; exportable to
.xlsx; the issuer edits a problem's rectification details here."""

from __future__ import annotations

import tempfile
from typing import IO, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from luoshi import access
from luoshi.config.routers import use_replica_reads
from luoshi.core.errors import LuoshiError, NotFound
from luoshi.directives import rectification
from luoshi.directives.models import Clause, ClauseKind, DeadlineType, Directive, ProblemSource
from luoshi.tasks.models import ClosingCriterion, TaskStatus
from luoshi.web.exports import XLSX, light_label
from luoshi.web.forms import EMPTY_CHOICE_LABEL, apply_errors
from luoshi.web.views.task_forms import DateInput


class ProblemForm(forms.Form):
    problem_source = forms.ChoiceField(
        label=gettext_lazy("Problem source"), choices=[("", EMPTY_CHOICE_LABEL), *ProblemSource.choices]
    )
    deadline_type = forms.ChoiceField(
        label=gettext_lazy("Deadline type"), choices=[("", EMPTY_CHOICE_LABEL), *DeadlineType.choices]
    )
    fix_by = forms.DateField(
        label=gettext_lazy("Fix by"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("Needed when the problem is to be fixed by a date."),
    )
    measures = forms.CharField(
        label=gettext_lazy("Rectification measures"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One measure per line."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


def _directive_or_404(request: HttpRequest, pk: int) -> Directive:
    try:
        return rectification.inspection_directive(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


def _context(request: HttpRequest, directive: Directive) -> dict[str, Any]:
    rows = rectification.rectification_list(user=request.user, directive=directive)
    may_edit = access.can(request.user, "change", directive)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return {
        "directive": directive,
        "rows": rows,
        "may_edit": may_edit,
        "criteria_total": len(ClosingCriterion),
        "counts": [(rectification.state_label(k), v) for k, v in sorted(counts.items())],
    }


@require_safe
def rectification_list(request: HttpRequest, pk: int) -> HttpResponse:
    directive = _directive_or_404(request, pk)
    return render(request, "closure/rectification.html", _context(request, directive))


@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    directive = _directive_or_404(request, pk)
    clause = Clause.objects.filter(directive=directive, kind=ClauseKind.PROBLEM, pk=cid).first()
    if clause is None:
        raise Http404
    if not access.can(request.user, "change", clause):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = ProblemForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                rectification.problem_update(
                    actor=request.user,  # type: ignore[arg-type]
                    clause=clause,
                    version=data["version"],
                    problem_source=data["problem_source"],
                    deadline_type=data["deadline_type"],
                    fix_by=data["fix_by"],
                    measures=data["measures"],
                )
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The rectification details are saved."))
                return redirect(
                    reverse("web:rectification_list", args=[directive.pk]) + f"#problem-{clause.pk}"
                )
        else:
            status = 422
    else:
        form = ProblemForm(
            initial={
                "problem_source": clause.problem_source,
                "deadline_type": clause.deadline_type,
                "fix_by": clause.fix_by,
                "measures": clause.measures,
                "version": clause.version,
            }
        )
    return render(
        request,
        "closure/problem_edit.html",
        {"directive": directive, "clause": clause, "form": form},
        status=status,
    )


@require_safe
@use_replica_reads
def rectification_export(request: HttpRequest, pk: int) -> FileResponse:
    directive = _directive_or_404(request, pk)
    rows = rectification.rectification_list(user=request.user, directive=directive)
    response = FileResponse(
        rectification_workbook(rows),
        as_attachment=True,
        filename=f"{directive.title[:60]}-整改台账.xlsx",
        content_type=XLSX,
    )
    return response


def rectification_columns() -> list[tuple[str, float]]:
    """Headers in the reader's language with widths; in Chinese 序号 | 问题 | 问题来源 | 整改时限 |
    整改措施 | 牵头单位 | 配合单位 | 整改状态 | 销号标准 | 亮灯."""
    return [
        (_("No."), 6),
        (_("Problem"), 44),
        (_("Problem source"), 12),
        (_("Deadline type"), 14),
        (_("Rectification measures"), 44),
        (_("Lead unit"), 20),
        (_("Cooperating units"), 24),
        (_("State"), 12),
        (_("Closing criteria met"), 12),
        (_("Light"), 10),
    ]


def rectification_workbook(rows: list[rectification.ProblemRow]) -> IO[bytes]:
    """One line per problem (its tasks' units and lights joined), as inspection offices keep the ledger."""
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(_("Rectification list"))
    columns = rectification_columns()
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for title, _width in columns:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EFF6")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        header.append(cell)
    sheet.append(header)
    wrap = Alignment(vertical="top", wrap_text=True)

    def data(value: Any) -> Any:
        written = WriteOnlyCell(sheet, value=value)
        written.alignment = wrap
        return written

    total = len(ClosingCriterion)
    for row in rows:
        clause = row.clause
        deadline = clause.get_deadline_type_display() if clause.deadline_type else ""
        if clause.fix_by:
            deadline = f"{deadline} {clause.fix_by.isoformat()}"
        live = [t for t in row.tasks if t.status != TaskStatus.CANCELLED]
        sheet.append(
            [
                data(clause.ordinal),
                data(clause.text),
                data(clause.get_problem_source_display() if clause.problem_source else ""),
                data(deadline),
                data("\n".join(f"{i}. {m}" for i, m in enumerate(clause.measure_list(), start=1))),
                data("\n".join(t.lead_org.name for t in live)),
                data("\n".join("、".join(o.name for o in t.cooperating_orgs.all()) for t in live)),
                data(rectification.state_label(row.state)),
                data("\n".join(f"{row.criteria_met.get(t.pk, 0)}/{total}" for t in live)),
                data("\n".join(light_label(t.light, t.closed_late) for t in live)),
            ]
        )
    # Not a context manager: the open file is handed to the response, which closes it when streamed.
    output = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return output
