"""Helpers for API tests: clients that call as a persona, with a bearer token or a session, and the
clause the task tests assign from."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from luoshi.api import services as tokens
from luoshi.directives.models import Clause
from luoshi.organizations.models import User


class ApiClient:
    """A test client that sends and reads JSON, optionally as a persona with a bearer token."""

    def __init__(self, token: str | None = None, **defaults: Any) -> None:
        if token:
            defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        self.client = Client(**defaults)

    def get(self, path: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.client.get(path, data, **extra)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.client.post(path, json.dumps(data or {}), content_type="application/json", **extra)

    def patch(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self.client.patch(path, json.dumps(data or {}), content_type="application/json", **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self.client.delete(path, **extra)


@pytest.fixture
def api_as(db: None) -> Callable[[User], ApiClient]:
    """``api_as(city.wang)`` calls the API with a fresh bearer token of that persona."""

    def make(user: User, **defaults: Any) -> ApiClient:
        _token, secret = tokens.token_create(user=user, name="tests")
        return ApiClient(secret, **defaults)

    return make


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient()


@pytest.fixture
def as_(api_as: Callable[..., ApiClient]) -> Callable[[User], ApiClient]:
    """``as_(city.wang)``: a bearer-token client of that persona that asks for English answers."""
    return lambda user: api_as(user, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def clause(city: Any) -> Clause:
    # tasks_support imports this module for ApiClient: imported here, not at the top.
    from tests.api.tasks_support import make_clause, make_directive

    return make_clause(city, make_directive(city))
