"""The evidence download page: the file itself, for people who may see its task."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from luoshi.core.errors import NotFound
from luoshi.evidence import selectors
from luoshi.evidence.responses import download_response


@require_safe
def download(request: HttpRequest, pk: int) -> FileResponse:
    """Anonymous visitors are sent to the login page (LoginRequiredMiddleware); people who may not see
    the task get the same 404 as for an id that does not exist."""
    try:
        evidence = selectors.evidence_for_download(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    return download_response(evidence)
