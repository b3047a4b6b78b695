"""Writes about indicators: defining them, setting and splitting targets, reporting values, linking tasks
and opening a rectification task for a red indicator. One function per use case, atomic, audited last."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import trees, workdays
from luoshi.core.errors import Conflict, NotAllowed, ValidationFailed
from luoshi.indicators import formulas, periods, rules
from luoshi.indicators.models import (
    Direction,
    Frequency,
    Indicator,
    IndicatorValue,
    Measure,
    Target,
    TaskIndicatorLink,
    ValueStatus,
)
from luoshi.organizations.models import Organization, User
from luoshi.tasks import rules as task_rules
from luoshi.tasks.models import Priority, Task
from luoshi.tasks.services import task_create

# Parts of a split may differ from the whole by this share of it (rounding of typed decimals), no more.
SPLIT_TOLERANCE = Decimal("0.0001")
MIN_RECTIFICATION_DAYS = 30


def _invalid(fields: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


def _number(value: Decimal) -> str:
    """A decimal as people write it: no trailing zeros, no exponent."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- defining -------------------------------------------------------------------------------------


def _check_formula(text: str, *, code: str) -> str:
    """The formula's text, parsed, with every code known and no cycle through ``code``."""
    formula = formulas.parse(text)
    known = dict(Indicator.objects.filter(code__in=formula.codes).values_list("code", "formula"))
    for name in formula.codes:
        if name == code:
            raise _invalid({"formula": [_("An indicator cannot be computed from itself.")]})
        if name not in known:
            raise _invalid(
                {
                    "formula": [
                        _("The formula refers to “%(code)s”, but no indicator has that code.")
                        % {"code": name}
                    ]
                }
            )
    # A cycle through other derived indicators: follow their formulas (a handful of rows).
    pending = [c for c, f in known.items() if f]
    seen: set[str] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        text_of = Indicator.objects.filter(code=current).values_list("formula", flat=True).first() or ""
        for name in formulas.parse(text_of).codes if text_of else ():
            if name == code:
                raise _invalid(
                    {
                        "formula": [
                            _("“%(code)s” is computed from this indicator, so this formula makes a circle.")
                            % {"code": current}
                        ]
                    }
                )
            pending.append(name)
    return formula.text


@transaction.atomic
def indicator_create(
    *,
    actor: User,
    owner_org: Organization,
    code: str,
    name: str,
    unit_of_measure: str,
    direction: str,
    frequency: str = Frequency.MONTHLY,
    measure: str = Measure.LEVEL,
    formula: str = "",
    description: str = "",
    sort_order: int = 0,
) -> Indicator:
    """Define an indicator owned by ``owner_org`` (which answers for its targets and data)."""
    if not rules.may_define(actor, owner_org):
        raise NotAllowed(
            _("Only the people of %(unit)s or its supervisors may define its indicators.")
            % {"unit": owner_org.name}
        )
    indicator = Indicator(
        owner_org=owner_org,
        code=(code or "").strip(),
        name=(name or "").strip(),
        unit_of_measure=(unit_of_measure or "").strip(),
        direction=direction,
        frequency=frequency,
        measure=measure,
        description=description,
        sort_order=sort_order,
    )
    try:
        indicator.full_clean(exclude=["formula"])
    except ValidationError as exc:
        raise _invalid(exc.message_dict) from exc
    if formula and formula.strip():
        indicator.formula = _check_formula(formula, code=indicator.code)
    indicator.save()
    audit.record(
        actor=actor,
        action="indicator.create",
        obj=indicator,
        changes={
            "code": indicator.code,
            "name": indicator.name,
            "unit_of_measure": indicator.unit_of_measure,
            "direction": indicator.direction,
            "frequency": indicator.frequency,
            "measure": indicator.measure,
            "owner_org": owner_org.pk,
            "formula": indicator.formula,
        },
    )
    return indicator


# --- targets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One unit's share of a split target."""

    org: Organization
    target_value: Decimal
    baseline: Decimal | None = None


def _upsert_target(
    *,
    actor: User,
    indicator: Indicator,
    org: Organization,
    period_start: date,
    period_end: date,
    baseline: Decimal,
    target_value: Decimal,
    note: str,
    version: int | None,
) -> Target:
    target = (
        Target.objects.select_for_update()
        .filter(indicator=indicator, org=org, period_start=period_start, period_end=period_end)
        .first()
    )
    if target is None:
        target = Target.objects.create(
            indicator=indicator,
            org=org,
            period_start=period_start,
            period_end=period_end,
            baseline=baseline,
            target_value=target_value,
            note=note,
            set_by=actor,
        )
        audit.record(
            actor=actor,
            action="indicator.target_set",
            obj=target,
            changes={
                "indicator": indicator.pk,
                "org": org.pk,
                "period_start": period_start,
                "period_end": period_end,
                "baseline": baseline,
                "target_value": target_value,
            },
        )
        return target
    if version is not None and version != target.version:
        raise Conflict(
            _("The target of %(unit)s was changed by someone else meanwhile. Reload and try again.")
            % {"unit": org.name}
        )
    before = {"baseline": target.baseline, "target_value": target.target_value}
    target.baseline, target.target_value, target.note = baseline, target_value, note or target.note
    target.set_by = actor
    target.version += 1
    target.save()
    audit.record(
        actor=actor,
        action="indicator.target_change",
        obj=target,
        changes={"before": before, "baseline": baseline, "target_value": target_value},
    )
    return target


@transaction.atomic
def target_set(
    *,
    actor: User,
    indicator: Indicator,
    org: Organization,
    period_start: date,
    period_end: date,
    baseline: Decimal,
    target_value: Decimal,
    parts: Sequence[Part] = (),
    note: str = "",
    version: int | None = None,
) -> list[Target]:
    """Set ``org``'s target for a plan period and, if ``parts`` are given, split it across units below.

    For a total the parts must add up to the whole (``parts`` names the difference); levels are set per
    unit and not summed. Nothing is saved unless every part is right. Returns the whole, then the parts.
    """
    if period_end < period_start:
        raise _invalid({"period_end": [_("The plan period cannot end before it starts.")]})
    problems: dict[str, list[str]] = {}
    seen: set[int] = set()
    for index, part in enumerate(parts):
        if not trees.is_within(part.org.path, org.path) or part.org.pk == org.pk:
            problems[f"parts.{index}.org"] = [
                _("%(part)s is not a unit below %(unit)s.") % {"part": part.org.name, "unit": org.name}
            ]
        elif part.org.pk in seen:
            problems[f"parts.{index}.org"] = [
                _("%(part)s appears twice in the split.") % {"part": part.org.name}
            ]
        seen.add(part.org.pk)
    if parts and indicator.measure == Measure.TOTAL:
        total = sum((p.target_value for p in parts), Decimal(0))
        if abs(total - target_value) > abs(target_value) * SPLIT_TOLERANCE:
            difference = total - target_value
            problems["parts"] = [
                _(
                    "The parts add up to %(sum)s, not %(whole)s, the target of %(unit)s "
                    "(%(difference)s %(direction)s)."
                )
                % {
                    "sum": _number(total),
                    "whole": _number(target_value),
                    "unit": org.name,
                    "difference": _number(abs(difference)),
                    "direction": _("too much") if difference > 0 else _("short"),
                }
            ]
    if problems:
        raise _invalid(problems)
    for unit in [org, *(p.org for p in parts)]:
        if not rules.may_set_target(actor, indicator, unit):
            raise NotAllowed(
                _("You may not set the target of %(unit)s for %(indicator)s.")
                % {"unit": unit.name, "indicator": indicator.name}
            )
    common: dict[str, Any] = {
        "actor": actor,
        "indicator": indicator,
        "period_start": period_start,
        "period_end": period_end,
    }
    saved = [
        _upsert_target(
            **common, org=org, baseline=baseline, target_value=target_value, note=note, version=version
        )
    ]
    for part in parts:
        saved.append(
            _upsert_target(
                **common,
                org=part.org,
                baseline=part.baseline if part.baseline is not None else baseline,
                target_value=part.target_value,
                note="",
                version=None,
            )
        )
    return saved


# --- values ---------------------------------------------------------------------------------------


@transaction.atomic
def value_report(
    *,
    actor: User,
    indicator: Indicator,
    org: Organization,
    period: str,
    value: Decimal,
    source: str,
    status: str = ValueStatus.PROVISIONAL,
    note: str = "",
    revision: int | None = None,
    today: date | None = None,
) -> IndicatorValue:
    """Report ``org``'s value for ``period`` (e.g. ``2026-03``), or revise it.

    A revision never overwrites: the earlier row stays, no longer current. ``revision`` is the revision
    the reporter last saw (None for a first report); if another came in meanwhile the answer is 409. A
    final value may be corrected by another final value, never turned back into a provisional one.
    """
    today = today or workdays.today()
    if indicator.is_derived:
        raise _invalid(
            {
                "indicator": [
                    _("%(indicator)s is computed from its formula (%(formula)s); report its components.")
                    % {"indicator": indicator.name, "formula": indicator.formula}
                ]
            }
        )
    span = periods.parse(indicator.frequency, period, today=today)
    problems: dict[str, list[str]] = {}
    source = (source or "").strip()
    if not source:
        problems["source"] = [
            _("Say where the value comes from (e.g. the statistics bureau's monthly report).")
        ]
    if status not in ValueStatus.values:
        problems["status"] = [_("Choose provisional or final.")]
    if indicator.measure == Measure.TOTAL and value < 0:
        problems["value"] = [_("A total cannot be negative.")]
    if abs(value) >= Decimal(10) ** 14:
        problems["value"] = [_("The value is too large.")]
    if problems:
        raise _invalid(problems)
    if not rules.may_report(actor, indicator, org):
        raise NotAllowed(
            _(
                "Only the head or handler of %(unit)s, the owner unit or their supervisors may report "
                "this value."
            )
            % {"unit": org.name}
        )
    current = (
        IndicatorValue.objects.select_for_update()
        .filter(indicator=indicator, org=org, period_start=span.start, is_current=True)
        .first()
    )
    if current is not None:
        if revision != current.revision:
            raise Conflict(
                _(
                    "%(unit)s already has revision %(revision)s for %(period)s (%(value)s, %(status)s). "
                    "Reload, check it, and send your correction as its revision."
                )
                % {
                    "unit": org.name,
                    "revision": current.revision,
                    "period": period,
                    "value": _number(current.value),
                    "status": current.get_status_display(),
                }
            )
        if current.status == ValueStatus.FINAL and status != ValueStatus.FINAL:
            raise Conflict(_("The value for this period is final already; a correction must be final too."))
        current.is_current = False
        current.save(update_fields=["is_current"])
    elif revision not in (None, 0):
        raise Conflict(_("The value you revised no longer exists. Reload and try again."))
    row = IndicatorValue.objects.create(
        indicator=indicator,
        org=org,
        period_start=span.start,
        period_end=span.end,
        value=value,
        status=status,
        source=source,
        note=note,
        revision=(current.revision + 1) if current else 1,
        reporter=actor,
    )
    audit.record(
        actor=actor,
        action="indicator.value_report" if current is None else "indicator.value_revise",
        obj=row,
        changes={
            "indicator": indicator.pk,
            "org": org.pk,
            "period": periods.key(indicator.frequency, span.start),
            "value": value,
            "status": status,
            "source": source,
            "revision": row.revision,
            "before": _number(current.value) if current else None,
        },
    )
    return row


# --- tasks ----------------------------------------------------------------------------------------


@transaction.atomic
def task_link(
    *,
    actor: User,
    task: Task,
    indicator: Indicator,
    org: Organization,
    expected_change: Decimal | None = None,
    note: str = "",
) -> TaskIndicatorLink:
    """Declare that ``task`` should move ``indicator`` for ``org`` (by ``expected_change``, signed)."""
    access.require(actor, "plan", task)
    access.require(actor, "view", indicator)
    if TaskIndicatorLink.objects.filter(task=task, indicator=indicator, org=org).exists():
        raise _invalid(
            {
                "indicator": [
                    _("This task is linked to %(indicator)s for %(unit)s already.")
                    % {"indicator": indicator.name, "unit": org.name}
                ]
            }
        )
    if expected_change is not None and expected_change != 0:
        wrong_way = (
            (expected_change < 0) if indicator.direction == Direction.HIGHER else (expected_change > 0)
        )
        if wrong_way:
            raise _invalid(
                {
                    "expected_change": [
                        _("%(indicator)s is better when it is %(way)s; the change should say so.")
                        % {
                            "indicator": indicator.name,
                            "way": _("higher") if indicator.direction == Direction.HIGHER else _("lower"),
                        }
                    ]
                }
            )
    link = TaskIndicatorLink.objects.create(
        task=task, indicator=indicator, org=org, expected_change=expected_change, note=note, created_by=actor
    )
    audit.record(
        actor=actor,
        action="indicator.task_link",
        obj=task,
        changes={"indicator": indicator.pk, "org": org.pk, "expected_change": expected_change, "note": note},
    )
    return link


def _chain(lead: Organization) -> list[Organization]:
    """``lead`` and the units above it, nearest first, as unsaved stand-ins built from the path (the
    assignment rule needs only ids and paths, so no query is made)."""
    paths = [*trees.ancestor_paths(lead.path), lead.path]
    return [Organization(pk=trees.ids_in_path(p)[-1], path=p) for p in reversed(paths)]


def may_rectify(actor: User, lead: Organization) -> bool:
    """Whether ``actor`` may open a rectification task for ``lead`` (no query)."""
    return any(task_rules.may_assign_from(actor, unit) for unit in _chain(lead))


def assigning_unit(actor: User, lead: Organization) -> Organization | None:
    """The nearest unit above ``lead`` in whose name ``actor`` may assign work, else ``lead`` itself
    (a unit rectifying its own indicator keeps the task)."""
    chain = _chain(lead)
    for unit in [*chain[1:], chain[0]]:
        if task_rules.may_assign_from(actor, unit):
            return Organization.objects.get(pk=unit.pk)
    return None


@transaction.atomic
def rectification_open(
    *, actor: User, indicator: Indicator, org: Organization, today: date | None = None
) -> Task:
    """Open a rectification task (整改任务) for ``org``'s red ``indicator`` and link it to the indicator.

    The task is a draft led by ``org`` and registered by the nearest unit above it that the actor works
    for or supervises; it is reviewed and assigned from the task page like any other.
    """
    from luoshi.indicators import selectors

    today = today or workdays.today()
    row = selectors.standing_of(indicator=indicator, org=org, today=today)
    if row.target is None or row.standing.light != "red":
        raise Conflict(
            _("%(indicator)s of %(unit)s is not red, so there is nothing to rectify.")
            % {"indicator": indicator.name, "unit": org.name}
        )
    assigning = assigning_unit(actor, org)
    if assigning is None:
        raise NotAllowed(
            _("Only the people above %(unit)s or its supervisors may open a rectification task for it.")
            % {"unit": org.name}
        )
    standing = row.standing
    due_on = max(row.target.period_end, today + timedelta(days=MIN_RECTIFICATION_DAYS))
    description = _(
        "%(indicator)s of %(unit)s has worsened: %(actual)s %(uom)s against %(reference)s at the "
        "baseline and %(expected)s due by %(as_of)s on the way to the target of %(target)s."
    ) % {
        "indicator": indicator.name,
        "unit": org.name,
        "actual": _number(round(standing.actual or Decimal(0), 4)),
        "uom": indicator.unit_of_measure,
        "reference": _number(round(standing.reference or Decimal(0), 4)),
        "expected": _number(round(standing.expected or Decimal(0), 4)),
        "as_of": standing.as_of,
        "target": _number(row.target.target_value),
    }
    task = task_create(
        actor=actor,
        assigning_org=assigning,
        lead_org=org,
        title=_("Rectify %(indicator)s of %(unit)s")
        % {"indicator": indicator.name, "unit": org.display_name},
        description=description,
        expected_outcome=_("%(indicator)s back on the trajectory to its target of %(target)s %(uom)s.")
        % {
            "indicator": indicator.name,
            "target": _number(row.target.target_value),
            "uom": indicator.unit_of_measure,
        },
        start_on=today,
        due_on=due_on,
        priority=Priority.URGENT,
        tags=[str(_("Indicator rectification"))],
    )
    expected_change = None
    if standing.actual is not None and standing.expected is not None:
        expected_change = (standing.expected - standing.actual).quantize(Decimal("0.0001"))
    TaskIndicatorLink.objects.create(
        task=task, indicator=indicator, org=org, expected_change=expected_change or None, created_by=actor
    )
    audit.record(
        actor=actor,
        action="indicator.rectification_open",
        obj=task,
        changes={"indicator": indicator.pk, "org": org.pk, "expected_change": expected_change},
    )
    return task
