"""Fixtures for notification tests: a local HTTP sink, loopback-only webhooks, short backoff."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import api_as  # noqa: F401 (API clients as a persona)
from tests.notifications.sink import Sink, start_sink
from tests.tasks.conftest import clock, desk  # noqa: F401 (fixtures reused from the task tests)


@pytest.fixture(autouse=True)
def _local_only(settings):
    """Webhooks may reach this machine only; retries come quickly; links point at a known address."""
    settings.LUOSHI_WEBHOOK_ALLOWLIST = ["127.0.0.1", "localhost"]
    settings.LUOSHI_BASE_URL = "https://luoshi.example"
    settings.LUOSHI_NOTIFICATIONS = {
        **settings.LUOSHI_NOTIFICATIONS,
        "max_attempts": 3,
        "backoff_seconds": 10,
        "backoff_max_seconds": 60,
        "lease_seconds": 30,
        "timeout_seconds": 5,
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = start_sink()
    yield server
    server.close()


@pytest.fixture
def login(client):
    """Sign a persona in on the test client (asking for English pages) and return the client."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
