"""Fixtures for the hardening tests: a city with work in it, and rate-limit counts that start at zero."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client

from luoshi.evidence.services import evidence_attach
from luoshi.tasks import reporting
from luoshi.tasks.models import Task
from tests.conftest import City
from tests.tasks.conftest import TODAY, Desk
from tests.web.task_helpers import make_desk, pdf_upload, png_upload


@pytest.fixture(autouse=True)
def _fresh_counts() -> Iterator[None]:
    """Rate-limit counts live in the cache, which outlives a test; each test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


@dataclass
class Work:
    desk: Desk
    task: Task
    street_task: Task


@pytest.fixture
def work(city: City, settings, tmp_path) -> Work:
    """A directive with a task for 铁西区, a subtask for its street, and a report with two files."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LUOSHI_TODAY = TODAY.isoformat()
    desk = make_desk(city)
    task = desk.acknowledged_city_task()
    task.refresh_from_db()
    report = reporting.report_progress(
        actor=city.wang, task=task, version=task.version, narrative="已完成摸底。", progress=30
    )
    evidence_attach(actor=city.wang, task=task, files=[png_upload(), pdf_upload()], report=report)
    street_task = desk.street_task(task)
    return Work(desk=desk, task=task, street_task=street_task)
