"""The ledger (台账): every task the user may see, filtered, sorted, paged, and exported to Excel."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from luoshi.config.routers import use_replica_reads
from luoshi.core import workdays
from luoshi.directives.models import FocusArea
from luoshi.directives.selectors import visible_directives
from luoshi.tasks import importer
from luoshi.web import exports, selectors, tasklists
from luoshi.web.shortcuts import render_list
from luoshi.web.tasklist_forms import LedgerFilterForm


def _filters(request: HttpRequest) -> tuple[LedgerFilterForm, tasklists.LedgerFilters]:
    user = request.user
    form = LedgerFilterForm(
        request.GET,
        organizations=selectors.visible_organizations(user),
        directives=list(visible_directives(user).order_by("-issued_on", "-pk")),
        focus_areas=list(FocusArea.objects.filter(is_active=True)),
    )
    form.is_valid()
    # A malformed field is reported on the form; the other fields still filter.
    chosen = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    return form, tasklists.LedgerFilters(**chosen)


# Sortable columns: (sort key, header); the first click sorts the way a reader wants first.
SORTABLE = (
    ("due", _("Due")),
    ("light", _("Light")),
    ("progress", _("Progress")),
    ("updated", _("Updated")),
)
DESCENDING_FIRST = {"updated"}


def sort_links(base: str, current: str) -> dict[str, dict[str, Any]]:
    """For each sortable column: its link (turning the order when it is the current one) and aria-sort."""
    links = {}
    for key, label in SORTABLE:
        active = current.lstrip("-") == key
        descending = current.startswith("-")
        if active:
            target = key if descending else "-" + key
        else:
            target = "-" + key if key in DESCENDING_FIRST else key
        query = f"{base}&sort={target}" if base else f"sort={target}"
        links[key] = {
            "label": label,
            "query": query,
            "aria_sort": ("descending" if descending else "ascending") if active else "",
        }
    return links


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@require_safe
def ledger(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    tasks = tasklists.ledger_tasks(user=request.user, filters=filters).prefetch_related("milestones")
    page = Paginator(tasks, settings.LUOSHI_PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "sort": filters.sort,
        "sorts": sort_links(_query_without(request, "page", "sort"), filters.sort),
        "filters": _query_without(request, "page"),
        "export_query": _query_without(request, "page"),
        "today": workdays.today(),
    }
    return render_list(request, "web/ledger/ledger.html", "web/ledger/_results.html", context)


@require_safe
@use_replica_reads
def ledger_export(request: HttpRequest) -> FileResponse:
    """The filtered rows as an .xlsx workbook, written row by row (openpyxl's write-only mode)."""
    _form, filters = _filters(request)
    tasks = tasklists.with_export_facts(tasklists.ledger_tasks(user=request.user, filters=filters))
    today = workdays.today()
    # ?layout=tasklist: the columns governments circulate, which the task list import reads back.
    tasklist = request.GET.get("layout") == "tasklist"
    workbook = importer.tasklist_workbook(tasks) if tasklist else exports.ledger_workbook(tasks)
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=f"luoshi-{'tasklist' if tasklist else 'ledger'}-{today.isoformat()}.xlsx",
        content_type=exports.XLSX,
    )
