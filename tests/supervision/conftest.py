"""Supervision tests work on the task tests' desk: a frozen date (``clock``) and a city directive with one
clause (``desk``), imported rather than copied so both suites stay in step."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from luoshi.audit.models import AuditEvent
from luoshi.notifications.models import Notification
from luoshi.supervision.models import SweepMark, Urging
from luoshi.tasks.models import Task
from tests.api.conftest import api_as  # noqa: F401
from tests.tasks.conftest import TODAY, Clock, Desk, clock, desk, fresh  # noqa: F401
from tests.web.conftest import client, login  # noqa: F401

__all__ = ["TODAY", "Clock", "Desk", "due_in", "fresh", "snapshot"]


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source; the deployment default is zh-Hans."""
    with translation.override("en"):
        yield


def snapshot() -> tuple:
    """Everything a refused call or an idle sweep must leave as it was."""
    return (
        sorted(Urging.objects.values_list("pk", "status", "version", "response")),
        sorted(Task.objects.values_list("pk", "status", "version", "light", "open_overdue_urgings")),
        Notification.objects.count(),
        SweepMark.objects.count(),
        AuditEvent.objects.count(),
    )


def due_in(days: int) -> date:
    from datetime import timedelta

    return TODAY + timedelta(days=days)
