"""The demo's indicators (DESIGN §7): energy, carbon and air quality, with a target per district for the
plan year split from the city's, and monthly values up to last month, so the lights look live.

Definitions and targets go through the services (audited, checked: the district totals add up to the
city's). The few hundred monthly values are written in one ``bulk_create`` with one audit event per
indicator: replaying each through ``value_report`` would cost seconds of demo start-up for nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from luoshi.audit import services as audit
from luoshi.demo.city import DemoCity
from luoshi.indicators import periods, services
from luoshi.indicators.models import Direction, Indicator, IndicatorValue, Measure, ValueStatus
from luoshi.organizations.models import Organization

DISTRICTS = ("tiedong", "tiexi", "lishan", "qianshan", "taian", "xiuyan", "haicheng")
# Last year's GDP (亿元) and energy intensity (吨标准煤/万元) of each district.
BASES = {
    "tiedong": (560, Decimal("0.52")),
    "tiexi": (420, Decimal("1.18")),
    "lishan": (310, Decimal("1.35")),
    "qianshan": (260, Decimal("0.74")),
    "taian": (180, Decimal("0.61")),
    "xiuyan": (150, Decimal("0.58")),
    "haicheng": (820, Decimal("0.96")),
}
# How each district fares this year: on track, behind schedule, or worse than last year.
GOOD, BEHIND, WORSE = "good", "behind", "worse"
FORTUNES = {
    "tiedong": (GOOD, GOOD, GOOD),
    "tiexi": (BEHIND, GOOD, BEHIND),
    "lishan": (WORSE, BEHIND, WORSE),
    "qianshan": (GOOD, BEHIND, GOOD),
    "taian": (GOOD, GOOD, BEHIND),
    "xiuyan": (BEHIND, GOOD, GOOD),
    "haicheng": (WORSE, WORSE, BEHIND),
}  # (energy, non-fossil share, air)
SOURCE_STATS = "市统计局月度统计快报"
SOURCE_AIR = "市生态环境监测中心"
FOUR = Decimal("0.0001")


@dataclass(frozen=True)
class DemoIndicators:
    indicators: int
    targets: int
    values: int


def plan_year(today: date) -> tuple[int, int]:
    """The plan year shown and how many of its months have values: this year from March on (so that two
    months at least are in), else last year in full."""
    if today.month >= 3:
        return today.year, today.month - 1
    return today.year - 1, 12


def _d(value: float) -> Decimal:
    return Decimal(str(round(value, 4)))


def build_indicators(city: DemoCity, *, today: date) -> DemoIndicators:
    rng = random.Random(20260101)  # noqa: S311 -- repeatable demo figures, not secrets
    actor = city.people["zhaomin"]
    development, ecology, statistics = (
        city.units["development"],
        city.units["ecology"],
        city.units["statistics"],
    )
    year, months = plan_year(today)
    span = periods.year(year)

    def define(
        owner: Organization,
        code: str,
        name: str,
        uom: str,
        direction: str,
        measure: str,
        order: int,
        formula: str = "",
        description: str = "",
    ) -> Indicator:
        return services.indicator_create(
            actor=actor,
            owner_org=owner,
            code=code,
            name=name,
            unit_of_measure=uom,
            direction=direction,
            measure=measure,
            formula=formula,
            description=description,
            sort_order=order,
        )

    L, H, T, V = Direction.LOWER, Direction.HIGHER, Measure.TOTAL, Measure.LEVEL
    gdp = define(
        statistics, "gdp", "地区生产总值", "亿元", H, T, 90, description="当月地区生产总值（现价）。"
    )
    energy = define(
        development,
        "energy_total",
        "能源消费总量",
        "万吨标准煤",
        L,
        T,
        20,
        description="当月综合能源消费量；全年目标为能耗总量控制上限。",
    )
    intensity = define(
        development,
        "energy_intensity",
        "单位GDP能耗",
        "吨标准煤/万元",
        L,
        V,
        10,
        formula="energy_total / gdp",
        description="能源消费总量 ÷ 地区生产总值。",
    )
    co2 = define(
        ecology, "co2_total", "二氧化碳排放量", "万吨", L, T, 40, description="能源活动二氧化碳排放。"
    )
    co2_intensity = define(
        ecology,
        "co2_intensity",
        "单位GDP二氧化碳排放",
        "吨/万元",
        L,
        V,
        30,
        formula="co2_total / gdp",
        description="二氧化碳排放量 ÷ 地区生产总值。",
    )
    non_fossil = define(
        development, "non_fossil_share", "非化石能源消费占比", "%", H, V, 50, description="年初至当月累计值。"
    )
    good_air = define(
        ecology, "good_air_ratio", "空气质量优良天数比例", "%", H, V, 60, description="年初至当月累计值。"
    )
    pm25 = define(
        ecology, "pm25", "PM2.5平均浓度", "微克/立方米", L, V, 70, description="年初至当月累计平均浓度。"
    )

    rows: list[IndicatorValue] = []
    targets: dict[str, dict[str, tuple[Decimal, Decimal]]] = {
        c: {} for c in ("gdp", "energy", "co2", "share", "air", "pm", "int", "cint")
    }
    city_unit = city.government
    sums: dict[tuple[str, int], Decimal] = {}
    levels: dict[tuple[str, int], list[Decimal]] = {}

    def value(indicator: Indicator, org: Organization, month: int, amount: Decimal, source: str) -> None:
        p = periods.month(year, month)
        rows.append(
            IndicatorValue(
                indicator=indicator,
                org=org,
                period_start=p.start,
                period_end=p.end,
                value=amount.quantize(FOUR),
                # The statistics bureau finalizes a month's figures two months on.
                status=ValueStatus.FINAL if month <= months - 2 else ValueStatus.PROVISIONAL,
                source=source,
                reporter=actor,
            )
        )

    for key in DISTRICTS:
        org = city.units[key]
        base_gdp, base_intensity = BASES[key]
        energy_fate, share_fate, air_fate = FORTUNES[key]
        growth = 0.055 + rng.uniform(-0.01, 0.015)
        drift = {GOOD: -0.045, BEHIND: -0.012, WORSE: 0.025}[energy_fate]
        co2_factor = 2.05 + rng.uniform(-0.1, 0.1)
        target_intensity = base_intensity * Decimal("0.965")
        base_energy = Decimal(base_gdp) * base_intensity
        targets["gdp"][key] = (Decimal(base_gdp), _d(base_gdp * 1.06))
        targets["energy"][key] = (
            base_energy.quantize(FOUR),
            (Decimal(base_gdp) * Decimal("1.06") * target_intensity).quantize(FOUR),
        )
        targets["co2"][key] = (
            (base_energy * Decimal(str(co2_factor))).quantize(FOUR),
            (targets["energy"][key][1] * Decimal(str(co2_factor)) * Decimal("0.99")).quantize(FOUR),
        )
        targets["int"][key] = (base_intensity, target_intensity.quantize(FOUR))
        targets["cint"][key] = (
            (base_intensity * Decimal(str(co2_factor))).quantize(FOUR),
            (target_intensity * Decimal(str(co2_factor)) * Decimal("0.99")).quantize(FOUR),
        )
        share0 = 9 + rng.uniform(0, 8)
        air0 = 78 + rng.uniform(0, 8)
        pm0 = 36 + rng.uniform(0, 9)
        targets["share"][key] = (_d(share0), _d(share0 + 1.5))
        targets["air"][key] = (_d(air0), _d(air0 + 2))
        targets["pm"][key] = (_d(pm0), _d(pm0 - 2.5))
        share_pace = {GOOD: 2.0, BEHIND: 0.6, WORSE: -0.8}[share_fate]
        air_pace = {GOOD: 2.6, BEHIND: 0.8, WORSE: -1.5}[air_fate]
        pm_pace = {GOOD: -3.2, BEHIND: -0.8, WORSE: 1.6}[air_fate]
        for month in range(1, months + 1):
            share = month / 12
            season = 1 + 0.08 * ((month in (1, 2, 12)) - (month in (6, 7, 8)))
            gdp_m = _d(base_gdp * (1 + growth) / 12 * rng.uniform(0.96, 1.04))
            intensity_m = float(base_intensity) * (1 + drift * share) * season * rng.uniform(0.985, 1.015)
            energy_m = _d(float(gdp_m) * intensity_m)
            co2_m = _d(float(energy_m) * co2_factor)
            for code, indicator, amount in (
                ("gdp", gdp, gdp_m),
                ("energy", energy, energy_m),
                ("co2", co2, co2_m),
            ):
                value(indicator, org, month, amount, SOURCE_STATS)
                sums[(code, month)] = sums.get((code, month), Decimal(0)) + amount
            for code, indicator, amount, source in (
                ("share", non_fossil, _d(share0 + share_pace * share + rng.uniform(-0.2, 0.2)), SOURCE_STATS),
                ("air", good_air, _d(air0 + air_pace * share + rng.uniform(-0.4, 0.4)), SOURCE_AIR),
                ("pm", pm25, _d(pm0 + pm_pace * share + rng.uniform(-0.3, 0.3)), SOURCE_AIR),
            ):
                value(indicator, org, month, amount, source)
                levels.setdefault((code, month), []).append(amount)

    # The city's own values: totals add up, levels are the districts' mean (the monitoring network's).
    for month in range(1, months + 1):
        for code, indicator in (("gdp", gdp), ("energy", energy), ("co2", co2)):
            value(indicator, city_unit, month, sums[(code, month)], SOURCE_STATS)
        for code, indicator, source in (
            ("share", non_fossil, SOURCE_STATS),
            ("air", good_air, SOURCE_AIR),
            ("pm", pm25, SOURCE_AIR),
        ):
            items = levels[(code, month)]
            value(indicator, city_unit, month, sum(items, Decimal(0)) / len(items), source)

    saved = 0
    for code, indicator in (
        ("gdp", gdp),
        ("energy", energy),
        ("co2", co2),
        ("share", non_fossil),
        ("air", good_air),
        ("pm", pm25),
        ("int", intensity),
        ("cint", co2_intensity),
    ):
        per_district = targets[code]
        parts = [
            services.Part(city.units[k], target, baseline) for k, (baseline, target) in per_district.items()
        ]
        if indicator.measure == Measure.TOTAL:
            whole_baseline = sum((b for b, _t in per_district.values()), Decimal(0))
            whole_target = sum((t for _b, t in per_district.values()), Decimal(0))
        else:
            whole_baseline = sum((b for b, _t in per_district.values()), Decimal(0)) / len(per_district)
            whole_target = sum((t for _b, t in per_district.values()), Decimal(0)) / len(per_district)
            if code in ("int", "cint"):
                # The city's intensity is its total over its GDP, not the districts' mean.
                gdp_total = sum((b for b, _t in targets["gdp"].values()), Decimal(0))
                numerator = targets["energy" if code == "int" else "co2"]
                whole_baseline = sum((b for b, _t in numerator.values()), Decimal(0)) / gdp_total
                whole_target = sum((t for _b, t in numerator.values()), Decimal(0)) / sum(
                    (t for _b, t in targets["gdp"].values()), Decimal(0)
                )
        saved += len(
            services.target_set(
                actor=actor,
                indicator=indicator,
                org=city_unit,
                period_start=span.start,
                period_end=span.end,
                baseline=whole_baseline.quantize(FOUR),
                target_value=whole_target.quantize(FOUR),
                parts=parts,
                note="市政府年度目标分解",
            )
        )
    IndicatorValue.objects.bulk_create(rows)
    for indicator in (gdp, energy, co2, non_fossil, good_air, pm25):
        audit.record(
            actor=actor,
            action="indicator.values_load",
            obj=indicator,
            changes={
                "year": year,
                "months": months,
                "rows": sum(1 for r in rows if r.indicator is indicator),
            },
        )
    return DemoIndicators(indicators=Indicator.objects.count(), targets=saved, values=len(rows))
