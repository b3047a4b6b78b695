"""The search page: tasks, directives, clauses and progress reports containing the words typed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from luoshi.core.errors import LuoshiError
from luoshi.search import selectors as search_selectors
from luoshi.search.models import EntryKind
from luoshi.search.selectors import SearchHit
from luoshi.web.forms import apply_errors
from luoshi.web.shortcuts import int_param, render_list
from luoshi.web.tasklist_forms import SearchForm

PAGE_SIZE = 50
# Groups in the order they appear, with their headings.
GROUPS = (
    (EntryKind.TASK, _("Tasks")),
    (EntryKind.DIRECTIVE, _("Directives")),
    (EntryKind.CLAUSE, _("Clauses")),
    (EntryKind.REPORT, _("Progress reports")),
)


def hit_url(hit: SearchHit) -> str:
    """Where a hit is read: a task's page for tasks and reports, the directive's tree for the rest."""
    if hit.kind in (EntryKind.TASK, EntryKind.REPORT) and hit.task_id:
        return reverse("web:task_detail", kwargs={"pk": hit.task_id})
    if hit.kind == EntryKind.CLAUSE and hit.directive_id:
        url = reverse("web:directive_detail", kwargs={"pk": hit.directive_id})
        return f"{url}#clause-{hit.object_id}"
    if hit.kind == EntryKind.DIRECTIVE:
        return reverse("web:directive_detail", kwargs={"pk": hit.object_id})
    return ""


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    results = None
    groups: list[dict[str, Any]] = []
    offset = max(int_param(request, "offset") or 0, 0)
    if form.is_valid() and form.cleaned_data["q"].strip():
        kind = form.cleaned_data["kind"]
        try:
            results = search_selectors.search(
                request.user,
                form.cleaned_data["q"],
                kinds=[kind] if kind else None,
                limit=PAGE_SIZE,
                offset=offset,
            )
        except LuoshiError as exc:
            apply_errors(form, exc)
        else:
            by_kind: dict[str, list[tuple[SearchHit, str]]] = {}
            for hit in results.hits:
                by_kind.setdefault(hit.kind, []).append((hit, hit_url(hit)))
            groups = [{"kind": k, "label": label, "hits": by_kind[k]} for k, label in GROUPS if k in by_kind]
    params = request.GET.copy()
    params.pop("offset", None)
    context = {
        "form": form,
        "results": results,
        "groups": groups,
        "query": params.urlencode(),
        "next_offset": offset + PAGE_SIZE if results is not None and results.has_more else None,
        "previous_offset": max(offset - PAGE_SIZE, 0) if offset else None,
    }
    return render_list(request, "web/search/search.html", "web/search/_results.html", context)
