"""Indicators of the small test city: energy and GDP (totals) and intensity derived from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from luoshi.indicators import services
from luoshi.indicators.models import Direction, Indicator, Measure

TODAY = date(2026, 7, 15)
YEAR_START = date(2026, 1, 1)
YEAR_END = date(2026, 12, 31)


@dataclass
class Indicators:
    energy: Indicator
    gdp: Indicator
    intensity: Indicator
    pm25: Indicator


@pytest.fixture
def indicators(city) -> Indicators:
    zhao = city.zhao
    owner = city.ecology_bureau
    energy = services.indicator_create(
        actor=zhao,
        owner_org=owner,
        code="energy",
        name="能源消费总量",
        unit_of_measure="万吨标准煤",
        direction=Direction.LOWER,
        measure=Measure.TOTAL,
    )
    gdp = services.indicator_create(
        actor=zhao,
        owner_org=owner,
        code="gdp",
        name="地区生产总值",
        unit_of_measure="亿元",
        direction=Direction.HIGHER,
        measure=Measure.TOTAL,
    )
    intensity = services.indicator_create(
        actor=zhao,
        owner_org=owner,
        code="intensity",
        name="单位GDP能耗",
        unit_of_measure="吨标准煤/万元",
        direction=Direction.LOWER,
        measure=Measure.LEVEL,
        formula="energy / gdp",
    )
    pm25 = services.indicator_create(
        actor=zhao,
        owner_org=owner,
        code="pm25",
        name="PM2.5平均浓度",
        unit_of_measure="微克/立方米",
        direction=Direction.LOWER,
        measure=Measure.LEVEL,
    )
    return Indicators(energy=energy, gdp=gdp, intensity=intensity, pm25=pm25)


def report(indicator, org, actor, period: str, value: str | int, **kw):
    return services.value_report(
        actor=actor,
        indicator=indicator,
        org=org,
        period=period,
        value=Decimal(str(value)),
        source=kw.pop("source", "统计月报"),
        today=kw.pop("today", TODAY),
        **kw,
    )


def target(indicator, org, actor, baseline, target_value, parts=()):
    return services.target_set(
        actor=actor,
        indicator=indicator,
        org=org,
        period_start=YEAR_START,
        period_end=YEAR_END,
        baseline=Decimal(str(baseline)),
        target_value=Decimal(str(target_value)),
        parts=parts,
    )
