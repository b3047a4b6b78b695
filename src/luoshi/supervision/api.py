"""Urgings and the escalation ladder over HTTP, mounted at ``/api/v1``:

- ``GET/POST /tasks/{id}/urgings``: a task's urgings; a supervisor urges it by hand;
- ``GET /urgings``: the urgings the caller may see (filters: level, status, org, overdue, to_answer,
  issued_on, mine);
- ``POST /urgings/{id}/respond``, ``POST /urgings/{id}/close``: the unit answers; a supervisor closes;
- ``GET/PUT /escalation-rules``: the ladder; administrators of the whole government change it.

Handlers parse, look the objects up through the selectors (what the caller may not see is "not found"),
call one service and answer. Refusals come from the services in the one error shape.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from luoshi.api.errors import refusals
from luoshi.api.pagination import PageNumberPagination
from luoshi.api.security import current_user
from luoshi.core import workdays
from luoshi.organizations import selectors as org_selectors
from luoshi.organizations.models import User
from luoshi.supervision import selectors, services
from luoshi.supervision.models import EscalationRule, Recipients, Urging, UrgingLevel, UrgingStatus
from luoshi.tasks import selectors as task_selectors

router = Router(tags=["supervision"])


class Input(Schema):
    """JSON bodies refuse unknown fields, so a misspelt field is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid")


class UrgingOut(Schema):
    """An urging (催办/督办) and, once given, its answer."""

    id: int
    task: int
    task_title: str
    level: UrgingLevel
    level_label: str
    reason: str
    issued_by: int | None = Field(description="Empty when the sweep issued it by rule.")
    issued_by_name: str
    issued_on: date
    task_due_on: date
    to_org: int
    to_org_name: str
    to_person: int | None
    to_person_name: str
    respond_by: date | None
    overdue: bool = Field(description="Open and past its respond-by date: the task shows red.")
    response: str
    responded_by: int | None
    responded_by_name: str
    responded_on: date | None
    status: UrgingStatus
    closed_on: date | None
    close_note: str
    version: int
    created_at: datetime

    @staticmethod
    def resolve_task(obj: Urging) -> int:
        return obj.task_id

    @staticmethod
    def resolve_task_title(obj: Urging) -> str:
        return obj.task.title

    @staticmethod
    def resolve_level_label(obj: Urging) -> str:
        return str(UrgingLevel(obj.level).label)

    @staticmethod
    def resolve_issued_by(obj: Urging) -> int | None:
        return obj.issued_by_id

    @staticmethod
    def resolve_issued_by_name(obj: Urging) -> str:
        return str(obj.issued_by) if obj.issued_by_id else ""

    @staticmethod
    def resolve_to_org(obj: Urging) -> int:
        return obj.to_org_id

    @staticmethod
    def resolve_to_org_name(obj: Urging) -> str:
        return obj.to_org.name

    @staticmethod
    def resolve_to_person(obj: Urging) -> int | None:
        return obj.to_person_id

    @staticmethod
    def resolve_to_person_name(obj: Urging) -> str:
        return str(obj.to_person) if obj.to_person_id else ""

    @staticmethod
    def resolve_responded_by(obj: Urging) -> int | None:
        return obj.responded_by_id

    @staticmethod
    def resolve_responded_by_name(obj: Urging) -> str:
        return str(obj.responded_by) if obj.responded_by_id else ""

    @staticmethod
    def resolve_overdue(obj: Urging) -> bool:
        return obj.is_overdue(workdays.today())


class UrgingIn(Input):
    level: UrgingLevel
    reason: str
    respond_by: date | None = Field(None, description="Required except for reminders; today or later.")
    to_person: int | None = Field(None, description="One of the lead unit's people; by default the handler.")


class RespondIn(Input):
    version: int
    response: str


class CloseIn(Input):
    version: int
    note: str = ""


class UrgingFilters(Schema):
    level: UrgingLevel | None = None
    status: UrgingStatus | None = None
    org: int | None = Field(None, description="Urgings to this unit or a unit below it.")
    overdue: bool = Field(False, description="Only open urgings past their respond-by date.")
    to_answer: bool = Field(False, description="Only the urgings the caller must answer.")
    issued_on: date | None = Field(None, description="Only the urgings issued on this day.")
    mine: bool = Field(
        False,
        description="Only the urgings addressed to the caller or their units, or on tasks they handle or "
        "lead (what the caller is told of, as a digest of the day's urgings links to).",
    )


class EscalationRuleOut(Schema):
    level: UrgingLevel
    level_label: str
    days_after_due: int = Field(
        description="Working days after the due date (negative: before it) when the sweep issues this level."
    )
    urgent_days_after_due: int | None = Field(description="The same for urgent tasks, when it differs.")
    respond_working_days: int | None
    recipients: Recipients
    is_active: bool
    version: int

    @staticmethod
    def resolve_level_label(obj: EscalationRule) -> str:
        return str(UrgingLevel(obj.level).label)


class EscalationRuleIn(Input):
    level: UrgingLevel
    version: int
    days_after_due: int | None = None
    urgent_days_after_due: int | None = None
    respond_working_days: int | None = None
    recipients: Recipients | None = None
    is_active: bool | None = None


def _person(user: User, pk: int | None) -> User | None:
    return org_selectors.person_get(user, pk) if pk is not None else None


@router.get("/tasks/{int:task_id}/urgings", response=list[UrgingOut])
@paginate(PageNumberPagination)
def list_task_urgings(request: HttpRequest, task_id: int) -> Any:
    """The task's urgings, newest first."""
    user = current_user(request)
    task = task_selectors.get_task(user=user, pk=task_id)
    return selectors.urgings_of_task(user=user, task=task)


@router.post("/tasks/{int:task_id}/urgings", response={201: UrgingOut})
def issue_urging(request: HttpRequest, task_id: int, payload: UrgingIn) -> Status[Urging]:
    """Urge the task by hand (supervisors whose jurisdiction covers it)."""
    user = current_user(request)
    urging = services.urging_issue(
        actor=user,
        task=task_selectors.get_task(user=user, pk=task_id),
        level=payload.level,
        reason=payload.reason,
        respond_by=payload.respond_by,
        to_person=_person(user, payload.to_person),
    )
    return Status(201, selectors.urging_get(user=user, pk=urging.pk))


@router.get("/urgings", response={200: list[UrgingOut], **refusals(404)})
@paginate(PageNumberPagination)
def list_urgings(request: HttpRequest, filters: Query[UrgingFilters]) -> Any:
    """Urgings the caller may see, the most severe and longest waiting first."""
    user = current_user(request)
    if filters.to_answer:
        return selectors.urgings_to_answer(user)
    org = org_selectors.org_get(user, filters.org) if filters.org is not None else None
    return selectors.overview(
        user=user,
        level=filters.level or "",
        status=filters.status or "",
        org=org,
        overdue_only=filters.overdue,
        issued_on=filters.issued_on,
        mine=filters.mine,
        today=workdays.today(),
    )


@router.get("/urgings/{int:urging_id}", response=UrgingOut)
def get_urging(request: HttpRequest, urging_id: int) -> Urging:
    return selectors.urging_get(user=current_user(request), pk=urging_id)


@router.post("/urgings/{int:urging_id}/respond", response=UrgingOut)
def respond(request: HttpRequest, urging_id: int, payload: RespondIn) -> Urging:
    """The unit urged answers: what it has done and when the work will be finished."""
    user = current_user(request)
    urging = selectors.urging_get(user=user, pk=urging_id)
    services.urging_respond(actor=user, urging=urging, response=payload.response, version=payload.version)
    return selectors.urging_get(user=user, pk=urging_id)


@router.post("/urgings/{int:urging_id}/close", response=UrgingOut)
def close(request: HttpRequest, urging_id: int, payload: CloseIn) -> Urging:
    """A supervisor closes the urging (the answer is accepted, or the urging withdrawn with a note)."""
    user = current_user(request)
    urging = selectors.urging_get(user=user, pk=urging_id)
    services.urging_close(actor=user, urging=urging, note=payload.note, version=payload.version)
    return selectors.urging_get(user=user, pk=urging_id)


@router.get("/escalation-rules", response=list[EscalationRuleOut])
def list_rules(request: HttpRequest) -> list[EscalationRule]:
    """The escalation ladder, mildest level first."""
    current_user(request)
    return services.ladder()


@router.put("/escalation-rules", response=list[EscalationRuleOut])
def update_rules(request: HttpRequest, payload: list[EscalationRuleIn]) -> list[EscalationRule]:
    """Change rungs of the ladder (administrators of the whole government): each item names its level and
    the version read, and the fields to change. The whole ladder is saved, or none of it."""
    changes = [item.model_dump(exclude_none=True) for item in payload]
    # ``urgent_days_after_due`` may be cleared: an explicit null in the body means "same as the others".
    for item, raw in zip(changes, payload, strict=True):
        if "urgent_days_after_due" in raw.model_fields_set and raw.urgent_days_after_due is None:
            item["urgent_days_after_due"] = None
    services.escalation_rules_update(actor=current_user(request), changes=changes)
    return services.ladder()
