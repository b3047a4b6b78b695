"""Evidence endpoints, mounted at ``/api/v1/evidence``: a file's description, and the file itself.

Files are attached through the services that take them (a progress report, a completion request); here
they are only read. Evidence the caller may not see is "not found", exactly as on the pages.
"""

from __future__ import annotations

from datetime import datetime

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Router, Schema

from luoshi.api.errors import refusals
from luoshi.api.security import current_user
from luoshi.evidence import selectors
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.responses import download_response

router = Router(tags=["evidence"])


class EvidenceOut(Schema):
    """One evidence file. ``content_type`` was recognised from the file's bytes."""

    id: int
    task: int
    report: int | None
    completion_request: int | None
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: int
    uploaded_by_name: str
    created_at: datetime
    download_url: str

    @staticmethod
    def resolve_task(obj: EvidenceFile) -> int:
        return obj.task_id

    @staticmethod
    def resolve_report(obj: EvidenceFile) -> int | None:
        return obj.report_id

    @staticmethod
    def resolve_completion_request(obj: EvidenceFile) -> int | None:
        return obj.completion_request_id

    @staticmethod
    def resolve_name(obj: EvidenceFile) -> str:
        return obj.original_name

    @staticmethod
    def resolve_uploaded_by(obj: EvidenceFile) -> int:
        return obj.uploaded_by_id

    @staticmethod
    def resolve_uploaded_by_name(obj: EvidenceFile) -> str:
        return str(obj.uploaded_by)

    @staticmethod
    def resolve_download_url(obj: EvidenceFile) -> str:
        # The page URL, which works with the browser's session; API clients use ``/{id}/download``.
        return reverse("evidence:download", args=[obj.pk])


@router.get("/{evidence_id}", response=EvidenceOut)
def get_evidence(request: HttpRequest, evidence_id: int) -> EvidenceFile:
    """The description of one evidence file."""
    return selectors.evidence_for_download(current_user(request), evidence_id)


@router.get(
    "/{evidence_id}/download",
    # Downloads are rate limited (LUOSHI_RATE_LIMITS, group "evidence-download").
    response={200: None, **refusals(429)},
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, with the content type recognised from its bytes.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download_evidence(request: HttpRequest, evidence_id: int) -> FileResponse:
    """The file itself, with the same headers as the page download."""
    return download_response(selectors.evidence_for_download(current_user(request), evidence_id))
