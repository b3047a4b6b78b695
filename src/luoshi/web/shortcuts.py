"""Small helpers every page uses: looking objects up through the policy, partial responses, safe redirects."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from luoshi import access
from luoshi.core.errors import NotAllowed, NotFound

M = TypeVar("M", bound=models.Model)


def get_visible_or_404(user: Any, qs: models.QuerySet[M], pk: Any) -> M:
    """The object ``pk`` if ``user`` may see it; otherwise the same 404 as for an id that does not exist."""
    try:
        return access.visible(user, qs).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def authorize(user: Any, action: str, obj: models.Model) -> None:
    """``access.require`` in page terms: invisible objects are "not found", visible ones "forbidden"."""
    try:
        access.require(user, action, obj)
    except NotFound as exc:
        raise Http404 from exc
    except NotAllowed as exc:
        raise PermissionDenied from exc


def render_list(
    request: HttpRequest, template: str, partial: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """One view serves the full page and, for htmx requests, only the part that the filter replaces."""
    htmx = getattr(request, "htmx", None)
    use_partial = bool(htmx) and not htmx.boosted and not htmx.history_restore_request  # type: ignore[union-attr]
    response = render(request, partial if use_partial else template, context, status=status)
    # Caches must keep the two answers apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def safe_next(request: HttpRequest, candidate: str | None, default: str) -> str:
    """Where to go after a form: ``candidate`` if it stays on this site, otherwise ``default``."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def int_param(request: HttpRequest, name: str) -> int | None:
    """A whole-number query parameter, or None if it is missing or malformed."""
    raw = request.GET.get(name, "")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None
