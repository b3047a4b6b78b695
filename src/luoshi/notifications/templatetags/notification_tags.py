"""``{% unread_notifications as count %}``: the signed-in person's unread count, for the navigation."""

from __future__ import annotations

from typing import Any

from django import template

from luoshi.notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    return selectors.unread_count(user)
