"""The form a security administrator grants or revokes a duty with."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.duties.models import Duty


class DutyGrantForm(forms.Form):
    duty = forms.ChoiceField(label=_("Duty"), choices=Duty.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class DutyRevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
