"""Forms of the task page: one per action. They parse and check input; the task services decide and write.

Every form carries the ``version`` of the task the person read, so that a change made meanwhile by someone
else is noticed instead of overwritten. Reasons the domain requires are required here too, with the
services' own wording, so the message on the field is the same whichever of the two catches it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.organizations.models import Organization
from luoshi.tasks.models import Light, Milestone, ReportCadence, Task
from luoshi.web.forms import OrganizationChoiceField

# What a phone's file picker offers: photos (camera or gallery, the person chooses), PDFs and Office files.
EVIDENCE_ACCEPT = "image/*,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"
REASON_REQUIRED = _("Please give a reason.")


class DateInput(forms.DateInput):
    """The browser's date picker (a calendar on phones), exchanging ISO dates."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Any number of evidence files (the evidence service checks each by its content, size and count)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT, "class": "evidence-input"})
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def reason_field(
    label: Any = None, *, required: bool = True, message: Any = REASON_REQUIRED
) -> forms.CharField:
    return forms.CharField(
        label=label or _("Reason"),
        required=required,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": message},
    )


class TaskForm(forms.Form):
    """The version the person read; field ids are prefixed by the action, since one page holds every form."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, files: Any = None, *, task: Task, key: str, today: date, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", f"id_{key.replace('-', '_')}_%s")
        initial = {"version": task.version, **kwargs.pop("initial", {})}
        super().__init__(data, files, initial=initial, **kwargs)
        self.task = task
        self.today = today


class ReasonForm(TaskForm):
    reason = reason_field()


class NoteForm(TaskForm):
    note = reason_field(_("Note (optional)"), required=False)


class TransferForm(TaskForm):
    to_org = OrganizationChoiceField(label=_("New lead unit"))
    reason = reason_field()

    def __init__(self, *args: Any, units: Sequence[Organization] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_org"] = OrganizationChoiceField(
            label=_("New lead unit"),
            organizations=units,
            disabled_ids=[self.task.lead_org_id],
            help_text=_("A unit below %(unit)s. It acknowledges the task again.")
            % {"unit": self.task.assigning_org.name},
        )


class ReportForm(TaskForm):
    progress = forms.IntegerField(
        label=_("Progress (%)"),
        min_value=0,
        max_value=100,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1, "min": 0, "max": 100}),
    )
    narrative = forms.CharField(
        label=_("Work done"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Please say what was done.")},
    )
    problems = forms.CharField(
        label=_("Problems"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_phase_completion = forms.BooleanField(label=_("A phase of the work is completed"), required=False)

    def __init__(self, *args: Any, with_progress: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Added here rather than declared: a declared "files" would shadow ``Form.files`` for type checkers.
        # The name matches the evidence service's error field, so its messages land on this input.
        self.fields["files"] = EvidenceField(
            label=_("Evidence files"),
            help_text=_("Photos, PDF or Office files. You may choose several."),
        )
        if with_progress:
            self.fields["progress"].initial = self.task.reported_progress
        else:
            # Cooperating units report what they did; a parent's progress comes from its subtasks.
            del self.fields["progress"]


class CompletionForm(TaskForm):
    note = forms.CharField(
        label=_("What was achieved"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"] = EvidenceField(
            label=_("Evidence files"),
            help_text=_("The proof the assigning unit checks: photos, PDF or Office files."),
        )


class ExtensionRequestForm(TaskForm):
    requested_due_on = forms.DateField(label=_("New due date"), widget=DateInput())
    reason = reason_field(message=_("Please give a reason for the extension."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        earliest = self.task.due_on + timedelta(days=1)
        self.fields["requested_due_on"].widget.attrs["min"] = earliest.isoformat()
        self.fields["requested_due_on"].help_text = _("Later than the current due date, %(date)s.") % {
            "date": self.task.due_on.isoformat()
        }


class ExtensionDenyForm(TaskForm):
    note = reason_field(message=_("Please say why the extension is denied."))


class OverrideLightForm(TaskForm):
    light = forms.ChoiceField(
        label=_("Light"),
        choices=[(light.value, light.label) for light in (Light.RED, Light.YELLOW, Light.BLUE, Light.GREEN)],
    )
    reason = reason_field(message=_("Please give the reason for setting the light by hand."))
    until = forms.DateField(
        label=_("Until"),
        widget=DateInput(),
        help_text=_("Then the computed light returns."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["until"].widget.attrs["min"] = self.today.isoformat()
        self.fields["until"].initial = min(self.today + timedelta(days=14), max(self.task.due_on, self.today))


class DecomposeForm(TaskForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    lead_org = OrganizationChoiceField(label=_("Lead unit"))
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())
    description = forms.CharField(
        label=_("Description"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )
    expected_outcome = forms.CharField(
        label=_("Expected outcome"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    report_cadence = forms.ChoiceField(label=_("Report cadence"), choices=ReportCadence.choices)
    weight = forms.IntegerField(
        label=_("Weight"),
        min_value=1,
        max_value=1000,
        initial=1,
        help_text=_("How much it counts in this task's progress."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    assign_now = forms.BooleanField(
        label=_("Send it to the unit now"),
        required=False,
        initial=True,
        help_text=_("Otherwise it stays a draft here until you assign it."),
    )

    def __init__(self, *args: Any, units: Sequence[Organization] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_org"] = OrganizationChoiceField(
            label=_("Lead unit"),
            organizations=units,
            help_text=_("%(unit)s itself or a unit below it.") % {"unit": self.task.lead_org.name},
        )
        due = self.fields["due_on"]
        due.initial = self.task.due_on
        due.widget.attrs["max"] = self.task.due_on.isoformat()
        due.help_text = _("No later than this task, %(date)s.") % {"date": self.task.due_on.isoformat()}
        self.fields["report_cadence"].initial = self.task.report_cadence


class MilestoneForm(TaskForm):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())
    planned_progress = forms.IntegerField(
        label=_("Planned progress (%)"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_on"].widget.attrs.update(
            {"min": self.task.start_on.isoformat(), "max": self.task.due_on.isoformat()}
        )


class MilestoneDoneForm(TaskForm):
    milestone = forms.ModelChoiceField(queryset=Milestone.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["milestone"])
        field.queryset = Milestone.objects.filter(task=self.task, done_on__isnull=True)
