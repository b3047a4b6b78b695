"""Forms of the task list pages: the ledger's filters, search, and registering directives, clauses and
tasks. They parse and check input; the domain services decide and write (errors come back through
``luoshi.web.forms.apply_errors``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from luoshi.directives.models import Clause, ClauseKind, Directive, DirectiveKind, DirectiveLevel, FocusArea
from luoshi.organizations.models import Organization, User
from luoshi.search.models import EntryKind
from luoshi.tasks.models import Light, Priority, ReportCadence, Task, TaskStatus
from luoshi.web.forms import (
    EMPTY_CHOICE_LABEL,
    HiddenInput,
    OrganizationChoiceField,
    QuickInput,
    Select,
    TextInput,
    indented_label,
)
from luoshi.web.tasklists import CLOSED_LATE, DEFAULT_SORT, OPEN, SORTS


def _label(model: type[Any], name: str) -> Any:
    """The model field's name as a label, as Django's own model forms write it (capitalized, lazily)."""
    return capfirst(model._meta.get_field(name).verbose_name)


class DateInput(QuickInput, forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ObjectChoiceField(forms.ChoiceField):
    """Choose one of a list fetched beforehand (no query while the form renders or validates)."""

    def __init__(
        self,
        *,
        objects: Sequence[Any] = (),
        label_of: Any = str,
        empty_label: Any = EMPTY_CHOICE_LABEL,
        **kw: Any,
    ) -> None:
        self.objects = {str(o.pk): o for o in objects}
        choices = [("", empty_label), *((str(o.pk), label_of(o)) for o in objects)]
        kw.setdefault("widget", Select)
        super().__init__(choices=choices, **kw)

    def clean(self, value: Any) -> Any:
        key = super().clean(value)
        return self.objects.get(key) if key else None


class OrganizationsField(forms.MultipleChoiceField):
    """Choose several units from a list fetched beforehand."""

    def __init__(self, *, organizations: Sequence[Organization] = (), **kwargs: Any) -> None:
        self.organizations = {str(o.pk): o for o in organizations}
        base = min((o.depth for o in organizations), default=1)
        choices = [(str(o.pk), indented_label(o, base)) for o in organizations]
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"size": 8}))
        super().__init__(choices=choices, **kwargs)

    def clean(self, value: Any) -> list[Organization]:
        keys = super().clean(value)
        return [self.organizations[k] for k in keys]


def person_label(person: User) -> str:
    units = "、".join(m.organization.display_name for m in getattr(person, "visible_memberships", []))
    return f"{person} ({units})" if units else str(person)


# --- the ledger -----------------------------------------------------------------------------------


def light_choices() -> list[tuple[str, Any]]:
    return [
        ("", _("All lights")),
        (Light.RED, _("Red light")),
        (Light.YELLOW, _("Yellow light")),
        (Light.BLUE, _("Blue light")),
        (Light.GREEN, _("Green light")),
        (Light.CLOSED, pgettext_lazy("light", "Closed")),
        (CLOSED_LATE, pgettext_lazy("light", "Closed late")),
    ]


def status_choices() -> list[tuple[str, Any]]:
    return [("", _("All states")), (OPEN, _("Open (not closed or cancelled)")), *TaskStatus.choices]


def sort_values() -> list[str]:
    return [s for key in SORTS for s in (key, "-" + key)]


class LedgerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=100,
        widget=TextInput(attrs={"type": "search", "placeholder": _("Words in the title or description")}),
    )
    org = OrganizationChoiceField(label=_("Unit (with the units below it)"), required=False)
    directive = ObjectChoiceField(label=_("Directive"), required=False)
    focus_area = ObjectChoiceField(label=_("Focus area"), required=False)
    # The choices are lists (their labels translated lazily), not functions that every form, its widget
    # and its validation would call again.
    light = forms.ChoiceField(label=_("Light"), required=False, choices=light_choices(), widget=Select)
    status = forms.ChoiceField(label=_("State"), required=False, choices=status_choices(), widget=Select)
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DateInput)
    due_to = forms.DateField(label=_("Due by"), required=False, widget=DateInput)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in sort_values()], widget=HiddenInput)

    def __init__(
        self,
        *args: Any,
        organizations: Sequence[Organization],
        directives: Sequence[Directive],
        focus_areas: Sequence[FocusArea],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"] = OrganizationChoiceField(
            label=_("Unit (with the units below it)"),
            organizations=organizations,
            required=False,
            empty_label=_("All units"),
        )
        self.fields["directive"] = ObjectChoiceField(
            label=_("Directive"), objects=directives, required=False, empty_label=_("All directives")
        )
        self.fields["focus_area"] = ObjectChoiceField(
            label=_("Focus area"), objects=focus_areas, required=False, empty_label=_("All focus areas")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("due_from"), data.get("due_to")
        if start and end and start > end:
            self.add_error("due_to", _("The end of the range cannot be before its start."))
        data["sort"] = data.get("sort") or DEFAULT_SORT
        return data


# --- search ---------------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label=_("Look in"),
        required=False,
        choices=lambda: [("", _("Everything")), *EntryKind.choices],
    )


# --- directives, clauses, tasks -------------------------------------------------------------------


class DirectiveForm(forms.Form):
    title = forms.CharField(label=_label(Directive, "title"), max_length=200)
    issuing_org = OrganizationChoiceField(label=_label(Directive, "issuing_org"))
    issuing_body = forms.CharField(
        label=_label(Directive, "issuing_body"),
        max_length=100,
        required=False,
        help_text=_("The issuer as printed on the document, if it is not the unit itself."),
    )
    level = forms.ChoiceField(
        label=_label(Directive, "level"), choices=[("", EMPTY_CHOICE_LABEL), *DirectiveLevel.choices]
    )
    kind = forms.ChoiceField(
        label=_label(Directive, "kind"), choices=[("", EMPTY_CHOICE_LABEL), *DirectiveKind.choices]
    )
    # A plain text field: the domain accepts [] () 【】 and full-width forms and stores the official one.
    doc_number = forms.CharField(
        label=_label(Directive, "doc_number"),
        max_length=60,
        required=False,
        help_text=_("For example 鞍政办发〔2022〕12号; brackets [] () or 【】 are fine."),
    )
    issued_on = forms.DateField(label=_label(Directive, "issued_on"), widget=DateInput)
    full_text = forms.CharField(
        label=_label(Directive, "full_text"), required=False, widget=forms.Textarea(attrs={"rows": 10})
    )

    def __init__(self, *args: Any, organizations: Sequence[Organization] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issuing_org"] = OrganizationChoiceField(
            label=_label(Directive, "issuing_org"),
            organizations=organizations,
            help_text=_("The unit that issued the directive, or that registers one received from outside."),
        )


class ClauseForm(forms.Form):
    text = forms.CharField(label=_label(Clause, "text"), widget=forms.Textarea(attrs={"rows": 5}))
    heading = forms.CharField(
        label=_label(Clause, "heading"),
        max_length=200,
        required=False,
        help_text=_("The heading of the text it sits under, e.g. 二、推动绿色发展."),
    )
    kind = forms.ChoiceField(
        label=_label(Clause, "kind"), choices=ClauseKind.choices, initial=ClauseKind.DEMAND
    )
    focus_area = ObjectChoiceField(label=_label(Clause, "focus_area"), required=False)

    def __init__(self, *args: Any, focus_areas: Sequence[FocusArea] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["focus_area"] = ObjectChoiceField(
            label=_label(Clause, "focus_area"), objects=focus_areas, required=False, empty_label=_("None")
        )


class TaskCreateForm(forms.Form):
    title = forms.CharField(label=_label(Task, "title"), max_length=200)
    description = forms.CharField(
        label=_label(Task, "description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    expected_outcome = forms.CharField(
        label=_label(Task, "expected_outcome"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What will show that the task is done: the acceptance criteria."),
    )
    assigning_org = OrganizationChoiceField(label=_label(Task, "assigning_org"))
    lead_org = OrganizationChoiceField(label=_label(Task, "lead_org"))
    cooperating_orgs = OrganizationsField(label=_label(Task, "cooperating_orgs"), required=False)
    responsible_leader = ObjectChoiceField(label=_label(Task, "responsible_leader"), required=False)
    handler = ObjectChoiceField(label=_label(Task, "handler"), required=False)
    start_on = forms.DateField(label=_label(Task, "start_on"), widget=DateInput)
    due_on = forms.DateField(label=_label(Task, "due_on"), widget=DateInput)
    report_cadence = forms.ChoiceField(
        label=_label(Task, "report_cadence"), choices=ReportCadence.choices, initial=ReportCadence.MONTHLY
    )
    weight = forms.IntegerField(
        label=_label(Task, "weight"),
        min_value=1,
        max_value=1000,
        initial=1,
        help_text=_("How much the task counts in its parent's progress."),
    )
    priority = forms.TypedChoiceField(
        label=_label(Task, "priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    requires_public_notice = forms.BooleanField(label=_label(Task, "requires_public_notice"), required=False)
    assign_now = forms.BooleanField(
        label=_("Assign it now (the lead unit is asked to acknowledge it)"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        assigning_units: Sequence[Organization] = (),
        lead_units: Sequence[Organization] = (),
        cooperating_units: Sequence[Organization] = (),
        people: Sequence[User] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigning_org"] = OrganizationChoiceField(
            label=_label(Task, "assigning_org"),
            organizations=assigning_units,
            help_text=_("The unit that assigns the task and verifies the result."),
        )
        self.fields["lead_org"] = OrganizationChoiceField(
            label=_label(Task, "lead_org"),
            organizations=lead_units,
            help_text=_("The assigning unit itself, or a unit below it."),
        )
        self.fields["cooperating_orgs"] = OrganizationsField(
            label=_label(Task, "cooperating_orgs"),
            organizations=cooperating_units,
            required=False,
            help_text=_("Hold Ctrl (or ⌘) to choose several."),
        )
        self.fields["responsible_leader"] = ObjectChoiceField(
            label=_label(Task, "responsible_leader"),
            objects=people,
            label_of=person_label,
            required=False,
            empty_label=_("Nobody yet"),
        )
        self.fields["handler"] = ObjectChoiceField(
            label=_label(Task, "handler"),
            objects=people,
            label_of=person_label,
            required=False,
            empty_label=_("Nobody yet"),
            help_text=_("Someone who works in the lead unit."),
        )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("assign_now", None)
        return data
