"""Reads of evidence, narrowed by the access policy: evidence is visible exactly when its task is."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core.errors import NotFound
from luoshi.evidence.models import EvidenceFile
from luoshi.tasks.models import CompletionRequest, ProgressReport, Task


def evidence_for_download(user: Any, evidence_id: int) -> EvidenceFile:
    """The evidence file ``evidence_id`` if ``user`` may see its task; otherwise ``NotFound`` (never
    "forbidden", so ids reveal nothing)."""
    evidence = EvidenceFile.objects.filter(pk=evidence_id).first()
    if evidence is None or not access.visible(user, Task.objects.filter(pk=evidence.task_id)).exists():
        raise NotFound(_("Not found."))
    return evidence


def evidence_list(
    user: Any,
    *,
    task: Task | None = None,
    report: ProgressReport | None = None,
    completion_request: CompletionRequest | None = None,
) -> QuerySet[EvidenceFile]:
    """The evidence ``user`` may see, of one task, report or completion request, oldest first."""
    qs = access.visible(user, EvidenceFile.objects.select_related("uploaded_by"))
    if task is not None:
        qs = qs.filter(task=task)
    if report is not None:
        qs = qs.filter(report=report)
    if completion_request is not None:
        qs = qs.filter(completion_request=completion_request)
    return qs.order_by("created_at", "id")
