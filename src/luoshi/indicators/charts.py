"""Target against actual over time as an SVG drawn on the server: no script, works offline, prints.

The chart carries a title and a description for screen readers; pages put the same numbers in a table
beside it (``series_table``), so nothing depends on seeing the lines or their colours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from luoshi.indicators import periods
from luoshi.indicators.models import Measure
from luoshi.indicators.selectors import Row

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40


@dataclass(frozen=True)
class TableRow:
    period: str
    expected: Decimal
    actual: Decimal


def _number(value: Decimal | float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def series_table(row: Row) -> list[TableRow]:
    """Per period with a value: where the schedule says the unit should be, and where it is."""
    target = row.target
    if target is None:
        return []
    total = (target.period_end - target.period_start).days + 1
    result = []
    running = Decimal(0)
    for point in row.points:
        share = Decimal((point.period_end - target.period_start).days + 1) / total
        if row.indicator.measure == Measure.TOTAL:
            running += point.value
            actual, expected = running, target.target_value * share
        else:
            actual = point.value
            expected = target.baseline + (target.target_value - target.baseline) * share
        result.append(
            TableRow(
                periods.key(row.indicator.frequency, point.period_start), round(expected, 4), round(actual, 4)
            )
        )
    return result


def _x(day: date, start: date, end: date) -> float:
    span = max((end - start).days, 1)
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - start).days / span


def _y(value: float, low: float, high: float) -> float:
    span = (high - low) or 1.0
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - low) / span)


def trajectory_svg(row: Row) -> SafeString:
    """The chart of one unit's indicator over its plan period, or an empty string when it has no target."""
    target = row.target
    if target is None:
        return SafeString("")
    start, end = target.period_start, target.period_end
    is_total = row.indicator.measure == Measure.TOTAL
    plan_from = 0.0 if is_total else float(target.baseline)
    plan_to = float(target.target_value)
    table = series_table(row)
    actual_points = [(p.period_end, float(t.actual)) for p, t in zip(row.points, table, strict=True)]
    values = [plan_from, plan_to, *(v for _d, v in actual_points)]
    if is_total:
        values.append(float(target.baseline))
    low, high = min(values), max(values)
    margin = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
    low, high = low - margin, high + margin
    if is_total:
        low = max(low, 0.0)

    def pt(day: date, value: float) -> str:
        return f"{_x(day, start, end):.1f},{_y(value, low, high):.1f}"

    ticks = [low + (high - low) * i / 4 for i in range(5)]
    grid = format_html_join(
        "",
        '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                f"{_y(t, low, high):.1f}",
                f"{_y(t, low, high):.1f}",
                LEFT - 6,
                f"{_y(t, low, high) + 4:.1f}",
                _number(t),
            )
            for t in ticks
        ),
    )
    months = []
    day = date(start.year, start.month, 1)
    while day <= end:
        months.append(day)
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    step = max(1, len(months) // 6)
    x_labels = format_html_join(
        "",
        '<text class="chart-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((f"{_x(m, start, end):.1f}", HEIGHT - BOTTOM + 18, f"{m:%Y-%m}") for m in months[::step]),
    )
    plan = format_html(
        '<polyline class="chart-plan" points="{} {}"/>', pt(start, plan_from), pt(end, plan_to)
    )
    pace = (
        format_html(
            '<polyline class="chart-baseline" points="{} {}"/>',
            pt(start, 0.0),
            pt(end, float(target.baseline)),
        )
        if is_total
        else format_html(
            '<polyline class="chart-baseline" points="{} {}"/>',
            pt(start, float(target.baseline)),
            pt(end, float(target.baseline)),
        )
    )
    line = (
        format_html(
            '<polyline class="chart-actual" points="{}"/>', " ".join(pt(d, v) for d, v in actual_points)
        )
        if len(actual_points) > 1
        else SafeString("")
    )
    dots = format_html_join(
        "",
        '<circle class="chart-dot chart-dot-{}" cx="{}" cy="{}" r="4"><title>{}: {}</title></circle>',
        (
            (row.light, f"{_x(d, start, end):.1f}", f"{_y(v, low, high):.1f}", t.period, _number(t.actual))
            for (d, v), t in zip(actual_points, table, strict=True)
        ),
    )
    title = _("%(indicator)s of %(unit)s: target against actual") % {
        "indicator": row.indicator.name,
        "unit": row.org.display_name,
    }
    if table:
        last = table[-1]
        description = _(
            "%(measure)s by %(period)s: %(actual)s %(uom)s, against %(expected)s on the way from "
            "%(baseline)s to the target of %(target)s by %(end)s."
        ) % {
            "measure": _("Sum so far") if is_total else _("Value"),
            "period": last.period,
            "actual": _number(last.actual),
            "expected": _number(last.expected),
            "uom": row.indicator.unit_of_measure,
            "baseline": _number(target.baseline),
            "target": _number(target.target_value),
            "end": end.isoformat(),
        }
    else:
        description = _("No values reported yet.")
    uid = f"chart-{row.indicator.pk}-{row.org.pk}"
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{uid}-t {uid}-d" '
        'preserveAspectRatio="xMidYMid meet">'
        '<title id="{uid}-t">{title}</title><desc id="{uid}-d">{desc}</desc>'
        "{grid}{xl}{pace}{plan}{line}{dots}</svg>",
        w=WIDTH,
        h=HEIGHT,
        uid=uid,
        title=title,
        desc=description,
        grid=grid,
        xl=x_labels,
        pace=pace,
        plan=plan,
        line=line,
        dots=dots,
    )
