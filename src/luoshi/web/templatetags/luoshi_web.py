"""Template helpers for the pages: readable audit actions and links to what an event is about."""

from __future__ import annotations

import json
from typing import Any

from django import forms, template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from luoshi.core import redaction
from luoshi.web.forms import field_html

register = template.Library()

ACTION_LABELS = {
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Failed sign-in"),
    "organization.create": _("Unit added"),
    "organization.update": _("Unit changed"),
    "organization.move": _("Unit moved"),
    "organization.import": _("Units imported"),
    "person.create": _("Person added"),
    "person.update": _("Person changed"),
    "person.set_password": _("Password set"),
    "person.set_language": _("Language changed"),
}

OBJECT_PAGES = {
    "organizations.organization": "web:organization_detail",
    "organizations.user": "web:person_detail",
}


@register.filter
def masked_url(url: str) -> str:
    """A webhook address with its query values (a robot's token) masked, for lists."""
    return redaction.mask_url(url)


@register.filter
def action_label(action: str) -> str:
    """A sentence-case label for an audit action; unknown actions show their code."""
    return str(ACTION_LABELS.get(action, action))


@register.filter
def object_url(event: Any) -> str:
    """The page of the object an audit event is about ("" when it has none). The page checks access."""
    name = OBJECT_PAGES.get(event.object_type)
    if not name or not str(event.object_id).isdigit():
        return ""
    return reverse(name, kwargs={"pk": int(event.object_id)})


@register.filter
def as_json(value: Any) -> str:
    """Changes recorded in an audit event, indented for reading (Chinese shown as is, not escaped)."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@register.simple_tag
def bar(value: int, maximum: int, kind: str = "plain") -> SafeString:
    """A horizontal bar for ``value`` out of ``maximum``: SVG attributes, not styles, so it works under a
    strict CSP. Decorative: the number is always printed beside it."""
    width = round(100 * value / maximum) if maximum else 0
    return format_html(
        '<svg class="bar bar-{}" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"'
        ' focusable="false"><rect class="bar-track" x="0" y="0" width="100" height="10"/>'
        '<rect class="bar-fill" x="0" y="0" width="{}" height="10"/></svg>',
        kind or "plain",
        width,
    )


@register.filter
def as_field(field: forms.BoundField) -> SafeString:
    """``{{ form.name|as_field }}``: the field as ``web/_field.html`` draws it (``forms.field_html``),
    without an include per field."""
    return field_html(field)
