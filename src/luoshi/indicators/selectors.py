"""Reads about indicators for pages, the API, the cockpit and the evaluation; narrowed by the policy.

Standings are computed for many (indicator, unit) pairs at once from three queries (indicators, targets,
current values), whatever the number of pairs; derived indicators are evaluated from their components'
values in Python, which holds at most indicators × units × periods numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.core import trees
from luoshi.core.errors import NotFound
from luoshi.indicators import formulas, trajectory
from luoshi.indicators.models import Indicator, IndicatorValue, Target, TaskIndicatorLink
from luoshi.indicators.trajectory import Point, Standing
from luoshi.organizations.models import Organization

PairKey = tuple[int, int]  # (indicator id, unit id)


def visible_indicators(user: Any) -> QuerySet[Indicator]:
    return access.visible(user, Indicator.objects.select_related("owner_org"))


def get_indicator(*, user: Any, pk: int) -> Indicator:
    indicator = visible_indicators(user).filter(pk=pk).first()
    if indicator is None:
        raise NotFound(_("Not found."))
    return indicator


# --- values, with derived indicators computed -----------------------------------------------------


def _closure(indicators: Iterable[Indicator], by_code: dict[str, Indicator]) -> dict[str, Indicator]:
    """The indicators and, recursively, the components of their formulas, by code."""
    result: dict[str, Indicator] = {}
    pending = list(indicators)
    while pending:
        indicator = pending.pop()
        if indicator.code in result:
            continue
        result[indicator.code] = indicator
        if indicator.formula:
            pending.extend(by_code[c] for c in formulas.parse(indicator.formula).codes if c in by_code)
    return result


def points(
    indicators: Sequence[Indicator], org_ids: Iterable[int], *, start: date, end: date
) -> dict[PairKey, list[Point]]:
    """Current values of the indicators for the units in periods starting within [start, end], by
    (indicator, unit), oldest first; derived indicators are computed from their components."""
    org_ids = list(set(org_ids))
    if not indicators or not org_ids:
        return {}
    by_code = {i.code: i for i in Indicator.objects.all()}
    needed = _closure(indicators, by_code)
    raw_ids = [i.pk for i in needed.values() if not i.formula]
    found: dict[PairKey, dict[date, Point]] = defaultdict(dict)
    rows = IndicatorValue.objects.filter(
        indicator_id__in=raw_ids,
        org_id__in=org_ids,
        is_current=True,
        period_start__gte=start,
        period_start__lte=end,
    ).values_list("indicator_id", "org_id", "period_start", "period_end", "value")
    for indicator_id, org_id, p_start, p_end, value in rows:
        found[(indicator_id, org_id)][p_start] = Point(p_start, p_end, value)

    def series(indicator: Indicator, org_id: int) -> dict[date, Point]:
        key = (indicator.pk, org_id)
        if key in found or not indicator.formula:
            return found.get(key, {})
        formula = formulas.parse(indicator.formula)
        parts = {c: series(by_code[c], org_id) for c in formula.codes if c in by_code}
        computed: dict[date, Point] = {}
        if len(parts) == len(formula.codes) and parts:
            common = set.intersection(*(set(s) for s in parts.values()))
            for p_start in sorted(common):
                result = formula.evaluate({c: s[p_start].value for c, s in parts.items()})
                if result is not None:
                    first = next(iter(parts.values()))[p_start]
                    computed[p_start] = Point(p_start, first.period_end, result)
        found[key] = computed
        return computed

    return {
        (i.pk, org_id): sorted(series(i, org_id).values(), key=lambda p: p.period_start)
        for i in indicators
        for org_id in org_ids
    }


# --- standings ------------------------------------------------------------------------------------


@dataclass
class Row:
    """An indicator for one unit: its target for the plan period in force, its values and its standing."""

    indicator: Indicator
    org: Organization
    target: Target | None
    standing: Standing
    points: list[Point] = field(default_factory=list)

    @property
    def light(self) -> str:
        return self.standing.light


def _targets_in_force(
    indicator_ids: Iterable[int], org_ids: Iterable[int], today: date
) -> dict[PairKey, Target]:
    """Per pair: the target whose plan period contains ``today``, else the latest one begun by then."""
    result: dict[PairKey, Target] = {}
    rows = Target.objects.filter(
        indicator_id__in=list(indicator_ids), org_id__in=list(org_ids), period_start__lte=today
    ).order_by("period_start")
    for target in rows:
        key = (target.indicator_id, target.org_id)
        current = result.get(key)
        # Later-starting targets win, except that one containing today beats one that does not.
        if current is None or current.period_end < today or target.period_end >= today:
            result[key] = target
    return result


def standings(indicators: Sequence[Indicator], orgs: Sequence[Organization], *, today: date) -> list[Row]:
    """Rows for every (indicator, unit) pair, in the order given (indicators outer)."""
    if not indicators or not orgs:
        return []
    targets = _targets_in_force([i.pk for i in indicators], [o.pk for o in orgs], today)
    if targets:
        start = min(t.period_start for t in targets.values())
        end = max(t.period_end for t in targets.values())
    else:
        start = end = today
    values = points(indicators, [o.pk for o in orgs], start=start, end=min(end, today))
    rows = []
    for indicator in indicators:
        for org in orgs:
            target = targets.get((indicator.pk, org.pk))
            series = values.get((indicator.pk, org.pk), [])
            if target is None:
                rows.append(Row(indicator, org, None, Standing(level=None), series))
                continue
            series = [p for p in series if target.period_start <= p.period_start <= target.period_end]
            standing = trajectory.standing(
                measure=indicator.measure,
                direction=indicator.direction,
                period_start=target.period_start,
                period_end=target.period_end,
                baseline=target.baseline,
                target_value=target.target_value,
                points=series,
                upto=today,
            )
            rows.append(Row(indicator, org, target, standing, series))
    return rows


def standing_of(*, indicator: Indicator, org: Organization, today: date) -> Row:
    return standings([indicator], [org], today=today)[0]


def units_with_targets(
    indicator: Indicator, *, user: Any, under: Organization | None = None
) -> list[Organization]:
    """The visible units that have a target for ``indicator`` (optionally within a subtree), tree order."""
    ids = Target.objects.filter(indicator=indicator).values("org_id")
    qs = access.visible(user, Organization.objects.filter(pk__in=ids))
    if under is not None:
        qs = qs.filter(trees.subtree_q("path", under.path))
    return list(qs.order_by("path"))


def history(*, user: Any, indicator: Indicator, org: Organization | None = None) -> QuerySet[IndicatorValue]:
    """Every revision the user may see, newest period first, revisions in order."""
    qs = access.visible(user, IndicatorValue.objects.filter(indicator=indicator)).select_related(
        "org", "reporter"
    )
    if org is not None:
        qs = qs.filter(org=org)
    return qs.order_by("-period_start", "org__path", "-revision")


def targets_of(*, user: Any, indicator: Indicator) -> QuerySet[Target]:
    return (
        access.visible(user, Target.objects.filter(indicator=indicator))
        .select_related("org", "set_by")
        .order_by("-period_start", "org__path")
    )


def links_of_task(task: Any) -> list[TaskIndicatorLink]:
    return list(TaskIndicatorLink.objects.filter(task=task).select_related("indicator", "org"))


# --- for the evaluation ---------------------------------------------------------------------------


def attainment_by_org(period_start: date, period_end: date) -> dict[int, float]:
    """Indicator attainment (0–100) per unit over a period: for every target whose plan period overlaps
    it, the share of the change due by ``period_end`` that the unit achieved, averaged over the unit's
    indicators. Units without targets are absent; a target without values counts as 0."""
    targets = list(
        Target.objects.filter(period_start__lte=period_end, period_end__gte=period_start)
        .select_related("indicator")
        .order_by("period_start")
    )
    if not targets:
        return {}
    indicators = list({t.indicator_id: t.indicator for t in targets}.values())
    values = points(
        indicators,
        {t.org_id for t in targets},
        start=min(t.period_start for t in targets),
        end=period_end,
    )
    scores: dict[int, list[float]] = defaultdict(list)
    for target in targets:
        standing = trajectory.standing(
            measure=target.indicator.measure,
            direction=target.indicator.direction,
            period_start=target.period_start,
            period_end=target.period_end,
            baseline=target.baseline,
            target_value=target.target_value,
            points=values.get((target.indicator_id, target.org_id), []),
            upto=period_end,
        )
        scores[target.org_id].append(standing.attainment or 0.0)
    return {org_id: round(sum(s) / len(s), 1) for org_id, s in scores.items()}


def light_counts(rows: Iterable[Row]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.light] += 1
    return dict(counts)


def task_page_context(user: Any, task: Any) -> dict[str, Any]:
    """What the task page shows of indicators: the links, and whether the user may add one (the task's
    planners may: its lead and assigning units)."""
    from luoshi.tasks import rules as task_rules

    return {
        "indicator_links": links_of_task(task),
        "may_link_indicator": task_rules.is_party(user, task_rules.Party.PLANNER, task),
    }
