"""Conveyance records of a directive (传达学习): which units it reached have recorded conveying and
studying it, which have not, and a form for the reader's own units."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from luoshi import access
from luoshi.core.errors import LuoshiError
from luoshi.directives import conveyance
from luoshi.directives.models import ConveyanceMethod, Directive
from luoshi.organizations.models import Organization
from luoshi.web.forms import EMPTY_CHOICE_LABEL, apply_errors
from luoshi.web.views.task_forms import DateInput


class ConveyanceForm(forms.Form):
    org = forms.ChoiceField(label=gettext_lazy("Unit"))
    method = forms.ChoiceField(
        label=gettext_lazy("Form"), choices=[("", EMPTY_CHOICE_LABEL), *ConveyanceMethod.choices]
    )
    held_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    attendee_count = forms.IntegerField(label=gettext_lazy("Attendees"), min_value=1)
    attendee_names = forms.CharField(
        label=gettext_lazy("Names of attendees"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What was studied and what the unit decided to do."),
    )

    def __init__(self, *args: Any, units: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {str(o.pk): o for o in units}
        choices = [(str(o.pk), o.name) for o in units]
        field = cast(forms.ChoiceField, self.fields["org"])
        field.choices = choices if len(choices) == 1 else [("", str(EMPTY_CHOICE_LABEL)), *choices]

    def clean_org(self) -> Organization:
        return self.units[self.cleaned_data["org"]]


@require_http_methods(["GET", "POST"])
def conveyance_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    directive = access.visible(user, Directive.objects.filter(pk=pk)).select_related("issuing_org").first()
    if directive is None:
        raise Http404
    units = conveyance.units_to_record_for(user, directive)
    form: ConveyanceForm | None = ConveyanceForm(units=units) if units else None
    status = 200
    if request.method == "POST":
        if not units:
            raise Http404
        form = ConveyanceForm(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                conveyance.conveyance_record(actor=user, directive=directive, **data)  # type: ignore[arg-type]
            except LuoshiError as exc:
                apply_errors(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The conveyance is recorded."))
                return redirect(reverse("web:conveyance", args=[directive.pk]))
        else:
            status = 422
    rows = conveyance.conveyance_status(user=user, directive=directive)
    context = {
        "directive": directive,
        "rows": rows,
        "done": sum(1 for r in rows if r.done),
        "form": form,
        "form_open": status != 200,
    }
    return render(request, "closure/conveyance.html", context, status=status)
