"""Evaluation endpoints: ``/api/v1/evaluations`` (stored tables, computing one, drill-downs) and
``/api/v1/rankings`` (the league table of a period, stored or computed live)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from luoshi.api.fields import PERIOD, PERIOD_EXAMPLES
from luoshi.api.pagination import PageNumberPagination
from luoshi.api.security import current_user
from luoshi.evaluation import engine, selectors, services
from luoshi.evaluation.models import Evaluation, SubjectKind
from luoshi.evaluation.periods import Period
from luoshi.organizations import selectors as org_selectors

router = Router(tags=["evaluation"])
rankings_router = Router(tags=["evaluation"])


class FormulaPart(Schema):
    component: str
    weight: int
    available: bool = Field(description="False: no source in this installation; scored as no data.")


class EvaluationOut(Schema):
    id: int
    period_key: str
    period_kind: str
    period_start: date
    period_end: date
    as_of: date
    scheme: dict[str, Any] = Field(alias="scheme_data")
    unavailable: list[str]
    digest: str
    computed_at: datetime
    version: int
    formula: list[FormulaPart]

    @staticmethod
    def resolve_formula(obj: Evaluation) -> list[dict[str, Any]]:
        return [
            {"component": c, "weight": w, "available": a}
            for c, w, a in engine.formula(obj.scheme_data, obj.unavailable)
        ]


class RankingRowOut(Schema):
    rank: int | None
    previous_rank: int | None
    movement: int | None
    org_id: int | None
    person_id: int | None
    name: str
    score: Decimal | None
    previous_score: Decimal | None
    components: dict[str, dict[str, Any]]
    flag_count: int
    score_id: int | None


class EvaluationDetailOut(EvaluationOut):
    rows: list[RankingRowOut]


class LossOut(Schema):
    component: str
    points: Decimal
    task_id: int | None
    task_title: str
    lead_org: str
    report_id: int | None
    urging_id: int | None
    due: date | None
    detail: str


class EvaluationFilters(Schema):
    period: str | None = Field(None, pattern=PERIOD, description=PERIOD_EXAMPLES)


class TableFilters(Schema):
    parent: int | None = Field(None, description="Rank this unit's child units (default: the city's).")
    kind: SubjectKind = SubjectKind.UNIT


class RankingFilters(TableFilters):
    period: str = Field(pattern=PERIOD, description=PERIOD_EXAMPLES)


class RunIn(Schema):
    period: str = Field(pattern=PERIOD, description=PERIOD_EXAMPLES)
    as_of: date | None = None


@router.get("", response=list[EvaluationOut])
@paginate(PageNumberPagination)
def list_evaluations(request: HttpRequest, filters: Query[EvaluationFilters]) -> QuerySet[Evaluation]:
    """Stored evaluation tables, newest period first."""
    evaluations = selectors.visible_evaluations(current_user(request))
    if filters.period:
        evaluations = evaluations.filter(period_key=Period.parse(filters.period).key)
    return evaluations


@router.post("", response={201: EvaluationOut})
def run_evaluation(request: HttpRequest, payload: RunIn) -> Status[Evaluation]:
    """Compute a period's table from the record and store it (again: recomputing replaces it)."""
    user = current_user(request)
    evaluation = services.evaluation_run(actor=user, period=Period.parse(payload.period), as_of=payload.as_of)
    return Status(201, evaluation)


@router.get("/{int:evaluation_id}", response=EvaluationDetailOut)
def get_evaluation(request: HttpRequest, evaluation_id: int, filters: Query[TableFilters]) -> Evaluation:
    """One stored table: the formula, and the ranked rows of one peer group (or of people)."""
    user = current_user(request)
    evaluation = selectors.get_evaluation(user=user, pk=evaluation_id)
    parent = org_selectors.org_get(user, filters.parent) if filters.parent else None
    rows = selectors.league_table(
        Period.parse(evaluation.period_key),
        parent=parent,
        user=user,
        kind=filters.kind,
        scheme=evaluation.scheme,
    )
    evaluation.rows = [_row(r) for r in rows]  # type: ignore[attr-defined]
    return evaluation


@router.get("/{int:evaluation_id}/scores/{int:score_id}/losses", response=list[LossOut])
def score_losses(request: HttpRequest, evaluation_id: int, score_id: int) -> list[engine.Loss]:
    """Every point the unit or person lost, item by item (task, report deadline, urging, relapse)."""
    user = current_user(request)
    evaluation = selectors.get_evaluation(user=user, pk=evaluation_id)
    score = selectors.get_score(user=user, evaluation=evaluation, pk=score_id)
    return selectors.drill_down(evaluation, score)


def _row(row: selectors.Row) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "previous_rank": row.previous_rank,
        "movement": row.movement,
        "org_id": row.org_id,
        "person_id": row.person_id,
        "name": row.name,
        "score": row.score,
        "previous_score": row.previous_score,
        "components": row.components,
        "flag_count": row.flag_count,
        "score_id": row.score_id,
    }


@rankings_router.get("", response=list[RankingRowOut])
def rankings(request: HttpRequest, filters: Query[RankingFilters]) -> list[dict[str, Any]]:
    """The league table of a period: the stored evaluation if there is one, else computed now."""
    user = current_user(request)
    parent = org_selectors.org_get(user, filters.parent) if filters.parent else None
    rows = selectors.league_table(Period.parse(filters.period), parent=parent, user=user, kind=filters.kind)
    return [_row(r) for r in rows]
