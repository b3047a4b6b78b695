"""While the database is down: a quick 503 with Retry-After (a page, or the API's JSON error), and the
broken connection closed so that the next request reconnects."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
import pytest
from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import IntegrityError, InterfaceError, OperationalError, connection
from django.test import Client
from django.urls import reverse

from luoshi.core.dbdown import is_database_unavailable
from tests.conftest import City


def wrapped(cause: BaseException, kind: type[Exception] = OperationalError) -> Exception:
    """A Django database error raised from a driver error, as Django's error wrapper raises it."""
    try:
        try:
            raise cause
        except BaseException as exc:
            raise kind(str(exc)) from exc
    except kind as outer:
        return outer


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (wrapped(psycopg.OperationalError("connection failed: Connection refused")), True),
        (wrapped(psycopg.OperationalError("server closed the connection unexpectedly")), True),
        (wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")), True),
        (wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")), True),
        (wrapped(psycopg.errors.TooManyConnections("too many clients")), True),
        (wrapped(psycopg.errors.DeadlockDetected("deadlock detected")), True),
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (InterfaceError("connection already closed"), True),
        # Not about reaching the database: bugs and bad data stay 500s.
        (wrapped(sqlite3.OperationalError("no such table: tasks_task")), False),
        (wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")), False),
        (wrapped(psycopg.errors.UniqueViolation("duplicate key"), IntegrityError), False),
        (OperationalError("no cause"), False),
        (ValueError("not a database error"), False),
    ],
)
def test_which_errors_mean_the_database_is_unavailable(error: Exception, unavailable: bool) -> None:
    assert is_database_unavailable(error) is unavailable


@pytest.fixture
def urls(settings) -> None:
    settings.ROOT_URLCONF = "tests.scaleout.urls"


@pytest.mark.usefixtures("urls")
def test_a_page_gets_the_503_page_with_retry_after(city: City, settings) -> None:
    settings.LUOSHI_DB_RETRY_AFTER = 7
    client = Client(headers={"Accept-Language": "en", "X-Request-ID": "req-503"})
    client.force_login(city.wang)
    response = client.get("/test-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Request-ID"] == "req-503"
    assert response["Content-Type"].startswith("text/html")
    assert b"temporarily unavailable" in response.content
    assert b"Traceback" not in response.content


@pytest.mark.usefixtures("urls")
def test_the_api_gets_its_json_error(city: City) -> None:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(city.wang)
    response = client.get("/api/test-down/")
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.json()
    assert body["error"]["code"] == "database_unavailable"
    assert "database" in body["error"]["message"]


def test_a_failure_in_a_middleware_is_a_503_too(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session is read by middleware before any view runs; Django turns that failure into a 500
    response on its own, which becomes the 503."""
    client = Client(headers={"Accept-Language": "en"}, raise_request_exception=False)
    client.force_login(city.wang)

    def refuse(self: SessionStore) -> dict:
        raise wrapped(psycopg.OperationalError("connection failed: Connection refused"))

    monkeypatch.setattr(SessionStore, "load", refuse)
    response = client.get(reverse("web:mywork"))
    assert response.status_code == 503
    assert response["Retry-After"]


def test_other_database_errors_stay_500(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client(headers={"Accept-Language": "en"}, raise_request_exception=False)
    client.force_login(city.wang)

    def broken(self: SessionStore) -> dict:
        raise wrapped(sqlite3.OperationalError("no such table: django_session"))

    monkeypatch.setattr(SessionStore, "load", broken)
    assert client.get(reverse("web:mywork")).status_code == 500


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_terminated_connection_gives_503_then_the_next_request_reconnects(city: City) -> None:
    """The server ends this process's connection (as a restart or a failover does): that request is
    a 503, and the next one works on a fresh connection without restarting anything."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (pg_terminate_backend)")
    client = Client(headers={"Accept-Language": "en"}, raise_request_exception=False)
    client.force_login(city.zhao)
    for path in (reverse("web:cockpit"), "/api/v1/tasks"):
        assert client.get(path).status_code == 200
        pid = connection.connection.info.backend_pid
        _terminate(pid)

        down = client.get(path)
        assert down.status_code == 503, down.content
        assert down["Retry-After"]
        assert connection.connection is None

        again = client.get(path)
        assert again.status_code == 200
        assert connection.connection.info.backend_pid != pid


def _terminate(pid: int) -> None:
    """End a server process from another connection, as an administrator or a restart would."""
    params = connection.get_connection_params()
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
