"""The task's timeline: reports, requests, transfers, send-backs and the other recorded events, newest first.

Records that have rows of their own (a report, a completion or extension request, a transfer, a send-back)
are shown from those rows, with their text and files; the audit trail adds everything else that happened
to the task (transitions, decisions, manual lights, milestones, edits). Each source is read once, so the
page asks the same number of queries however long the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.audit.models import AuditEvent
from luoshi.evidence.models import EvidenceFile
from luoshi.tasks.models import (
    CompletionRequest,
    ExtensionRequest,
    Light,
    ProgressReport,
    RequestStatus,
    SendBack,
    TaskStatus,
    TaskTransfer,
)

# Audit actions already shown from their own rows.
SHOWN_FROM_ROWS = frozenset(
    {"task.report", "task.request_completion", "task.extension_request", "task.transfer", "task.send_back"}
)

EVENT_TITLES: dict[str, Promise] = {
    "task.create": gettext_lazy("Registered"),
    "task.assign": gettext_lazy("Assigned"),
    "task.start": gettext_lazy("Started"),
    "task.acknowledge": gettext_lazy("Acknowledged"),
    "task.accept": gettext_lazy("Accepted"),
    "task.reject": gettext_lazy("Rejected for rework"),
    "task.object": gettext_lazy("Objection during the public notice"),
    "task.conclude_notice": gettext_lazy("Closed after the public notice"),
    "task.cancel": gettext_lazy("Cancelled"),
    "task.reopen": gettext_lazy("Reopened"),
    "task.override_light": gettext_lazy("Light set by hand"),
    "task.clear_override": gettext_lazy("Manual light removed"),
    "task.milestone_add": gettext_lazy("Milestone added"),
    "task.milestone_complete": gettext_lazy("Milestone reached"),
    "task.update": gettext_lazy("Details changed"),
    "task.set_people": gettext_lazy("People on the task changed"),
    "task.extension_approve": gettext_lazy("Extension approved"),
    "task.extension_deny": gettext_lazy("Extension denied"),
    "evidence.attach": gettext_lazy("Evidence added"),
}

REQUEST_BADGES: dict[str, tuple[Promise, str]] = {
    RequestStatus.PENDING: (gettext_lazy("Waiting for a decision"), "waiting"),
    RequestStatus.APPROVED: (gettext_lazy("Approved"), "ok"),
    RequestStatus.DENIED: (gettext_lazy("Denied"), "bad"),
}
COMPLETION_BADGES: dict[str, tuple[Promise, str]] = {
    RequestStatus.PENDING: (gettext_lazy("Waiting for verification"), "waiting"),
    RequestStatus.APPROVED: (gettext_lazy("Accepted"), "ok"),
    RequestStatus.DENIED: (gettext_lazy("Rejected"), "bad"),
}


@dataclass
class Entry:
    """One line of the timeline, whatever it came from."""

    at: datetime
    kind: str  # report, completion, extension, transfer, send_back, event
    title: str
    actor: str
    unit: str = ""
    change: tuple[str, str] | None = None
    details: list[tuple[str, str]] = field(default_factory=list)
    files: list[EvidenceFile] = field(default_factory=list)
    badges: list[tuple[str, str]] = field(default_factory=list)
    progress: int | None = None


def _status_label(value: Any) -> str:
    try:
        return str(TaskStatus(value).label)
    except ValueError:
        return str(value)


def _person(user: Any) -> str:
    return str(user) if user is not None else ""


def _report_entry(report: ProgressReport, files: list[EvidenceFile]) -> Entry:
    details = [(_("Work done"), report.narrative)]
    if report.problems:
        details.append((_("Problems"), report.problems))
    if report.next_steps:
        details.append((_("Next steps"), report.next_steps))
    badges = [(_("Phase completed"), "ok")] if report.is_phase_completion else []
    return Entry(
        at=report.created_at,
        kind="report",
        title=_("Progress report"),
        actor=_person(report.reporter),
        unit=report.reporting_org.name,
        details=details,
        files=files,
        badges=badges,
        progress=report.progress,
    )


def _completion_entry(request: CompletionRequest, files: list[EvidenceFile]) -> Entry:
    label, tone = COMPLETION_BADGES[request.status]
    return Entry(
        at=request.created_at,
        kind="completion",
        title=_("Completion requested"),
        actor=_person(request.requested_by),
        details=[(_("What was achieved"), request.note)] if request.note else [],
        files=files,
        badges=[(str(label), tone)],
    )


def _extension_entry(request: ExtensionRequest) -> Entry:
    label, tone = REQUEST_BADGES[request.status]
    return Entry(
        at=request.created_at,
        kind="extension",
        title=_("Extension requested"),
        actor=_person(request.requested_by),
        details=[
            (
                _("New due date"),
                _("%(new)s (was %(old)s)")
                % {"new": request.requested_due_on.isoformat(), "old": request.current_due_on.isoformat()},
            ),
            (_("Reason"), request.reason),
        ],
        badges=[(str(label), tone)],
    )


def _transfer_entry(transfer: TaskTransfer) -> Entry:
    return Entry(
        at=transfer.created_at,
        kind="transfer",
        title=_("Transferred"),
        actor=_person(transfer.transferred_by),
        details=[
            (
                _("Lead unit"),
                _("from %(old)s to %(new)s") % {"old": transfer.from_org.name, "new": transfer.to_org.name},
            ),
            (_("Reason"), transfer.reason),
        ],
    )


def _send_back_entry(send_back: SendBack) -> Entry:
    return Entry(
        at=send_back.created_at,
        kind="send_back",
        title=_("Sent back"),
        actor=_person(send_back.sent_by),
        unit=send_back.org.name,
        details=[(_("Reason"), send_back.reason)],
    )


def _pair(value: Any) -> tuple[Any, Any] | None:
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    return None


def _event_entry(event: AuditEvent, loose_files: dict[int, EvidenceFile]) -> Entry | None:
    changes = event.changes if isinstance(event.changes, dict) else {}
    if event.action == "evidence.attach":
        if changes.get("report") or changes.get("completion_request"):
            return None  # shown with its report or request
        ids = [item.get("id") for item in changes.get("files", []) if isinstance(item, dict)]
        files = [loose_files[i] for i in ids if i in loose_files]
    else:
        files = []
    title = EVENT_TITLES.get(event.action)
    entry = Entry(
        at=event.occurred_at,
        kind="event",
        title=str(title) if title is not None else event.action,
        actor=event.actor_name,
        files=files,
    )
    status = _pair(changes.get("status"))
    if status is not None:
        entry.change = (_status_label(status[0]), _status_label(status[1]))
    if changes.get("reason"):
        entry.details.append((_("Reason"), str(changes["reason"])))
    if changes.get("note"):
        entry.details.append((_("Note"), str(changes["note"])))
    due = _pair(changes.get("due_on"))
    if event.action == "task.extension_approve" and due is not None:
        entry.details.append((_("Due date"), _("%(old)s → %(new)s") % {"old": due[0], "new": due[1]}))
    if event.action == "task.override_light" and changes.get("light"):
        try:
            light = str(Light(changes["light"]).label)
        except ValueError:
            light = str(changes["light"])
        entry.details.append(
            (_("Light"), _("%(light)s until %(date)s") % {"light": light, "date": changes.get("until", "")})
        )
    if event.action == "task.milestone_add" and changes.get("title"):
        entry.details.append((_("Milestone"), str(changes["title"])))
    if event.action == "task.acknowledge" and changes.get("late"):
        entry.badges.append((_("late"), "bad"))
    if event.action == "task.accept" and status is not None and status[1] == TaskStatus.CLOSED:
        late = bool(changes.get("closed_late"))
        entry.badges.append((_("closed late"), "bad") if late else (_("closed on time"), "ok"))
    return entry


def build(
    *,
    reports: Iterable[ProgressReport],
    completions: Iterable[CompletionRequest],
    extensions: Iterable[ExtensionRequest],
    transfers: Iterable[TaskTransfer],
    send_backs: Iterable[SendBack],
    events: Iterable[AuditEvent],
    evidence: Iterable[EvidenceFile],
) -> list[Entry]:
    """Every entry, newest first (rows written in one transaction keep the order they were written in)."""
    by_report: dict[int, list[EvidenceFile]] = defaultdict(list)
    by_completion: dict[int, list[EvidenceFile]] = defaultdict(list)
    loose: dict[int, EvidenceFile] = {}
    for item in evidence:
        if item.report_id is not None:
            by_report[item.report_id].append(item)
        elif item.completion_request_id is not None:
            by_completion[item.completion_request_id].append(item)
        else:
            loose[item.pk] = item
    entries: list[Entry] = [_report_entry(r, by_report.get(r.pk, [])) for r in reports]
    entries += [_completion_entry(c, by_completion.get(c.pk, [])) for c in completions]
    entries += [_extension_entry(x) for x in extensions]
    entries += [_transfer_entry(t) for t in transfers]
    entries += [_send_back_entry(s) for s in send_backs]
    for event in events:
        if event.action in SHOWN_FROM_ROWS:
            continue
        entry = _event_entry(event, loose)
        if entry is not None:
            entries.append(entry)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
