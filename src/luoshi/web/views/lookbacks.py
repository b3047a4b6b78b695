"""Closing the loop on the task page and beyond: a rectification's closing criteria (tick, untick), its
look-backs (schedule, record), and the look-backs page (what is due, relapse rates per unit, random
samples for supervisors).

The task page's section is drawn from ``task_section`` (called by ``task_page.page_context``); its forms
post here and are answered with the task page itself (its htmx panels, or a redirect), as the task's own
actions are. A form with errors comes back open with the person's input, through the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from luoshi import access
from luoshi.core import workdays
from luoshi.core.errors import LuoshiError, NotFound
from luoshi.evidence.models import EvidenceFile
from luoshi.lookbacks import selectors, services
from luoshi.lookbacks.models import LookBack, LookBackOutcome
from luoshi.lookbacks.rules import may_look_back
from luoshi.organizations.models import Organization, Role
from luoshi.tasks import closing
from luoshi.tasks.models import ClosingCheck, ClosingCriterion, Task, TaskStatus
from luoshi.tasks.rules import Party, is_party
from luoshi.web.forms import EMPTY_CHOICE_LABEL, apply_errors
from luoshi.web.tasklists import Section
from luoshi.web.views import task_sections
from luoshi.web.views.task_forms import DateInput, EvidenceField

# --- forms ----------------------------------------------------------------------------------------


class TickForm(forms.Form):
    criterion = forms.ChoiceField(
        label=gettext_lazy("Criterion"), choices=[("", EMPTY_CHOICE_LABEL), *ClosingCriterion.choices]
    )
    note = forms.CharField(
        label=gettext_lazy("How it is met"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    evidence_ids = forms.MultipleChoiceField(
        label=gettext_lazy("Evidence already on the task"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    prefix = "tick"

    def __init__(self, *args: Any, evidence: list[EvidenceFile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Added here rather than declared: a declared "files" would shadow ``Form.files`` for type checkers.
        self.fields["files"] = EvidenceField(label=_("New evidence files"))
        self.order_fields(["criterion", "note", "files", "evidence_ids"])
        field = cast(forms.MultipleChoiceField, self.fields["evidence_ids"])
        field.choices = [(str(e.pk), e.original_name) for e in evidence]
        if not evidence:
            del self.fields["evidence_ids"]


class ScheduleForm(forms.Form):
    due_on = forms.DateField(label=gettext_lazy("Look-back date"), widget=DateInput())

    prefix = "schedule"


class RecordForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[c for c in LookBackOutcome.choices if c[0] != LookBackOutcome.PENDING],
        widget=forms.RadioSelect,
    )
    findings = forms.CharField(
        label=gettext_lazy("Findings"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    relapse_due_on = forms.DateField(
        label=gettext_lazy("Relapse to be fixed by"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy("For a relapse: the deadline of the new task."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, lookback_id: int, **kwargs: Any) -> None:
        kwargs["prefix"] = f"record-{lookback_id}"
        super().__init__(*args, **kwargs)
        self.fields["files"] = EvidenceField(label=_("Evidence files"))
        self.order_fields(["outcome", "findings", "files", "relapse_due_on", "version"])


# --- the task page's section ----------------------------------------------------------------------


@dataclass
class CriterionRow:
    criterion: str
    label: str
    check: ClosingCheck | None
    evidence: list[EvidenceFile]

    @property
    def met(self) -> bool:
        return self.check is not None and bool(self.evidence)


@dataclass
class LookBackRow:
    lookback: LookBack
    overdue: bool
    record_form: RecordForm | None = None


@dataclass
class ClosureSection:
    is_rectification: bool
    criteria: list[CriterionRow] = field(default_factory=list)
    may_tick: bool = False
    tick_form: TickForm | None = None
    tick_open: bool = False
    lookbacks: list[LookBackRow] = field(default_factory=list)
    schedule_form: ScheduleForm | None = None
    schedule_open: bool = False
    failed_lookback: int | None = None

    @property
    def met_count(self) -> int:
        return sum(1 for c in self.criteria if c.met)

    @property
    def shown(self) -> bool:
        return self.is_rectification or bool(self.lookbacks) or self.schedule_form is not None


# Where a failed form waits for the page to be drawn again (set by the views below on the request).
FAILED = "_luoshi_closure_failure"


def task_section(request: HttpRequest, task: Task, today: date) -> ClosureSection:
    """Closing criteria and look-backs of ``task`` with the forms the reader may use. At most four
    queries (criteria and their evidence, look-backs and theirs), plus the task's evidence for the tick
    form."""
    user = request.user
    failure: tuple[str, int | None, forms.Form] | None = getattr(request, FAILED, None)
    section = ClosureSection(is_rectification=closing.is_rectification(task))
    if section.is_rectification:
        checks = {
            c.criterion: c
            for c in ClosingCheck.objects.filter(task=task)
            .select_related("checked_by")
            .prefetch_related("evidence_files")
        }
        for criterion in ClosingCriterion:
            check = checks.get(criterion.value)
            evidence = list(check.evidence_files.all()) if check else []
            section.criteria.append(CriterionRow(criterion.value, str(criterion.label), check, evidence))
        section.may_tick = task.status in closing.TICKABLE and is_party(user, Party.LEAD, task)
        if section.may_tick:
            if failure is not None and failure[0] == "tick":
                section.tick_form = failure[2]  # type: ignore[assignment]
                section.tick_open = True
            else:
                evidence = list(EvidenceFile.objects.filter(task=task).order_by("created_at", "id"))
                section.tick_form = TickForm(evidence=evidence)
    decider = may_look_back(user, task)
    for lookback in selectors.lookbacks_of(user=user, task=task):
        row = LookBackRow(lookback, lookback.outcome == LookBackOutcome.PENDING and lookback.due_on < today)
        if lookback.outcome == LookBackOutcome.PENDING and decider:
            if failure is not None and failure[0] == "record" and failure[1] == lookback.pk:
                row.record_form = failure[2]  # type: ignore[assignment]
                section.failed_lookback = lookback.pk
            else:
                row.record_form = RecordForm(initial={"version": lookback.version}, lookback_id=lookback.pk)
        section.lookbacks.append(row)
    has_pending = any(r.lookback.outcome == LookBackOutcome.PENDING for r in section.lookbacks)
    if decider and task.status == TaskStatus.CLOSED and not has_pending:
        if failure is not None and failure[0] == "schedule":
            section.schedule_form = failure[2]  # type: ignore[assignment]
            section.schedule_open = True
        else:
            section.schedule_form = ScheduleForm(
                initial={
                    "due_on": workdays.add_working_days(
                        today, services.lookback_settings()["working_days_after_closing"] or 20
                    )
                }
            )
    return section


_task_or_404 = task_sections.task_or_404
_done = task_sections.done


def _again(
    request: HttpRequest, task: Task, kind: str, lookback_id: int | None, form: forms.Form, status: int
) -> HttpResponse:
    return task_sections.again(
        request, task, failed_attribute=FAILED, kind=kind, item_id=lookback_id, form=form, status=status
    )


@require_POST
def closing_tick(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    if not is_party(request.user, Party.LEAD, task):
        raise PermissionDenied
    evidence = list(EvidenceFile.objects.filter(task=task).order_by("created_at", "id"))
    form = TickForm(request.POST, request.FILES, evidence=evidence)
    if not form.is_valid():
        return _again(request, task, "tick", None, form, 422)
    data = form.cleaned_data
    try:
        closing.closing_check_tick(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            criterion=data["criterion"],
            note=data["note"],
            files=data["files"],
            evidence_ids=[int(i) for i in data.get("evidence_ids", [])],
        )
    except LuoshiError as exc:
        apply_errors(form, exc)
        return _again(request, task, "tick", None, form, exc.status)
    return _done(request, task.pk, _("The criterion is ticked with its evidence."))


@require_POST
def closing_untick(request: HttpRequest, pk: int, criterion: str) -> HttpResponse:
    task = _task_or_404(request, pk)
    if not is_party(request.user, Party.LEAD, task):
        raise PermissionDenied
    if criterion not in ClosingCriterion.values:
        raise Http404
    try:
        closing.closing_check_untick(actor=request.user, task=task, criterion=criterion)  # type: ignore[arg-type]
    except LuoshiError as exc:
        messages.error(request, str(exc.message))
        return redirect("web:task_detail", pk=task.pk)
    return _done(request, task.pk, _("The tick was withdrawn."))


@require_POST
def lookback_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    if not may_look_back(request.user, task):
        raise PermissionDenied
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _again(request, task, "schedule", None, form, 422)
    try:
        services.lookback_schedule(actor=request.user, task=task, due_on=form.cleaned_data["due_on"])  # type: ignore[arg-type]
    except LuoshiError as exc:
        apply_errors(form, exc)
        return _again(request, task, "schedule", None, form, exc.status)
    return _done(request, task.pk, _("The look-back is scheduled."))


@require_POST
def lookback_record(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        lookback = selectors.lookback_get(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    task = _task_or_404(request, lookback.task_id)
    if not may_look_back(request.user, task):
        raise PermissionDenied
    form = RecordForm(request.POST, request.FILES, lookback_id=lookback.pk)
    if not form.is_valid():
        return _again(request, task, "record", lookback.pk, form, 422)
    data = form.cleaned_data
    try:
        recorded = services.lookback_record(
            actor=request.user,  # type: ignore[arg-type]
            lookback=lookback,
            version=data["version"],
            outcome=data["outcome"],
            findings=data["findings"],
            files=data["files"],
            relapse_due_on=data["relapse_due_on"],
        )
    except LuoshiError as exc:
        apply_errors(form, exc)
        return _again(request, task, "record", lookback.pk, form, exc.status)
    if recorded.outcome == LookBackOutcome.RELAPSED:
        return _done(request, task.pk, _("The relapse is recorded; a new red task was opened for it."))
    return _done(request, task.pk, _("The look-back is recorded: the result held."))


# --- the look-backs page --------------------------------------------------------------------------


class SampleForm(forms.Form):
    closed_from = forms.DateField(label=gettext_lazy("Closed from"), widget=DateInput())
    closed_to = forms.DateField(label=gettext_lazy("Closed until"), widget=DateInput())
    percent = forms.IntegerField(
        label=gettext_lazy("Share per unit (%)"), min_value=1, max_value=100, initial=10
    )
    due_on = forms.DateField(label=gettext_lazy("Look-back date"), widget=DateInput())
    seed = forms.CharField(
        label=gettext_lazy("Seed"),
        max_length=60,
        help_text=gettext_lazy("Any word or number; the same seed draws the same tasks again."),
    )


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=DateInput())
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=DateInput())


def _is_supervisor(user: Any) -> bool:
    return bool(user.is_superuser or any(s.role == Role.SUPERVISOR for s in access.scopes_of(user)))


@require_http_methods(["GET", "POST"])
def lookback_overview(request: HttpRequest) -> HttpResponse:
    """Waiting look-backs, the relapse rate per unit over a period, and (supervisors) a random sample."""
    user = request.user
    today = workdays.today()
    period = PeriodForm(request.GET or None)
    start, end = date(today.year, 1, 1), today
    if period.is_valid():
        start = period.cleaned_data["start"] or start
        end = period.cleaned_data["end"] or end
    supervisor = _is_supervisor(user)
    sample_form: SampleForm | None = None
    drawn: services.SampleResult | None = None
    status = 200
    if supervisor:
        if request.method == "POST":
            sample_form = SampleForm(request.POST)
            if sample_form.is_valid():
                data = sample_form.cleaned_data
                try:
                    drawn = services.lookback_sample(
                        actor=user,  # type: ignore[arg-type]
                        closed_from=data["closed_from"],
                        closed_to=data["closed_to"],
                        due_on=data["due_on"],
                        percent=data["percent"],
                        seed=data["seed"],
                    )
                except LuoshiError as exc:
                    apply_errors(sample_form, exc)
                    status = exc.status
            else:
                status = 422
        else:
            sample_form = SampleForm(
                initial={
                    "closed_from": start,
                    "closed_to": today,
                    "percent": services.lookback_settings()["sample_percent"],
                    "due_on": workdays.add_working_days(today, 10),
                    "seed": today.isoformat(),
                }
            )
    elif request.method == "POST":
        raise PermissionDenied
    pending = list(selectors.pending_lookbacks(user=user)[:200])
    units = {}
    if drawn is not None:
        units = {o.pk: o.name for o in Organization.objects.filter(pk__in=drawn.per_unit)}
    context = {
        "today": today,
        "period": period,
        "start": start,
        "end": end,
        "pending": pending,
        "relapses": selectors.relapse_table(user=user, start=start, end=end),
        "sample_form": sample_form,
        "drawn": drawn,
        "drawn_units": [(units.get(k, k), v[0], v[1]) for k, v in (drawn.per_unit.items() if drawn else [])],
        "soon": today + timedelta(days=7),
    }
    return render(request, "closure/lookbacks.html", context, status=status)


# --- My work --------------------------------------------------------------------------------------


MYWORK_LIMIT = 20
DECIDING_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER, Role.HEAD})


def mywork_section(user: Any, today: date) -> Section | None:
    """Look-backs due within a week that the user may record; None for people who never record them
    (handlers), whose My work it would only clutter."""
    if not (user.is_superuser or any(s.role in DECIDING_ROLES for s in access.scopes_of(user))):
        return None
    due = selectors.lookbacks_due_for(user=user, today=today)
    return Section(
        key="lookbacks",
        title=_("Look-backs due"),
        empty=_("No look-back is due within a week."),
        rows=due[:MYWORK_LIMIT],
        total=len(due),
        template="closure/_mywork_lookbacks.html",
    )
