"""Fixtures for evidence tests: a private file store, and a task in progress at 铁西区 with a report.

The task is made through the task services, as people make it: the city (Zhao, supervisor) registers and
assigns it to 铁西区, and Wang (handler there) acknowledges it and reports on it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from luoshi.tasks import reporting, services, workflow
from luoshi.tasks.models import ProgressReport, Task
from tests.conftest import City

TODAY = date(2024, 3, 1)


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their English source; the deployment default is zh-Hans."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Every test gets its own empty file store."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LUOSHI_TODAY = TODAY.isoformat()
    return settings.MEDIA_ROOT


@pytest.fixture
def evidence_dir(media_root: Path) -> Path:
    return media_root / "evidence"


def stored_files(evidence_dir: Path) -> list[Path]:
    """Every file in the store, finished or half-written."""
    return sorted(p for p in evidence_dir.rglob("*") if p.is_file()) if evidence_dir.exists() else []


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The browser's claimed type is deliberately wrong: it must not matter.
    return SimpleUploadedFile(name, content, content_type="text/plain")


@pytest.fixture
def task(city: City) -> Task:
    created = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=city.tiexi,
        title="老旧小区改造",
        due_on=date(2024, 6, 28),
    )
    assigned = workflow.task_assign(actor=city.zhao, task=created, version=created.version)
    return workflow.task_acknowledge(actor=city.wang, task=assigned, version=assigned.version)


@pytest.fixture
def report(city: City, task: Task) -> ProgressReport:
    made = reporting.report_progress(
        actor=city.wang, task=task, version=task.version, narrative="完成3个小区外墙保温改造", progress=40
    )
    task.refresh_from_db()
    return made
