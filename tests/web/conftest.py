"""Page tests read English: the browser asks for it, whatever the installation's default language."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def login(client):
    """Sign a persona in on the shared test client and return the client."""

    def sign_in(user) -> Client:
        client.force_login(user)
        return client

    return sign_in


# Task pages build their work the way the task tests do: a frozen date (``clock``) and a city directive
# with one clause (``desk``). Imported rather than copied, so both suites stay in step.
from tests.tasks.conftest import clock, desk  # noqa: E402, F401
