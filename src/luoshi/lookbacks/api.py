"""Look-backs over HTTP: ``GET/POST /api/v1/tasks/{id}/lookbacks`` (a task's look-backs; schedule one by
hand) and ``POST /api/v1/lookbacks/{id}/record`` (record the outcome with evidence files)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from luoshi.api.security import current_user
from luoshi.lookbacks import selectors, services
from luoshi.lookbacks.models import LookBack
from luoshi.tasks import selectors as task_selectors

router = Router(tags=["look-backs"])
task_router = Router(tags=["look-backs"])


class LookbackEvidenceOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int


class LookBackOut(Schema):
    id: int
    task_id: int
    due_on: date
    origin: str
    outcome: str
    findings: str
    recorded_by_id: int | None
    recorded_on: date | None
    relapse_task_id: int | None
    evidence_files: list[LookbackEvidenceOut]
    version: int

    @staticmethod
    def resolve_evidence_files(obj: LookBack) -> list[Any]:
        return list(obj.evidence_files.all())


class ScheduleIn(Schema):
    due_on: date | None = Field(None, description="The look-back date, today or later.")


class RecordForm(Schema):
    """The outcome as form fields, sent with its evidence files as ``multipart/form-data``."""

    version: int = Field(description="The version of the look-back that was read.")
    outcome: str = Field(description="consolidated or relapsed")
    findings: str = ""
    relapse_due_on: date | None = Field(None, description="For a relapse: when the new task is due.")


@task_router.get("/{int:task_id}/lookbacks", response=list[LookBackOut])
def list_lookbacks(request: HttpRequest, task_id: int) -> list[LookBack]:
    """The task's look-backs, oldest first, with their evidence files."""
    user = current_user(request)
    task = task_selectors.get_task(user=user, pk=task_id)
    return list(selectors.lookbacks_of(user=user, task=task))


@task_router.post("/{int:task_id}/lookbacks", response={201: LookBackOut})
def schedule_lookback(request: HttpRequest, task_id: int, payload: ScheduleIn) -> Status[LookBack]:
    """Schedule a look-back of a closed task by hand (the assigning unit's deciders or its supervisors)."""
    user = current_user(request)
    task = task_selectors.get_task(user=user, pk=task_id)
    lookback = services.lookback_schedule(actor=user, task=task, due_on=payload.due_on)
    return Status(201, selectors.lookback_get(user=user, pk=lookback.pk))


@router.post("/{int:lookback_id}/record", response=LookBackOut)
def record_lookback(
    request: HttpRequest,
    lookback_id: int,
    payload: Form[RecordForm],
    files: File[list[UploadedFile] | None] = None,
) -> LookBack:
    """Record "consolidated" or "relapsed" with evidence files (``files`` repeated); a relapse opens a new
    red task linked to the old one (``relapse_task_id``)."""
    user = current_user(request)
    lookback = selectors.lookback_get(user=user, pk=lookback_id)
    services.lookback_record(
        actor=user,
        lookback=lookback,
        version=payload.version,
        outcome=payload.outcome,
        findings=payload.findings,
        files=files or [],
        relapse_due_on=payload.relapse_due_on,
    )
    return selectors.lookback_get(user=user, pk=lookback_id)
