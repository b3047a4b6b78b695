"""What every page's frame needs: the navigation, who is signed in and where, and the page language."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from luoshi.access.policy import can_view_audit, duty_of
from luoshi.web import selectors

# (url name, label, url names that count as "in this section")
SECTIONS = (
    ("web:home", _("Home"), ("home",)),
    ("web:mywork", _("My work"), ("mywork",)),
    ("web:cockpit", _("Cockpit"), ("cockpit",)),
    ("web:ledger", _("Ledger"), ("ledger",)),
    ("web:supervision_overview", _("Supervision"), ("supervision_", "escalation_", "urging_")),
    ("web:lookback_overview", _("Look-backs"), ("lookback_",)),
    ("web:indicator_list", _("Indicators"), ("indicator_",)),
    ("web:evaluation_league", _("Evaluation"), ("evaluation_",)),
    ("web:bulletin_list", _("Bulletins"), ("bulletin_",)),
    ("web:directive_list", _("Directives"), ("directive_", "clause_", "task_new")),
    ("web:organization_list", _("Organisations"), ("organization_",)),
    ("web:person_list", _("People"), ("person_",)),
    ("web:duty_list", _("Duties"), ("duty_",)),
    ("web:audit_list", _("Audit trail"), ("audit_",)),
)
# Sections shown only to some: the full audit trail to the audit administrator, the list of the three
# administrator duties to whoever holds one of them.
RESTRICTED = {"web:audit_list": can_view_audit, "web:duty_list": lambda user: bool(duty_of(user))}


# The sections' addresses, reversed once per URL configuration and script prefix instead of on every page.
_REVERSED: dict[tuple[str | None, str, str], str] = {}


def _reversed(url_name: str) -> str:
    key = (get_urlconf(), get_script_prefix(), url_name)
    url = _REVERSED.get(key)
    if url is None:
        url = _REVERSED[key] = reverse(url_name)
    return url


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    current: bool


class Navigation:
    """Computed on first use only, so responses that do not draw the frame (partials) ask nothing."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.user = getattr(request, "user", None)

    @cached_property
    def items(self) -> list[NavItem]:
        if self.user is None or not self.user.is_authenticated:
            return []
        match = getattr(self.request, "resolver_match", None)
        current = match.url_name or "" if match else ""
        items = []
        for url_name, label, prefixes in SECTIONS:
            if url_name in RESTRICTED and not RESTRICTED[url_name](self.user):
                continue
            is_current = any(current == p or (p.endswith("_") and current.startswith(p)) for p in prefixes)
            items.append(NavItem(url=_reversed(url_name), label=str(label), current=is_current))
        return items

    @cached_property
    def frame(self) -> selectors.Frame | None:
        """What the frame shows of the signed-in person (``selectors.frame_of``), read on first use."""
        if self.user is None or not self.user.is_authenticated:
            return None
        return selectors.frame_of(self.user)

    @property
    def unread_count(self) -> int:
        """How many of the person's notifications are unread."""
        return 0 if self.frame is None else self.frame.unread

    @property
    def primary_unit(self) -> str | None:
        """The name of the unit the frame shows the person in."""
        return None if self.frame is None else self.frame.unit


def navigation(request: HttpRequest) -> dict[str, Any]:
    language = get_language() or "zh-hans"
    return {
        "nav": Navigation(request),
        # BCP 47 spelling for <html lang>: screen readers pick their voice from it.
        "html_lang": "zh-Hans" if language.startswith("zh") else language,
        "current_language": language,
    }
