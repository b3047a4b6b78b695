"""Bulletin fixtures: the evaluation quarter (two city tasks, one closed on time, one overdue)."""

from __future__ import annotations

import pytest

from tests.evaluation.conftest import Quarter, build_quarter
from tests.tasks.conftest import Clock, Desk, _english, clock, desk  # noqa: F401 (fixtures)


@pytest.fixture
def quarter(desk: Desk, clock: Clock) -> Quarter:  # noqa: F811 (the fixtures, passed on)
    return build_quarter(desk, clock)
