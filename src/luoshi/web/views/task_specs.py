"""The actions of the task page: for each, who may take it (the policy's action name), when the workflow
offers it, its form, and the one service call it makes.

Transitions take their "when" from the workflow's table (``workflow.TRANSITIONS``: the state, then the
transition's guard); the other actions say it themselves, mirroring the checks their services make, so the
page offers only what would succeed. The services check everything again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.core import trees
from luoshi.core.errors import Conflict
from luoshi.organizations.models import Organization, User
from luoshi.tasks import reporting, requests, rollup, rules, services, workflow
from luoshi.tasks.models import (
    OPEN_STATUSES,
    REPORTING_STATUSES,
    ExtensionRequest,
    RequestStatus,
    Task,
    TaskAction,
    TaskStatus,
)
from luoshi.tasks.writes import check_version
from luoshi.web.views import task_forms as f

A = TaskAction


@dataclass
class Situation:
    """What the page knows about the task and the reader, shared by every action's checks and forms."""

    user: Any
    task: Task
    today: date
    is_leaf: bool
    pending_extension: ExtensionRequest | None
    _units: dict[str, list[Organization]] = field(default_factory=dict)

    def units_below(self, org: Organization, *, include_self: bool) -> list[Organization]:
        """Active units in ``org``'s subtree, in tree order (one query, asked only by forms that need it)."""
        key = f"{org.pk}:{include_self}"
        if key not in self._units:
            qs = Organization.objects.filter(trees.subtree_q("path", org.path), is_active=True)
            if not include_self:
                qs = qs.exclude(pk=org.pk)
            self._units[key] = list(qs.order_by("path"))
        return self._units[key]


@dataclass
class Call:
    """One submitted action: who, on which task, with the form's cleaned data."""

    user: User
    task: Task
    data: dict[str, Any]
    situation: Situation


@dataclass(frozen=True)
class Spec:
    key: str  # in the URL: /tasks/<id>/<key>/
    permission: str  # asked of the access policy
    label: Promise  # the button, and the heading of the form
    form: type[f.TaskForm]
    run: Callable[[Call], Any]
    done: Promise  # said after it worked
    transition: TaskAction | None = None
    # For actions that are not transitions: whether the task's state allows them now ("" or None: no;
    # a message: shown instead of the form).
    when: Callable[[Situation], bool | str] | None = None
    hint: Promise | None = None
    form_kwargs: Callable[[Situation], dict[str, Any]] | None = None
    multipart: bool = False
    # Transitions whose guard says "not this one, the other" (assign or start) are not shown at all.
    hide_when_guarded: bool = False
    tone: str = ""  # "primary" for the step that moves the work on, "danger" for the irreversible ones

    @property
    def has_fields(self) -> bool:
        return set(self.form.base_fields) != {"version"}

    def make_form(self, situation: Situation, data: Any = None, files: Any = None) -> f.TaskForm:
        extra = self.form_kwargs(situation) if self.form_kwargs else {}
        return self.form(data, files, task=situation.task, key=self.key, today=situation.today, **extra)

    def offered(self, situation: Situation) -> str | None:
        """None when the state does not offer the action; "" when it does; a reason when it waits."""
        if self.transition is not None:
            transition = workflow.TRANSITIONS.get((TaskStatus(situation.task.status), self.transition))
            if transition is None:
                return None
            if transition.guard is not None and (why := transition.guard(situation.task, situation.today)):
                return None if self.hide_when_guarded else why
            return ""
        verdict = self.when(situation) if self.when is not None else False
        if verdict is True:
            return ""
        return verdict or None

    def may(self, situation: Situation) -> bool:
        """Whether the reader is the party of this action (visibility was checked when the page loaded)."""
        return rules.can_on_task(situation.user, self.permission, situation.task)


# --- the service calls ----------------------------------------------------------------------------


def _version(call: Call) -> int:
    return int(call.data["version"])


def _plain(service: Callable[..., Any]) -> Callable[[Call], Any]:
    def run(call: Call) -> Any:
        return service(actor=call.user, task=call.task, version=_version(call))

    return run


def _with(service: Callable[..., Any], *names: str) -> Callable[[Call], Any]:
    def run(call: Call) -> Any:
        return service(
            actor=call.user, task=call.task, version=_version(call), **{n: call.data[n] for n in names}
        )

    return run


def _report(call: Call) -> Any:
    # The service stores the files in its own transaction: a refused file leaves no report behind.
    return reporting.report_progress(
        actor=call.user,
        task=call.task,
        version=_version(call),
        progress=call.data.get("progress"),
        narrative=call.data["narrative"],
        problems=call.data["problems"],
        next_steps=call.data["next_steps"],
        is_phase_completion=call.data["is_phase_completion"],
        files=call.data["files"],
    )


def _request_completion(call: Call) -> Any:
    return workflow.task_request_completion(
        actor=call.user,
        task=call.task,
        version=_version(call),
        note=call.data["note"],
        files=call.data["files"],
    )


def _transfer(call: Call) -> Any:
    return workflow.task_transfer(
        actor=call.user,
        task=call.task,
        version=_version(call),
        to_org=call.data["to_org"],
        reason=call.data["reason"],
    )


def _pending_extension_locked(call: Call) -> ExtensionRequest:
    """Lock the task and check the version read (the decision services take no version), then the request
    waiting for the decision."""
    chain = rollup.lock_chain(call.task)
    if not chain or chain[-1].pk != call.task.pk:
        raise Conflict(_("This task no longer exists."))
    check_version(chain[-1], _version(call))
    pending = ExtensionRequest.objects.filter(task=call.task, status=RequestStatus.PENDING).first()
    if pending is None:
        raise Conflict(_("No extension request is waiting for a decision."))
    return pending


def _approve_extension(call: Call) -> Any:
    with transaction.atomic():
        pending = _pending_extension_locked(call)
        return requests.extension_approve(actor=call.user, request=pending, note=call.data["note"])


def _deny_extension(call: Call) -> Any:
    with transaction.atomic():
        pending = _pending_extension_locked(call)
        return requests.extension_deny(actor=call.user, request=pending, note=call.data["note"])


def _decompose(call: Call) -> Any:
    data = call.data
    with transaction.atomic():
        sub = services.task_decompose(
            actor=call.user,
            parent=call.task,
            version=_version(call),
            lead_org=data["lead_org"],
            title=data["title"],
            due_on=data["due_on"],
            description=data["description"],
            expected_outcome=data["expected_outcome"],
            report_cadence=data["report_cadence"],
            weight=data["weight"],
        )
        if data["assign_now"]:
            # Kept by the unit itself: it simply starts; for a unit below, it waits for acknowledgement.
            send = workflow.task_start if sub.lead_org_id == sub.assigning_org_id else workflow.task_assign
            sub = send(actor=call.user, task=sub, version=sub.version)
    return sub


def _milestone_done(call: Call) -> Any:
    return reporting.milestone_complete(
        actor=call.user, milestone=call.data["milestone"], version=_version(call)
    )


# --- when the non-transition actions are offered --------------------------------------------------


def _may_report(s: Situation) -> bool:
    return s.task.status in REPORTING_STATUSES


def _may_decompose(s: Situation) -> bool:
    return s.task.status in services.DECOMPOSABLE


def _may_request_extension(s: Situation) -> bool | str:
    if s.task.status not in requests.EXTENDABLE:
        return False
    if s.today > s.task.due_on:
        return _("Extensions are asked for before the deadline (%(date)s), and it has passed.") % {
            "date": s.task.due_on.isoformat()
        }
    if s.pending_extension is not None:
        return _("An extension request is already waiting for a decision.")
    return True


def _may_decide_extension(s: Situation) -> bool:
    return s.pending_extension is not None


def _may_override(s: Situation) -> bool:
    return s.task.status in OPEN_STATUSES


def _may_clear_override(s: Situation) -> bool:
    return s.task.status in OPEN_STATUSES and s.task.has_active_override(s.today)


def _may_plan(s: Situation) -> bool:
    return s.task.status in OPEN_STATUSES


def _report_kwargs(s: Situation) -> dict[str, Any]:
    with_progress = s.is_leaf and not rules.is_cooperator(s.user, s.task)
    return {"with_progress": with_progress}


def _transfer_kwargs(s: Situation) -> dict[str, Any]:
    return {"units": s.units_below(s.task.assigning_org, include_self=False)}


def _decompose_kwargs(s: Situation) -> dict[str, Any]:
    return {"units": s.units_below(s.task.lead_org, include_self=True)}


# --- the table ------------------------------------------------------------------------------------


SPECS: Sequence[Spec] = (
    Spec(
        "acknowledge",
        A.ACKNOWLEDGE,
        gettext_lazy("Acknowledge"),
        f.TaskForm,
        _plain(workflow.task_acknowledge),
        gettext_lazy("Acknowledged: the task is now in progress."),
        transition=A.ACKNOWLEDGE,
        hint=gettext_lazy("Confirm that your unit has taken this task (签收)."),
        tone="primary",
    ),
    Spec(
        "report",
        "report",
        gettext_lazy("Report progress"),
        f.ReportForm,
        _report,
        gettext_lazy("Your report is saved."),
        when=_may_report,
        hint=gettext_lazy("What was done since the last report, with photos or documents as evidence."),
        form_kwargs=_report_kwargs,
        multipart=True,
        tone="primary",
    ),
    Spec(
        "request-completion",
        A.REQUEST_COMPLETION,
        gettext_lazy("Request completion"),
        f.CompletionForm,
        _request_completion,
        gettext_lazy("Completion requested: the assigning unit now verifies the work."),
        transition=A.REQUEST_COMPLETION,
        hint=gettext_lazy("Ask the assigning unit to verify the work as done, with the evidence."),
        multipart=True,
    ),
    Spec(
        "accept",
        A.ACCEPT,
        gettext_lazy("Accept"),
        f.NoteForm,
        _with(workflow.task_accept, "note"),
        gettext_lazy("Accepted."),
        transition=A.ACCEPT,
        hint=gettext_lazy("The work is verified as done: the task closes."),
        tone="primary",
    ),
    Spec(
        "reject",
        A.REJECT,
        gettext_lazy("Reject"),
        f.ReasonForm,
        _with(workflow.task_reject, "reason"),
        gettext_lazy("Rejected: the task is back with its lead unit for rework."),
        transition=A.REJECT,
        hint=gettext_lazy("Return the work for rework (退回重办), saying what is missing."),
    ),
    Spec(
        "approve-extension",
        "decide_extension",
        gettext_lazy("Approve the extension"),
        f.NoteForm,
        _approve_extension,
        gettext_lazy("Extension approved: the due date has moved."),
        when=_may_decide_extension,
        tone="primary",
    ),
    Spec(
        "deny-extension",
        "decide_extension",
        gettext_lazy("Deny the extension"),
        f.ExtensionDenyForm,
        _deny_extension,
        gettext_lazy("Extension denied: the due date stays."),
        when=_may_decide_extension,
    ),
    Spec(
        "assign",
        A.ASSIGN,
        gettext_lazy("Assign"),
        f.TaskForm,
        _plain(workflow.task_assign),
        gettext_lazy("Assigned: the lead unit now acknowledges it."),
        transition=A.ASSIGN,
        hint=gettext_lazy("Send the task to its lead unit, which acknowledges it."),
        hide_when_guarded=True,
        tone="primary",
    ),
    Spec(
        "start",
        A.START,
        gettext_lazy("Start"),
        f.TaskForm,
        _plain(workflow.task_start),
        gettext_lazy("Started: the task is in progress."),
        transition=A.START,
        hint=gettext_lazy("Your unit does this task itself: start it."),
        hide_when_guarded=True,
        tone="primary",
    ),
    Spec(
        "conclude-notice",
        A.CONCLUDE_NOTICE,
        gettext_lazy("Close after the public notice"),
        f.TaskForm,
        _plain(workflow.task_conclude_notice),
        gettext_lazy("Closed after the public notice."),
        transition=A.CONCLUDE_NOTICE,
        hint=gettext_lazy("No objection came during the public notice."),
        tone="primary",
    ),
    Spec(
        "object",
        A.OBJECT,
        gettext_lazy("Record an objection"),
        f.ReasonForm,
        _with(workflow.task_object, "reason"),
        gettext_lazy("Objection recorded: the task is back in progress."),
        transition=A.OBJECT,
        hint=gettext_lazy("An objection during the public notice sends the work back."),
    ),
    Spec(
        "decompose",
        "decompose",
        gettext_lazy("Add a subtask"),
        f.DecomposeForm,
        _decompose,
        gettext_lazy("The subtask is added."),
        when=_may_decompose,
        form_kwargs=_decompose_kwargs,
        hint=gettext_lazy("Split the work (分解) for your unit or a unit below it."),
    ),
    Spec(
        "milestone",
        "plan",
        gettext_lazy("Add a milestone"),
        f.MilestoneForm,
        _with(reporting.milestone_add, "title", "due_on", "planned_progress"),
        gettext_lazy("The milestone is added."),
        when=_may_plan,
        hint=gettext_lazy("Expected progress then follows the milestones instead of a straight line."),
    ),
    Spec(
        "request-extension",
        "request_extension",
        gettext_lazy("Request an extension"),
        f.ExtensionRequestForm,
        _with(requests.extension_request, "requested_due_on", "reason"),
        gettext_lazy("Extension requested: the assigning unit decides."),
        when=_may_request_extension,
        hint=gettext_lazy("Only before the due date. The original due date still counts in the assessment."),
    ),
    Spec(
        "send-back",
        A.SEND_BACK,
        gettext_lazy("Send back"),
        f.ReasonForm,
        _with(workflow.task_send_back, "reason"),
        gettext_lazy("Sent back to the assigning unit."),
        transition=A.SEND_BACK,
        hint=gettext_lazy("The task is not your unit's work (退办): say why."),
    ),
    Spec(
        "transfer",
        A.TRANSFER,
        gettext_lazy("Transfer"),
        f.TransferForm,
        _transfer,
        gettext_lazy("Transferred to the new lead unit."),
        transition=A.TRANSFER,
        form_kwargs=_transfer_kwargs,
        hint=gettext_lazy("Re-route the task to the competent unit (转办); the history is kept."),
    ),
    Spec(
        "override-light",
        "override_light",
        gettext_lazy("Set the light by hand"),
        f.OverrideLightForm,
        _with(reporting.task_override_light, "light", "reason", "until"),
        gettext_lazy("The light is set by hand."),
        when=_may_override,
        hint=gettext_lazy("With a reason and an end date; then the computed light returns."),
    ),
    Spec(
        "clear-override",
        "override_light",
        gettext_lazy("Return to the computed light"),
        f.TaskForm,
        _plain(reporting.task_clear_override),
        gettext_lazy("The computed light is back."),
        when=_may_clear_override,
    ),
    Spec(
        "cancel",
        A.CANCEL,
        gettext_lazy("Cancel the task"),
        f.ReasonForm,
        _with(workflow.task_cancel, "reason"),
        gettext_lazy("The task is cancelled."),
        transition=A.CANCEL,
        hint=gettext_lazy("Its open subtasks are cancelled with it."),
        tone="danger",
    ),
    Spec(
        "reopen",
        A.REOPEN,
        gettext_lazy("Reopen"),
        f.ReasonForm,
        _with(workflow.task_reopen, "reason"),
        gettext_lazy("Reopened: the task is in progress again."),
        transition=A.REOPEN,
        hint=gettext_lazy("For more work, e.g. when a look-back finds the problem back."),
    ),
)

# Marking a milestone reached is offered in the milestones table, one button per milestone.
MILESTONE_DONE = Spec(
    "milestone-done",
    "plan",
    gettext_lazy("Mark as reached"),
    f.MilestoneDoneForm,
    _milestone_done,
    gettext_lazy("The milestone is marked as reached."),
    when=_may_plan,
)


BY_KEY: dict[str, Spec] = {spec.key: spec for spec in (*SPECS, MILESTONE_DONE)}
