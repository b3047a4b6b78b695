"""``/api/v1/directives/draft``: a directive's text (JSON, or a .docx/.txt upload) in, its proposed
headings and clauses out, with suggested focus areas, lead units and deadlines. Nothing is created unless
``save`` is asked (a draft to correct) and the draft is then confirmed (its clauses, and if asked tasks).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status, UploadedFile

from luoshi.api.security import current_user
from luoshi.directives import selectors as directive_selectors
from luoshi.directives.models import Directive
from luoshi.drafting import selectors, services
from luoshi.drafting.models import Draft

router = Router(tags=["drafting"])


class HeadingOut(Schema):
    level: int
    text: str
    start: int
    end: int


class DraftClauseOut(Schema):
    text: str
    start: int | None
    end: int | None
    kind: str
    heading: str
    heading_index: int | None
    focus_area: int | None
    focus_code: str
    units: list[int]
    unit_reasons: list[str]
    due_on: date | None
    cadence: str
    ongoing: bool
    include: bool


class ContextOut(Schema):
    text: str
    start: int
    end: int
    reason: str


class AnalysisOut(Schema):
    language: str
    headings: list[HeadingOut]
    clauses: list[DraftClauseOut]
    context: list[ContextOut]
    draft: int | None = None
    version: int | None = None


class DraftOut(AnalysisOut):
    status: str
    directive: int | None
    updated_at: datetime


class AnalyseIn(Schema):
    text: str
    directive: int | None = None
    save: bool = False


class UploadIn(Schema):
    directive: int | None = None
    save: bool = False


class ClauseIn(Schema):
    text: str
    start: int | None = None
    end: int | None = None
    kind: str = "demand"
    heading: str = ""
    focus_area: int | None = None
    units: list[int] = []
    due_on: date | None = None
    cadence: str = ""
    ongoing: bool = False
    include: bool = True


class DraftUpdateIn(Schema):
    version: int
    clauses: list[ClauseIn]
    directive: int | None = None


class ConfirmIn(Schema):
    version: int
    create_tasks: bool = False


class ConfirmOut(Schema):
    clauses: list[int]


def _directive(user: Any, pk: int | None) -> Directive | None:
    return directive_selectors.directive_get(user=user, pk=pk) if pk is not None else None


def _draft_out(draft: Draft) -> dict[str, Any]:
    return {
        **draft.proposal,
        "language": draft.language,
        "draft": draft.pk,
        "version": draft.version,
        "status": draft.status,
        "directive": draft.directive_id,
        "updated_at": draft.updated_at,
    }


def _analyse(
    user: Any, text: str, directive_id: int | None, save: bool, source_name: str = ""
) -> dict[str, Any]:
    directive = _directive(user, directive_id)
    if save:
        return _draft_out(
            services.draft_create(actor=user, text=text, directive=directive, source_name=source_name)
        )
    reference = directive.issued_on if directive is not None else None
    language, proposal = services.draft_analyze(actor=user, text=text, reference=reference)
    return {**proposal, "language": language}


@router.post("", response=AnalysisOut)
def analyse_text(request: HttpRequest, payload: AnalyseIn) -> dict[str, Any]:
    """Propose the structure of a pasted text. With ``save``, keep it as a draft (its id comes back)."""
    return _analyse(current_user(request), payload.text, payload.directive, payload.save)


@router.post("/upload", response=AnalysisOut)
def analyse_file(request: HttpRequest, payload: Form[UploadIn], file: File[UploadedFile]) -> dict[str, Any]:
    """The same for an uploaded .docx or .txt file (``multipart/form-data``)."""
    user = current_user(request)
    text = services.text_of_upload(name=file.name or "", data=file.read())
    return _analyse(user, text, payload.directive, payload.save, source_name=file.name or "")


@router.get("/{int:draft_id}", response=DraftOut)
def get_draft(request: HttpRequest, draft_id: int) -> dict[str, Any]:
    return _draft_out(selectors.draft_get(current_user(request), draft_id))


@router.put("/{int:draft_id}", response=DraftOut)
def update_draft(request: HttpRequest, draft_id: int, payload: DraftUpdateIn) -> dict[str, Any]:
    """Replace the draft's clauses with the corrected list (merged, split, edited, dropped with
    ``include: false``); a clause with several lines of text becomes one clause per line."""
    user = current_user(request)
    draft = services.draft_update(
        actor=user,
        draft=selectors.draft_get(user, draft_id),
        version=payload.version,
        clauses=[c.dict() for c in payload.clauses],
        directive=_directive(user, payload.directive),
    )
    return _draft_out(draft)


@router.post("/{int:draft_id}/confirm", response={201: ConfirmOut})
def confirm_draft(request: HttpRequest, draft_id: int, payload: ConfirmIn) -> Status[dict[str, Any]]:
    """Create the included clauses under the draft's directive (and, with ``create_tasks``, a task for
    each clause with a lead unit). All or nothing."""
    user = current_user(request)
    clauses = services.draft_confirm(
        actor=user,
        draft=selectors.draft_get(user, draft_id),
        version=payload.version,
        create_tasks=payload.create_tasks,
    )
    return Status(201, {"clauses": [c.pk for c in clauses]})
