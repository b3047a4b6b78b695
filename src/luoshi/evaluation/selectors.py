"""Reads of evaluations: the league table (used by the cockpit and bulletins), drill-downs and flags."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import router
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core import sql, trees, workdays
from luoshi.core.errors import NotFound
from luoshi.evaluation import engine
from luoshi.evaluation.models import Component, Evaluation, Flag, Scheme, Score, SubjectKind
from luoshi.evaluation.periods import Period
from luoshi.organizations.models import Organization, User


def current_scheme() -> Scheme:
    """The active scheme, or the default one (unsaved) before anyone has made one."""
    return Scheme.objects.filter(is_active=True).first() or Scheme(name=_("Default scheme"))


def visible_evaluations(user: Any) -> QuerySet[Evaluation]:
    return access.visible(user, Evaluation.objects.select_related("scheme", "computed_by"))


def get_evaluation(*, user: Any, pk: int) -> Evaluation:
    evaluation = visible_evaluations(user).filter(pk=pk).first()
    if evaluation is None:
        raise NotFound(_("Not found."))
    return evaluation


def evaluation_for(period: Period, scheme: Scheme | None = None) -> Evaluation | None:
    scheme = scheme or current_scheme()
    if scheme.pk is None:
        return None
    return Evaluation.objects.filter(scheme=scheme, period_key=period.key).first()


@dataclass(frozen=True)
class Row:
    """One line of a league table."""

    rank: int | None
    previous_rank: int | None
    org_id: int | None
    person_id: int | None
    name: str
    score: Decimal | None
    previous_score: Decimal | None
    components: dict[str, dict[str, Any]]
    flag_count: int
    score_id: int | None = None

    @property
    def movement(self) -> int | None:
        """Places gained (positive) or lost since the previous period; None when unranked then or now."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    def component_score(self, component: str) -> str | None:
        return self.components.get(component, {}).get("score")


SCORE_ROW_FIELDS = (
    "kind",
    "rank",
    "previous_rank",
    "organization__name",
    "organization__short_name",
    "person__display_name",
    "person__first_name",
    "person__last_name",
    "person__username",
    "score",
    "previous_score",
    "components",
    "flag_count",
)


def default_parent() -> Organization | None:
    return Organization.objects.filter(depth=1, is_active=True).order_by("sort_order", "path").first()


def _sort_key(row: Row) -> tuple[int, int, str]:
    return (row.rank is None, row.rank or 0, row.name)


def league_table(
    period: Period | str,
    *,
    parent: Organization | None = None,
    user: Any = None,
    kind: str = SubjectKind.UNIT,
    scheme: Scheme | None = None,
    stored_only: bool = False,
) -> list[Row]:
    """The ranked table of ``parent``'s child units (default: the city's) or of people, for ``period``.

    From the stored evaluation when there is one; otherwise computed from the record now (nothing is
    stored), unless ``stored_only`` (for pages on a hot path, such as the cockpit, which must not
    score a whole city per request). ``user`` narrows it to the rows they may see.
    """
    if isinstance(period, str):
        period = Period.parse(period)
    if kind == SubjectKind.UNIT:
        parent = parent or default_parent()
        if parent is None:
            return []
    if stored_only and scheme is None:
        # The hot path in one query: the scores of the active scheme's stored table for the period
        # (there is at most one active scheme, and one table per scheme and period), or none.
        if user is None and kind == SubjectKind.UNIT and parent is not None:
            return _stored_unit_rows(period, parent)
        active = Score.objects.filter(evaluation__scheme__is_active=True, evaluation__period_key=period.key)
        return _stored_rows(active, kind=kind, parent=parent, user=user)
    scheme = scheme or current_scheme()
    stored = evaluation_for(period, scheme)
    if stored is not None:
        return _stored_rows(Score.objects.filter(evaluation=stored), kind=kind, parent=parent, user=user)
    if stored_only:
        return []
    return _live_table(period, scheme, parent=parent, user=user, kind=kind)


def _stored_rows(scores: QuerySet[Score], *, kind: str, parent: Organization | None, user: Any) -> list[Row]:
    """The rows of a stored table (``scores``), ranked, as far as ``user`` (None: anyone) may see them."""
    # The subject's name, not the whole person: their contact details are encrypted columns that would
    # be decrypted for every row.
    scores = scores.filter(kind=kind).select_related("organization", "person").only(*SCORE_ROW_FIELDS)
    if kind == SubjectKind.UNIT:
        scores = scores.filter(peer_group=parent)
    if user is not None:
        scores = access.visible(user, scores)
    return sorted((_row(s, s.subject_name) for s in scores), key=_sort_key)


def _row(s: Score, name: str) -> Row:
    """A stored score as a row of the league table, its subject named ``name``."""
    return Row(
        rank=s.rank,
        previous_rank=s.previous_rank,
        org_id=s.organization_id,
        person_id=s.person_id,
        name=name,
        score=s.score,
        previous_score=s.previous_score,
        components=s.components,
        flag_count=s.flag_count,
        score_id=s.pk,
    )


_SCORE_COLUMNS = sql.ModelColumns(Score, "s")


def _stored_unit_rows(period: Period, parent: Organization) -> list[Row]:
    """``_stored_rows`` of the active scheme's units below ``parent``, for a reader who sees them all.

    The cockpit asks on every request, so the statement is written out: building it through the ORM
    cost more than running it. The names are read as ``Score.subject_name`` reads them."""
    score, evaluation, scheme = Score._meta.db_table, Evaluation._meta.db_table, Scheme._meta.db_table
    unit, person = Organization._meta.db_table, User._meta.db_table
    statement = (
        f"SELECT {_SCORE_COLUMNS.sql}, o.name, o.short_name,"  # noqa: S608 -- names from the models
        " p.display_name, p.first_name, p.last_name, p.username"
        f" FROM {score} s JOIN {evaluation} e ON e.id = s.evaluation_id JOIN {scheme} m ON m.id = e.scheme_id"
        f" LEFT JOIN {unit} o ON o.id = s.organization_id LEFT JOIN {person} p ON p.id = s.person_id"
        " WHERE m.is_active = %s AND e.period_key = %s AND s.kind = %s AND s.peer_group_id = %s"
        # The model's ordering, which decides between rows that ``_sort_key`` ranks alike.
        " ORDER BY s.evaluation_id, s.kind, s.peer_group_id, s.rank, s.id"
    )
    width = len(_SCORE_COLUMNS.attnames)
    rows = []
    for values in sql.read_rows(Score, statement, [True, period.key, SubjectKind.UNIT, parent.pk]):
        s = _SCORE_COLUMNS.build(values[:width], using=router.db_for_read(Score))
        unit_name, short_name, *person_name = values[width:]
        if s.organization_id is not None:
            name = short_name or unit_name
        else:
            name = User.name_of(*person_name) if s.person_id is not None else ""
        rows.append(_row(s, name))
    return sorted(rows, key=_sort_key)


def previous_ranks(scheme: Scheme, period: Period) -> dict[tuple[str, int], tuple[int | None, Any]]:
    """(kind, subject) → (rank, score) in the previous period: its stored table, or a computation."""
    previous = period.previous()
    stored = Evaluation.objects.filter(scheme=scheme, period_key=previous.key).first()
    if stored is not None:
        return {
            (s.kind, s.organization_id or s.person_id or 0): (s.rank, s.score)
            for s in Score.objects.filter(evaluation=stored).only(
                "kind", "organization_id", "person_id", "rank", "score"
            )
        }
    table = engine.compute(previous, scheme.as_data(), as_of=previous.end)
    return {(r.kind, r.subject_id): (r.rank, r.score) for r in table.rows}


def _live_table(
    period: Period, scheme: Scheme, *, parent: Organization | None, user: Any, kind: str
) -> list[Row]:
    today = workdays.today()
    if period.start > today:
        return []
    table = engine.compute(period, scheme.as_data(), as_of=min(today, period.end))
    before = previous_ranks(scheme, period) if scheme.pk else {}
    if scheme.pk is None:
        previous = period.previous()
        old = engine.compute(previous, scheme.as_data(), as_of=previous.end)
        before = {(r.kind, r.subject_id): (r.rank, r.score) for r in old.rows}
    peer_id = parent.pk if parent is not None else None
    rows = [
        r for r in table.rows if r.kind == kind and (kind != SubjectKind.UNIT or r.peer_group_id == peer_id)
    ]
    ids = [r.subject_id for r in rows]
    model: type[Organization] | type[User] = Organization if kind == SubjectKind.UNIT else User
    names_qs: QuerySet[Any] = model.objects.filter(pk__in=ids)
    if user is not None:
        names_qs = access.visible(user, names_qs)
    subjects = {o.pk: o for o in names_qs}
    result = [
        Row(
            rank=r.rank,
            previous_rank=before.get((r.kind, r.subject_id), (None, None))[0],
            org_id=r.subject_id if kind == SubjectKind.UNIT else None,
            person_id=r.subject_id if kind == SubjectKind.PERSON else None,
            name=(
                subjects[r.subject_id].display_name
                if kind == SubjectKind.UNIT
                else str(subjects[r.subject_id])
            ),
            score=r.score,
            previous_score=before.get((r.kind, r.subject_id), (None, None))[1],
            components=r.components,
            flag_count=r.flag_count,
        )
        for r in rows
        if r.subject_id in subjects
    ]
    return sorted(result, key=_sort_key)


def visible_scores(user: Any, evaluation: Evaluation) -> QuerySet[Score]:
    return access.visible(user, Score.objects.filter(evaluation=evaluation)).select_related(
        "organization", "person"
    )


def get_score(*, user: Any, evaluation: Evaluation, pk: int) -> Score:
    score = visible_scores(user, evaluation).filter(pk=pk).first()
    if score is None:
        raise NotFound(_("Not found."))
    return score


def window_of(evaluation: Evaluation) -> engine.Window:
    period = Period.parse(evaluation.period_key)
    return engine.Window(period=period, start=period.start, end=evaluation.as_of)


def drill_down(evaluation: Evaluation, score: Score) -> list[engine.Loss]:
    """Every point the score lost, item by item, largest first (from the record, with the stored weights)."""
    subject: Any = score.organization if score.kind == SubjectKind.UNIT else score.person
    losses = engine.points_lost(
        window_of(evaluation),
        evaluation.scheme_data,
        kind=score.kind,
        subject=subject,
        components=score.components,
    )
    order = {str(c): i for i, c in enumerate(Component)}
    return sorted(
        losses, key=lambda loss: (order[loss.component], -loss.points, loss.due or evaluation.period_start)
    )


def flags_for(evaluation: Evaluation, org: Organization | None = None) -> QuerySet[Flag]:
    flags = Flag.objects.filter(evaluation=evaluation).select_related("organization")
    if org is not None:
        flags = flags.filter(trees.subtree_q("organization__path", org.path))
    return flags.order_by("kind", "task_id", "pk")
