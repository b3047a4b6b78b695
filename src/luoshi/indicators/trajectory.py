"""Lights from the trajectory (DESIGN §7): where a unit's value is against where it must be by now.

The barometer has three levels: level 1 (red) the value has worsened from the baseline, level 2 (yellow)
it is better than the baseline but behind the schedule to the target, level 3 (green) it is on track.
Both tolerances are per cent and come from ``settings.LUOSHI_INDICATORS``.

For a level (a rate, ratio, concentration) the schedule is a straight line from the baseline at the
start of the plan period to the target at its end, and the latest value is compared with it. For a total
the target is the amount over the whole period, so the sum of the values so far is compared with the
target's share for the time elapsed (and the baseline's share for the same time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.indicators.models import Direction, Measure

DEFAULTS = {"behind_tolerance": 2, "worsened_tolerance": 0}


class Level(models.IntegerChoices):
    WORSENED = 1, _("Level 1: worsened")
    BEHIND = 2, _("Level 2: behind schedule")
    ON_TRACK = 3, _("Level 3: on track")


LIGHT_OF_LEVEL = {Level.WORSENED: "red", Level.BEHIND: "yellow", Level.ON_TRACK: "green"}


def indicator_settings() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "LUOSHI_INDICATORS", {})}


@dataclass(frozen=True)
class Point:
    """A value of one period (the current revision, or computed by a formula)."""

    period_start: date
    period_end: date
    value: Decimal


@dataclass(frozen=True)
class Standing:
    """Where a unit stands on an indicator against its target, as of its latest value."""

    level: Level | None
    actual: Decimal | None = None  # the latest level, or the sum so far for a total
    expected: Decimal | None = None  # where the schedule says it should be by now
    reference: Decimal | None = None  # the baseline at the same point of time
    elapsed: float = 0.0  # share of the plan period covered by the values (0–1)
    as_of: date | None = None  # end of the latest period with a value
    attainment: float | None = None  # achieved change as a share of the change due by now, 0–100

    @property
    def light(self) -> str:
        return LIGHT_OF_LEVEL[self.level] if self.level is not None else "none"


def _elapsed(start: date, end: date, upto: date) -> float:
    total = (end - start).days + 1
    done = (min(upto, end) - start).days + 1
    return max(0.0, min(1.0, done / total))


def standing(
    *,
    measure: str,
    direction: str,
    period_start: date,
    period_end: date,
    baseline: Decimal,
    target_value: Decimal,
    points: Sequence[Point],
    upto: date | None = None,
) -> Standing:
    """The standing from the values of the plan period (any order) reported for periods ending by ``upto``."""
    within = sorted(
        (
            p
            for p in points
            if p.period_start >= period_start
            and p.period_end <= period_end
            and (upto is None or p.period_end <= upto)
        ),
        key=lambda p: p.period_start,
    )
    if not within:
        return Standing(level=None)
    last = within[-1]
    share = Decimal(str(_elapsed(period_start, period_end, last.period_end)))
    if measure == Measure.TOTAL:
        actual = sum((p.value for p in within), Decimal(0))
        expected = target_value * share
        reference = baseline * share
    else:
        actual = last.value
        expected = baseline + (target_value - baseline) * share
        reference = baseline
    sign = Decimal(1) if direction == Direction.HIGHER else Decimal(-1)
    tolerances = indicator_settings()
    better_than_reference = sign * (actual - reference)
    better_than_expected = sign * (actual - expected)
    worsened_margin = abs(reference) * Decimal(tolerances["worsened_tolerance"]) / 100
    behind_margin = abs(expected) * Decimal(tolerances["behind_tolerance"]) / 100
    if better_than_reference < -worsened_margin:
        level = Level.WORSENED
    elif better_than_expected < -behind_margin:
        level = Level.BEHIND
    else:
        level = Level.ON_TRACK
    due = sign * (expected - reference)
    if due > 0:
        attainment = float(max(Decimal(0), min(Decimal(100), better_than_reference / due * 100)))
    else:
        # Nothing was due yet (or the target is to hold the baseline): attained unless it worsened.
        attainment = 0.0 if level == Level.WORSENED else 100.0
    return Standing(
        level=level,
        actual=actual,
        expected=expected,
        reference=reference,
        elapsed=float(share),
        as_of=last.period_end,
        attainment=round(attainment, 1),
    )
