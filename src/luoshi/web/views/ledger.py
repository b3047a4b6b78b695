"""The ledger (台账): every task the user may see, filtered, sorted, paged, and exported to Excel."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any, cast

from django.conf import settings
from django.db.models import F, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from luoshi.config.routers import use_replica_reads
from luoshi.core import workdays
from luoshi.core.errors import ValidationFailed
from luoshi.directives.models import FocusArea
from luoshi.directives.selectors import visible_directives
from luoshi.tasks import importer
from luoshi.tasks import selectors as task_selectors
from luoshi.tasks.models import Task, TaskQuerySet, TaskStatus
from luoshi.web import exports, selectors, tasklists
from luoshi.web.shortcuts import render_list
from luoshi.web.tasklist_forms import LedgerFilterForm
from luoshi.web.templatetags import luoshi_tasks as task_tags


def _filters(request: HttpRequest) -> tuple[LedgerFilterForm, tasklists.LedgerFilters]:
    user = request.user
    form = LedgerFilterForm(
        request.GET,
        organizations=selectors.visible_organizations(user),
        # A choice shows the directive's title and number (``Directive.__str__``); its full text and
        # issuing unit are not read.
        directives=list(
            visible_directives(user)
            .select_related(None)
            .only("title", "doc_number")
            .order_by("-issued_on", "-pk")
        ),
        focus_areas=list(FocusArea.objects.filter(is_active=True)),
    )
    form.is_valid()
    # A malformed field is reported on the form; the other fields still filter.
    chosen = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    return form, tasklists.LedgerFilters(**chosen)


# What a ledger row shows of its lead unit, parent and directive (``LedgerRow``).
ROW_NAMES = {
    "lead_org_name": F("lead_org__name"),
    "lead_org_short_name": F("lead_org__short_name"),
    "parent_title": F("parent__title"),
    "directive_title": F("directive__title"),
    "directive_doc_number": F("directive__doc_number"),
}

# What a ledger row reads of its task (the template, its tags and ``LedgerRow``) and what a page's cursor
# reads of its last row (the sort keys ``tasklists.SORTS``): a task has fifty columns.
ROW_FIELDS = (
    "title",
    "status",
    "light",
    "closed_late",
    "light_overridden",
    "progress",
    "start_on",
    "due_on",
    "updated_at",
    "parent",
    "path",
)

# Sortable columns: (sort key, header); the first click sorts the way a reader wants first.
SORTABLE = (
    ("due", _("Due")),
    ("light", _("Light")),
    ("progress", _("Progress")),
    ("updated", _("Updated")),
)
DESCENDING_FIRST = {"updated"}
# As the API bounds it: far beyond any ledger, and page × size stays a valid SQL offset.
MAX_PAGE = 1_000_000


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


def _page_number(raw: str | None) -> int:
    """The ``page`` asked for; what is not a page number means the first, as it always has."""
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


@dataclass(frozen=True)
class LedgerRow:
    """A task as its ledger row shows it. What the template would otherwise work out on every row (the
    link, the state's label, where the task comes from, the update time in the current time zone, the
    deadline, badge and progress bar) is worked out here, once per page where it can be; the rest is read
    from ``task``."""

    task: Task
    number: int
    url: str
    status: str
    lead_unit: str
    # As the ``date:'c'`` and ``date:"Y-m-d"`` filters write the update time.
    updated_at: str
    updated_on: str
    # The deadline, light badge and progress bar, drawn by the task list tags (``luoshi_tasks``).
    deadline: SafeString
    badge: SafeString
    progress: SafeString
    # What the row says the task comes from: its parent, else its directive (escaped HTML; None for
    # neither).
    source: SafeString | None


# An id no task has, reversed in its place to learn what surrounds an id in a task's link.
_ID_MARK = 9_876_543_210


def ledger_rows(tasks: list[Task], first_row: int) -> list[LedgerRow]:
    """The rows of a page whose first task is number ``first_row``; the tasks carry ``ROW_NAMES``. Their
    milestones are read in one query (a prefetch built a manager's query for every task)."""
    labels = {value: str(label) for value, label in TaskStatus.choices}
    plans = task_selectors.milestone_plans([task.pk for task in tasks])
    # What the tags look up on every call (the language, today, the light settings), read once.
    cells = task_tags.RowCells()
    zone = timezone.get_current_timezone()
    # The message of ``{% blocktranslate %}Subtask of {{ parent }}{% endblocktranslate %}``, translated once.
    subtask_of = gettext("Subtask of %(parent)s")
    # A task's link is the same around its id: reversed once per page instead of once per row.
    before, after = reverse("web:task_detail", args=[_ID_MARK]).split(str(_ID_MARK))
    rows = []
    for number, task in enumerate(tasks, start=first_row):
        updated = timezone.localtime(task.updated_at, zone)
        parent_title = task.parent_title if task.parent_id else None  # type: ignore[attr-defined]
        directive_title = task.directive_title  # type: ignore[attr-defined]
        doc_number = task.directive_doc_number  # type: ignore[attr-defined]
        source: SafeString | None = None
        if parent_title is not None:
            source = mark_safe(subtask_of % {"parent": conditional_escape(parent_title)})  # noqa: S308 -- escaped
        elif directive_title is not None and doc_number:
            source = format_html("{} {}", directive_title, doc_number)
        elif directive_title is not None:
            source = conditional_escape(directive_title)
        rows.append(
            LedgerRow(
                task=task,
                number=number,
                url=f"{before}{task.pk}{after}",
                status=labels.get(task.status, task.status),
                # ``Organization.display_name``: the short name, if the unit has one.
                lead_unit=task.lead_org_short_name or task.lead_org_name,  # type: ignore[attr-defined]
                updated_at=updated.isoformat(),
                updated_on=updated.date().isoformat(),
                deadline=cells.deadline(task),
                badge=cells.badge(task),
                progress=cells.progress(
                    task, task_tags.expected_for(task, cells.today, plans.get(task.pk, []))
                ),
                source=source,
            )
        )
    return rows


# A row of the ledger's table, as ``web/ledger/_results.html`` drew it for each ``LedgerRow``: fifty rows
# of a dozen values each were most of the template's lookups, so the view writes them (``rows_html``).
ROW_HTML = (
    "\n      <tr>"
    '\n        <td data-label="{no}" class="num">{number}</td>'
    '\n        <td data-label="{task}"><div class="cell">'
    '\n          <a class="task-title" href="{url}">{title}</a>'
    "\n          {source}"
    "\n        </div></td>"
    '\n        <td data-label="{lead_unit}"><div class="cell">{lead}</div></td>'
    '\n        <td data-label="{due}"><div class="cell">{deadline}</div></td>'
    '\n        <td data-label="{status}"><div class="cell">{state}</div></td>'
    '\n        <td data-label="{light}"><div class="cell">{badge}</div></td>'
    '\n        <td data-label="{progress}"><div class="cell">{bar}</div></td>'
    '\n        <td data-label="{updated}"><div class="cell">'
    '<time datetime="{updated_at}">{updated_on}</time></div></td>'
    "\n      </tr>"
    "\n      "
)


def rows_html(rows: list[LedgerRow]) -> SafeString:
    """The table's rows (``ROW_HTML``). Every cell names its column (``data-label``) for the stacked
    layout of narrow screens, in labels translated once per page. Text is escaped as the template escaped
    it (``html.escape``, which Django's ``escape`` runs, on text that is never HTML); the deadline, badge,
    progress bar and source are HTML already, and the row number and times are the view's own."""
    labels = {
        "no": gettext("No."),
        "task": gettext("Task"),
        "lead_unit": gettext("Lead unit"),
        "due": gettext("Due"),
        "status": gettext("Status"),
        "light": gettext("Light"),
        "progress": gettext("Progress"),
        "updated": gettext("Updated"),
    }
    labels = {name: escape(label) for name, label in labels.items()}
    html = "".join(
        ROW_HTML.format(
            **labels,
            number=row.number,
            url=escape(row.url),
            title=escape(row.task.title),
            source="" if row.source is None else f'<span class="task-source">{row.source}</span>',
            lead=escape(row.lead_unit),
            deadline=row.deadline,
            state=escape(row.status),
            badge=row.badge,
            bar=row.progress,
            updated_at=row.updated_at,
            updated_on=row.updated_on,
        )
        for row in rows
    )
    return mark_safe(html)  # noqa: S308 -- every value is escaped or safe HTML


def page_window(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page numbers to offer: the first, the last and those near ``current``; None where some are left
    out."""
    wanted = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    window: list[int | None] = []
    for number in wanted:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


def _ledger_page(request: HttpRequest, tasks: QuerySet[Task]) -> tuple[task_selectors.LedgerPage, str]:
    """The page the query string asks for: after the cursor ``after`` (the "next" link, which seeks
    straight to its rows), or by number. A cursor the ledger did not give falls back to the first page
    with a notice instead of an error page."""
    size = settings.LUOSHI_PAGE_SIZE
    after = request.GET.get("after")
    if after:
        try:
            return task_selectors.ledger_page(tasks, size=size, after=after, related=ROW_NAMES), ""
        except ValidationFailed as refusal:
            return task_selectors.ledger_page(tasks, size=size, related=ROW_NAMES), str(refusal.message)
    number = _page_number(request.GET.get("page"))
    page = task_selectors.ledger_page(tasks, size=size, page=number, related=ROW_NAMES)
    last = max(1, math.ceil(page.count / size))
    if number > last:
        # Past the end (rows went since the link was made): the last page, as the paginator did.
        page = task_selectors.ledger_page(tasks, size=size, page=last, related=ROW_NAMES)
    return page, ""


@require_safe
def ledger(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    # A row names its lead unit, parent and directive: those names are read with the page's tasks
    # (``ROW_NAMES``), instead of the whole related rows the ledger's query joins for the export (a
    # directive's full text on every row).
    tasks = tasklists.ledger_tasks(user=request.user, filters=filters).select_related(None).only(*ROW_FIELDS)
    known = tasklists.known_ledger_count(user=request.user, filters=filters)
    if known is not None:
        tasks = cast(TaskQuerySet, tasks).with_known_count(known)
    page, notice = _ledger_page(request, tasks)
    pages = max(1, math.ceil(page.count / page.page_size))
    first_row = (page.page - 1) * page.page_size + 1
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": rows_html(ledger_rows(page.items, first_row)),
        "pages": pages,
        "page_window": page_window(page.page, pages),
        "first_row": first_row,
        "page_notice": notice,
        "sort": filters.sort,
        "sorts": sort_links(_query_without(request, "page", "after", "sort"), filters.sort),
        "filters": _query_without(request, "page", "after"),
        "filter_fields": [
            (name, value)
            for name, values in request.GET.lists()
            if name not in {"page", "after"}
            for value in values
        ],
        "export_query": _query_without(request, "page", "after"),
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
