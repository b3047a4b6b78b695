"""Drafting tests read English messages and reuse the task tests' city, clock and directive."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.tasks.conftest import clock, desk  # noqa: F401


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield
