"""The shared steps of every write to a task: lock, authorize, check the version, save.

Every service in ``workflow``, ``requests``, ``reporting`` and ``services`` starts with
``load_for_write`` (which locks the task and its ancestors root first, so writers in one tree queue
instead of deadlocking) and saves through ``save_task`` (which moves the version on).
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi import access
from luoshi.core import sql
from luoshi.core.errors import Conflict, NotAllowed, ValidationFailed
from luoshi.organizations.models import User
from luoshi.tasks import rollup
from luoshi.tasks.models import Task, TaskAction
from luoshi.tasks.rules import Party, party_for

A = TaskAction

_PARTY_MESSAGES: dict[Party, Any] = {
    Party.LEAD: gettext_lazy(
        "Only the head or handler of %(lead)s, the lead unit, may %(action)s this task."
    ),
    Party.ASSIGNER: gettext_lazy(
        "Only the people of %(assigning)s, the assigning unit, or its supervisors may %(action)s this task."
    ),
    Party.DECIDER: gettext_lazy(
        "Only the leader or head of %(assigning)s, the assigning unit, or its supervisors may %(action)s "
        "this task."
    ),
    Party.REPORTER: gettext_lazy("Only the lead unit and the cooperating units may %(action)s this task."),
    Party.PLANNER: gettext_lazy("Only the lead unit or the assigning unit may %(action)s this task."),
}
# How an action reads inside a sentence ("You cannot %(action)s a task that is …").
ACTION_PHRASES: dict[str, Any] = {
    A.ASSIGN: gettext_lazy("assign"),
    A.START: gettext_lazy("start"),
    A.ACKNOWLEDGE: gettext_lazy("acknowledge"),
    A.SEND_BACK: gettext_lazy("send back"),
    A.TRANSFER: gettext_lazy("transfer"),
    A.REQUEST_COMPLETION: gettext_lazy("request completion of"),
    A.ACCEPT: gettext_lazy("accept"),
    A.REJECT: gettext_lazy("reject"),
    A.OBJECT: gettext_lazy("record an objection to"),
    A.CONCLUDE_NOTICE: gettext_lazy("end the public notice of"),
    A.CANCEL: gettext_lazy("cancel"),
    A.REOPEN: gettext_lazy("reopen"),
    "change": gettext_lazy("change"),
    "decompose": gettext_lazy("decompose"),
    "report": gettext_lazy("report on"),
    "request_extension": gettext_lazy("ask for an extension of"),
    "decide_extension": gettext_lazy("decide on extensions of"),
    "override_light": gettext_lazy("set the light of"),
    "plan": gettext_lazy("plan"),
}


def load_for_write(*, actor: User, task: Task, version: int | None, action: str) -> list[Task]:
    """Lock the task and its ancestors, then check visibility, permission and version, in that order.

    Returns the locked chain (root first, the task last). ``version=None`` skips the version check, for
    writes that do not change the task row (e.g. a cooperating unit's report).
    """
    chain = rollup.lock_chain(task)
    if not chain or chain[-1].pk != task.pk:
        raise Conflict(_("This task no longer exists."))
    locked = chain[-1]
    try:
        access.require(actor, action, locked, fresh=True)
    except NotAllowed:
        party = party_for(action)
        template = (
            _PARTY_MESSAGES[party] if party is not None else gettext_lazy("You may not %(action)s this task.")
        )
        raise NotAllowed(
            str(template)
            % {
                "lead": locked.lead_org.name,
                "assigning": locked.assigning_org.name,
                "action": ACTION_PHRASES.get(action, action),
            }
        ) from None
    check_version(locked, version)
    return chain


def check_version(task: Task, expected: int | None) -> None:
    if expected is not None and task.version != expected:
        raise Conflict(
            _(
                "Someone else changed this task after you opened it (it is now at version %(now)s, you "
                "read version %(read)s). Reload it, then make your change again."
            )
            % {"now": task.version, "read": expected}
        )


def required_text(value: str, field: str, message: str | Promise) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(message, fields={field: [str(message)]})
    return text


def save_task(task: Task, fields: list[str]) -> None:
    """Save the given fields with the next version (the row is locked, so incrementing here is safe).

    Every write to a task ends here, so the UPDATE is written out (``core.sql.update``: the same
    statement and values as ``task.save(update_fields=...)``, without building it through the ORM)."""
    task.version += 1
    sql.update(task, [*fields, "version", "updated_at"])
