"""Extension requests (延期申请): filed by the lead unit before the deadline, decided by the assigning unit.

Approval moves ``Task.due_on``; ``Task.original_due_on`` stays for scoring. A request is a record, not a
state of the task: the task keeps working while it waits.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.audit import services as audit
from luoshi.core import workdays
from luoshi.core.errors import Conflict, ValidationFailed
from luoshi.organizations.models import User
from luoshi.tasks import notify, rollup
from luoshi.tasks.models import ExtensionRequest, RequestStatus, Task, TaskStatus
from luoshi.tasks.workflow import to_deciders
from luoshi.tasks.writes import load_for_write, required_text, save_task

S = TaskStatus

EXTENDABLE = (S.ASSIGNED, S.IN_PROGRESS, S.RETURNED)


def _parent_due(task: Task) -> date | None:
    if task.parent_id is None:
        return None
    return Task.objects.values_list("due_on", flat=True).get(pk=task.parent_id)


@transaction.atomic
def extension_request(
    *,
    actor: User,
    task: Task,
    version: int,
    requested_due_on: date,
    reason: str,
    today: date | None = None,
) -> ExtensionRequest:
    """Ask, before the deadline, to move it (延期申请); the assigning unit approves or denies.

    ``today`` is the date the request is filed on (the deployment's today by default)."""
    chain = load_for_write(actor=actor, task=task, version=version, action="request_extension")
    locked = chain[-1]
    reason = required_text(reason, "reason", _("Please give a reason for the extension."))
    today = today or workdays.today()
    if locked.status not in EXTENDABLE:
        raise Conflict(
            _("An extension cannot be asked for a task that is “%(state)s”.")
            % {"state": S(locked.status).label}
        )
    if today > locked.due_on:
        raise Conflict(
            _("Extensions must be asked for before the deadline (%(date)s), and it has passed.")
            % {"date": locked.due_on.isoformat()}
        )
    if requested_due_on <= locked.due_on:
        raise ValidationFailed(
            _("The new deadline must be later than the current one."),
            fields={
                "requested_due_on": [_("Choose a date after %(date)s.") % {"date": locked.due_on.isoformat()}]
            },
        )
    parent_due = _parent_due(locked)
    if parent_due is not None and requested_due_on > parent_due:
        raise ValidationFailed(
            _(
                "A subtask cannot be due after its parent task (%(date)s); "
                "ask for the parent's extension first."
            )
            % {"date": parent_due.isoformat()},
            fields={
                "requested_due_on": [_("Choose a date up to %(date)s.") % {"date": parent_due.isoformat()}]
            },
        )
    if ExtensionRequest.objects.filter(task=locked, status=RequestStatus.PENDING).exists():
        raise Conflict(_("An extension request for this task is already waiting for a decision."))
    request = ExtensionRequest.objects.create(
        task=locked,
        requested_by=actor,
        current_due_on=locked.due_on,
        requested_due_on=requested_due_on,
        reason=reason,
    )
    notify.queue(
        kind="task.extension_request",
        task=locked,
        audience=to_deciders(locked),
        key=f"extension:{request.pk}:pending",
        payload={"requested_due_on": requested_due_on.isoformat(), "reason": reason},
        exclude=actor.pk,
    )
    audit.record(
        actor=actor,
        action="task.extension_request",
        obj=locked,
        changes={"request": request.pk, "due_on": [locked.due_on, requested_due_on], "reason": reason},
    )
    return request


def _load_request(actor: User, request: ExtensionRequest) -> tuple[list[Task], ExtensionRequest]:
    chain = load_for_write(actor=actor, task=request.task, version=None, action="decide_extension")
    locked_request = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
    if locked_request.status != RequestStatus.PENDING:
        raise Conflict(
            _("This extension request was already %(status)s.")
            % {"status": RequestStatus(locked_request.status).label.lower()}
        )
    return chain, locked_request


def _close_request(request: ExtensionRequest, actor: User, status: str, note: str) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


@transaction.atomic
def extension_approve(*, actor: User, request: ExtensionRequest, note: str = "") -> ExtensionRequest:
    """Approve an extension: the deadline moves; the original deadline stays for scoring."""
    chain, locked_request = _load_request(actor, request)
    task = chain[-1]
    if task.status not in EXTENDABLE:
        raise Conflict(
            _("The task is “%(state)s” now; its deadline can no longer be extended.")
            % {"state": S(task.status).label}
        )
    parent_due = _parent_due(task)
    if parent_due is not None and locked_request.requested_due_on > parent_due:
        raise Conflict(
            _("A subtask cannot be due after its parent task (%(date)s); extend the parent first.")
            % {"date": parent_due.isoformat()}
        )
    _close_request(locked_request, actor, RequestStatus.APPROVED, note)
    old_due = task.due_on
    task.due_on = locked_request.requested_due_on
    save_task(task, ["due_on"])
    rollup.refresh(chain)
    notify.queue(
        kind="task.extension_approved",
        task=task,
        audience=notify.lead_unit(task),
        key=f"extension:{locked_request.pk}:approved",
        payload={"due_on": task.due_on.isoformat(), "note": note},
        exclude=actor.pk,
    )
    audit.record(
        actor=actor,
        action="task.extension_approve",
        obj=task,
        changes={"request": locked_request.pk, "due_on": [old_due, task.due_on], "note": note},
    )
    return locked_request


@transaction.atomic
def extension_deny(*, actor: User, request: ExtensionRequest, note: str) -> ExtensionRequest:
    """Deny an extension, with the reason; the deadline stays."""
    note = required_text(note, "note", _("Please say why the extension is denied."))
    chain, locked_request = _load_request(actor, request)
    task = chain[-1]
    _close_request(locked_request, actor, RequestStatus.DENIED, note)
    notify.queue(
        kind="task.extension_denied",
        task=task,
        audience=notify.lead_unit(task),
        key=f"extension:{locked_request.pk}:denied",
        payload={"note": note},
        exclude=actor.pk,
    )
    audit.record(
        actor=actor,
        action="task.extension_deny",
        obj=task,
        changes={"request": locked_request.pk, "note": note},
    )
    return locked_request
