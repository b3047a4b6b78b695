"""Everything the task page shows, read in a fixed number of queries, and the page's rendering.

The page and its htmx partial are one template (``web/tasks/_panels.html``) drawn from one context, so an
action answered by htmx swaps exactly what a reload would show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi import access
from luoshi.audit.selectors import events_for_object
from luoshi.core import workdays
from luoshi.evidence.models import EvidenceFile
from luoshi.indicators.selectors import task_page_context as indicator_context
from luoshi.organizations.models import Organization
from luoshi.tasks import lights
from luoshi.tasks.models import (
    OPEN_STATUSES,
    REPORTING_STATUSES,
    CompletionRequest,
    ExtensionRequest,
    Light,
    Milestone,
    ProgressReport,
    RequestStatus,
    SendBack,
    Task,
    TaskStatus,
    TaskTransfer,
)
from luoshi.web.views import task_timeline
from luoshi.web.views.lookbacks import task_section as closure_section
from luoshi.web.views.supervision import task_section as urging_section
from luoshi.web.views.task_forms import TaskForm
from luoshi.web.views.task_specs import MILESTONE_DONE, SPECS, Situation, Spec

S = TaskStatus


@dataclass
class Offer:
    """One action on the page: its form, where it posts, and why it must wait (if it must)."""

    spec: Spec
    form: TaskForm
    url: str
    waiting: str = ""
    failed: bool = False

    @property
    def open(self) -> bool:
        return self.failed


@dataclass
class Failure:
    """An action that was refused or had errors: its bound form is shown again, open, with the input."""

    key: str
    form: TaskForm
    stale: bool = False


@dataclass
class SubRow:
    task: Task
    level: int


def task_url(task: Task, key: str) -> str:
    if key == "report":
        return reverse("web:task_report", args=[task.pk])
    if key == "decompose":
        return reverse("web:task_decompose", args=[task.pk])
    return reverse("web:task_action", args=[task.pk, key])


def load_task(user: Any, pk: Any) -> Task | None:
    """The task with everything its header shows, if ``user`` may see it (one query, plus the units)."""
    qs = Task.objects.select_related(
        "lead_org",
        "assigning_org",
        "handler",
        "responsible_leader",
        "directive",
        "clause",
        "focus_area",
        "override_by",
    ).prefetch_related(Prefetch("cooperating_orgs", queryset=Organization.objects.order_by("path")))
    try:
        return access.visible(user, qs).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def situation_of(
    user: Any, task: Task, today: date | None = None, extensions: list[ExtensionRequest] | None = None
) -> Situation:
    """What the action checks need (``extensions``: the task's, if the caller has read them already)."""
    leaf = not Task.objects.filter(parent=task).exclude(status=S.CANCELLED).exists()
    if extensions is None:
        pending = (
            ExtensionRequest.objects.filter(task=task, status=RequestStatus.PENDING)
            .select_related("requested_by")
            .first()
        )
    else:
        pending = next((x for x in extensions if x.status == RequestStatus.PENDING), None)
    return Situation(
        user=user, task=task, today=today or workdays.today(), is_leaf=leaf, pending_extension=pending
    )


def offers(situation: Situation, failure: Failure | None = None) -> list[Offer]:
    """The actions the reader may take now, in the order the work usually needs them; a failed one first,
    even if the task has moved on meanwhile, so the person's input is not lost."""
    task = situation.task
    result: list[Offer] = []
    for spec in SPECS:
        if failure is not None and spec.key == failure.key:
            continue
        if not spec.may(situation):
            continue
        waiting = spec.offered(situation)
        if waiting is None:
            continue
        result.append(Offer(spec, spec.make_form(situation), task_url(task, spec.key), waiting=waiting))
    if failure is not None and failure.key in {s.key for s in SPECS}:
        spec = next(s for s in SPECS if s.key == failure.key)
        result.insert(0, Offer(spec, failure.form, task_url(task, spec.key), failed=True))
    return result


# --- words for the header -------------------------------------------------------------------------


def light_reasons(task: Task, verdict: lights.Verdict, today: date) -> list[str]:
    """Why the light is what it is, in words (the codes come from ``lights.own_light``)."""
    config = lights.light_settings()
    words = {
        "overdue": _("past its due date"),
        "rejected": ngettext("rejected %(count)d time", "rejected %(count)d times", task.rejection_count)
        % {"count": task.rejection_count},
        "urging_unanswered": _("an urging is unanswered past its date"),
        "far_behind": _("more than %(points)d points behind expected progress")
        % {"points": config["red_behind"]},
        "behind": _("behind expected progress"),
        "not_started": _("no progress reported since the start"),
        "report_late": _("report missing"),
        "due_soon": ngettext(
            "due within %(days)d working day",
            "due within %(days)d working days",
            config["blue_working_days"],
        )
        % {"days": config["blue_working_days"]},
        "public_notice": _("in public notice"),
    }
    reasons = [words[code] for code in verdict.reasons if code in words]
    if verdict.overridden:
        reasons.insert(
            0,
            _("set by hand until %(date)s: %(reason)s")
            % {
                "date": task.override_until.isoformat() if task.override_until else "",
                "reason": task.override_reason,
            },
        )
    if task.light != task.own_light and task.light not in (Light.CLOSED, Light.NONE):
        reasons.append(_("a subtask is %(light)s") % {"light": Light(task.light).label.lower()})
    return reasons


def next_step(task: Task, send_backs: list[SendBack]) -> str:
    """Who acts next, in one sentence."""
    status = task.status
    if status == S.DRAFT:
        if send_backs:
            return _("%(unit)s sent it back; %(assigning)s decides where it goes.") % {
                "unit": send_backs[-1].org.name,
                "assigning": task.assigning_org.name,
            }
        return _("A draft: %(unit)s has not assigned it yet.") % {"unit": task.assigning_org.name}
    if status == S.ASSIGNED:
        if task.acknowledge_due_on:
            return _("Waiting for %(unit)s to acknowledge it, by %(date)s.") % {
                "unit": task.lead_org.name,
                "date": task.acknowledge_due_on.isoformat(),
            }
        return _("Waiting for %(unit)s to acknowledge it.") % {"unit": task.lead_org.name}
    if status == S.IN_PROGRESS:
        return _("%(unit)s is working on it.") % {"unit": task.lead_org.name}
    if status == S.RETURNED:
        return _("Returned for rework: %(unit)s is working on it again.") % {"unit": task.lead_org.name}
    if status == S.UNDER_REVIEW:
        return _("Waiting for %(unit)s to verify the work.") % {"unit": task.assigning_org.name}
    if status == S.PUBLIC_NOTICE:
        return _("Accepted, in public notice until %(date)s.") % {
            "date": task.notice_ends_on.isoformat() if task.notice_ends_on else "—"
        }
    if status == S.CLOSED:
        return _("Closed on %(date)s.") % {"date": task.closed_on.isoformat() if task.closed_on else "—"}
    return _("Cancelled.")


def _directive_url(task: Task) -> str:
    if task.directive_id is None:
        return ""
    try:
        return reverse("web:directive_detail", args=[task.directive_id])
    except NoReverseMatch:
        return ""


# --- the page -------------------------------------------------------------------------------------


def page_context(
    request: HttpRequest, task: Task, *, failure: Failure | None = None, done: str = ""
) -> dict[str, Any]:
    user = request.user
    today = workdays.today()
    extensions = list(ExtensionRequest.objects.filter(task=task).select_related("requested_by"))
    situation = situation_of(user, task, today, extensions)
    ancestors = (
        list(access.visible(user, Task.objects.ancestors_of(task)).order_by("path")) if task.parent_id else []
    )
    subtree = [
        SubRow(t, t.depth - task.depth)
        for t in access.visible(user, Task.objects.subtree_of(task).exclude(pk=task.pk))
        .select_related("lead_org")
        .order_by("path")
    ]
    milestones = list(Milestone.objects.filter(task=task).order_by("due_on", "id"))
    reports = list(
        ProgressReport.objects.filter(task=task).select_related("reporter", "reporting_org").order_by("-id")
    )
    completions = list(
        CompletionRequest.objects.filter(task=task).select_related("requested_by", "decided_by")
    )
    transfers = list(
        TaskTransfer.objects.filter(task=task).select_related("from_org", "to_org", "transferred_by")
    )
    send_backs = list(SendBack.objects.filter(task=task).select_related("org", "sent_by"))
    evidence = list(EvidenceFile.objects.filter(task=task).order_by("created_at", "id"))
    timeline = task_timeline.build(
        reports=reports,
        completions=completions,
        extensions=extensions,
        transfers=transfers,
        send_backs=send_backs,
        events=events_for_object(Task._meta.label_lower, task.pk),
        evidence=evidence,
    )

    plan = [(m.due_on, m.planned_progress) for m in milestones]
    verdict = lights.own_light(lights.LightFacts.of(task, plan), today=today, is_leaf=situation.is_leaf)
    measuring = task.status in OPEN_STATUSES and task.status != S.DRAFT
    expected = round(lights.expected_progress(task.start_on, task.due_on, plan, today)) if measuring else None
    report_missing = bool(
        situation.is_leaf
        and task.status in REPORTING_STATUSES
        and task.next_report_due is not None
        and today > task.next_report_due
    )
    action_offers = offers(situation, failure)
    may_plan = MILESTONE_DONE.may(situation) and MILESTONE_DONE.offered(situation) == ""
    return {
        "task": task,
        "today": today,
        "ancestors": ancestors,
        "parent_hidden": task.parent_id is not None and (not ancestors or ancestors[-1].pk != task.parent_id),
        "directive_url": _directive_url(task),
        "cooperating": list(task.cooperating_orgs.all()),
        "subtree": subtree,
        "milestones": milestones,
        "milestone_done_form": MILESTONE_DONE.make_form(situation) if may_plan else None,
        "milestone_done_url": task_url(task, MILESTONE_DONE.key),
        "timeline": timeline,
        "light_reasons": light_reasons(task, verdict, today),
        "expected": expected,
        "behind": expected is not None
        and expected - task.progress >= lights.light_settings()["yellow_behind"],
        "extended": task.due_on != task.original_due_on,
        "report_missing": report_missing,
        "overdue": task.is_overdue(today),
        "next_step": next_step(task, send_backs),
        "pending_extension": situation.pending_extension,
        "offers": action_offers,
        "failure": failure,
        "done": done,
        "reports_count": len(reports),
        **indicator_context(user, task),
        "urging_section": urging_section(request, task, today),
        "closure_section": closure_section(request, task, today),
    }


def render_page(
    request: HttpRequest,
    task: Task,
    *,
    failure: Failure | None = None,
    done: str = "",
    status: int = 200,
) -> HttpResponse:
    """The full page, or for htmx requests only its panels (which the page's forms swap)."""
    context = page_context(request, task, failure=failure, done=done)
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.boosted and not htmx.history_restore_request  # type: ignore[union-attr]
    template = "web/tasks/_panels.html" if partial else "web/tasks/detail.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response
