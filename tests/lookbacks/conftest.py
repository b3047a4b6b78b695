"""Fixtures for look-back tests: the task desk (frozen date, verifying heads) and closed tasks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from luoshi.tasks import workflow
from luoshi.tasks.models import Task
from tests.tasks.conftest import _english, clock, desk, fresh  # noqa: F401 -- fixtures shared with task tests


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def close(desk, task: Task) -> Task:  # noqa: F811 (the fixture, passed on)
    workflow.task_request_completion(actor=desk.city.wang, task=task, version=fresh(task).version)
    return workflow.task_accept(actor=desk.city.zhao, task=task, version=fresh(task).version)


@pytest.fixture
def closed_task(desk) -> Task:  # noqa: F811 (the fixture)
    return close(desk, desk.acknowledged_city_task(title="拆除违建", due=date(2024, 6, 28)))
