"""Rectification lists, closing criteria and conveyance records over HTTP (issue 4 items 5–6):

- ``GET /api/v1/directives/{id}/rectification``: the problems of an inspection with their tasks;
- ``PUT /api/v1/directives/{id}/problems/{clause_id}``: a problem's source, deadline type and measures;
- ``GET/POST /api/v1/directives/{id}/conveyances``: the reached units' records, and recording one;
- ``GET/POST /api/v1/tasks/{id}/closing-checks``, ``DELETE …/closing-checks/{criterion}``: a
  rectification's closing criteria, ticked with evidence (``multipart/form-data``) or withdrawn.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from luoshi import access
from luoshi.api.security import current_user
from luoshi.core.errors import NotFound
from luoshi.directives import conveyance, rectification
from luoshi.directives.models import Clause, ClauseKind, Directive
from luoshi.organizations.models import Organization
from luoshi.tasks import closing
from luoshi.tasks import selectors as task_selectors

directive_router = Router(tags=["rectification"])
task_router = Router(tags=["rectification"])


class UnitOut(Schema):
    id: int
    name: str


class RectificationTaskOut(Schema):
    id: int
    title: str
    status: str
    light: str
    lead_org: UnitOut
    cooperating_orgs: list[UnitOut]
    criteria_met: int


class ProblemOut(Schema):
    id: int
    ordinal: int
    text: str
    problem_source: str
    deadline_type: str
    fix_by: date | None
    measures: list[str]
    state: str
    version: int
    tasks: list[RectificationTaskOut]


class ProblemIn(Schema):
    version: int
    problem_source: str = Field(description="central, provincial or self_found")
    deadline_type: str = Field(description="immediate, by_date or ongoing")
    fix_by: date | None = Field(None, description="Needed for by_date.")
    measures: str = Field("", description="One measure per line.")


class ConveyanceOut(Schema):
    id: int
    org_id: int
    method: str
    held_on: date
    attendee_count: int
    attendee_names: str
    notes: str
    recorded_by_id: int


class ConveyanceUnitOut(Schema):
    org: UnitOut
    conveyed: bool
    records: list[ConveyanceOut]


class ConveyanceIn(Schema):
    org_id: int
    method: str = Field(description="meeting, study_session or other")
    held_on: date | None = None
    attendee_count: int | None = None
    attendee_names: str = ""
    notes: str = ""


class ClosingCheckOut(Schema):
    criterion: str
    label: str
    met: bool
    note: str
    checked_by_id: int | None
    checked_on: date | None
    evidence_ids: list[int]


class TickForm(Schema):
    criterion: str
    note: str = ""
    evidence_ids: list[int] = Field(default_factory=list, description="Evidence files already on the task.")


def _directive(request: HttpRequest, pk: int) -> Directive:
    directive = access.visible(current_user(request), Directive.objects.filter(pk=pk)).first()
    if directive is None:
        raise NotFound(_("Not found."))
    return directive


def _problem_out(row: rectification.ProblemRow) -> dict[str, object]:
    clause = row.clause
    return {
        "id": clause.pk,
        "ordinal": clause.ordinal,
        "text": clause.text,
        "problem_source": clause.problem_source,
        "deadline_type": clause.deadline_type,
        "fix_by": clause.fix_by,
        "measures": clause.measure_list(),
        "state": row.state,
        "version": clause.version,
        "tasks": [
            {
                "id": t.pk,
                "title": t.title,
                "status": t.status,
                "light": t.light,
                "lead_org": t.lead_org,
                "cooperating_orgs": list(t.cooperating_orgs.all()),
                "criteria_met": row.criteria_met.get(t.pk, 0),
            }
            for t in row.tasks
        ],
    }


@directive_router.get("/{int:directive_id}/rectification", response=list[ProblemOut])
def rectification_list(request: HttpRequest, directive_id: int) -> list[dict[str, object]]:
    """The rectification list (整改台账) of an inspection: each problem, its tasks and how far they got."""
    user = current_user(request)
    directive = rectification.inspection_directive(user=user, pk=directive_id)
    return [_problem_out(row) for row in rectification.rectification_list(user=user, directive=directive)]


@directive_router.put("/{int:directive_id}/problems/{int:clause_id}", response=ProblemOut)
def problem_update(
    request: HttpRequest, directive_id: int, clause_id: int, payload: ProblemIn
) -> dict[str, object]:
    """Set a problem's source, deadline type (with its date) and measures."""
    user = current_user(request)
    directive = rectification.inspection_directive(user=user, pk=directive_id)
    clause = Clause.objects.filter(directive=directive, kind=ClauseKind.PROBLEM, pk=clause_id).first()
    if clause is None:
        raise NotFound(_("Not found."))
    rectification.problem_update(
        actor=user,
        clause=clause,
        version=payload.version,
        problem_source=payload.problem_source,
        deadline_type=payload.deadline_type,
        fix_by=payload.fix_by,
        measures=payload.measures,
    )
    rows = rectification.rectification_list(user=user, directive=directive)
    return _problem_out(next(r for r in rows if r.clause.pk == clause_id))


@directive_router.get("/{int:directive_id}/conveyances", response=list[ConveyanceUnitOut])
def conveyance_status(request: HttpRequest, directive_id: int) -> list[dict[str, object]]:
    """Every unit the directive reached (that the caller can see), whether it has conveyed it, and how."""
    user = current_user(request)
    rows = conveyance.conveyance_status(user=user, directive=_directive(request, directive_id))
    return [{"org": r.org, "conveyed": r.done, "records": r.records} for r in rows]


@directive_router.post("/{int:directive_id}/conveyances", response={201: ConveyanceOut})
def conveyance_record(request: HttpRequest, directive_id: int, payload: ConveyanceIn) -> Status[object]:
    """Record that one of the caller's units conveyed and studied the directive."""
    user = current_user(request)
    directive = _directive(request, directive_id)
    org = access.visible(user, Organization.objects.filter(pk=payload.org_id)).first()
    if org is None:
        raise NotFound(_("Not found."))
    record = conveyance.conveyance_record(
        actor=user,
        directive=directive,
        org=org,
        method=payload.method,
        held_on=payload.held_on,
        attendee_count=payload.attendee_count,
        attendee_names=payload.attendee_names,
        notes=payload.notes,
    )
    return Status(201, record)


def _checks_out(task_id: int, request: HttpRequest) -> list[dict[str, object]]:
    user = current_user(request)
    task = task_selectors.get_task(user=user, pk=task_id)
    result = []
    for item in closing.criteria_status(task):
        check = item["check"]
        result.append(
            {
                "criterion": item["criterion"],
                "label": str(item["label"]),
                "met": check is not None and bool(item["evidence"]),
                "note": check.note if check else "",
                "checked_by_id": check.checked_by_id if check else None,
                "checked_on": check.checked_on if check else None,
                "evidence_ids": [e.pk for e in item["evidence"]],
            }
        )
    return result


@task_router.get("/{int:task_id}/closing-checks", response=list[ClosingCheckOut])
def closing_checks(request: HttpRequest, task_id: int) -> list[dict[str, object]]:
    """The four closing criteria of a rectification, each with its tick and evidence (or none)."""
    return _checks_out(task_id, request)


@task_router.post("/{int:task_id}/closing-checks", response=list[ClosingCheckOut])
def closing_tick(
    request: HttpRequest,
    task_id: int,
    payload: Form[TickForm],
    files: File[list[UploadedFile] | None] = None,
) -> list[dict[str, object]]:
    """Tick a criterion with evidence (``multipart/form-data``: ``criterion``, ``note``, ``files`` repeated
    and/or ``evidence_ids`` repeated). The lead unit's head or handler, while the work is in progress."""
    user = current_user(request)
    task = task_selectors.get_task(user=user, pk=task_id)
    closing.closing_check_tick(
        actor=user,
        task=task,
        criterion=payload.criterion,
        note=payload.note,
        files=files or [],
        evidence_ids=payload.evidence_ids,
    )
    return _checks_out(task_id, request)


@task_router.delete("/{int:task_id}/closing-checks/{criterion}", response=list[ClosingCheckOut])
def closing_untick(request: HttpRequest, task_id: int, criterion: str) -> list[dict[str, object]]:
    """Withdraw a tick; its evidence files stay on the task."""
    user = current_user(request)
    task = task_selectors.get_task(user=user, pk=task_id)
    closing.closing_check_untick(actor=user, task=task, criterion=criterion)
    return _checks_out(task_id, request)
