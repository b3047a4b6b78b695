"""The checks behind ``GET /health``: database, broker, disk.

A load balancer takes a machine out of rotation when a *required* check fails, so each check is bounded
by ``LUOSHI_HEALTH_TIMEOUT_MS`` and the whole answer comes back in about a second even when Redis or the
database does not answer. A check that does not apply to this installation is "skipped" and never fails
the answer: the demo has no broker (its scheduler runs in-process), so the broker is checked only when
one is configured (``LUOSHI_HEALTH_BROKER``).

Results carry no exception text, host names or paths: the endpoint needs no sign-in. The reason for a
failure goes to the log instead.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, connection, transaction

from luoshi.evidence.storage import evidence_storage

logger = logging.getLogger(__name__)

OK = "ok"
FAILED = "error"
SKIPPED = "skipped"


@dataclass
class CheckResult:
    """One check's outcome: ok, error or skipped, with details safe to show without sign-in."""

    status: str
    details: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "duration_ms": round(self.duration_ms, 1), **self.details}


@dataclass
class HealthReport:
    checks: dict[str, CheckResult]

    @property
    def healthy(self) -> bool:
        return all(result.status != FAILED for result in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        # The flat "name": status pairs keep the answer readable at a glance (and for simple probes that
        # match a substring); "checks" has the details.
        return {
            "status": OK if self.healthy else FAILED,
            **{name: result.status for name, result in self.checks.items()},
            "checks": {name: result.as_dict() for name, result in self.checks.items()},
        }


def timeout_seconds() -> float:
    return max(settings.LUOSHI_HEALTH_TIMEOUT_MS, 1) / 1000


def check_database() -> CheckResult:
    """A trivial query; on PostgreSQL under a statement timeout, so a stuck server cannot hold the probe.

    A server that is down refuses the connection at once; one that is unreachable is bounded by the
    connection's ``connect_timeout`` (``DATABASE_URL``'s ``?connect_timeout=``).
    """
    try:
        if connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                # SET LOCAL: the limit ends with this transaction and never reaches other queries on
                # the same persistent connection.
                cursor.execute("SET LOCAL statement_timeout = %s", [settings.LUOSHI_HEALTH_TIMEOUT_MS])
                cursor.execute("SELECT 1")
                cursor.fetchone()
                # Inside a caller's transaction this block is only a savepoint, whose release would keep
                # the limit; put it back explicitly.
                cursor.execute("SET LOCAL statement_timeout = DEFAULT")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        # A broken connection would otherwise be reused by the next request on this thread.
        connection.close_if_unusable_or_obsolete()
        return CheckResult(FAILED, {"detail": "unavailable"})
    return CheckResult(OK)


def broker_url() -> str:
    """The broker to check, or "" when this installation has none (the demo)."""
    mode = settings.LUOSHI_HEALTH_BROKER
    if mode == "off":
        return ""
    if mode == "required" or settings.LUOSHI_BROKER_CONFIGURED:
        return str(settings.CELERY_BROKER_URL)
    return ""


def check_broker() -> CheckResult:
    """Redis PING (or, for another broker, a TCP connection) under the health timeout."""
    url = broker_url()
    if not url:
        return CheckResult(SKIPPED, {"detail": "not configured"})
    timeout = timeout_seconds()
    scheme = urlsplit(url).scheme
    try:
        if scheme in {"redis", "rediss", "unix"}:
            client = redis.Redis.from_url(
                url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            parts = urlsplit(url)
            if not parts.hostname:
                raise ValueError("the broker URL names no host")
            # Other brokers (AMQP): an open port is all that can be learnt without their client library.
            with socket.create_connection((parts.hostname, parts.port or 5672), timeout=timeout):
                pass
    except (redis.RedisError, OSError, ValueError):
        logger.warning("Health check: the broker does not answer", exc_info=True)
        return CheckResult(FAILED, {"detail": "unavailable"})
    return CheckResult(OK)


def watched_directories() -> list[Path]:
    """Directories the application writes: uploads, the evidence store when it is a separate directory,
    and the SQLite database's directory."""
    paths = [Path(settings.MEDIA_ROOT)]
    storage = evidence_storage()
    if isinstance(storage, FileSystemStorage):
        location = Path(storage.location)
        if not location.is_relative_to(paths[0]):
            paths.append(location)
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if name and not name.startswith("file:") and name != ":memory:":
            paths.append(Path(name).parent)
    unique: list[Path] = []
    for path in paths:
        if path not in unique:
            unique.append(path)
    return unique


def check_disk() -> CheckResult:
    """Each watched directory exists (or can be made), takes a file, and has the minimum free space."""
    minimum = settings.LUOSHI_HEALTH_MIN_FREE_MB * 1024 * 1024
    lowest_free: int | None = None
    problems: list[str] = []
    for path in watched_directories():
        try:
            path.mkdir(parents=True, exist_ok=True)
            # A real write, as the application would make: a full or read-only file system fails here
            # even when its free-space figure looks fine (quota, inodes, remount read-only).
            with tempfile.NamedTemporaryFile(dir=path, prefix=".health-") as probe:
                probe.write(b"ok")
                probe.flush()
            free = shutil.disk_usage(path).free
        except OSError:
            logger.warning("Health check: cannot write to %s", path, exc_info=True)
            problems.append("not writable")
            continue
        lowest_free = free if lowest_free is None else min(lowest_free, free)
        if free < minimum:
            logger.warning("Health check: %s has %d MB free, below the minimum", path, free // 2**20)
            problems.append("low free space")
    details: dict[str, Any] = {"min_free_mb": settings.LUOSHI_HEALTH_MIN_FREE_MB}
    if lowest_free is not None:
        details["free_mb"] = lowest_free // (1024 * 1024)
    if problems:
        details["detail"] = ", ".join(sorted(set(problems)))
        return CheckResult(FAILED, details)
    return CheckResult(OK, details)


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": check_database,
    "broker": check_broker,
    "disk": check_disk,
}


def run_checks() -> HealthReport:
    results: dict[str, CheckResult] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            result = check()
        except Exception:  # an unforeseen failure is an unhealthy answer, not a 500 page
            logger.exception("Health check %s failed unexpectedly", name)
            result = CheckResult(FAILED, {"detail": "unavailable"})
        result.duration_ms = (time.perf_counter() - started) * 1000
        results[name] = result
    return HealthReport(results)
