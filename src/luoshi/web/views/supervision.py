"""Supervision pages: the urgings section of the task page (issue, answer, close), the supervision
overview (open urgings by level and unit), and the escalation rules page.

The task page's section is drawn from ``task_section`` (called by ``task_page.page_context``); its forms post
here and are answered with the task page itself (its htmx panels, or a redirect), exactly as the task's
own actions are. A form with errors comes back open with the person's input, through the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from luoshi.core import workdays
from luoshi.core.errors import LuoshiError, NotFound
from luoshi.organizations.models import Membership, User
from luoshi.supervision import rules, selectors, services
from luoshi.supervision.models import (
    EscalationRule,
    Recipients,
    Urging,
    UrgingLevel,
    UrgingStatus,
    level_rank,
)
from luoshi.tasks.models import OPEN_STATUSES, Task
from luoshi.web import selectors as web_selectors
from luoshi.web.forms import EMPTY_CHOICE_LABEL, OrganizationChoiceField, apply_errors
from luoshi.web.shortcuts import render_list
from luoshi.web.tasklists import Section
from luoshi.web.views import task_sections

# The tag class of each level's badge; the badge always carries the level's name and its rung, so it
# never relies on colour alone.
LEVEL_TONES: dict[str, str] = {
    UrgingLevel.REMINDER: "tag-muted",
    UrgingLevel.NOTICE: "tag-waiting",
    UrgingLevel.ORDER_BLUE: "",  # the plain tag is blue
    UrgingLevel.ORDER_ORANGE: "tag-waiting",
    UrgingLevel.ORDER_RED: "tag-bad",
    UrgingLevel.TALK: "tag-bad",
    UrgingLevel.REFERRAL: "tag-bad",
}


# --- forms ----------------------------------------------------------------------------------------


class IssueForm(forms.Form):
    level = forms.ChoiceField(
        label=gettext_lazy("Level"), choices=[("", EMPTY_CHOICE_LABEL), *UrgingLevel.choices]
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    respond_by = forms.DateField(
        label=gettext_lazy("Answer by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Not needed for a reminder."),
    )
    to_person = forms.ChoiceField(label=gettext_lazy("To"), required=False)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        self.fields["to_person"].choices = [  # type: ignore[attr-defined]
            ("", _("By level: the handler, or the responsible leader for orders")),
            *((str(p.pk), str(p)) for p in people),
        ]

    def clean_to_person(self) -> User | None:
        key = self.cleaned_data.get("to_person") or ""
        return self.people.get(key)


class RespondForm(forms.Form):
    response = forms.CharField(
        label=gettext_lazy("Your answer"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=gettext_lazy("What has been done, and when the work will be finished."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=gettext_lazy("Needed when the urging was not answered."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


# --- the task page's section ----------------------------------------------------------------------


@dataclass
class UrgingRow:
    urging: Urging
    tone: str
    rung: int
    overdue: bool
    respond_form: RespondForm | None = None
    close_form: CloseForm | None = None


@dataclass
class TaskSection:
    rows: list[UrgingRow]
    issue_form: IssueForm | None
    issue_open: bool = False
    open_count: int = 0
    failed_urging: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# Where a failed form waits for the page to be drawn again (set by the views below on the request).
FAILED = "_luoshi_urging_failure"


def task_section(request: HttpRequest, task: Task, today: date) -> TaskSection:
    """The urgings of ``task`` with the forms the reader may use. Two queries (three for supervisors)."""
    user = request.user
    failure: tuple[str, int | None, forms.Form] | None = getattr(request, FAILED, None)
    rows: list[UrgingRow] = []
    supervises = rules.supervises(user, task)
    for urging in selectors.urgings_of_task(user=user, task=task):
        row = UrgingRow(
            urging, LEVEL_TONES[urging.level], level_rank(urging.level) + 1, urging.is_overdue(today)
        )
        if urging.status == UrgingStatus.OPEN and rules.may_answer(user, urging):
            row.respond_form = RespondForm(initial={"version": urging.version})
        if urging.status != UrgingStatus.CLOSED and supervises:
            row.close_form = CloseForm(initial={"version": urging.version})
        if failure is not None and failure[1] == urging.pk:
            if failure[0] == "respond":
                row.respond_form = failure[2]  # type: ignore[assignment]
            else:
                row.close_form = failure[2]  # type: ignore[assignment]
        rows.append(row)
    issue_form: IssueForm | None = None
    if supervises and task.status in OPEN_STATUSES:
        if failure is not None and failure[0] == "issue":
            issue_form = failure[2]  # type: ignore[assignment]
        else:
            issue_form = IssueForm(people=_people_of(task))
    return TaskSection(
        rows=rows,
        issue_form=issue_form,
        issue_open=failure is not None and failure[0] == "issue",
        open_count=sum(1 for r in rows if r.urging.status == UrgingStatus.OPEN),
        failed_urging=failure[1] if failure is not None else None,
    )


def _people_of(task: Task) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=Membership.objects.filter(organization_id=task.lead_org_id).values("user_id"),
            is_active=True,
        ).order_by("display_name", "username")
    )


_task_or_404 = task_sections.task_or_404
_done = task_sections.done


def _again(
    request: HttpRequest, task: Task, kind: str, urging_id: int | None, form: forms.Form, status: int
) -> HttpResponse:
    return task_sections.again(
        request, task, failed_attribute=FAILED, kind=kind, item_id=urging_id, form=form, status=status
    )


@require_POST
def urging_issue(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(request, pk)
    if not rules.supervises(request.user, task):
        raise PermissionDenied
    form = IssueForm(request.POST, people=_people_of(task))
    if not form.is_valid():
        return _again(request, task, "issue", None, form, 422)
    data = form.cleaned_data
    try:
        services.urging_issue(
            actor=request.user,  # type: ignore[arg-type]
            task=task,
            level=data["level"],
            reason=data["reason"],
            respond_by=data["respond_by"],
            to_person=data["to_person"],
        )
    except LuoshiError as exc:
        apply_errors(form, exc)
        return _again(request, task, "issue", None, form, exc.status)
    return _done(request, task.pk, _("The urging was issued and the unit told."))


def _urging_or_404(request: HttpRequest, pk: int) -> Urging:
    try:
        return selectors.urging_get(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


@require_POST
def urging_respond(request: HttpRequest, pk: int) -> HttpResponse:
    urging = _urging_or_404(request, pk)
    if not rules.may_answer(request.user, urging):
        raise PermissionDenied
    form = RespondForm(request.POST)
    if not form.is_valid():
        return _again(request, urging.task, "respond", urging.pk, form, 422)
    try:
        services.urging_respond(
            actor=request.user,  # type: ignore[arg-type]
            urging=urging,
            response=form.cleaned_data["response"],
            version=form.cleaned_data["version"],
        )
    except LuoshiError as exc:
        apply_errors(form, exc)
        return _again(request, urging.task, "respond", urging.pk, form, exc.status)
    return _done(request, urging.task_id, _("Your answer was sent."))


@require_POST
def urging_close(request: HttpRequest, pk: int) -> HttpResponse:
    urging = _urging_or_404(request, pk)
    if not rules.supervises(request.user, urging.task):
        raise PermissionDenied
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _again(request, urging.task, "close", urging.pk, form, 422)
    try:
        services.urging_close(
            actor=request.user,  # type: ignore[arg-type]
            urging=urging,
            note=form.cleaned_data["note"],
            version=form.cleaned_data["version"],
        )
    except LuoshiError as exc:
        apply_errors(form, exc)
        return _again(request, urging.task, "close", urging.pk, form, exc.status)
    return _done(request, urging.task_id, _("The urging was closed."))


# --- My work --------------------------------------------------------------------------------------


MYWORK_LIMIT = 20


def mywork_section(user: Any, today: date) -> Section:
    """Two queries: the first rows and the count."""
    qs = selectors.urgings_to_answer(user)
    rows = [
        UrgingRow(u, LEVEL_TONES[u.level], level_rank(u.level) + 1, u.is_overdue(today))
        for u in qs[:MYWORK_LIMIT]
    ]
    return Section(
        key="urgings",
        title=_("Urgings to answer"),
        empty=_("No urging waits for your answer."),
        rows=rows,
        total=qs.count(),
        template="supervision/_mywork_urgings.html",
    )


# --- the overview ---------------------------------------------------------------------------------


class OverviewFilterForm(forms.Form):
    level = forms.ChoiceField(label=gettext_lazy("Level"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    org = OrganizationChoiceField(label=gettext_lazy("Unit (with the units below it)"), required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Only those past their answer date"), required=False)
    issued_on = forms.DateField(
        label=gettext_lazy("Issued on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    mine = forms.BooleanField(label=gettext_lazy("Only those addressed to me or my units"), required=False)

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", _("All levels")), *UrgingLevel.choices]  # type: ignore[attr-defined]
        self.fields["status"].choices = [("", _("Any status")), *UrgingStatus.choices]  # type: ignore[attr-defined]
        self.fields["org"] = OrganizationChoiceField(
            label=_("Unit (with the units below it)"),
            organizations=organizations,
            required=False,
            empty_label=_("All units"),
        )


@require_safe
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = workdays.today()
    data = request.GET.copy()
    if "status" not in data:
        data["status"] = UrgingStatus.OPEN
    form = OverviewFilterForm(data, organizations=web_selectors.visible_organizations(user))
    form.is_valid()
    chosen = form.cleaned_data
    urgings = selectors.overview(
        user=user,
        level=chosen.get("level") or "",
        status=chosen.get("status") or "",
        org=chosen.get("org"),
        overdue_only=bool(chosen.get("overdue")),
        issued_on=chosen.get("issued_on"),
        mine=bool(chosen.get("mine")),
        today=today,
    )
    page = Paginator(urgings, settings.LUOSHI_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [
            UrgingRow(u, LEVEL_TONES[u.level], level_rank(u.level) + 1, u.is_overdue(today))
            for u in page.object_list
        ],
        "filters": params.urlencode(),
        "levels": selectors.counts_by_level(user=user, org=chosen.get("org"), today=today),
        "units": selectors.counts_by_unit(user=user, today=today),
        "today": today,
        "may_edit_ladder": rules.may_edit_ladder(user),
    }
    return render_list(request, "supervision/overview.html", "supervision/_overview_results.html", context)


# --- the escalation rules -------------------------------------------------------------------------


class RuleForm(forms.Form):
    days_after_due = forms.IntegerField(
        label=gettext_lazy("Working days after the due date"), min_value=-60, max_value=250
    )
    urgent_days_after_due = forms.IntegerField(
        label=gettext_lazy("Urgent tasks"), required=False, min_value=-60, max_value=250
    )
    respond_working_days = forms.IntegerField(
        label=gettext_lazy("Working days to answer"), required=False, min_value=1, max_value=60
    )
    recipients = forms.ChoiceField(label=gettext_lazy("Sent to"), choices=Recipients.choices)
    is_active = forms.BooleanField(label=gettext_lazy("In use"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


def _rule_forms(rules_list: list[EscalationRule], data: Any = None) -> list[tuple[EscalationRule, RuleForm]]:
    return [
        (
            rule,
            RuleForm(
                data,
                prefix=rule.level,
                initial={
                    "days_after_due": rule.days_after_due,
                    "urgent_days_after_due": rule.urgent_days_after_due,
                    "respond_working_days": rule.respond_working_days,
                    "recipients": rule.recipients,
                    "is_active": rule.is_active,
                    "version": rule.version,
                },
            ),
        )
        for rule in rules_list
    ]


@require_http_methods(["GET", "HEAD", "POST"])
def escalation_rules(request: HttpRequest) -> HttpResponse:
    """Everyone signed in reads the ladder; administrators of the whole government change it."""
    user = request.user
    may_edit = rules.may_edit_ladder(user)
    ladder = services.ladder()
    error = ""
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        pairs = _rule_forms(ladder, request.POST)
        if all(form.is_valid() for _rule, form in pairs):
            changes = [{"level": rule.level, **form.cleaned_data} for rule, form in pairs]
            try:
                changed = services.escalation_rules_update(actor=user, changes=changes)  # type: ignore[arg-type]
            except LuoshiError as exc:
                status = exc.status
                error = str(exc.message)
                for rule, form in pairs:
                    for key, texts in exc.fields.items():
                        if key.startswith(rule.level + "."):
                            name = key.split(".", 1)[1]
                            if name in form.fields:
                                form.add_error(name, list(texts))
            else:
                messages.success(
                    request,
                    _("The escalation rules were saved (%(count)d changed).") % {"count": len(changed)}
                    if changed
                    else _("Nothing was changed."),
                )
                return redirect("web:escalation_rules")
        else:
            status = 422
            error = _("Please correct the marked fields.")
    else:
        pairs = _rule_forms(ladder)
    context = {
        "rows": [(rule, form, LEVEL_TONES[rule.level]) for rule, form in pairs],
        "may_edit": may_edit,
        "error": error,
    }
    return render(request, "supervision/rules.html", context, status=status)
