"""Fuzzing of every writing operation (POST, PUT, PATCH, DELETE) of the API document.

Generated writes need not succeed; they must be refused cleanly with a documented 4xx, or succeed with a
documented answer. See ``tests.api.fuzzing``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api import fuzzing

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[fuzzing.World]:
    with fuzzing.world_scope(django_db_blocker, tmp_path_factory) as built:
        yield built


@pytest.mark.parametrize("operation", fuzzing.operations(lambda op: op.method.upper() != "GET"))
def test_writing(world, operation):
    fuzzing.fuzz(operation, world)
