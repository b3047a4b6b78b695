"""``POST /api/v1/tasks/import``: a task list workbook in, its tasks created under a directive (all or
nothing), or with ``?dry_run=true`` only the preview: every row as it would be created, every problem by
row and column, and suggestions for unit names the tree does not know."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status, UploadedFile

from luoshi.api.security import current_user
from luoshi.core.errors import ValidationFailed
from luoshi.directives import selectors as directive_selectors
from luoshi.organizations import selectors as org_selectors
from luoshi.tasks.importer import ImportReport, task_import

router = Router(tags=["tasks"])


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class RowOut(Schema):
    row: int
    number: str
    section: str
    title: str
    lead: str
    cooperating: list[str]
    leader: str
    handler: str
    deadline_text: str
    due_on: date | None
    cadence: str
    ongoing: bool
    messages: list[str]
    task_id: int | None


class SuggestionOut(Schema):
    text: str
    rows: list[int]
    candidates: list[dict[str, Any]]


class ImportOut(Schema):
    ok: bool
    dry_run: bool
    created: int
    errors: list[RowErrorOut]
    rows: list[RowOut]
    suggestions: list[SuggestionOut]


class ImportForm(Schema):
    directive: int
    assigning_org: int | None = None
    # JSON object: unit name as written in the file → unit id (confirms a suggestion).
    unit_aliases: str = ""


def _aliases(raw: str) -> dict[str, int]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
        if not isinstance(value, dict) or not all(isinstance(v, int) for v in value.values()):
            raise ValueError
    except ValueError:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={
                "unit_aliases": [_('Send a JSON object of unit names to unit ids, e.g. {"铁西区政府": 12}.')]
            },
        ) from None
    return {str(k): v for k, v in value.items()}


def _out(report: ImportReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "dry_run": report.dry_run,
        "created": report.created,
        "errors": report.errors,
        "rows": report.rows,
        "suggestions": [
            {
                "text": s.text,
                "rows": list(s.rows),
                "candidates": [{"id": pk, "name": name} for pk, name in s.candidates],
            }
            for s in report.suggestions
        ],
    }


@router.post("", response={200: ImportOut, 201: ImportOut})
def import_tasks(
    request: HttpRequest, payload: Form[ImportForm], file: File[UploadedFile], dry_run: bool = False
) -> Status[dict[str, Any]]:
    """Import a task list (``multipart/form-data``: ``directive``, ``file``, optional ``assigning_org`` and
    ``unit_aliases``). With ``?dry_run=true`` nothing is written and the preview comes back (200, with
    ``ok`` false and the problems when the file has any); otherwise 201 with the tasks created, or 422
    naming every problem, with nothing saved."""
    user = current_user(request)
    directive = directive_selectors.directive_get(user=user, pk=payload.directive)
    assigning_org = org_selectors.org_get(user, payload.assigning_org) if payload.assigning_org else None
    report = task_import(
        actor=user,
        directive=directive,
        file=file,
        dry_run=dry_run,
        assigning_org=assigning_org,
        unit_aliases=_aliases(payload.unit_aliases),
    )
    if dry_run:
        return Status(200, _out(report))
    if not report.ok:
        raise ValidationFailed(
            _("Nothing was imported: the file has %(count)d problems.") % {"count": len(report.errors)},
            fields={"file": [error.message for error in report.errors]},
        )
    return Status(201, _out(report))
