"""Forms of the indicator pages. They parse input; the services decide and write (their errors come back
on the fields through ``luoshi.web.forms.apply_errors``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.indicators.models import Direction, Frequency, Indicator, Measure, ValueStatus
from luoshi.organizations.models import Organization
from luoshi.web.forms import OrganizationChoiceField
from luoshi.web.tasklist_forms import DateInput, ObjectChoiceField


def decimal_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    """A number as the models store it (18 digits, 4 after the point)."""
    return forms.DecimalField(label=label, max_digits=18, decimal_places=4, **kwargs)


class TargetForm(forms.Form):
    """A unit's target for a plan period, with one share per unit directly below it (optional)."""

    period_start = forms.DateField(label=_("Plan period from"), widget=DateInput)
    period_end = forms.DateField(label=_("Plan period to"), widget=DateInput)
    baseline = decimal_field(_("Baseline"))
    target_value = decimal_field(_("Target"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # The version of the unit's target when the form was drawn: a change by someone else meanwhile is a 409.
    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, children: Sequence[Organization] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.children = list(children)
        for child in self.children:
            self.fields[f"part_{child.pk}_target"] = decimal_field(
                _("Target of %(unit)s") % {"unit": child.display_name}, required=False
            )
            self.fields[f"part_{child.pk}_baseline"] = decimal_field(
                _("Baseline of %(unit)s") % {"unit": child.display_name}, required=False
            )

    def part_rows(self) -> list[tuple[Organization, Any, Any]]:
        return [(c, self[f"part_{c.pk}_target"], self[f"part_{c.pk}_baseline"]) for c in self.children]

    def parts(self) -> list[tuple[Organization, Decimal, Decimal | None]]:
        result = []
        for child in self.children:
            value = self.cleaned_data.get(f"part_{child.pk}_target")
            if value is not None:
                result.append((child, value, self.cleaned_data.get(f"part_{child.pk}_baseline")))
        return result

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            self.add_error("period_end", _("The plan period cannot end before it starts."))
        return data


class ValueForm(forms.Form):
    org = OrganizationChoiceField(label=_("Unit"))
    period = forms.CharField(label=_("Period"), max_length=10)
    value = decimal_field(_("Value"))
    status = forms.ChoiceField(
        label=_("Status"), choices=ValueStatus.choices, initial=ValueStatus.PROVISIONAL
    )
    source = forms.CharField(label=_("Source"), max_length=200)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(
        self, *args: Any, organizations: Sequence[Organization], example: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"] = OrganizationChoiceField(label=_("Unit"), organizations=organizations)
        self.fields["period"].help_text = _("For example %(example)s.") % {"example": example}


class LinkForm(forms.Form):
    """Which indicator a task should move, for which unit, and by how much."""

    indicator = ObjectChoiceField(label=_("Indicator"))
    org = OrganizationChoiceField(label=_("Unit"))
    expected_change = decimal_field(
        _("Expected change"),
        required=False,
        help_text=_("Signed, in the indicator's unit of measure: e.g. -0.02 to lower it by 0.02."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(
        self,
        *args: Any,
        indicators: Sequence[Indicator],
        organizations: Sequence[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"] = ObjectChoiceField(
            label=_("Indicator"),
            objects=indicators,
            label_of=lambda i: f"{i.name} ({i.unit_of_measure})",
        )
        self.fields["org"] = OrganizationChoiceField(label=_("Unit"), organizations=organizations)


class IndicatorForm(forms.Form):
    """A new indicator: what it measures, which way is better, how often, who owns it, and a formula
    over other indicators' codes for a derived one."""

    name = forms.CharField(label=_("Name"), max_length=100)
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("Lower-case letters, digits and underscores; formulas refer to indicators by it."),
    )
    unit_of_measure = forms.CharField(label=_("Unit of measure"), max_length=40)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices, initial=Frequency.MONTHLY)
    measure = forms.ChoiceField(label=_("Measure"), choices=Measure.choices, initial=Measure.LEVEL)
    owner_org = OrganizationChoiceField(label=_("Owner unit"))
    formula = forms.CharField(
        label=_("Formula"),
        max_length=400,
        required=False,
        help_text=_("Only for a derived indicator, e.g. energy_total / gdp. Leave empty for a reported one."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, organizations: Sequence[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_org"] = OrganizationChoiceField(label=_("Owner unit"), organizations=organizations)
