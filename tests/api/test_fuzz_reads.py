"""Fuzzing of every reading operation (GET) of the API document; see ``tests.api.fuzzing``."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pydantic import BaseModel

from luoshi.api.urls import api
from tests.api import fuzzing

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[fuzzing.World]:
    with fuzzing.world_scope(django_db_blocker, tmp_path_factory) as built:
        yield built


def test_the_fuzzed_document_is_the_one_served(world):
    assert Client().get("/api/openapi.json").json() == fuzzing.DOCUMENT


def _models(annotation: Any, seen: set[Any]) -> Iterator[type[BaseModel]]:
    """The pydantic classes ``annotation`` uses, itself included (trees refer to themselves)."""
    if annotation in seen:
        return
    seen.add(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation, seen)
    for argument in typing.get_args(annotation):
        yield from _models(argument, seen)


def test_no_two_schemas_share_a_name():
    """The document names each schema by its class name: a second class of the same name silently
    replaces the first, and the operations using it are documented with the wrong body."""
    classes: dict[str, set[type[BaseModel]]] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    for found in _models(model, set()):
                        classes.setdefault(found.__name__, set()).add(found)
    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in found)
        for name, found in classes.items()
        # Ninja's own wrappers (a class per operation for its response and its parameters, a paged
        # class per paginated list) never reach the document under their name, or are all alike.
        if name != "NinjaResponseSchema"
        and not name.endswith("Params")
        and len({json.dumps(c.model_json_schema(), sort_keys=True) for c in found}) > 1
    }
    assert not shared


@pytest.mark.parametrize("operation", fuzzing.operations(lambda op: op.method.upper() == "GET"))
def test_reading(world, operation):
    fuzzing.fuzz(operation, world)
