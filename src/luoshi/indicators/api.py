"""Indicators over HTTP: ``/api/v1/indicators`` (definitions with their lights for a unit), their
targets and values; and ``/api/v1/dashboard`` (the cockpit's figures for a unit subtree).

Handlers parse, look objects up through the policy (what the caller may not see is "not found"), call
one service and answer. Errors come in the one shape: 422 names the field (a split that does not add
up names ``parts``, an unknown period names ``period``, an unknown code names ``formula``), 403 when the
caller may see but not do, 409 when a value was revised meanwhile.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ConfigDict

from luoshi import access
from luoshi.api.errors import refusals
from luoshi.api.pagination import MAX_PAGE, MAX_PAGE_SIZE, PageNumberPagination
from luoshi.api.security import current_user
from luoshi.config.routers import use_replica_reads
from luoshi.core import workdays
from luoshi.core.errors import NotFound
from luoshi.indicators import cockpit, periods, selectors, services
from luoshi.indicators.models import (
    Direction,
    Frequency,
    Indicator,
    IndicatorValue,
    Measure,
    Target,
    ValueStatus,
)
from luoshi.organizations.models import Organization, User

router = Router(tags=["indicators"])
dashboard_router = Router(tags=["dashboard"])


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


class IndicatorOut(Schema):
    id: int
    code: str
    name: str
    unit_of_measure: str
    direction: Direction
    frequency: Frequency
    measure: Measure
    owner_org: int = Field(..., alias="owner_org_id")
    formula: str
    description: str
    version: int
    # The caller's chosen unit (``?org=``): its light and barometer level for the plan period in force.
    light: str | None = None
    level: int | None = None
    actual: Decimal | None = None
    expected: Decimal | None = None
    as_of: date | None = None


class IndicatorFilters(Schema):
    org: int | None = None
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)


class IndicatorPage(Schema):
    """One page, in the shape of every paginated list (``luoshi.api.pagination``)."""

    items: list[IndicatorOut]
    count: int
    page: int
    page_size: int


class IndicatorCreate(Input):
    code: str
    name: str
    unit_of_measure: str
    direction: Direction
    frequency: Frequency = Frequency.MONTHLY
    measure: Measure = Measure.LEVEL
    owner_org: int
    formula: str = ""
    description: str = ""


class TargetOut(Schema):
    id: int
    org: int = Field(..., alias="org_id")
    period_start: date
    period_end: date
    baseline: Decimal
    target_value: Decimal
    note: str
    version: int
    updated_at: datetime


class PartIn(Input):
    org: int
    target_value: Decimal
    baseline: Decimal | None = None


class TargetIn(Input):
    org: int
    period_start: date
    period_end: date
    baseline: Decimal
    target_value: Decimal
    parts: list[PartIn] = []
    note: str = ""
    version: int | None = None


class ValueOut(Schema):
    id: int
    org: int = Field(..., alias="org_id")
    period: str
    period_start: date
    period_end: date
    value: Decimal
    status: ValueStatus
    source: str
    note: str
    revision: int
    is_current: bool
    reporter: str
    reported_at: datetime

    @staticmethod
    def resolve_period(obj: IndicatorValue) -> str:
        return periods.key(obj.indicator.frequency, obj.period_start)

    @staticmethod
    def resolve_reporter(obj: IndicatorValue) -> str:
        return str(obj.reporter)


class ValueFilters(Schema):
    org: int | None = None
    history: bool = False


class ValueIn(Input):
    org: int
    period: str = Field(..., description="2026-03 (monthly), 2026-Q1 (quarterly) or 2026 (yearly)")
    value: Decimal
    source: str
    status: ValueStatus = ValueStatus.PROVISIONAL
    note: str = ""
    revision: int | None = Field(
        None, description="The current revision being corrected; omit for a first report"
    )


def _org(user: User, pk: int) -> Organization:
    org = access.visible(user, Organization.objects.filter(pk=pk)).first()
    if org is None:
        raise NotFound(_("Not found."))
    return org


@router.get("", response={200: IndicatorPage, **refusals(404)})
def list_indicators(request: HttpRequest, filters: Query[IndicatorFilters]) -> dict[str, Any]:
    """Indicators in their order; with ``?org=`` each carries that unit's light and standing (computed
    for the page's indicators in a fixed number of queries)."""
    user = current_user(request)
    qs = selectors.visible_indicators(user).filter(is_active=True)
    size = filters.page_size or settings.LUOSHI_PAGE_SIZE
    offset = (filters.page - 1) * size
    indicators = list(qs[offset : offset + size])
    if filters.org is not None:
        org = _org(user, filters.org)
        for row in selectors.standings(indicators, [org], today=workdays.today()):
            standing = row.standing
            row.indicator.light = standing.light if row.target else None  # type: ignore[attr-defined]
            row.indicator.level = standing.level  # type: ignore[attr-defined]
            row.indicator.actual = standing.actual  # type: ignore[attr-defined]
            row.indicator.expected = standing.expected  # type: ignore[attr-defined]
            row.indicator.as_of = standing.as_of  # type: ignore[attr-defined]
    return {"items": indicators, "count": qs.count(), "page": filters.page, "page_size": size}


@router.post("", response={201: IndicatorOut})
def create_indicator(request: HttpRequest, payload: IndicatorCreate) -> Status[Indicator]:
    user = current_user(request)
    indicator = services.indicator_create(
        actor=user,
        owner_org=_org(user, payload.owner_org),
        code=payload.code,
        name=payload.name,
        unit_of_measure=payload.unit_of_measure,
        direction=payload.direction,
        frequency=payload.frequency,
        measure=payload.measure,
        formula=payload.formula,
        description=payload.description,
    )
    return Status(201, indicator)


@router.get("/{int:indicator_id}", response=IndicatorOut)
def get_indicator(request: HttpRequest, indicator_id: int) -> Indicator:
    return selectors.get_indicator(user=current_user(request), pk=indicator_id)


@router.get("/{int:indicator_id}/targets", response=list[TargetOut])
@paginate(PageNumberPagination)
def list_targets(request: HttpRequest, indicator_id: int) -> Any:
    user = current_user(request)
    return selectors.targets_of(user=user, indicator=selectors.get_indicator(user=user, pk=indicator_id))


@router.post("/{int:indicator_id}/targets", response={201: list[TargetOut]})
def set_targets(request: HttpRequest, indicator_id: int, payload: TargetIn) -> Status[list[Target]]:
    """Set a unit's target for a plan period and, with ``parts``, split it across units below (for a
    total the parts must add up). Answers the whole, then the parts."""
    user = current_user(request)
    indicator = selectors.get_indicator(user=user, pk=indicator_id)
    parts = [services.Part(_org(user, p.org), p.target_value, p.baseline) for p in payload.parts]
    saved = services.target_set(
        actor=user,
        indicator=indicator,
        org=_org(user, payload.org),
        period_start=payload.period_start,
        period_end=payload.period_end,
        baseline=payload.baseline,
        target_value=payload.target_value,
        parts=parts,
        note=payload.note,
        version=payload.version,
    )
    return Status(201, saved)


@router.get("/{int:indicator_id}/values", response=list[ValueOut])
@paginate(PageNumberPagination)
def list_values(request: HttpRequest, indicator_id: int, filters: Query[ValueFilters]) -> Any:
    """Reported values, newest period first; ``?history=true`` adds the superseded revisions."""
    user = current_user(request)
    indicator = selectors.get_indicator(user=user, pk=indicator_id)
    org = _org(user, filters.org) if filters.org is not None else None
    qs = selectors.history(user=user, indicator=indicator, org=org).select_related("indicator")
    return qs if filters.history else qs.filter(is_current=True)


@router.post("/{int:indicator_id}/values", response={201: ValueOut})
def report_value(request: HttpRequest, indicator_id: int, payload: ValueIn) -> Status[IndicatorValue]:
    """Report a value, or correct it by sending the ``revision`` being corrected (409 if it moved on)."""
    user = current_user(request)
    indicator = selectors.get_indicator(user=user, pk=indicator_id)
    row = services.value_report(
        actor=user,
        indicator=indicator,
        org=_org(user, payload.org),
        period=payload.period,
        value=payload.value,
        source=payload.source,
        status=payload.status,
        note=payload.note,
        revision=payload.revision,
    )
    return Status(201, row)


# --- the cockpit ----------------------------------------------------------------------------------


class GroupOut(Schema):
    key: int | None
    label: str
    total: int
    closed: int
    cancelled: int
    red: int
    yellow: int
    overdue: int
    completion: float

    @staticmethod
    def resolve_label(obj: cockpit.Group) -> str:
        return str(obj.label)


class RedTaskOut(Schema):
    id: int
    title: str
    lead_org: str
    handler: str | None
    responsible_leader: str | None
    due_on: date
    progress: int

    @staticmethod
    def resolve_lead_org(obj: Any) -> str:
        return obj.lead_org.name

    @staticmethod
    def resolve_handler(obj: Any) -> str | None:
        return str(obj.handler) if obj.handler else None

    @staticmethod
    def resolve_responsible_leader(obj: Any) -> str | None:
        return str(obj.responsible_leader) if obj.responsible_leader else None


class WeekOut(Schema):
    start: date
    closures: int
    reports: int


class IndicatorLightOut(Schema):
    indicator: int
    name: str
    light: str
    level: int | None
    actual: Decimal | None
    expected: Decimal | None


class LeagueRowOut(Schema):
    rank: int | None
    name: str
    score: Decimal | None
    movement: int | None


class DashboardOut(Schema):
    org: int
    org_name: str
    today: date
    total: int
    closed: int
    cancelled: int
    completion_rate: float
    overdue: int
    red: int
    by_light: dict[str, int]
    by_status: dict[str, int]
    clauses: int
    clauses_covered: int
    clause_coverage: float
    by_focus_area: list[GroupOut]
    by_child: list[GroupOut]
    trend: list[WeekOut]
    red_list: list[RedTaskOut]
    indicators: list[IndicatorLightOut]
    # The evaluation's league table of the units directly below, once there is one (else null).
    league: list[LeagueRowOut] | None


class DashboardFilters(Schema):
    org: int | None = None


@dashboard_router.get("", response={200: DashboardOut, **refusals(404)})
@use_replica_reads
def get_dashboard(request: HttpRequest, filters: Query[DashboardFilters]) -> dict[str, Any]:
    """The cockpit for a unit subtree (``?org=``; the caller's widest unit by default)."""
    user = current_user(request)
    board = cockpit.dashboard(user=user, org=cockpit.get_org(user, filters.org), today=workdays.today())
    return {
        "org": board.org.pk,
        "org_name": board.org.name,
        "today": board.today,
        "total": board.totals.total,
        "closed": board.totals.closed,
        "cancelled": board.totals.cancelled,
        "completion_rate": board.totals.completion,
        "overdue": board.totals.overdue,
        "red": board.totals.red,
        "by_light": {light: n for light, n, _q in board.by_light},
        "by_status": {status: n for status, _l, n, _q in board.by_status},
        "clauses": board.clauses,
        "clauses_covered": board.clauses_covered,
        "clause_coverage": board.coverage,
        "by_focus_area": board.by_focus_area,
        "by_child": board.by_child,
        "trend": board.trend,
        "red_list": board.red_list,
        "indicators": [
            {
                "indicator": r.indicator.pk,
                "name": r.indicator.name,
                "light": r.light,
                "level": r.standing.level,
                "actual": r.standing.actual,
                "expected": r.standing.expected,
            }
            for r in board.indicators
        ],
        "league": board.league,
    }
