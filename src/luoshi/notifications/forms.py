"""Forms of the notification pages: a channel, and a person's preferences."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from luoshi.notifications.models import Channel, Preference
from luoshi.organizations.models import Organization
from luoshi.web.forms import indented_label


def _model_field(model: type[Any], name: str, **kwargs: Any) -> Any:
    return model._meta.get_field(name).formfield(**kwargs)


class UnitChoiceField(forms.ModelChoiceField):
    """Units indented by depth, so the list shows the tree's shape."""

    def label_from_instance(self, obj: Any) -> str:
        return indented_label(obj)


class ChannelForm(forms.Form):
    name = _model_field(Channel, "name")
    kind = _model_field(Channel, "kind")
    url = _model_field(
        Channel,
        "url",
        assume_scheme="https",
        # A text box styled like the others; the field still checks it is an address.
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label=_("Secret"),
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "The webhook's signing key, or the DingTalk robot's signing secret (加签). Saved secrets are "
            "never shown; leave empty to keep the saved one."
        ),
    )
    clear_secret = forms.BooleanField(label=_("Remove the saved secret"), required=False)
    organization = UnitChoiceField(
        label=_("Unit"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("Everyone"),
        help_text=_("Notifications for people in this unit and the units below it."),
    )
    is_active = _model_field(Channel, "is_active")
    max_per_minute = _model_field(Channel, "max_per_minute")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, units: list[Organization], editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(UnitChoiceField, self.fields["organization"])
        field.queryset = Organization.objects.filter(pk__in=[u.pk for u in units]).order_by("path")
        if not editing:
            del self.fields["clear_secret"]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class PreferenceForm(forms.Form):
    email = _model_field(Preference, "email")
    webhook = _model_field(Preference, "webhook")
    dingtalk = _model_field(Preference, "dingtalk")
    wecom = _model_field(Preference, "wecom")
    quiet_from = _model_field(
        Preference, "quiet_from", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    quiet_until = _model_field(
        Preference, "quiet_until", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data
