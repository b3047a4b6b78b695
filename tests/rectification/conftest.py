"""Fixtures for rectification and conveyance tests: the task desk (frozen date, verifying heads) and an
inspection directive with one problem."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from luoshi.directives import services as directives
from luoshi.directives.models import Clause, ClauseKind, Directive
from tests.tasks.conftest import _english, clock, desk  # noqa: F401 -- fixtures shared with task tests


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def inspection(desk) -> Directive:  # noqa: F811 (the fixture)
    return directives.directive_create(
        actor=desk.city.zhao,
        issuing_org=desk.city.government,
        title="省生态环境保护督察反馈意见",
        level="provincial",
        kind="inspection",
        issued_on=date(2024, 1, 10),
    )


@pytest.fixture
def problem(desk, inspection) -> Clause:  # noqa: F811 (the fixture)
    return directives.clause_add(
        actor=desk.city.zhao, directive=inspection, text="扬尘污染治理不到位", kind=ClauseKind.PROBLEM
    )
