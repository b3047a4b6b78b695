from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.indicators import selectors, services
from luoshi.indicators.models import Direction, Indicator, IndicatorValue, Target, ValueStatus
from luoshi.indicators.services import Part
from tests.indicators.conftest import TODAY, report, target

pytestmark = pytest.mark.usefixtures("english")


def test_formula_with_unknown_code_is_refused_and_nothing_saved(city, indicators):
    with pytest.raises(ValidationFailed) as exc:
        services.indicator_create(
            actor=city.zhao,
            owner_org=city.ecology_bureau,
            code="co2_intensity",
            name="单位GDP二氧化碳排放",
            unit_of_measure="吨/万元",
            direction=Direction.LOWER,
            formula="co2 / gdp",
        )
    assert exc.value.fields["formula"] == ["The formula refers to “co2”, but no indicator has that code."]
    assert not Indicator.objects.filter(code="co2_intensity").exists()


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("__import__('os').system('x')", "Only numbers, indicator codes"),
        ("energy ** 2", "Only + - * /"),
        ("energy /", "cannot be read"),
        ("2 * 3", "at least one indicator"),
        ("extra + 1", "circle"),
    ],
)
def test_formulas_are_parsed_not_evaluated(city, indicators, formula, fragment):
    # "extra" is computed from itself through a second indicator: a circle.
    if formula.startswith("extra"):
        services.indicator_create(
            actor=city.zhao,
            owner_org=city.ecology_bureau,
            code="helper",
            name="辅助",
            unit_of_measure="1",
            direction=Direction.LOWER,
            formula="gdp + 1",
        )
        Indicator.objects.filter(code="helper").update(formula="extra * 2")
    with pytest.raises(ValidationFailed) as exc:
        services.indicator_create(
            actor=city.zhao,
            owner_org=city.ecology_bureau,
            code="extra",
            name="额外",
            unit_of_measure="1",
            direction=Direction.LOWER,
            formula=formula.replace("extra", "helper") if formula.startswith("extra") else formula,
        )
    assert fragment in exc.value.fields["formula"][0]


def test_a_handler_may_not_define_indicators_of_another_unit(city):
    with pytest.raises(NotAllowed):
        services.indicator_create(
            actor=city.wang,
            owner_org=city.ecology_bureau,
            code="x",
            name="x",
            unit_of_measure="1",
            direction=Direction.LOWER,
        )


def test_split_that_does_not_add_up_names_the_difference_and_saves_nothing(city, indicators):
    parts = [Part(city.tiexi, Decimal(500)), Part(city.tiedong, Decimal(450))]
    with pytest.raises(ValidationFailed) as exc:
        target(indicators.energy, city.government, city.zhao, 1000, 1000, parts)
    assert exc.value.fields["parts"] == [
        "The parts add up to 950, not 1000, the target of 鞍山市人民政府 (50 short)."
    ]
    assert not Target.objects.exists()


def test_split_of_a_total_saves_the_whole_and_its_parts(city, indicators):
    parts = [
        Part(city.tiexi, Decimal("600.5"), Decimal(610)),
        Part(city.tiedong, Decimal("399.5"), Decimal(400)),
    ]
    saved = target(indicators.energy, city.government, city.zhao, 1010, 1000, parts)
    assert [t.org for t in saved] == [city.government, city.tiexi, city.tiedong]
    assert Target.objects.get(org=city.tiexi).baseline == Decimal(610)
    assert AuditEvent.objects.filter(action="indicator.target_set").count() == 3


def test_a_part_outside_the_subtree_is_named(city, indicators):
    with pytest.raises(ValidationFailed) as exc:
        target(indicators.energy, city.tiexi, city.zhao, 10, 10, [Part(city.tiedong, Decimal(10))])
    assert "parts.0.org" in exc.value.fields


def test_levels_are_not_summed(city, indicators):
    parts = [Part(city.tiexi, Decimal(35)), Part(city.tiedong, Decimal(30))]
    saved = target(indicators.pm25, city.government, city.zhao, 40, 34, parts)
    assert len(saved) == 3


def test_value_for_a_period_that_does_not_exist(city, indicators):
    for period, fragment in [
        ("2026-13", "There is no period “2026-13”"),
        ("2026-Q2", "e.g. 2026-03"),
        ("2026-09", "has not begun"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            report(indicators.pm25, city.tiexi, city.wang, period, 30)
        assert fragment in exc.value.fields["period"][0]
    assert not IndicatorValue.objects.exists()


def test_derived_indicators_take_no_values(city, indicators):
    with pytest.raises(ValidationFailed) as exc:
        report(indicators.intensity, city.tiexi, city.wang, "2026-03", 1)
    assert "indicator" in exc.value.fields


def test_revisions_keep_history_and_check_the_version(city, indicators):
    first = report(indicators.pm25, city.tiexi, city.wang, "2026-03", 41)
    with pytest.raises(Conflict):
        report(indicators.pm25, city.tiexi, city.wang, "2026-03", 40)  # did not say which it revises
    second = report(
        indicators.pm25, city.tiexi, city.wang, "2026-03", 40, revision=1, status=ValueStatus.FINAL
    )
    with pytest.raises(Conflict):
        report(indicators.pm25, city.tiexi, city.wang, "2026-03", 39, revision=2)  # final → provisional
    rows = list(IndicatorValue.objects.order_by("revision").values_list("value", "status", "is_current"))
    assert rows == [(Decimal(41), "provisional", False), (Decimal(40), "final", True)]
    assert second.revision == 2
    assert first.pk != second.pk
    assert AuditEvent.objects.filter(action="indicator.value_revise").count() == 1


def test_a_sibling_district_may_not_report(city, indicators):
    with pytest.raises(NotAllowed):
        report(indicators.pm25, city.tiexi, city.sun, "2026-03", 30)
    assert not IndicatorValue.objects.exists()


def _monthly(indicator, org, actor, values):
    for month, value in enumerate(values, start=1):
        report(indicator, org, actor, f"2026-{month:02d}", value)


@pytest.mark.parametrize(
    ("values", "light"),
    [
        ([39, 38, 37, 37, 36, 36], "green"),  # on the line from 40 to 34
        ([40, 40, 39.8, 39.6, 39.5, 39.5], "yellow"),  # better than 40, behind the line
        ([41, 42, 42, 43, 42, 41], "red"),  # worse than the baseline
    ],
)
def test_barometer_levels_of_a_level_indicator(city, indicators, values, light):
    target(indicators.pm25, city.tiexi, city.zhao, 40, 34)
    _monthly(indicators.pm25, city.tiexi, city.wang, values)
    row = selectors.standing_of(indicator=indicators.pm25, org=city.tiexi, today=TODAY)
    assert row.light == light
    assert row.standing.as_of == date(2026, 6, 30)


def test_a_total_compares_the_sum_so_far_with_the_share_of_the_target(city, indicators):
    target(indicators.energy, city.tiexi, city.zhao, 1200, 1140)  # 95 a month allowed, 100 last year
    _monthly(indicators.energy, city.tiexi, city.wang, [94, 95, 93, 96, 94, 95])
    assert selectors.standing_of(indicator=indicators.energy, org=city.tiexi, today=TODAY).light == "green"
    report(indicators.energy, city.tiexi, city.wang, "2026-06", 160, revision=1)
    assert selectors.standing_of(indicator=indicators.energy, org=city.tiexi, today=TODAY).light == "red"


def test_derived_values_come_from_the_components(city, indicators):
    target(indicators.intensity, city.tiexi, city.zhao, "0.5", "0.45")
    report(indicators.energy, city.tiexi, city.wang, "2026-01", 50)
    report(indicators.gdp, city.tiexi, city.wang, "2026-01", 100)
    report(indicators.energy, city.tiexi, city.wang, "2026-02", 60)  # no GDP for February: no value
    row = selectors.standing_of(indicator=indicators.intensity, org=city.tiexi, today=TODAY)
    assert [(p.period_start, p.value) for p in row.points] == [(date(2026, 1, 1), Decimal("0.5"))]


def test_thresholds_are_configurable(city, indicators, settings):
    target(indicators.pm25, city.tiexi, city.zhao, 40, 34)
    _monthly(indicators.pm25, city.tiexi, city.wang, [40, 40, 39.8, 39.6, 39.5, 39.5])
    settings.LUOSHI_INDICATORS = {"behind_tolerance": 20, "worsened_tolerance": 0}
    assert selectors.standing_of(indicator=indicators.pm25, org=city.tiexi, today=TODAY).light == "green"


def test_attainment_by_org(city, indicators):
    target(indicators.pm25, city.tiexi, city.zhao, 40, 34)
    target(indicators.pm25, city.tiedong, city.zhao, 40, 34)
    _monthly(indicators.pm25, city.tiexi, city.wang, [39, 38, 37, 37, 36, 36])
    _monthly(indicators.pm25, city.tiedong, city.sun, [41, 42, 42, 43, 42, 41])
    result = selectors.attainment_by_org(date(2026, 1, 1), date(2026, 6, 30))
    assert result[city.tiexi.pk] == 100.0
    assert result[city.tiedong.pk] == 0.0
    assert city.government.pk not in result


def test_red_indicator_opens_a_linked_rectification_task(city, indicators):
    target(indicators.pm25, city.tiexi, city.zhao, 40, 34)
    _monthly(indicators.pm25, city.tiexi, city.wang, [41, 42, 42, 43, 42, 41])
    task = services.rectification_open(
        actor=city.zhao, indicator=indicators.pm25, org=city.tiexi, today=TODAY
    )
    assert task.lead_org == city.tiexi
    assert task.assigning_org == city.government
    link = task.indicator_links.get()
    assert link.indicator == indicators.pm25
    assert link.expected_change < 0
    assert AuditEvent.objects.filter(action="indicator.rectification_open").exists()


def test_only_a_red_indicator_opens_a_rectification(city, indicators):
    target(indicators.pm25, city.tiexi, city.zhao, 40, 34)
    _monthly(indicators.pm25, city.tiexi, city.wang, [39, 38, 37, 37, 36, 36])
    with pytest.raises(Conflict):
        services.rectification_open(actor=city.zhao, indicator=indicators.pm25, org=city.tiexi, today=TODAY)


def test_a_task_declares_the_indicator_it_moves(city, indicators):
    from luoshi.tasks.services import task_create

    task = task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="治理扬尘",
        due_on=date(2026, 12, 31),
        start_on=TODAY,
    )
    with pytest.raises(ValidationFailed) as exc:
        services.task_link(
            actor=city.zhao, task=task, indicator=indicators.pm25, org=city.tiexi, expected_change=Decimal(2)
        )
    assert "expected_change" in exc.value.fields
    link = services.task_link(
        actor=city.zhao, task=task, indicator=indicators.pm25, org=city.tiexi, expected_change=Decimal(-2)
    )
    assert selectors.links_of_task(task) == [link]
    with pytest.raises(NotFound):  # a sibling district does not even see the task
        services.task_link(actor=city.sun, task=task, indicator=indicators.energy, org=city.tiexi)
