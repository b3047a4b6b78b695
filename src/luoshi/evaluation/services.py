"""Writing schemes and evaluations. Each function is one use case, atomic, audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import bulk, workdays
from luoshi.core.errors import Conflict, NotAllowed, ValidationFailed
from luoshi.evaluation import engine, rules, selectors
from luoshi.evaluation.models import (
    DEFAULT_URGING_POINTS,
    WEIGHT_FIELDS,
    Component,
    Evaluation,
    Flag,
    Scheme,
    Score,
    SubjectKind,
)
from luoshi.evaluation.periods import Period
from luoshi.organizations.models import User

SCHEME_NUMBERS = ("relapse_points", "flag_jump_points", "flag_relapse_days", "flag_copy_min_chars")
NUMBER_LIMITS = {
    "relapse_points": (1, 100),
    "flag_jump_points": (1, 100),
    "flag_relapse_days": (1, 3650),
    "flag_copy_min_chars": (1, 1000),
}


def _invalid(fields: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _clean_scheme(data: dict[str, Any]) -> dict[str, Any]:
    """Checks every field and names each bad one; returns the values to store."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    name = str(data.get("name", "")).strip()
    if not name:
        errors["name"] = [_("Please give the scheme a name.")]
    elif len(name) > 100:
        errors["name"] = [_("A name has at most 100 characters.")]
    clean["name"] = name
    clean["description"] = str(data.get("description", "")).strip()
    total = 0
    for _component, field_name in WEIGHT_FIELDS.items():
        value = _as_int(data.get(field_name, 0))
        if value is None or not 0 <= value <= 100:
            errors[field_name] = [_("A weight is a whole number from 0 to 100.")]
            continue
        clean[field_name] = value
        total += value
    if not errors and total != 100:
        errors[WEIGHT_FIELDS[Component.ON_TIME]] = [
            _("The weights must add up to 100; they add up to %(total)d.") % {"total": total}
        ]
    for field_name in SCHEME_NUMBERS:
        low, high = NUMBER_LIMITS[field_name]
        value = _as_int(data.get(field_name, getattr(Scheme, field_name).field.default))
        if value is None or not low <= value <= high:
            errors[field_name] = [
                _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
            ]
        else:
            clean[field_name] = value
    points = data.get("urging_points", DEFAULT_URGING_POINTS)
    if not isinstance(points, dict) or set(points) - set(DEFAULT_URGING_POINTS):
        errors["urging_points"] = [
            _("Give points for these urging levels only: %(levels)s.")
            % {"levels": ", ".join(DEFAULT_URGING_POINTS)}
        ]
    else:
        parsed = {
            level: _as_int(points.get(level, default)) for level, default in DEFAULT_URGING_POINTS.items()
        }
        if any(p is None or not 0 <= p <= 100 for p in parsed.values()):
            errors["urging_points"] = [_("Points per urging are whole numbers from 0 to 100.")]
        else:
            clean["urging_points"] = parsed
    if errors:
        raise _invalid(errors)
    return clean


@transaction.atomic
def scheme_create(*, actor: User, data: dict[str, Any], activate: bool = False) -> Scheme:
    if not rules.may_edit_schemes(actor):
        raise NotAllowed(_("Only the city's administrators may edit scoring schemes."))
    clean = _clean_scheme(data)
    if Scheme.objects.filter(name=clean["name"]).exists():
        raise _invalid({"name": [_("A scheme with this name exists already.")]})
    scheme = Scheme.objects.create(**clean)
    audit.record(actor=actor, action="evaluation.scheme_create", obj=scheme, changes=scheme.as_data())
    if activate or not Scheme.objects.filter(is_active=True).exists():
        scheme = scheme_activate(actor=actor, scheme=scheme, version=scheme.version)
    return scheme


@transaction.atomic
def scheme_update(*, actor: User, scheme: Scheme, version: int, data: dict[str, Any]) -> Scheme:
    if not rules.may_edit_schemes(actor):
        raise NotAllowed(_("Only the city's administrators may edit scoring schemes."))
    locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if locked.version != version:
        raise Conflict(_("Someone else changed this scheme in the meantime. Reload it and try again."))
    clean = _clean_scheme(data)
    if Scheme.objects.filter(name=clean["name"]).exclude(pk=locked.pk).exists():
        raise _invalid({"name": [_("A scheme with this name exists already.")]})
    before = locked.as_data()
    for key, value in clean.items():
        setattr(locked, key, value)
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        action="evaluation.scheme_update",
        obj=locked,
        changes=audit.diff(before, locked.as_data()),
    )
    return locked


@transaction.atomic
def scheme_activate(*, actor: User, scheme: Scheme, version: int) -> Scheme:
    if not rules.may_edit_schemes(actor):
        raise NotAllowed(_("Only the city's administrators may edit scoring schemes."))
    locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if locked.version != version:
        raise Conflict(_("Someone else changed this scheme in the meantime. Reload it and try again."))
    Scheme.objects.filter(is_active=True).exclude(pk=locked.pk).update(is_active=False)
    locked.is_active = True
    locked.version += 1
    locked.save(update_fields=["is_active", "version", "updated_at"])
    audit.record(actor=actor, action="evaluation.scheme_activate", obj=locked)
    return locked


def _scheme_for_run() -> Scheme:
    """The active scheme; the first run of an installation creates the default one."""
    scheme = Scheme.objects.filter(is_active=True).first()
    if scheme is None:
        scheme, _created = Scheme.objects.get_or_create(
            name=_("Default scheme"),
            defaults={"is_active": not Scheme.objects.filter(is_active=True).exists()},
        )
    return scheme


@transaction.atomic
def evaluation_run(
    *, actor: User | None, period: Period, as_of: date | None = None, scheme: Scheme | None = None
) -> Evaluation:
    """Compute the period's table from the record and store it (replacing an earlier computation).

    ``actor`` None is the system (the scheduler or the command line). Recomputing from the same record
    gives the same table; the audit entry says whether the digest changed.
    """
    if actor is not None and not rules.may_compute(actor):
        raise NotAllowed(_("Only the city's supervisors and administrators may compute evaluations."))
    today = workdays.today()
    if period.start > today:
        raise _invalid({"period": [_("The period %(period)s has not started yet.") % {"period": period.key}]})
    as_of = min(as_of or today, period.end)
    scheme = scheme or _scheme_for_run()
    data = scheme.as_data()
    table = engine.compute(period, data, as_of=as_of)
    before = selectors.previous_ranks(scheme, period)
    digest = table.digest()
    evaluation = Evaluation.objects.select_for_update().filter(scheme=scheme, period_key=period.key).first()
    old_digest = evaluation.digest if evaluation else None
    if evaluation is None:
        evaluation = Evaluation(scheme=scheme, period_key=period.key)
    else:
        evaluation.version += 1
        evaluation.scores.all().delete()
        evaluation.flags.all().delete()
    evaluation.period_kind = str(period.kind)
    evaluation.period_start = period.start
    evaluation.period_end = period.end
    evaluation.as_of = as_of
    evaluation.scheme_data = data
    evaluation.unavailable = list(table.unavailable)
    evaluation.digest = digest
    evaluation.computed_at = timezone.now()
    evaluation.computed_by = actor if actor is not None and actor.is_authenticated else None
    evaluation.save()
    Score.objects.bulk_create(
        [
            Score(
                evaluation=evaluation,
                kind=row.kind,
                organization_id=row.subject_id if row.kind == SubjectKind.UNIT else None,
                person_id=row.subject_id if row.kind == SubjectKind.PERSON else None,
                peer_group_id=row.peer_group_id,
                score=row.score,
                components=row.components,
                rank=row.rank,
                previous_rank=before.get((row.kind, row.subject_id), (None, None))[0],
                previous_score=before.get((row.kind, row.subject_id), (None, None))[1],
                flag_count=row.flag_count,
            )
            for row in table.rows
        ],
        batch_size=1000,
    )
    # A province's quarter has half a million flags: written as plain rows (``core.bulk``), not models.
    bulk.copy_rows(
        Flag,
        ["evaluation_id", "kind", "organization_id", "task_id", "report_id", "other_report_id", "detail"],
        (
            (
                evaluation.pk,
                f.kind,
                f.organization_id,
                f.task_id,
                f.report_id,
                f.other_report_id,
                f.detail[:300],
            )
            for f in table.flags
        ),
    )
    audit.record(
        actor=actor or "system",
        action="evaluation.run",
        obj=evaluation,
        changes={
            "period": period.key,
            "as_of": as_of,
            "scores": len(table.rows),
            "flags": len(table.flags),
            "digest": [old_digest, digest],
            "unchanged": old_digest == digest,
        },
    )
    return evaluation
