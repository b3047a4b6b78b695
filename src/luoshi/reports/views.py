"""The file response shared by the page and the API."""

from __future__ import annotations

from django.http import HttpResponse

from luoshi.reports import documents
from luoshi.reports.models import Bulletin


def filename(bulletin: Bulletin, file_format: str) -> str:
    return f"bulletin-{bulletin.organization_id}-{bulletin.period_key}-v{bulletin.number}.{file_format}"


def download_response(bulletin: Bulletin, file_format: str) -> HttpResponse:
    data = documents.render(bulletin, file_format)
    response = HttpResponse(data, content_type=documents.CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename(bulletin, file_format)}"'
    return response
