"""``/api/v1/search``: the hits of a query the caller may see (DESIGN §10, §11).

The handler parses and asks ``luoshi.search.selectors.search``, which applies the access policy; a bad
query answers 422 with the message on field ``q``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from luoshi.api.errors import refusals
from luoshi.api.fields import SEARCHABLE
from luoshi.api.pagination import MAX_PAGE, MAX_PAGE_SIZE
from luoshi.api.security import current_user
from luoshi.search import selectors
from luoshi.search.models import EntryKind
from luoshi.search.text import MAX_QUERY

router = Router(tags=["search"])


class SearchFilters(Schema):
    q: str = Field(
        max_length=MAX_QUERY,
        pattern=SEARCHABLE,
        description="Words or characters to find; matched as a substring, any case.",
    )
    kind: list[EntryKind] | None = Field(
        None, description="Only these kinds (repeat the parameter for several); all kinds by default."
    )
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)


class HitOut(Schema):
    kind: EntryKind
    id: int = Field(description="The id of the task, report, clause or directive.")
    task: int | None = Field(description="The task itself, or the task a report is about.")
    directive: int | None = Field(description="The directive itself, or the directive of a clause.")
    title: str
    snippet: str = Field(description="HTML: escaped text around the hit, the query in <mark>.")


class SearchOut(Schema):
    query: str = Field(description="The query as it was matched (normalized: NFKC, lower case).")
    items: list[HitOut]
    count: int = Field(description=f"Hits in all, counted up to {selectors.MAX_RESULTS}.")
    count_is_exact: bool = Field(description="False when there are more hits than ``count``.")
    page: int
    page_size: int


def search_body(results: selectors.SearchResults, *, page: int, page_size: int) -> dict[str, Any]:
    """``results`` as ``SearchOut`` answers them, field for field and in its order.

    Validating 50 hits through ``HitOut`` on every search cost as much as reading their records; the
    values are already of the schema's types. ``tests/search/test_api.py`` holds the two to the same
    JSON."""
    return {
        "query": results.query,
        "items": [
            {
                "kind": hit.kind,
                "id": hit.object_id,
                "task": hit.task_id,
                "directive": hit.directive_id,
                "title": hit.title,
                "snippet": str(hit.snippet),
            }
            for hit in results.hits
        ],
        "count": results.total,
        "count_is_exact": results.total_is_exact,
        "page": page,
        "page_size": page_size,
    }


# Searching is rate limited (LUOSHI_RATE_LIMITS, group "search").
@router.get("", response={200: SearchOut, **refusals(429)})
def search(request: HttpRequest, filters: Query[SearchFilters]) -> HttpResponse:
    """Tasks, progress reports, clauses and directives whose text contains ``q``, newest first."""
    size = filters.page_size or settings.LUOSHI_PAGE_SIZE
    results = selectors.search(
        current_user(request),
        filters.q,
        kinds=filters.kind,
        limit=size,
        offset=(filters.page - 1) * size,
    )
    body = search_body(results, page=filters.page, page_size=size)
    # The API's renderer writes the JSON, as for every other answer (imported here: it mounts this module).
    from luoshi.api.urls import api

    return api.create_response(request, body, status=200)
