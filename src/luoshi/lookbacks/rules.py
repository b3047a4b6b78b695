"""Who may see and act on look-backs; registered into the one policy (``luoshi.access``).

A look-back goes with its task: whoever sees the task sees its look-backs. Scheduling and recording
belong to the task's deciders (the assigning unit's leader or head, or a supervisor covering it), the same
people who accepted the work.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from luoshi.access import policy
from luoshi.lookbacks.models import LookBack
from luoshi.tasks.models import Task
from luoshi.tasks.rules import Party, is_party


def visible_lookbacks(user: Any, qs: models.QuerySet[LookBack]) -> models.QuerySet[LookBack]:
    return qs.filter(task__in=policy.visible(user, Task.objects.all()))


def may_look_back(user: Any, task: Task) -> bool:
    return is_party(user, Party.DECIDER, task)


def can_on_lookback(user: Any, action: str, lookback: LookBack) -> bool:
    if action == "view":
        return True
    if action in {"record", "change"}:
        return may_look_back(user, lookback.task)
    return False


def register() -> None:
    policy.register_visibility(LookBack, visible_lookbacks)
    policy.register_actions(LookBack, can_on_lookback)
