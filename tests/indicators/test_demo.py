"""The demo's indicators: a target per district split from the city's, monthly values up to last month,
and a mix of lights (the city must have something red to show)."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.demo import city
from luoshi.demo.indicators import build_indicators, plan_year
from luoshi.indicators import selectors
from luoshi.indicators.models import Indicator, IndicatorValue, Target

TODAY = date(2026, 11, 26)


@pytest.fixture
def demo(db):
    built = city.build_city()
    loaded = build_indicators(built, today=TODAY)
    return built, loaded


def test_plan_year_is_relative_to_today():
    assert plan_year(date(2026, 11, 26)) == (2026, 10)
    assert plan_year(date(2027, 2, 1)) == (2026, 12)


def test_demo_indicators_with_district_values_and_mixed_lights(demo):
    built, loaded = demo
    codes = set(Indicator.objects.values_list("code", flat=True))
    assert {
        "energy_intensity",
        "energy_total",
        "co2_intensity",
        "non_fossil_share",
        "good_air_ratio",
        "pm25",
    } <= codes
    assert loaded.values == IndicatorValue.objects.count() > 7 * 6 * 10
    assert Target.objects.filter(org=built.government).count() == 8
    districts = [built.units[k] for k in ("tiexi", "lishan", "haicheng", "tiedong")]
    rows = selectors.standings(list(Indicator.objects.all()), districts, today=TODAY)
    lights = {r.light for r in rows}
    assert {"red", "yellow", "green"} <= lights
    latest = IndicatorValue.objects.order_by("-period_start").values_list("period_start", flat=True).first()
    assert latest == date(2026, 10, 1)
    # Derived intensities come out for every district and month.
    intensity = next(
        r for r in rows if r.indicator.code == "energy_intensity" and r.org == built.units["tiexi"]
    )
    assert len(intensity.points) == 10
