"""Who may see drafts: their author (a draft is a private worksheet until confirmed) and superusers."""

from __future__ import annotations

from typing import Any

from django.db import models

from luoshi.access import policy
from luoshi.drafting.models import Draft


def visible_drafts(user: Any, qs: models.QuerySet[Draft]) -> models.QuerySet[Draft]:
    if user.is_superuser:
        return qs
    return qs.filter(created_by_id=user.pk)


def can_on_draft(user: Any, action: str, draft: Draft) -> bool:
    return bool(user.is_superuser or draft.created_by_id == user.pk)


def register() -> None:
    policy.register_visibility(Draft, visible_drafts)
    policy.register_actions(Draft, can_on_draft)
