"""Who may see evidence: exactly the people who may see its task (registered into ``luoshi.access``)."""

from __future__ import annotations

from typing import Any

from django.db import models

from luoshi.access import policy
from luoshi.evidence.models import EvidenceFile
from luoshi.tasks.models import Task


def visible_evidence(user: Any, qs: models.QuerySet[EvidenceFile]) -> models.QuerySet[EvidenceFile]:
    # The task rule as a subquery, so the whole check stays one SQL statement.
    return qs.filter(task__in=policy.visible(user, Task.objects.all()).values("pk"))


def can_on_evidence(user: Any, action: str, evidence: EvidenceFile) -> bool:
    # Evidence is added through the task's services (which ask the task's rules) and never changed.
    return action == policy.Action.VIEW


def register() -> None:
    policy.register_visibility(EvidenceFile, visible_evidence)
    policy.register_actions(EvidenceFile, can_on_evidence)
