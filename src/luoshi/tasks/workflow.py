"""The task workflow (DESIGN §4): one transition table, and one guarded, audited service per transition.

``TRANSITIONS`` maps (state, action) to the new state, the party that may do it (``rules.Party``), whether
a reason is required, and a guard. Anything not in the table is refused with a message naming the state
and the action. Every service locks the task and its ancestors root first, checks the version the caller
read, applies the transition, refreshes the roll-up (``rollup.refresh``), queues notifications in the
outbox and writes the audit event last, all in one transaction.

Requests that need the assigning unit's approval are records, not states: extension requests
(``luoshi.tasks.requests``), send-backs (``SendBack``), transfers (``TaskTransfer``) and completion
requests (``CompletionRequest``). A send-back returns the task to ``draft`` at the assigning unit,
which then transfers it, assigns it again, or cancels it: its next act is the decision on the send-back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.files.base import File
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import trees, workdays
from luoshi.core.errors import Conflict, ValidationFailed
from luoshi.evidence.services import evidence_attach
from luoshi.organizations.models import Organization, User
from luoshi.search import services as search
from luoshi.tasks import closing, lights, notify, rollup
from luoshi.tasks.models import (
    OPEN_STATUSES,
    CompletionRequest,
    ExtensionRequest,
    Light,
    RequestStatus,
    SendBack,
    Task,
    TaskAction,
    TaskStatus,
    TaskTransfer,
)
from luoshi.tasks.rules import Party
from luoshi.tasks.writes import ACTION_PHRASES, load_for_write, required_text, save_task

S = TaskStatus
A = TaskAction
Guard = Callable[[Task, date], str | None]


# --- guards: each returns why the transition is refused, or None --------------------------------------


def _lead_below_assigner(task: Task, today: date) -> str | None:
    if task.lead_org_id == task.assigning_org_id:
        return _("%(unit)s keeps this task itself: start it instead of assigning it.") % {
            "unit": task.assigning_org.name
        }
    if not trees.is_within(task.lead_org.path, task.assigning_org.path):
        return _("A task can only be assigned to a unit below %(unit)s.") % {"unit": task.assigning_org.name}
    return None


def _kept_by_assigner(task: Task, today: date) -> str | None:
    if task.lead_org_id != task.assigning_org_id:
        return _("This task is for %(unit)s: assign it, and that unit starts it by acknowledging it.") % {
            "unit": task.lead_org.name
        }
    return None


def _no_open_subtasks(task: Task, today: date) -> str | None:
    if Task.objects.filter(parent=task, status__in=OPEN_STATUSES).exists():
        return _(
            "This task has open subtasks of its lead unit: cancel or finish them before transferring it."
        )
    return None


def _subtasks_done(task: Task, today: date) -> str | None:
    if Task.objects.filter(parent=task, status__in=OPEN_STATUSES).exists():
        return _("All subtasks must be closed (or cancelled) before this task can be completed.")
    return None


def _ready_to_accept(task: Task, today: date) -> str | None:
    # A rectification also needs its closing criteria ticked with evidence (luoshi.tasks.closing).
    return _subtasks_done(task, today) or closing.unmet_message(task)


def _notice_over(task: Task, today: date) -> str | None:
    if task.notice_ends_on is not None and today <= task.notice_ends_on:
        return _("The public notice runs until %(date)s; the task can be closed after that.") % {
            "date": task.notice_ends_on.isoformat()
        }
    return None


def _parent_open(task: Task, today: date) -> str | None:
    if task.parent_id is not None:
        parent = Task.objects.only("status", "title").get(pk=task.parent_id)
        if parent.status not in OPEN_STATUSES:
            return _("Its parent task “%(title)s” is %(state)s: reopen the parent first.") % {
                "title": parent.title,
                "state": S(parent.status).label,
            }
    return None


@dataclass(frozen=True)
class Transition:
    target: TaskStatus
    party: Party
    reason_required: bool = False
    guard: Guard | None = None
    # Where the task goes instead when it must be published before closing (rectifications).
    notice_target: TaskStatus | None = None


_OPEN = (S.DRAFT, S.ASSIGNED, S.IN_PROGRESS, S.UNDER_REVIEW, S.RETURNED, S.PUBLIC_NOTICE)

TRANSITIONS: dict[tuple[TaskStatus, TaskAction], Transition] = {
    (S.DRAFT, A.ASSIGN): Transition(S.ASSIGNED, Party.ASSIGNER, guard=_lead_below_assigner),
    (S.DRAFT, A.START): Transition(S.IN_PROGRESS, Party.ASSIGNER, guard=_kept_by_assigner),
    (S.ASSIGNED, A.ACKNOWLEDGE): Transition(S.IN_PROGRESS, Party.LEAD),
    (S.ASSIGNED, A.SEND_BACK): Transition(S.DRAFT, Party.LEAD, reason_required=True),
    **{
        (state, A.TRANSFER): Transition(
            S.ASSIGNED, Party.ASSIGNER, reason_required=True, guard=_no_open_subtasks
        )
        for state in (S.DRAFT, S.ASSIGNED, S.IN_PROGRESS, S.RETURNED)
    },
    **{
        (state, A.REQUEST_COMPLETION): Transition(S.UNDER_REVIEW, Party.LEAD, guard=_subtasks_done)
        for state in (S.IN_PROGRESS, S.RETURNED)
    },
    (S.UNDER_REVIEW, A.ACCEPT): Transition(
        S.CLOSED, Party.DECIDER, guard=_ready_to_accept, notice_target=S.PUBLIC_NOTICE
    ),
    (S.UNDER_REVIEW, A.REJECT): Transition(S.RETURNED, Party.DECIDER, reason_required=True),
    (S.PUBLIC_NOTICE, A.OBJECT): Transition(S.IN_PROGRESS, Party.DECIDER, reason_required=True),
    (S.PUBLIC_NOTICE, A.CONCLUDE_NOTICE): Transition(S.CLOSED, Party.DECIDER, guard=_notice_over),
    **{(state, A.CANCEL): Transition(S.CANCELLED, Party.DECIDER, reason_required=True) for state in _OPEN},
    **{
        (state, A.REOPEN): Transition(S.IN_PROGRESS, Party.DECIDER, reason_required=True, guard=_parent_open)
        for state in (S.CLOSED, S.CANCELLED)
    },
}


def _party_of_action() -> dict[str, Party]:
    parties: dict[str, Party] = {}
    for (_state, action), transition in TRANSITIONS.items():
        if parties.setdefault(action, transition.party) != transition.party:
            raise AssertionError(f"{action} has two parties in the transition table")
    return parties


# One party per action, whatever the state: permission does not depend on where the task stands.
PARTY_OF_ACTION = _party_of_action()


def allowed_actions(task: Task) -> list[TaskAction]:
    """The actions the table allows from the task's state (before parties and guards): for pages."""
    return [action for (state, action) in TRANSITIONS if state == task.status]


def refuse_unless_state(task: Task, action: str) -> Transition:
    transition = TRANSITIONS.get((S(task.status), A(action)))
    if transition is None:
        raise Conflict(
            _("You cannot %(action)s a task that is “%(state)s”.")
            % {"action": ACTION_PHRASES[action], "state": S(task.status).label}
        )
    return transition


def _event_key(task: Task, action: str) -> str:
    return f"task:{task.pk}:v{task.version}:{action}"


# --- the transition services ----------------------------------------------------------------------


@dataclass
class Effect:
    """What a transition changed besides the status: fields to save, and facts for the audit event."""

    fields: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)


def _run(
    *,
    actor: User,
    task: Task,
    version: int,
    action: TaskAction,
    reason: str = "",
    apply: Callable[[Task, date], Effect] | None = None,
    audience: Callable[[Task], notify.Audience] = notify.lead_unit,
    today: date | None = None,
) -> Task:
    """The common path of every transition: lock, check, move the state, let ``apply`` make the action's
    own changes, save, roll up, notify, audit. ``today`` is the date the transition is recorded on (the
    deployment's today by default; the demo replays a history of past dates)."""
    chain = load_for_write(actor=actor, task=task, version=version, action=action)
    locked = chain[-1]
    transition = refuse_unless_state(locked, action)
    if transition.reason_required:
        reason = required_text(reason, "reason", _("Please give a reason."))
    today = today or workdays.today()
    if transition.guard is not None and (why := transition.guard(locked, today)):
        raise Conflict(why)
    old_status = locked.status
    target = transition.target
    if transition.notice_target is not None and locked.requires_public_notice:
        target = transition.notice_target
    locked.status = target
    effect = apply(locked, today) if apply else Effect()
    save_task(locked, ["status", *effect.fields])
    rollup.refresh(chain, today=today)
    changes: dict[str, Any] = {"status": [old_status, locked.status], **effect.record}
    if reason:
        changes["reason"] = reason
    notify.queue(
        kind=f"task.{action}",
        task=locked,
        audience=audience(locked),
        key=_event_key(locked, action),
        payload={"action": str(action), "from": old_status, "reason": reason},
        exclude=actor.pk,
    )
    audit.record(actor=actor, action=f"task.{action}", obj=locked, changes=changes)
    return locked


def to_deciders(task: Task) -> notify.Audience:
    return notify.assigning_unit(task, with_supervisors=True)


def _acknowledge_deadline(today: date) -> date:
    return workdays.add_working_days(today, lights.task_settings()["acknowledge_working_days"])


@transaction.atomic
def task_assign(*, actor: User, task: Task, version: int, today: date | None = None) -> Task:
    """Send a draft to its lead unit (a unit below the assigning unit), which must acknowledge it."""

    def apply(t: Task, today: date) -> Effect:
        t.assigned_on = today
        t.acknowledge_due_on = _acknowledge_deadline(today)
        t.acknowledged_on = None
        t.acknowledged_late = False
        return Effect(
            ["assigned_on", "acknowledge_due_on", "acknowledged_on", "acknowledged_late"],
            {"lead_org": t.lead_org_id, "acknowledge_by": t.acknowledge_due_on},
        )

    return _run(actor=actor, task=task, version=version, today=today, action=A.ASSIGN, apply=apply)


@transaction.atomic
def task_start(*, actor: User, task: Task, version: int, today: date | None = None) -> Task:
    """Start a draft that the assigning unit keeps for itself (no acknowledgement needed)."""

    def apply(t: Task, today: date) -> Effect:
        t.assigned_on = t.acknowledged_on = today
        return Effect(["assigned_on", "acknowledged_on"])

    return _run(actor=actor, task=task, version=version, today=today, action=A.START, apply=apply)


@transaction.atomic
def task_acknowledge(*, actor: User, task: Task, version: int, today: date | None = None) -> Task:
    """The lead unit confirms it has taken the task (签收); late acknowledgements are recorded as late."""

    def apply(t: Task, today: date) -> Effect:
        t.acknowledged_on = today
        t.acknowledged_late = t.acknowledge_due_on is not None and today > t.acknowledge_due_on
        return Effect(["acknowledged_on", "acknowledged_late"], {"late": t.acknowledged_late})

    return _run(
        actor=actor,
        task=task,
        version=version,
        today=today,
        action=A.ACKNOWLEDGE,
        apply=apply,
        audience=notify.assigning_unit,
    )


@transaction.atomic
def task_send_back(*, actor: User, task: Task, version: int, reason: str, today: date | None = None) -> Task:
    """The lead unit returns a task it holds is not its own (退办); it goes back to draft at the assigning
    unit with the reason kept in a ``SendBack`` row."""

    def apply(t: Task, today: date) -> Effect:
        SendBack.objects.create(task=t, org_id=t.lead_org_id, reason=reason.strip(), sent_by=actor)
        t.acknowledge_due_on = None
        return Effect(["acknowledge_due_on"], {"by_unit": t.lead_org_id})

    return _run(
        actor=actor,
        task=task,
        version=version,
        today=today,
        action=A.SEND_BACK,
        reason=reason,
        apply=apply,
        audience=to_deciders,
    )


@transaction.atomic
def task_transfer(
    *, actor: User, task: Task, version: int, to_org: Organization, reason: str, today: date | None = None
) -> Task:
    """Re-route the task to another unit below the assigning unit (转办); the new unit acknowledges it
    again, and ``TaskTransfer`` keeps the history."""
    previous: dict[str, int] = {}

    def apply(t: Task, today: date) -> Effect:
        target = Organization.objects.get(pk=to_org.pk)
        if target.pk == t.lead_org_id:
            raise ValidationFailed(
                _("The task is already with %(unit)s.") % {"unit": target.name},
                fields={"to_org": [_("Choose another unit.")]},
            )
        if not target.is_in_subtree_of(t.assigning_org) or target.pk == t.assigning_org_id:
            raise ValidationFailed(
                _("A task can only be transferred to a unit below %(unit)s.")
                % {"unit": t.assigning_org.name},
                fields={"to_org": [_("Choose a unit below the assigning unit.")]},
            )
        previous["org"] = t.lead_org_id
        TaskTransfer.objects.create(
            task=t, from_org_id=t.lead_org_id, to_org=target, reason=reason.strip(), transferred_by=actor
        )
        t.cooperating_orgs.remove(target)
        t.lead_org = target
        t.lead_org_path = target.path
        t.handler = None
        t.assigned_on = today
        t.acknowledge_due_on = _acknowledge_deadline(today)
        t.acknowledged_on = None
        t.acknowledged_late = False
        return Effect(
            [
                "lead_org",
                "lead_org_path",
                "handler",
                "assigned_on",
                "acknowledge_due_on",
                "acknowledged_on",
                "acknowledged_late",
            ],
            {"lead_org": [previous["org"], target.pk]},
        )

    def recipients(t: Task) -> notify.Audience:
        return notify.Audience((t.lead_org_id, previous["org"]), notify.WORKERS)

    result = _run(
        actor=actor,
        task=task,
        version=version,
        today=today,
        action=A.TRANSFER,
        reason=reason,
        apply=apply,
        audience=recipients,
    )
    # The new lead unit (and everything above it) must find the task, and the old one no longer.
    search.index_task(result)
    return result


@transaction.atomic
def task_request_completion(
    *,
    actor: User,
    task: Task,
    version: int,
    note: str = "",
    files: Iterable[File] = (),
    today: date | None = None,
) -> CompletionRequest:
    """The lead unit asks the assigning unit to verify the work (申请办结); ``files`` are the evidence,
    attached to the returned ``CompletionRequest`` in the same transaction."""
    created: list[CompletionRequest] = []

    def apply(t: Task, today: date) -> Effect:
        created.append(CompletionRequest.objects.create(task=t, requested_by=actor, note=note.strip()))
        evidence = evidence_attach(actor=actor, task=t, files=files, completion_request=created[0])
        return Effect([], {"completion_request": created[0].pk, "evidence": [e.pk for e in evidence]})

    _run(
        actor=actor,
        task=task,
        version=version,
        today=today,
        action=A.REQUEST_COMPLETION,
        apply=apply,
        audience=to_deciders,
    )
    return created[0]


def _decide_completion(task: Task, actor: User, status: str, note: str) -> int | None:
    pending = CompletionRequest.objects.filter(task=task, status=RequestStatus.PENDING).first()
    if pending is None:
        return None
    pending.status = status
    pending.decided_by = actor
    pending.decided_at = timezone.now()
    pending.decision_note = note.strip()
    pending.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return pending.pk


@transaction.atomic
def task_accept(*, actor: User, task: Task, version: int, note: str = "", today: date | None = None) -> Task:
    """Verify the work as done (验收). The task closes, or a rectification goes to public notice first.

    ``closed_late`` is judged now against the original deadline and kept.
    """

    def apply(t: Task, today: date) -> Effect:
        request_id = _decide_completion(t, actor, RequestStatus.APPROVED, note)
        t.accepted_on = today
        t.closed_late = today > t.original_due_on
        fields = ["accepted_on", "closed_late"]
        if t.status == S.PUBLIC_NOTICE:
            days = lights.task_settings()["public_notice_working_days"]
            t.notice_ends_on = workdays.add_working_days(today, days)
            fields.append("notice_ends_on")
        else:
            t.closed_on = today
            fields.append("closed_on")
        return Effect(fields, {"completion_request": request_id, "closed_late": t.closed_late, "note": note})

    return _run(actor=actor, task=task, version=version, today=today, action=A.ACCEPT, apply=apply)


@transaction.atomic
def task_reject(*, actor: User, task: Task, version: int, reason: str, today: date | None = None) -> Task:
    """Return the work for rework (退回重办), with the reasons; rejections are counted (two turn it red)."""

    def apply(t: Task, today: date) -> Effect:
        request_id = _decide_completion(t, actor, RequestStatus.DENIED, reason)
        t.rejection_count += 1
        return Effect(
            ["rejection_count"], {"completion_request": request_id, "rejections": t.rejection_count}
        )

    return _run(
        actor=actor, task=task, version=version, today=today, action=A.REJECT, reason=reason, apply=apply
    )


@transaction.atomic
def task_object(*, actor: User, task: Task, version: int, reason: str, today: date | None = None) -> Task:
    """An objection during the public notice sends the rectification back to work."""

    def apply(t: Task, today: date) -> Effect:
        t.accepted_on = None
        t.notice_ends_on = None
        t.closed_late = False
        return Effect(["accepted_on", "notice_ends_on", "closed_late"])

    return _run(
        actor=actor, task=task, version=version, today=today, action=A.OBJECT, reason=reason, apply=apply
    )


@transaction.atomic
def task_conclude_notice(*, actor: User, task: Task, version: int, today: date | None = None) -> Task:
    """No objection came during the public notice: the rectification closes (销号)."""

    def apply(t: Task, today: date) -> Effect:
        t.closed_on = today
        return Effect(["closed_on"])

    return _run(actor=actor, task=task, version=version, today=today, action=A.CONCLUDE_NOTICE, apply=apply)


@transaction.atomic
def task_cancel(*, actor: User, task: Task, version: int, reason: str, today: date | None = None) -> Task:
    """Cancel an open task, approved by the assigning unit. Its open subtasks are cancelled with it
    (one statement over the subtree), and pending requests on them are denied."""

    def apply(t: Task, today: date) -> Effect:
        subtree = Task.objects.subtree_of(t).exclude(pk=t.pk)
        cancelled_ids = list(subtree.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True))
        if cancelled_ids:
            Task.objects.filter(pk__in=cancelled_ids).update(
                status=S.CANCELLED,
                own_light=Light.NONE,
                light=Light.NONE,
                light_overridden=False,
                progress=models.F("reported_progress"),
                version=models.F("version") + 1,
            )
        for model in (CompletionRequest, ExtensionRequest):
            model.objects.filter(task_id__in=[t.pk, *cancelled_ids], status=RequestStatus.PENDING).update(
                status=RequestStatus.DENIED,
                decided_by=actor,
                decided_at=timezone.now(),
                decision_note=reason.strip(),
            )
        return Effect([], {"cancelled_subtasks": cancelled_ids})

    return _run(
        actor=actor, task=task, version=version, today=today, action=A.CANCEL, reason=reason, apply=apply
    )


@transaction.atomic
def task_reopen(*, actor: User, task: Task, version: int, reason: str, today: date | None = None) -> Task:
    """Reopen a closed or cancelled task for more work (e.g. a relapse found at look-back)."""

    def apply(t: Task, today: date) -> Effect:
        before = {"closed_on": t.closed_on, "closed_late": t.closed_late}
        t.closed_on = None
        t.closed_late = False
        t.accepted_on = None
        t.notice_ends_on = None
        return Effect(["closed_on", "closed_late", "accepted_on", "notice_ends_on"], {"before": before})

    return _run(
        actor=actor, task=task, version=version, today=today, action=A.REOPEN, reason=reason, apply=apply
    )
