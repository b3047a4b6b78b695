"""Page-number pagination for every API list: ``?page=`` and ``?page_size=``."""

from __future__ import annotations

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
