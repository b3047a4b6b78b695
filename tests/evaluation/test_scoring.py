"""Scores from the record: components, weights, ranks, drill-down, reproducibility, missing sources."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import NotAllowed, ValidationFailed
from luoshi.evaluation import engine, selectors, services, sources
from luoshi.evaluation.models import Component, Evaluation, Score, SubjectKind
from luoshi.evaluation.periods import Period
from tests.evaluation.conftest import Quarter

Q1 = Period.parse("2024-Q1")


def unit_score(evaluation: Evaluation, org) -> Score:
    return Score.objects.get(evaluation=evaluation, kind=SubjectKind.UNIT, organization=org)


def test_components_come_from_the_record(quarter: Quarter) -> None:
    city = quarter.desk.city
    evaluation = services.evaluation_run(actor=city.zhao, period=Q1)
    tiexi, tiedong = unit_score(evaluation, city.tiexi), unit_score(evaluation, city.tiedong)

    assert tiexi.components[Component.ON_TIME]["good"] == 1
    assert tiexi.components[Component.ON_TIME]["score"] == "100.00"
    assert tiedong.components[Component.ON_TIME] | {"weight": None} == tiedong.components[
        Component.ON_TIME
    ] | {"score": "0.00", "good": 0, "total": 1, "weight": None}
    assert tiexi.components[Component.VERIFICATION]["score"] == "100.00"
    # 铁东区 asked for no verification: no data, and its weight went to the other components.
    assert tiedong.components[Component.VERIFICATION]["score"] is None
    assert tiedong.components[Component.VERIFICATION]["weight"] == "0.00"
    # The monthly report due on 5 February: 铁西区 reported on 1 February, 铁东区 never.
    assert tiexi.components[Component.REPORTS]["good"] == tiexi.components[Component.REPORTS]["total"] == 1
    assert tiedong.components[Component.REPORTS]["score"] == "0.00"
    assert tiexi.rank == 1
    assert tiedong.rank == 2
    assert tiexi.score is not None
    assert tiedong.score is not None
    assert tiexi.score > tiedong.score
    # The city (the root) is scored over everything below it; its peer group is empty.
    city_row = unit_score(evaluation, city.government)
    assert city_row.components[Component.ON_TIME]["total"] == 2
    assert city_row.peer_group_id is None


def test_weights_with_data_add_up_to_100(quarter: Quarter) -> None:
    evaluation = services.evaluation_run(actor=quarter.desk.city.zhao, period=Q1)
    for score in Score.objects.filter(evaluation=evaluation).exclude(score=None):
        assert sum(Decimal(c["weight"]) for c in score.components.values()) == pytest.approx(
            Decimal(100), abs=Decimal("0.05")
        )


def test_every_point_lost_drills_down_to_its_item(quarter: Quarter) -> None:
    city = quarter.desk.city
    evaluation = services.evaluation_run(actor=city.zhao, period=Q1)
    tiedong = unit_score(evaluation, city.tiedong)
    losses = selectors.drill_down(evaluation, tiedong)
    assert sum(loss.points for loss in losses) == pytest.approx(
        Decimal(100) - tiedong.score, abs=Decimal("0.01")
    )
    by_component = {loss.component: loss for loss in losses}
    assert by_component[Component.ON_TIME].task_id == quarter.overdue.pk
    assert by_component[Component.REPORTS].task_id == quarter.overdue.pk
    assert by_component[Component.REPORTS].due is not None
    assert selectors.drill_down(evaluation, unit_score(evaluation, city.tiexi)) == []


def test_recomputing_a_period_gives_the_same_table(quarter: Quarter) -> None:
    city = quarter.desk.city
    first = services.evaluation_run(actor=city.zhao, period=Q1)
    rows = list(
        Score.objects.filter(evaluation=first)
        .order_by("kind", "organization_id", "person_id")
        .values("kind", "organization_id", "person_id", "score", "rank", "components", "flag_count")
    )
    second = services.evaluation_run(actor=city.zhao, period=Q1)
    assert second.pk == first.pk
    assert second.digest == first.digest
    assert second.version == first.version + 1
    again = list(
        Score.objects.filter(evaluation=second)
        .order_by("kind", "organization_id", "person_id")
        .values("kind", "organization_id", "person_id", "score", "rank", "components", "flag_count")
    )
    assert again == rows
    event = AuditEvent.objects.filter(action="evaluation.run").order_by("-seq").first()
    assert event is not None
    assert event.changes["unchanged"] is True


def test_a_missing_source_scores_as_no_data_and_says_so(quarter: Quarter, monkeypatch) -> None:
    monkeypatch.setattr(sources, "urging_model", lambda: None)
    evaluation = services.evaluation_run(actor=quarter.desk.city.zhao, period=Q1)
    assert Component.URGINGS in evaluation.unavailable
    tiedong = unit_score(evaluation, quarter.desk.city.tiedong)
    assert tiedong.components[Component.URGINGS]["score"] is None
    assert tiedong.components[Component.URGINGS]["weight"] == "0.00"
    assert (
        dict((c, has) for c, _w, has in engine.formula(evaluation.scheme_data, evaluation.unavailable))[
            Component.URGINGS
        ]
        is False
    )


def test_people_are_scored_as_handlers(quarter: Quarter) -> None:
    city = quarter.desk.city
    # Name handlers after the fact: scores follow the record as it stands.
    from luoshi.tasks.models import Task

    Task.objects.filter(pk=quarter.on_time.pk).update(handler=city.wang)
    Task.objects.filter(pk=quarter.overdue.pk).update(handler=city.sun)
    evaluation = services.evaluation_run(actor=city.zhao, period=Q1)
    people = {s.person_id: s for s in Score.objects.filter(evaluation=evaluation, kind=SubjectKind.PERSON)}
    assert people[city.wang.pk].rank == 1
    assert people[city.sun.pk].components[Component.ON_TIME]["score"] == "0.00"


def test_only_the_city_supervisors_and_admins_compute(quarter: Quarter) -> None:
    city = quarter.desk.city
    with pytest.raises(NotAllowed):
        services.evaluation_run(actor=city.wang, period=Q1)
    assert not Evaluation.objects.exists()


def test_a_future_period_is_refused_naming_the_field(quarter: Quarter) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.evaluation_run(actor=quarter.desk.city.zhao, period=Period.parse("2025-Q1"))
    assert "period" in caught.value.fields


def test_movement_since_the_previous_period(quarter: Quarter) -> None:
    city = quarter.desk.city
    services.evaluation_run(actor=city.zhao, period=Period.parse("2024-02"))
    march = services.evaluation_run(actor=city.zhao, period=Period.parse("2024-03"))
    rows = selectors.league_table("2024-02")
    assert [r.name for r in rows][:2] == ["铁西区", "铁东区"]
    assert march.scores.filter(previous_rank__isnull=False).exists()
    table = selectors.league_table("2024-Q1")  # not stored: computed live
    assert [r.org_id for r in table if r.rank][:2] == [city.tiexi.pk, city.tiedong.pk]


def test_the_stored_table_on_the_hot_path_is_the_stored_table_in_one_query(
    quarter: Quarter, django_assert_num_queries
) -> None:
    """The cockpit's league table (``stored_only``) reads the active scheme's stored table in one query,
    and it is the table the full lookup reads, for anyone and for a person who sees part of it."""
    city = quarter.desk.city
    services.evaluation_run(actor=city.zhao, period=Q1)
    for user in (None, city.wang):
        expected = selectors.league_table(Q1, parent=city.government, user=user)
        with django_assert_num_queries(1):
            fast = selectors.league_table(Q1, parent=city.government, user=user, stored_only=True)
        assert fast == expected
        assert fast
    # A period nobody computed: nothing, and nothing computed live.
    assert selectors.league_table(Period.parse("2024-01"), parent=city.government, stored_only=True) == []


def test_the_number_of_queries_does_not_grow_with_units_or_tasks(quarter: Quarter) -> None:
    """Set-based scoring: more units and tasks at the same depths cost no extra query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.evaluation.selectors import current_scheme
    from tests.factories import OrganizationFactory

    city = quarter.desk.city
    scheme = current_scheme().as_data()
    engine.ensure_fingerprints(quarter.clock.today)  # the one cache it fills; filled in both runs below
    with CaptureQueriesContext(connection) as small:
        engine.compute(Q1, scheme, as_of=quarter.clock.today)
    for unit in OrganizationFactory.create_batch(6, parent=city.tiexi):
        quarter.clock.set(date(2024, 1, 10))
        quarter.desk.city_task(title=f"{unit.name}任务", due=date(2024, 2, 20), lead=unit)
    quarter.clock.set(date(2024, 3, 1))
    with CaptureQueriesContext(connection) as large:
        engine.compute(Q1, scheme, as_of=quarter.clock.today)
    assert len(large.captured_queries) == len(small.captured_queries)


def test_scheme_changes_are_checked_versioned_and_audited(quarter: Quarter) -> None:
    from luoshi.core.errors import Conflict
    from luoshi.evaluation.models import Scheme

    admin = quarter.desk.city.admin
    data = {
        "name": "考核办法",
        **{
            f: w
            for f, w in zip(
                [
                    "weight_on_time",
                    "weight_verification",
                    "weight_reports",
                    "weight_urgings",
                    "weight_indicators",
                    "weight_relapses",
                ],
                [30, 15, 15, 15, 15, 10],
                strict=True,
            )
        },
    }
    scheme = services.scheme_create(actor=admin, data=data)
    assert scheme.is_active
    with pytest.raises(ValidationFailed) as caught:
        services.scheme_update(
            actor=admin, scheme=scheme, version=scheme.version, data=data | {"urging_points": {"bogus": 1}}
        )
    assert "urging_points" in caught.value.fields
    updated = services.scheme_update(
        actor=admin, scheme=scheme, version=scheme.version, data=data | {"relapse_points": 40}
    )
    with pytest.raises(Conflict):
        services.scheme_update(actor=admin, scheme=scheme, version=scheme.version, data=data)
    assert Scheme.objects.get().relapse_points == 40 == updated.relapse_points
    assert AuditEvent.objects.filter(action="evaluation.scheme_update").count() == 1
    with pytest.raises(NotAllowed):
        services.scheme_create(actor=quarter.desk.city.zhao, data=data | {"name": "另一个"})
