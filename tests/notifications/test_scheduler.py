"""The demo's in-process scheduler, the periodic jobs, the Celery app and ``luoshi worker``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError

from luoshi.cli import COMMANDS
from luoshi.core import scheduler
from luoshi.notifications import jobs, services
from luoshi.notifications.models import Notification, NotificationStatus


def test_jobs_run_when_due_and_daily_ones_once_a_day():
    runs: list[str] = []
    every = scheduler.Job("often", lambda: runs.append("often"), every=timedelta(seconds=5))
    daily = scheduler.Job("daily", lambda: runs.append("daily"), daily=True)
    runner = scheduler.Scheduler([every, daily])
    runner.run_once(100.0)
    runner.run_once(102.0)  # too soon for "often"; "daily" ran today already
    runner.run_once(105.0)
    assert runs == ["often", "daily", "often"]


def test_a_failing_job_does_not_stop_the_others(caplog):
    runs: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    runner = scheduler.Scheduler(
        [
            scheduler.Job("broken", broken, every=timedelta(seconds=1)),
            scheduler.Job("ok", lambda: runs.append("ok"), every=timedelta(seconds=1)),
        ]
    )
    runner.run_once(0.0)
    assert runs == ["ok"]
    assert "scheduled job broken failed" in caplog.text


def _any_sent() -> bool:
    try:
        return Notification.objects.filter(status=NotificationStatus.SENT).exists()
    except OperationalError:
        # SQLite's in-memory test database locks a whole table while the scheduler's thread writes to
        # it, and a read meanwhile fails at once instead of waiting: not sent yet, as far as this poll can
        # tell.
        return False


@pytest.mark.django_db(transaction=True)
def test_the_demo_scheduler_delivers_pending_notifications(city):
    services.queue_for_users(kind="test.notice", users=[city.wang], key="demo")
    thread = scheduler.start_in_process(
        [scheduler.Job("deliver", jobs.deliver, every=timedelta(seconds=1))], tick=0.05, start_delay=0.1
    )
    try:
        for _ in range(200):
            if _any_sent():
                break
            thread.stopping.wait(0.05)
    finally:
        thread.stop()
        thread.join(timeout=10)
    assert Notification.objects.get().status == NotificationStatus.SENT


def test_the_sweep_job_finds_the_supervision_sweep_by_its_path(monkeypatch):
    calls = []

    class Supervision:
        @staticmethod
        def sweep(*, today):
            calls.append(today)
            return "swept"

    monkeypatch.setattr(jobs.importlib, "import_module", lambda name: Supervision)
    assert jobs.sweep("2024-03-01") == "swept"
    assert [d.isoformat() for d in calls] == ["2024-03-01"]


def test_the_sweep_job_skips_quietly_without_a_supervision_app(monkeypatch):
    def missing(name):
        raise ModuleNotFoundError(name=name)

    monkeypatch.setattr(jobs.importlib, "import_module", missing)
    assert jobs.sweep() is None


def test_celery_beats_delivery_every_few_seconds_and_the_daily_sweep(settings):
    from luoshi.config.celery import app

    schedule = app.conf.beat_schedule
    assert schedule["deliver-notifications"]["task"] == "luoshi.deliver_notifications"
    assert schedule["deliver-notifications"]["schedule"] == settings.LUOSHI_NOTIFICATIONS["interval_seconds"]
    assert schedule["supervision-sweep"]["task"] == "luoshi.supervision_sweep"
    assert {"luoshi.deliver_notifications", "luoshi.supervision_sweep"} <= set(app.tasks)


def test_luoshi_worker_is_a_command(capsys):
    assert "worker" in COMMANDS
    with pytest.raises(SystemExit):
        call_command("worker", "--help")
    assert "--no-beat" in capsys.readouterr().out
