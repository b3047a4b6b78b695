"""``GET /health``: database, broker and disk, answered fast whatever is down."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connection

from luoshi.ops import health


def free_port() -> int:
    """A port nothing listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_answers(url: str = "redis://127.0.0.1:6379/0") -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def test_healthy_without_a_broker_is_200_and_says_what_it_checked(client, db, settings):
    settings.LUOSHI_HEALTH_BROKER = "auto"
    settings.LUOSHI_BROKER_CONFIGURED = False
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert (body["database"], body["broker"], body["disk"]) == ("ok", "skipped", "ok")
    assert body["checks"]["broker"]["detail"] == "not configured"
    assert body["checks"]["disk"]["free_mb"] >= settings.LUOSHI_HEALTH_MIN_FREE_MB
    assert response["Cache-Control"].startswith("max-age=0")


def test_needs_no_sign_in_and_leaks_no_paths(client, db, settings, media_root):
    response = client.get("/health")
    assert response.status_code == 200
    assert str(media_root) not in response.content.decode()


def test_broker_on_a_wrong_port_is_503_within_a_second(client, db, settings):
    settings.LUOSHI_HEALTH_BROKER = "auto"
    settings.LUOSHI_BROKER_CONFIGURED = True
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    started = time.perf_counter()
    response = client.get("/health")
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"] == "error"
    assert body["database"] == "ok"
    assert "127.0.0.1" not in response.content.decode()


def test_unreachable_broker_host_is_bounded_by_the_timeout(client, db, settings):
    # 10.255.255.1 is not routed: the connection attempt hangs until the health timeout ends it.
    settings.LUOSHI_HEALTH_BROKER = "required"
    settings.LUOSHI_HEALTH_TIMEOUT_MS = 300
    settings.CELERY_BROKER_URL = "redis://10.255.255.1:6379/0"
    started = time.perf_counter()
    response = client.get("/health")
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 503


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_a_running_broker_is_ok(client, db, settings):
    settings.LUOSHI_HEALTH_BROKER = "required"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_broker_off_is_skipped_even_when_configured(client, db, settings):
    settings.LUOSHI_HEALTH_BROKER = "off"
    settings.LUOSHI_BROKER_CONFIGURED = True
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["broker"] == "skipped"


def test_free_space_below_the_threshold_is_503(client, db, settings):
    settings.LUOSHI_HEALTH_MIN_FREE_MB = 1024**4  # an exabyte
    response = client.get("/health")
    assert response.status_code == 503
    disk = response.json()["checks"]["disk"]
    assert disk["status"] == "error"
    assert disk["detail"] == "low free space"
    assert disk["free_mb"] < disk["min_free_mb"]


def test_an_unwritable_media_directory_is_503(client, db, settings, tmp_path: Path):
    # A regular file where a directory should be: no directory can be made or written below it (file
    # permissions alone would not stop the root user that tests may run as).
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["disk"]["detail"] == "not writable"


def test_the_probe_file_is_removed(client, db, media_root):
    client.get("/health")
    assert list(media_root.iterdir()) == []


def test_database_down_is_503_and_the_other_checks_still_run(client, db):
    refused = OperationalError("connection to server at 10.0.0.5, port 5432 failed: Connection refused")
    # Patched only around the request: the test database's own teardown needs a working connection.
    with mock.patch.object(connection, "cursor", side_effect=refused):
        response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "error"
    assert body["checks"]["database"]["detail"] == "unavailable"
    assert body["disk"] == "ok"
    assert "10.0.0.5" not in response.content.decode()


def test_an_unexpected_failure_in_a_check_is_503_not_500(client, db, monkeypatch):
    def broken() -> health.CheckResult:
        raise RuntimeError("surprise")

    monkeypatch.setitem(health.CHECKS, "disk", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["disk"] == "error"


@pytest.mark.postgres_only
def test_postgresql_statement_timeout_does_not_outlive_the_check(client, db):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    client.get("/health")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
