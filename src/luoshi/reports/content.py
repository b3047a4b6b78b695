"""What a bulletin says, taken from the record: totals, units and focus areas, lagging units with their
item numbers, the league table, the red list and the next demands.

The result is plain JSON (stored as the bulletin's frozen content); the renderers in ``documents`` only
lay it out. Every figure is counted in SQL; item numbers are the items' positions in the bulletin's own
list (序号), ordered as the ledger orders them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from luoshi.core import trees, workdays
from luoshi.evaluation import selectors as evaluation
from luoshi.evaluation.periods import Period
from luoshi.organizations.models import Organization
from luoshi.tasks.models import Light, Task, TaskStatus


def bulletin_settings() -> dict[str, Any]:
    # ``doc_prefix`` names the issuer in document numbers; {org} is the unit's short name.
    defaults = {"doc_prefix": "{org}督通", "demand_working_days": 5}
    return defaults | dict(getattr(settings, "LUOSHI_BULLETINS", {}))


def format_date(day: date, language: str) -> str:
    """Dates as official documents write them: 2022年9月30日 (no leading zeros), or 30 September 2022."""
    if language.startswith("zh"):
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day.strftime('%B')} {day.year}"


def period_label(period: Period, language: str) -> str:
    if language.startswith("zh"):
        y = period.start.year
        if period.kind == "week":
            return f"{y}年第{int(period.key.split('W')[1])}周"
        if period.kind == "month":
            return f"{y}年{period.start.month}月"
        if period.kind == "quarter":
            quarter = "一二三四"[(period.start.month - 1) // 3]
            return f"{y}年第{quarter}季度"
        return f"{y}年"
    return period.label()


def light_label(light: str, closed_late: bool) -> str:
    """The word for a light, as the badge says it: a colour alone means nothing in a printed bulletin."""
    if light == Light.CLOSED:
        return pgettext("light", "Closed late") if closed_late else pgettext("light", "Closed")
    labels: dict[str, str] = {
        Light.RED: _("Red light"),
        Light.YELLOW: _("Yellow light"),
        Light.BLUE: _("Blue light"),
        Light.GREEN: _("Green light"),
    }
    return str(labels.get(light, _("No light")))


def bulletin_items(org: Organization, period: Period, as_of: date) -> Any:
    """The items on ``org``'s ledger in the period: tasks led in its subtree that are not subtasks of
    another such task, not cancelled, started by the end and not closed before the start."""
    return (
        Task.objects.led_under(org)
        .exclude(status=TaskStatus.CANCELLED)
        .filter(Q(parent__isnull=True) | ~trees.subtree_q("parent__lead_org_path", org.path))
        .filter(start_on__lte=as_of)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))
        .select_related("lead_org", "handler", "focus_area")
        .order_by("lead_org_path", "path")
    )


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def build(
    *, org: Organization, period: Period, as_of: date, language: str, demands: str = ""
) -> dict[str, Any]:
    """The content of a bulletin of ``org``'s work in ``period`` as the record stands on ``as_of``."""
    items: list[dict[str, Any]] = []
    for number, task in enumerate(bulletin_items(org, period, as_of), start=1):
        closed = task.closed_on is not None and task.closed_on <= as_of
        overdue = not closed and task.status != TaskStatus.CLOSED and task.due_on < as_of
        items.append(
            {
                "no": number,
                "id": task.pk,
                "title": task.title,
                "lead_id": task.lead_org_id,
                "lead_path": task.lead_org_path,
                "lead": task.lead_org.display_name,
                "handler": str(task.handler) if task.handler else "",
                "focus_area": task.focus_area.name if task.focus_area else "",
                "due": task.due_on.isoformat(),
                "original_due": task.original_due_on.isoformat(),
                "status": task.status,
                "status_label": str(TaskStatus(task.status).label),
                "light": task.light,
                "light_label": light_label(task.light, task.closed_late),
                "progress": task.progress,
                "closed": closed,
                "closed_on_time": closed and not task.closed_late,
                "overdue": overdue,
            }
        )
    total = len(items)
    closed = sum(1 for i in items if i["closed"])
    totals: dict[str, int] = {
        "items": total,
        "closed": closed,
        "closed_rate": _percent(closed, total),
        "closed_on_time": sum(1 for i in items if i["closed_on_time"]),
        "open": total - closed,
        "overdue": sum(1 for i in items if i["overdue"]),
        **{
            str(light): sum(1 for i in items if not i["closed"] and i["light"] == light)
            for light in (Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN)
        },
    }

    # By unit: each item under the child of ``org`` its lead unit belongs to (or ``org`` itself).
    children = {
        o.path: o
        for o in Organization.objects.filter(parent=org, is_active=True).order_by("sort_order", "path")
    }
    width = len(org.path) + trees.SEGMENT
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[item["lead_path"][:width] if item["lead_path"][:width] in children else org.path].append(item)
    by_unit = []
    for path, unit in [(org.path, org), *children.items()]:
        members = groups.get(path, [])
        if not members:
            continue
        lagging = [i["no"] for i in members if i["overdue"] or (not i["closed"] and i["light"] == Light.RED)]
        by_unit.append(
            {
                "org_id": unit.pk,
                "name": unit.display_name,
                "items": len(members),
                "closed": sum(1 for i in members if i["closed"]),
                "closed_rate": _percent(sum(1 for i in members if i["closed"]), len(members)),
                "overdue": sum(1 for i in members if i["overdue"]),
                "red": sum(1 for i in members if not i["closed"] and i["light"] == Light.RED),
                "lagging_numbers": lagging,
            }
        )
    areas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        areas[item["focus_area"] or str(_("No focus area"))].append(item)
    by_area = [
        {
            "name": name,
            "items": len(members),
            "closed": sum(1 for i in members if i["closed"]),
            "overdue": sum(1 for i in members if i["overdue"]),
        }
        for name, members in areas.items()
    ]
    lagging_units: list[dict[str, Any]] = [
        {
            "org_id": u["org_id"],
            "name": u["name"],
            "numbers": u["lagging_numbers"],
            "overdue": u["overdue"],
            "red": u["red"],
        }
        for u in by_unit
        if u["lagging_numbers"]
    ]
    red_list = [
        {k: i[k] for k in ("no", "id", "title", "lead", "handler", "due", "progress", "overdue")}
        for i in items
        if not i["closed"] and i["light"] == Light.RED
    ]
    stored = evaluation.evaluation_for(period) is not None
    league = [
        {
            "rank": r.rank,
            "previous_rank": r.previous_rank,
            "movement": r.movement,
            "name": r.name,
            "score": None if r.score is None else str(r.score),
        }
        for r in evaluation.league_table(period, parent=org)
    ]
    respond_by = workdays.add_working_days(as_of, int(bulletin_settings()["demand_working_days"]))
    generated_demands = [
        _("%(unit)s: report by %(date)s the measures taken and the progress on items %(numbers)s.")
        % {
            "unit": u["name"],
            "date": format_date(respond_by, language),
            "numbers": "、".join(str(n) for n in u["numbers"]),
        }
        for u in lagging_units
    ]
    written = [line.strip() for line in demands.splitlines() if line.strip()]
    return {
        "language": language,
        "org": {"id": org.pk, "name": org.name, "short_name": org.display_name},
        "period": {
            "key": period.key,
            "kind": str(period.kind),
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": period_label(period, language),
        },
        "as_of": as_of.isoformat(),
        "as_of_text": format_date(as_of, language),
        "totals": totals,
        "items": [{k: v for k, v in i.items() if k != "lead_path"} for i in items],
        "by_unit": by_unit,
        "by_area": by_area,
        "lagging": lagging_units,
        "league": league,
        "league_stored": stored,
        "red_list": red_list,
        "demands": generated_demands + written,
    }
