"""Forms for the pages. They parse and check input; the services decide and write.

Field labels come from the models (so a page and the admin say the same thing) and every service error is
put on the form by ``apply_errors``, the one place that maps ``ValidationFailed.fields`` onto fields.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django import forms
from django.forms.widgets import Input
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from luoshi.core.errors import LuoshiError
from luoshi.organizations.models import Membership, Organization, Role, User, validate_id_number

EMPTY_CHOICE_LABEL = _("Choose…")


def apply_errors(form: forms.BaseForm, exc: LuoshiError) -> None:
    """Show a service's error on ``form``: each field's messages on that field, the rest above the form.

    Every interface maps ``ValidationFailed.fields`` (or a Conflict's message) the same way through here.
    """
    unplaced: list[str] = []
    for field, messages in exc.fields.items():
        if field in form.fields:
            form.add_error(field, list(messages))
        else:
            unplaced.extend(messages)
    form.add_error(None, [str(exc.message), *unplaced])


def _model_field(model: type[Any], name: str, **kwargs: Any) -> Any:
    return model._meta.get_field(name).formfield(**kwargs)


def indented_label(org: Organization, base_depth: int = 1) -> str:
    """A unit's name indented by its depth, for drop-down lists that show the tree's shape."""
    return "\u3000" * max(org.depth - base_depth, 0) + org.name


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the value as text, escaped unless it was already safe."""
    text = "%s" % (value,)  # noqa: UP031 -- the filter's own formatting
    # ``html.escape`` is what Django's ``escape`` runs, without its check for lazy text (``text`` is not).
    return text if isinstance(value, SafeData) else html.escape(text)


def _attrs_html(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``: `` name="value"`` for each attribute, the name alone for
    True, nothing for False."""
    return "".join(
        f" {conditional_escape(name)}" + ("" if value is True else f'="{_formatted(value)}"')
        for name, value in attrs.items()
        if value is not False
    )


class QuickInput(Input):
    """An ``<input>`` drawn without templates: the HTML of Django's ``input.html`` and ``attrs.html``,
    character for character (``tests/web/test_forms.py`` holds the two together)."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
        return mark_safe(  # noqa: S308 -- every value is escaped
            f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
            f"{shown}{_attrs_html(widget['attrs'])}>"
        )


class TextInput(QuickInput, forms.TextInput):
    pass


class HiddenInput(QuickInput, forms.HiddenInput):
    pass


class Select(forms.Select):
    """``forms.Select`` drawn without a template per option: the HTML of Django's ``select.html``, which
    renders ``select_option.html`` and ``attrs.html`` for each option, character for character
    (``tests/web/test_forms.py`` holds the two together). The ledger's filters offer a few dozen
    options, and the templates took most of the form's time. Option groups, and labels that are not
    text (which the templates would localize), are left to the templates."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        context = self.get_context(name, value, attrs)
        widget = context["widget"]
        options = [
            option for _group, group_options, _index in widget["optgroups"] for option in group_options
        ]
        grouped = any(group for group, _options, _index in widget["optgroups"])
        if grouped or not all(isinstance(option["label"], str | Promise) for option in options):
            return cast(SafeString, super().render(name, value, attrs, renderer))
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
        # Each option's template ends with a line break, which the page keeps; the renderer strips the
        # whole widget's.
        parts.extend(
            f'\n  <option value="{_formatted(option["value"])}"{_attrs_html(option["attrs"])}>'
            f"{_formatted(option['label'])}</option>\n"
            for option in options
        )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped


class SelectWithDisabled(Select):
    """A drop-down whose options in ``disabled_values`` are shown but cannot be chosen."""

    def __init__(self, *args: Any, disabled_values: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disabled_values = set(disabled_values)

    def create_option(
        self,
        name: str,
        value: Any,
        label: Any,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


# ``web/_field.html``'s mark of a required field.
REQUIRED_MARK = '<span class="required" aria-hidden="true">*</span>'


def field_html(field: forms.BoundField) -> SafeString:
    """``{% include "web/_field.html" with field=field %}`` written in Python, character for character
    (``tests/web/test_forms.py`` holds the two together): a filter bar of eight fields spent more time
    in the include's lookups than in drawing its widgets. A bound field and its error list are HTML
    already (``str`` gives what ``{{ field }}`` and ``{{ field.errors }}`` give)."""
    widget = str(field)
    if field.is_hidden:
        return mark_safe(f"{widget}\n")  # noqa: S308 -- the widget's own HTML
    checkbox = field.widget_type == "checkbox"
    errors = field.errors
    label = f'<label for="{conditional_escape(field.id_for_label)}">{conditional_escape(field.label)}'
    parts = [f'<div class="field{" has-error" if errors else ""}{" field-check" if checkbox else ""}">\n  ']
    if checkbox:
        parts.append(f"{widget} {label}</label>\n  \n  ")
    else:
        required = field.field.required and field.form.use_required_attribute
        parts.append(f"{label}{REQUIRED_MARK if required else ''}</label>\n  ")
    if field.help_text:
        parts.append(
            f'<div class="helptext" id="{conditional_escape(field.auto_id)}_helptext">'
            f"{conditional_escape(field.help_text)}</div>"
        )
    parts.append(f"\n  {str(errors) if errors else ''}\n  ")
    parts.append("" if checkbox else widget)
    parts.append("\n</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped or the form's HTML


class OrganizationChoiceField(forms.ChoiceField):
    """Choose one unit from a list fetched beforehand (no query per form, so formsets stay cheap)."""

    def __init__(
        self,
        *,
        organizations: Sequence[Organization] = (),
        disabled_ids: Iterable[int] = (),
        empty_label: Any = EMPTY_CHOICE_LABEL,
        **kwargs: Any,
    ) -> None:
        self.organizations = {str(o.pk): o for o in organizations}
        base = min((o.depth for o in organizations), default=1)
        choices = [("", empty_label), *((str(o.pk), indented_label(o, base)) for o in organizations)]
        kwargs.setdefault("widget", SelectWithDisabled(disabled_values={str(pk) for pk in disabled_ids}))
        super().__init__(choices=choices, **kwargs)

    def clean(self, value: Any) -> Organization | None:
        key = super().clean(value)
        return self.organizations.get(key) if key else None


# --- sign-in --------------------------------------------------------------------------------------


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


# --- organisations --------------------------------------------------------------------------------


class OrganizationFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Find a unit"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, short name or region code")}),
    )


class OrganizationForm(forms.Form):
    """The fields of a unit that its page may change (moving it has a page of its own)."""

    name = _model_field(Organization, "name")
    short_name = _model_field(Organization, "short_name")
    kind = _model_field(Organization, "kind")
    region_code = _model_field(Organization, "region_code", help_text=_("Six digits, e.g. 210303."))
    duties = _model_field(Organization, "duties", widget=forms.Textarea(attrs={"rows": 4}))
    sort_order = _model_field(Organization, "sort_order")
    is_active = _model_field(Organization, "is_active")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["region_code"] = data.get("region_code") or None
        return data


class NewChildForm(OrganizationForm):
    """A new unit under a given parent: the same fields, less those that only an existing unit has."""

    is_active = None
    version = None  # type: ignore[assignment]


class MoveForm(forms.Form):
    parent = OrganizationChoiceField(label=_("New parent unit"))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, candidates: Sequence[Organization], disabled_ids: Iterable[int] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"] = OrganizationChoiceField(
            label=_("New parent unit"),
            organizations=candidates,
            disabled_ids=disabled_ids,
            help_text=_("The unit moves with everything below it. Units inside it cannot be chosen."),
        )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Only check the file, import nothing"),
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Choose an Excel workbook ending in .xlsx."))
        return upload


# --- people ---------------------------------------------------------------------------------------


class PeopleFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Find a person"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, username or email")}),
    )
    org = OrganizationChoiceField(label=_("Unit (with the units below it)"), required=False)

    def __init__(self, *args: Any, organizations: Sequence[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"] = OrganizationChoiceField(
            label=_("Unit (with the units below it)"),
            organizations=organizations,
            required=False,
            empty_label=_("All units"),
        )


class PersonForm(forms.Form):
    display_name = _model_field(User, "display_name", required=True)
    email = _model_field(User, "email")
    phone = _model_field(User, "phone")
    # The saved ID number is never sent back to the browser: an empty box keeps it.
    id_number = _model_field(
        User,
        "id_number",
        help_text=_("Resident identity card number (18 characters). Leave empty to keep the saved one."),
    )
    clear_id_number = forms.BooleanField(label=_("Remove the saved ID number"), required=False)
    language = _model_field(User, "language")
    is_active = _model_field(User, "is_active")
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, may_deactivate: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_deactivate:
            del self.fields["is_active"]
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "type": "tel"})
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_id_number(self) -> str:
        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        if value:
            validate_id_number(value)
        return value

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if data.pop("clear_id_number", False):
            data["id_number"] = ""
        elif not data.get("id_number"):
            data.pop("id_number", None)
        return data


class PersonCreateForm(forms.Form):
    username = _model_field(User, "username")
    display_name = _model_field(User, "display_name", required=True)
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not a common password and not only digits."),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    email = _model_field(User, "email")
    phone = _model_field(User, "phone")
    language = _model_field(User, "language")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "none"})
        self.fields["phone"].widget.attrs.update({"type": "tel"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("password_again", None)
        return data


class MembershipForm(forms.Form):
    """One row of a person's memberships: unit, role, post."""

    organization = OrganizationChoiceField(label=_("Unit"))
    role = forms.ChoiceField(label=_("Role"), choices=[("", EMPTY_CHOICE_LABEL), *Role.choices])
    title = _model_field(Membership, "title", required=False)

    def __init__(self, *args: Any, organizations: Sequence[Organization] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"] = OrganizationChoiceField(label=_("Unit"), organizations=organizations)


class BaseMembershipFormSet(forms.BaseFormSet):
    # Set by the view when the person would otherwise be left with no unit at all.
    require_one = False

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen: set[tuple[int, str]] = set()
        for form in self.forms:
            if self._deleted(form) or not form.cleaned_data:
                continue
            org, role = form.cleaned_data.get("organization"), form.cleaned_data.get("role")
            if org is None or not role:
                continue
            if (org.pk, role) in seen:
                form.add_error("role", _("This person already has this role in this unit."))
            seen.add((org.pk, role))
        if self.require_one and not self.memberships():
            raise forms.ValidationError(_("Give the person at least one unit and role."))

    def _deleted(self, form: forms.Form) -> bool:
        return bool(self.can_delete and form.cleaned_data.get("DELETE"))

    def memberships(self) -> list[tuple[Organization, str, str]]:
        """The rows kept, as the services take them: (organisation, role, post)."""
        rows = []
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or self._deleted(form):
                continue
            org, role = form.cleaned_data.get("organization"), form.cleaned_data.get("role")
            if org is not None and role:
                rows.append((org, role, form.cleaned_data.get("title", "")))
        return rows


MembershipFormSet = forms.formset_factory(
    MembershipForm, formset=BaseMembershipFormSet, extra=1, can_delete=True, max_num=50, validate_max=True
)


def membership_formset(
    data: Any = None,
    *,
    organizations: Sequence[Organization],
    initial: list[dict[str, Any]] | None = None,
    require_one: bool = False,
) -> BaseMembershipFormSet:
    """The memberships formset, its unit choices fetched once for every row."""
    formset = cast(
        BaseMembershipFormSet,
        MembershipFormSet(data, initial=initial, form_kwargs={"organizations": organizations}),
    )
    formset.require_one = require_one
    return formset


# --- audit ----------------------------------------------------------------------------------------


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. organization.update")}),
    )
    object = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=130,
        widget=forms.TextInput(
            attrs={"placeholder": _("type or type:id, e.g. organizations.organization:12")}
        ),
    )
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
