"""Urgings by hand, their answers, the escalation ladder's rules, and the entry point of the daily sweep.

Each function is one use case, atomic, audited last. Urgings do not change the task row itself; what they
change about a task is ``Task.open_overdue_urgings`` (an urging unanswered past its date turns the task
red), which ``sync_overdue_urgings`` keeps right and rolls up through ``rollup.refresh``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, When
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import workdays
from luoshi.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from luoshi.organizations.models import Membership, Role, User
from luoshi.supervision import rules
from luoshi.supervision.models import (
    LADDER,
    EscalationRule,
    Recipients,
    Urging,
    UrgingLevel,
    UrgingStatus,
    level_rank,
)
from luoshi.tasks import notify, rollup
from luoshi.tasks.models import OPEN_STATUSES, Task

if TYPE_CHECKING:
    from luoshi.supervision.sweep import SweepResult

# The account the sweep acts as where a service needs an actor (closing a public notice): it cannot sign
# in (no usable password), and the audit trail names it.
SYSTEM_USERNAME = "luoshi-sweep"
SYSTEM_DISPLAY_NAME = "落实系统自动督查"
# Levels that go to the responsible leader by default when issued by hand.
LEADER_LEVELS = frozenset(
    {
        UrgingLevel.ORDER_BLUE,
        UrgingLevel.ORDER_ORANGE,
        UrgingLevel.ORDER_RED,
        UrgingLevel.TALK,
        UrgingLevel.REFERRAL,
    }
)
MAX_RESPOND_WORKING_DAYS = 60
RULE_FIELDS = ("days_after_due", "urgent_days_after_due", "respond_working_days", "recipients", "is_active")


def system_actor() -> User:
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "display_name": SYSTEM_DISPLAY_NAME,
            "is_superuser": True,
            "is_active": True,
            "password": make_password(None),
        },
    )
    return user


def _invalid(fields: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


# --- notifications --------------------------------------------------------------------------------


def audience_for(task: Task, recipients: str, to_person_id: int | None) -> notify.Audience:
    """Who hears about an urging sent to ``recipients`` of the task's lead unit."""
    named = (to_person_id,) if to_person_id else ()
    if recipients == Recipients.HANDLER and to_person_id:
        return notify.Audience((), (), named)
    if recipients == Recipients.LEADER:
        extra = (task.responsible_leader_id,) if task.responsible_leader_id else ()
        return notify.Audience((task.lead_org_id,), (Role.HEAD,), tuple({*named, *extra}))
    base = notify.lead_unit(task)
    return notify.Audience(base.org_ids, base.roles, tuple({*base.users, *named}))


def urging_audience_columns(recipients: str) -> dict[str, Any]:
    """``audience_for`` as columns of an urging query, for the sweep's urgings written in bulk
    (``notifications.services.queue_for_rows``): ``units`` (with ``roles``) and ``people``, a null id
    naming nobody. Keep the two in step."""
    unnamed = Q(to_person_id__isnull=True)
    if recipients == Recipients.HANDLER:
        return {
            "units": {"unit_lead": Case(When(unnamed, then=F("task__lead_org_id")))},
            "roles": notify.WORKERS,
            "people": {
                "person_named": F("to_person_id"),
                "person_handler": Case(When(unnamed, then=F("task__handler_id"))),
            },
        }
    if recipients == Recipients.LEADER:
        return {
            "units": {"unit_lead": F("task__lead_org_id")},
            "roles": (Role.HEAD,),
            "people": {"person_named": F("to_person_id"), "person_leader": F("task__responsible_leader_id")},
        }
    return {
        "units": {"unit_lead": F("task__lead_org_id")},
        "roles": notify.WORKERS,
        "people": {"person_named": F("to_person_id"), "person_handler": F("task__handler_id")},
    }


def overseers(task: Task, issued_by_id: int | None) -> notify.Audience:
    """The issuer of an urging and the supervisors over the task's assigning unit."""
    users = set(notify.supervisors_over(task.assigning_org))
    if issued_by_id:
        users.add(issued_by_id)
    return notify.Audience((), (), tuple(sorted(users)))


def queue_once(
    *,
    kind: str,
    task: Task,
    audience: notify.Audience,
    key: str,
    payload: dict[str, Any],
    exclude: int | None = None,
) -> int:
    """``notify.queue``, but an event already queued under ``key`` is not queued again (the sweep may meet
    the same fact twice, e.g. a light left and re-entered on one day)."""
    try:
        with transaction.atomic():
            return notify.queue(
                kind=kind, task=task, audience=audience, key=key, payload=payload, exclude=exclude
            )
    except IntegrityError:
        return 0


def urging_payload(urging: Urging) -> dict[str, Any]:
    return {
        "urging_id": urging.pk,
        "level": urging.level,
        "reason": urging.reason,
        "respond_by": urging.respond_by.isoformat() if urging.respond_by else None,
    }


# --- issuing --------------------------------------------------------------------------------------


def default_recipient(task: Task, level: str) -> int | None:
    if level in LEADER_LEVELS and task.responsible_leader_id:
        return task.responsible_leader_id
    return task.handler_id


def create_urging(
    *,
    task: Task,
    level: str,
    reason: str,
    today: date,
    respond_by: date | None,
    to_person_id: int | None,
    recipients: str,
    issued_by: User | None = None,
    rule: EscalationRule | None = None,
    sweep_key: str | None = None,
) -> Urging:
    """Write one urging with its notifications and audit event (the shared step of the hand service and
    the sweep; callers have checked everything)."""
    urging = Urging.objects.create(
        task=task,
        level=level,
        reason=reason,
        issued_by=issued_by,
        rule=rule,
        issued_on=today,
        task_due_on=task.due_on,
        to_org_id=task.lead_org_id,
        to_person_id=to_person_id,
        respond_by=respond_by,
        sweep_key=sweep_key,
    )
    queue_once(
        kind="urging.issued",
        task=task,
        audience=audience_for(task, recipients, to_person_id),
        key=f"urging:{urging.pk}:issued",
        payload=urging_payload(urging),
        exclude=issued_by.pk if issued_by else None,
    )
    audit.record(
        actor=issued_by or system_actor(),
        action="urging.issue",
        obj=urging,
        changes={
            "task": task.pk,
            "level": level,
            "reason": reason,
            "to_org": task.lead_org_id,
            "to_person": to_person_id,
            "respond_by": respond_by,
            "rule": rule.pk if rule else None,
        },
    )
    return urging


def _require_visible_task(actor: User, task: Task) -> Task:
    found = (
        access.visible(actor, Task.objects.select_related("lead_org", "assigning_org"))
        .filter(pk=task.pk)
        .first()
    )
    if found is None:
        raise NotFound(_("Not found."))
    return found


@transaction.atomic
def urging_issue(
    *,
    actor: User,
    task: Task,
    level: str,
    reason: str,
    respond_by: date | None = None,
    to_person: User | None = None,
    today: date | None = None,
) -> Urging:
    """A supervisor urges a task by hand (催办/督办) at any level, with a reason and a date to answer by.

    Reminders need no answer (``respond_by`` may be empty); every other level needs one, on or after
    today. The urging goes to the lead unit, addressed to ``to_person`` (one of its people) or by default
    to the handler (the responsible leader for supervision orders, talks and referrals).
    """
    today = today or workdays.today()
    task = _require_visible_task(actor, task)
    if not rules.supervises(actor, task):
        raise NotAllowed(
            _("Only supervisors whose jurisdiction covers %(unit)s may urge this task.")
            % {"unit": task.lead_org.name}
        )
    if task.status not in OPEN_STATUSES:
        raise Conflict(_("This task is no longer open: there is nothing to urge."))
    errors: dict[str, list[str]] = {}
    if level not in LADDER:
        errors["level"] = [_("Choose a level.")]
    text = (reason or "").strip()
    if not text:
        errors["reason"] = [_("Please give a reason.")]
    if respond_by is None and level in LADDER and level != UrgingLevel.REMINDER:
        errors["respond_by"] = [_("Give the date by which the unit must answer.")]
    elif respond_by is not None and respond_by < today:
        errors["respond_by"] = [_("The date to answer by cannot be in the past.")]
    if (
        to_person is not None
        and not Membership.objects.filter(user=to_person, organization_id=task.lead_org_id).exists()
    ):
        errors["to_person"] = [_("Choose a person of %(unit)s.") % {"unit": task.lead_org.name}]
    if errors:
        raise _invalid(errors)
    to_person_id = to_person.pk if to_person is not None else default_recipient(task, level)
    return create_urging(
        task=task,
        level=level,
        reason=text,
        today=today,
        respond_by=respond_by,
        to_person_id=to_person_id,
        recipients=Recipients.LEAD_UNIT if level not in LEADER_LEVELS else Recipients.LEADER,
        issued_by=actor,
    )


# --- answering and closing ------------------------------------------------------------------------


def _lock_urging(actor: User, urging: Urging, action: str, version: int | None) -> Urging:
    locked = (
        Urging.objects.select_for_update(of=("self",))
        .select_related("task__lead_org", "task__assigning_org", "to_org")
        .filter(pk=urging.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Not found."))
    try:
        access.require(actor, action, locked)
    except NotAllowed:
        if action == "respond":
            raise NotAllowed(
                _("Only the people of %(unit)s, the unit urged, may answer this urging.")
                % {"unit": locked.to_org.name}
            ) from None
        raise NotAllowed(
            _("Only supervisors whose jurisdiction covers this task may close its urgings.")
        ) from None
    if version is not None and locked.version != version:
        raise Conflict(
            _(
                "Someone else changed this urging after you opened it (it is now at version %(now)s, you "
                "read version %(read)s). Reload it, then try again."
            )
            % {"now": locked.version, "read": version}
        )
    return locked


@transaction.atomic
def urging_respond(
    *, actor: User, urging: Urging, response: str, version: int | None, today: date | None = None
) -> Urging:
    """The unit urged answers (what it has done, and by when it will finish); the urging is answered and
    no longer counts against the task's light."""
    today = today or workdays.today()
    locked = _lock_urging(actor, urging, "respond", version)
    if locked.status != UrgingStatus.OPEN:
        raise Conflict(
            _("This urging is “%(state)s”: it takes no answer now.")
            % {"state": UrgingStatus(locked.status).label}
        )
    text = (response or "").strip()
    if not text:
        raise _invalid({"response": [_("Please write the answer.")]})
    was_overdue = locked.is_overdue(today)
    locked.response = text
    locked.responded_by = actor
    locked.responded_on = today
    locked.status = UrgingStatus.ANSWERED
    locked.version += 1
    locked.save(update_fields=["response", "responded_by", "responded_on", "status", "version"])
    sync_overdue_urgings([locked.task_id], today=today)
    queue_once(
        kind="urging.answered",
        task=locked.task,
        audience=overseers(locked.task, locked.issued_by_id),
        key=f"urging:{locked.pk}:answered:v{locked.version}",
        payload={**urging_payload(locked), "response": text},
        exclude=actor.pk,
    )
    audit.record(
        actor=actor,
        action="urging.respond",
        obj=locked,
        changes={"status": [UrgingStatus.OPEN, UrgingStatus.ANSWERED], "response": text, "late": was_overdue},
    )
    return locked


@transaction.atomic
def urging_close(
    *, actor: User, urging: Urging, note: str = "", version: int | None, today: date | None = None
) -> Urging:
    """A supervisor closes an urging: the answer is accepted, or the urging is withdrawn (say why)."""
    today = today or workdays.today()
    locked = _lock_urging(actor, urging, "close", version)
    if locked.status == UrgingStatus.CLOSED:
        raise Conflict(_("This urging is already closed."))
    text = (note or "").strip()
    if locked.status == UrgingStatus.OPEN and not text:
        raise _invalid({"note": [_("Say why an urging that was not answered is closed.")]})
    before = locked.status
    locked.status = UrgingStatus.CLOSED
    locked.closed_on = today
    locked.close_note = text
    locked.version += 1
    locked.save(update_fields=["status", "closed_on", "close_note", "version"])
    sync_overdue_urgings([locked.task_id], today=today)
    queue_once(
        kind="urging.closed",
        task=locked.task,
        audience=notify.lead_unit(locked.task),
        key=f"urging:{locked.pk}:closed",
        payload={**urging_payload(locked), "note": text},
        exclude=actor.pk,
    )
    audit.record(
        actor=actor,
        action="urging.close",
        obj=locked,
        changes={"status": [before, UrgingStatus.CLOSED], "note": text},
    )
    return locked


def sync_overdue_urgings(task_ids: Iterable[int], *, today: date) -> list[int]:
    """Bring ``Task.open_overdue_urgings`` of the given tasks to the number of their open urgings past the
    respond-by date, and roll the lights up where it changed. Returns the ids of the tasks that changed.

    A derived column like the light: written without moving the task's version, so nobody's edit of the
    task is refused because an urging fell due.
    """
    changed: list[int] = []
    for task_id in sorted(set(task_ids)):
        task = Task.objects.filter(pk=task_id).only("path").first()
        if task is None:
            continue
        chain = rollup.lock_chain(task)
        locked = chain[-1]
        count = Urging.objects.unanswered_past(today).filter(task_id=task_id).count()
        if locked.open_overdue_urgings == count:
            continue
        locked.open_overdue_urgings = count
        Task.objects.filter(pk=task_id).update(open_overdue_urgings=count)
        rollup.refresh(chain, today=today)
        changed.append(task_id)
    return changed


# --- the ladder's rules ---------------------------------------------------------------------------


def _validate_ladder(rules_by_level: Mapping[str, EscalationRule]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    previous: EscalationRule | None = None
    for level in LADDER:
        rule = rules_by_level.get(level)
        if rule is None:
            continue
        prefix = f"{level}."
        if rule.urgent_days_after_due is not None and rule.urgent_days_after_due > rule.days_after_due:
            errors[prefix + "urgent_days_after_due"] = [
                _("Urgent tasks are urged no later than others: give at most %(days)d.")
                % {"days": rule.days_after_due}
            ]
        if level == UrgingLevel.REMINDER:
            if rule.days_after_due >= 0:
                errors[prefix + "days_after_due"] = [
                    _("A reminder comes before the due date: give a negative number of working days.")
                ]
        else:
            if rule.days_after_due < 0:
                errors[prefix + "days_after_due"] = [
                    _(
                        "Urgings from the notice up come once the task is overdue: give 0 or more working "
                        "days."
                    )
                ]
            if (
                rule.respond_working_days is None
                or not 1 <= rule.respond_working_days <= MAX_RESPOND_WORKING_DAYS
            ):
                errors[prefix + "respond_working_days"] = [
                    _("Give between 1 and %(max)d working days to answer.")
                    % {"max": MAX_RESPOND_WORKING_DAYS}
                ]
        if rule.is_active and previous is not None and rule.days_after_due <= previous.days_after_due:
            errors.setdefault(prefix + "days_after_due", []).append(
                _("Each level in use must come later than the one before it (%(level)s: %(days)d).")
                % {"level": UrgingLevel(previous.level).label, "days": previous.days_after_due}
            )
        if rule.is_active:
            previous = rule
    return errors


@transaction.atomic
def escalation_rules_update(*, actor: User, changes: Iterable[Mapping[str, Any]]) -> list[EscalationRule]:
    """Change rungs of the ladder. Each item names its ``level`` and the ``version`` read, and any of
    ``days_after_due``, ``urgent_days_after_due``, ``respond_working_days``, ``recipients``, ``is_active``.
    The ladder as a whole must stay in order; all of it is saved, or none."""
    if not rules.may_edit_ladder(actor):
        raise NotAllowed(_("Only administrators of the whole government may change the escalation rules."))
    current = {r.level: r for r in EscalationRule.objects.select_for_update().order_by("id")}
    before = {level: {f: getattr(r, f) for f in RULE_FIELDS} for level, r in current.items()}
    errors: dict[str, list[str]] = {}
    touched: list[EscalationRule] = []
    for item in changes:
        level = item.get("level")
        rule = current.get(str(level))
        if rule is None:
            errors[f"{level}"] = [_("There is no escalation rule for this level.")]
            continue
        version = item.get("version")
        if version is not None and version != rule.version:
            raise Conflict(
                _(
                    "Someone else changed the rule “%(level)s” after you opened it. Reload the rules, then "
                    "make your change again."
                )
                % {"level": rule}
            )
        for name in RULE_FIELDS:
            if name in item:
                setattr(rule, name, item[name])
        if rule.recipients not in Recipients.values:
            errors[f"{level}.recipients"] = [_("Choose who receives it.")]
        if rule.level == UrgingLevel.REMINDER:
            rule.respond_working_days = None
        touched.append(rule)
    errors.update(_validate_ladder(current))
    if errors:
        raise _invalid(errors)
    changed = []
    for rule in touched:
        diff = audit.diff(before[rule.level], {f: getattr(rule, f) for f in RULE_FIELDS})
        if not diff:
            continue
        rule.version += 1
        rule.save()
        audit.record(actor=actor, action="escalation_rule.update", obj=rule, changes=diff)
        changed.append(rule)
    return changed


def ladder() -> list[EscalationRule]:
    """The rules in the order of the ladder."""
    return sorted(EscalationRule.objects.all(), key=lambda r: level_rank(r.level))


# --- the sweep ------------------------------------------------------------------------------------


def sweep(*, today: date | None = None) -> SweepResult:
    """The daily sweep (see ``luoshi.supervision.sweep``); idempotent: a second run on the same day does
    nothing new."""
    from luoshi.supervision.sweep import run

    return run(today=today or workdays.today())
