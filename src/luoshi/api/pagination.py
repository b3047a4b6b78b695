"""Pagination of API lists: by page number (``?page=`` and ``?page_size=``) for every list, and also after
a cursor (``?after=``) for the long ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

MAX_PAGE_SIZE = 200
# Far beyond any list Luoshi keeps, and small enough that page × page size stays a valid SQL offset
# (a 64-bit integer): a larger page number is refused as invalid input instead of failing in the database.
MAX_PAGE = 1_000_000


class PageNumberPagination(PaginationBase):
    """Pages numbered from 1; the answer says how many rows there are in all and which page this is."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        size = pagination.page_size or settings.LUOSHI_PAGE_SIZE
        offset = (pagination.page - 1) * size
        return {
            "items": list(queryset[offset : offset + size]),
            "count": queryset.count(),
            "page": pagination.page,
            "page_size": size,
        }


class CursorPageInput(PaginationBase.Input):
    """The query of a list paged by number or after a cursor."""

    page: int | None = Field(None, ge=1, le=MAX_PAGE, description="Defaults to 1; not with `after`.")
    page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)
    after: str | None = Field(None, description="The `next` of a page: the page that follows it.")


class CursorPageOutput(PaginationBase.Output):
    """A page of a list paged by number or after a cursor."""

    items: list[Any]
    count: int
    page: int
    page_size: int
    next: str | None = Field(description="Pass as `after` for the next page; null on the last page.")


class CursorPagination(PaginationBase):
    """Pages by number as ``PageNumberPagination`` answers them, or the page after a cursor: ``next`` in
    every answer names the page's last row, and ``?after=`` with it reads the following page without
    reading the rows before it, however deep it lies. ``page_of`` does the paging, so the list decides
    what its cursors hold; it takes the list's query, ``size``, ``page`` and ``after`` and returns an
    object with the fields of ``Output``.
    """

    # Ninja reads the two by these names; classes of their own keep them apart from
    # PageNumberPagination's in the OpenAPI document, which names schemas by class name. mypy wants the
    # base's nested classes exactly.
    Input = CursorPageInput  # type: ignore[assignment]
    Output = CursorPageOutput  # type: ignore[assignment]

    def __init__(self, *, page_of: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.page_of = page_of

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: CursorPageInput, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        found = self.page_of(
            queryset,
            size=pagination.page_size or settings.LUOSHI_PAGE_SIZE,
            page=pagination.page,
            after=pagination.after,
        )
        return {
            "items": found.items,
            "count": found.count,
            "page": found.page,
            "page_size": found.page_size,
            "next": found.next,
        }
