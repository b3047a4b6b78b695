"""Reliability with real components, all on this machine: a Celery worker process (``luoshi worker``) with
its beat, a Redis server of the test's own on a spare port, the database, and a local HTTP sink.

- Killed mid-delivery (SIGKILL) and restarted: every committed notification reaches the sink, once per
  idempotency key; none from a rolled-back transaction.
- Redis stopped for a while during deliveries: nothing is lost once it is back.
- A sink that answers 500: retried with backoff, then marked failed.

Skipped, with the reason, when ``redis-server`` is not installed. The shared Redis on 6379 is never
touched: each test starts and stops its own server by process id.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from luoshi.notifications import services
from luoshi.notifications.models import ChannelKind
from tests.notifications import produce
from tests.notifications.sink import Sink, start_sink

REDIS_SERVER = shutil.which("redis-server")
pytestmark = [
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (the CI image has it)"),
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]
# How long Redis stays down in the outage test (the issue asks for 30 s; CI may shorten it).
OUTAGE_SECONDS = float(os.environ.get("LUOSHI_TEST_REDIS_OUTAGE_SECONDS", "8"))
WAIT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Redis:
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(answers, "redis to start", timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class World:
    """The database the worker processes share with the test, and how to run them against it."""

    env: dict[str, str]
    sqlite_file: Path | None
    tmp: Path

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.sqlite_file is not None:
            with sqlite3.connect(self.sqlite_file) as db:
                return list(db.execute(sql))
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    def produce(self, *, committed: int, rolled_back: int, label: str) -> None:
        """Write notifications from another process, as the app's services would: ``committed`` in
        transactions that commit, ``rolled_back`` in ones that roll back."""
        if self.sqlite_file is None:
            produce.produce(committed=committed, rolled_back=rolled_back, label=label)
            return
        subprocess.run(
            [sys.executable, "-m", "tests.notifications.produce", str(committed), str(rolled_back), label],
            env=self.env,
            cwd=ROOT,
            check=True,
            timeout=WAIT_SECONDS,
        )

    def committed_keys(self, label: str) -> set[str]:
        """The idempotency keys the sink must see: each committed notification through the one channel."""
        [(channel_id,)] = self.rows("SELECT id FROM notifications_channel")
        return {
            f"{notification_id}:channel-{channel_id}"
            for notification_id, payload in self.rows("SELECT id, payload FROM notifications_notification")
            if f"{label} committed" in str(payload)
        }


class Worker:
    """``luoshi worker`` in its own process group (the embedded beat is a child process)."""

    def __init__(self, world: World, broker: str) -> None:
        self.world = world
        self.broker = broker
        self.process: subprocess.Popen[bytes] | None = None
        self.log = world.tmp / "worker.log"

    def start(self) -> None:
        env = {**self.world.env, "CELERY_BROKER_URL": self.broker}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "luoshi.cli", "worker", "--pool", "solo", "--loglevel", "INFO"],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL, no chance to finish: the worker and its beat, by the worker's process id."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = start_sink()
    yield server
    server.close()


@pytest.fixture
def world(tmp_path: Path, city, sink: Sink) -> World:
    """The city and a webhook channel to the sink, committed to a database that other processes can
    open: the test database itself on PostgreSQL, a file copy of it on SQLite (whose test database lives
    in memory)."""
    services.channel_create(
        actor=city.admin, name="sink", kind=ChannelKind.WEBHOOK, url=sink.url + "/hook", secret="s"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LUOSHI_", "CELERY_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="luoshi.config.settings",
        LUOSHI_DATA_DIR=str(tmp_path),
        SECRET_KEY="reliability-tests",
        # The worker decrypts the channel's address and secret written by this process.
        LUOSHI_FIELD_KEYS=settings.LUOSHI_FIELD_KEYS,
        LUOSHI_WEBHOOK_ALLOWLIST="127.0.0.1",
        LUOSHI_NOTIFY_INTERVAL_SECONDS="1",
        LUOSHI_NOTIFY_BACKOFF_SECONDS="1",
        LUOSHI_NOTIFY_BACKOFF_MAX_SECONDS="4",
        LUOSHI_NOTIFY_LEASE_SECONDS="3",
        LUOSHI_NOTIFY_MAX_ATTEMPTS="3",
        LUOSHI_NOTIFY_TIMEOUT_SECONDS="10",
        PYTHONPATH=str(ROOT),
    )
    sqlite_file = None
    if connection.vendor == "sqlite":
        sqlite_file = tmp_path / "luoshi.sqlite3"
        connection.ensure_connection()
        with sqlite3.connect(sqlite_file) as copy:
            connection.connection.backup(copy)
    else:
        db = settings.DATABASES["default"]
        host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{host}:{port}/{db['NAME']}"
    return World(env=env, sqlite_file=sqlite_file, tmp=tmp_path)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(port=free_port(), workdir=tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker_factory(world: World) -> Iterator[Callable[[str], Worker]]:
    started: list[Worker] = []

    def make(broker: str) -> Worker:
        worker = Worker(world, broker)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.kill()


def headlines(sink: Sink) -> list[str]:
    return [item["headline"] for request in list(sink.received) for item in request.json()["items"]]


def test_killed_worker_restarts_and_every_committed_notification_arrives_once_per_key(
    world, city, sink, redis, worker_factory
):
    world.produce(committed=12, rolled_back=4, label="kill")
    expected = world.committed_keys("kill")
    assert len(expected) == 12
    sink.delay = 2.0  # the first request is held, so the kill lands mid-delivery
    worker = worker_factory(redis.url)
    worker.start()
    assert sink.arrived.wait(WAIT_SECONDS), (world.tmp / "worker.log").read_text()[-3000:]
    worker.kill()
    sink.delay = 0.0

    worker.start()
    wait_for(lambda: set(sink.keys()) >= expected, "every committed notification at the sink")
    # The sink answers before the worker records the answer: wait for the record, then stop.
    wait_for(
        lambda: {status for (status,) in world.rows("SELECT status FROM notifications_delivery")} == {"sent"},
        "every delivery recorded as sent",
    )
    worker.kill()
    keys = sink.keys()
    assert set(keys) == expected
    # At most the one delivery in flight at the kill came twice (the receiver drops it by its key).
    assert len(keys) - len(set(keys)) <= 1
    assert not [h for h in headlines(sink) if "rolled back" in h]
    assert {status for (status,) in world.rows("SELECT status FROM notifications_delivery")} == {"sent"}


def test_nothing_is_lost_while_redis_is_down(world, city, sink, redis, worker_factory):
    worker = worker_factory(redis.url)
    worker.start()
    world.produce(committed=5, rolled_back=0, label="before")
    before = world.committed_keys("before")
    wait_for(lambda: set(sink.keys()) >= before, "deliveries before the outage")

    redis.stop()
    world.produce(committed=8, rolled_back=2, label="during")
    during = world.committed_keys("during")
    time.sleep(OUTAGE_SECONDS)
    redis.start()

    wait_for(lambda: set(sink.keys()) >= before | during, "deliveries after the outage")
    assert set(sink.keys()) == before | during
    assert not [h for h in headlines(sink) if "rolled back" in h]


def test_a_sink_answering_500_is_retried_with_backoff_then_marked_failed(
    world, city, sink, redis, worker_factory
):
    sink.status = 500
    world.produce(committed=1, rolled_back=0, label="refused")
    worker = worker_factory(redis.url)
    worker.start()
    # The worker records the delivery, then settles its notification at the end of the round.
    wait_for(
        lambda: (
            world.rows("SELECT status FROM notifications_delivery") == [("failed",)]
            and world.rows("SELECT status FROM notifications_notification") == [("failed",)]
        ),
        "the delivery and its notification to be marked failed",
    )
    [(attempts, error)] = world.rows("SELECT attempts, last_error FROM notifications_delivery")
    assert attempts == 3
    assert "HTTP 500" in error
    assert len(sink.attempts) == 3
    assert world.rows("SELECT status FROM notifications_notification") == [("failed",)]
