"""An in-process scheduler for ``luoshi demo``: periodic jobs on a daemon thread, no broker, no worker.

Production runs the same jobs with Celery beat (``luoshi worker``); the demo has no Redis, so this
thread delivers notifications every few seconds and runs the daily sweep. A failing job is logged and
tried again at its next turn; the thread ends with the process.

The thread closes its database connection after every run and starts after a delay: the web server forks
its worker processes from this process, and SQLite must never have a connection open across a fork (the
child would inherit the parent's lock bookkeeping and see a "malformed" database).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.utils import timezone

log = logging.getLogger(__name__)
# Seconds ``luoshi demo`` waits before the first run: time for the web server to fork its worker.
DEMO_START_DELAY = 5.0


@dataclass(frozen=True)
class Job:
    """``run`` every ``every``, or (``daily``) once per local date, the first time right at start."""

    name: str
    run: Callable[[], Any]
    every: timedelta | None = None
    daily: bool = False


class Scheduler(threading.Thread):
    def __init__(self, jobs: Sequence[Job], *, tick: float = 1.0, start_delay: float = 0.0) -> None:
        super().__init__(name="luoshi-scheduler", daemon=True)
        self.jobs = list(jobs)
        self.tick = tick
        self.start_delay = start_delay
        self.stopping = threading.Event()
        self._next_run: dict[str, float] = {}
        self._last_day: dict[str, date] = {}

    def due(self, job: Job, clock: float, today: date) -> bool:
        if job.daily:
            return self._last_day.get(job.name) != today
        return clock >= self._next_run.get(job.name, 0.0)

    def run_once(self, clock: float) -> None:
        """Run every job that is due at ``clock`` (monotonic seconds)."""
        today = timezone.localdate()
        for job in self.jobs:
            if not self.due(job, clock, today):
                continue
            if job.daily:
                self._last_day[job.name] = today
            elif job.every is not None:
                self._next_run[job.name] = clock + job.every.total_seconds()
            try:
                job.run()
            except Exception:
                log.exception("scheduled job %s failed", job.name)
            finally:
                # No connection stays open between runs (see the module's docstring).
                connection.close()

    def run(self) -> None:
        if self.stopping.wait(self.start_delay):
            return
        try:
            while not self.stopping.is_set():
                self.run_once(time.monotonic())
                self.stopping.wait(self.tick)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()


def start_in_process(jobs: Sequence[Job], *, tick: float = 1.0, start_delay: float = 0.0) -> Scheduler:
    """Start a daemon thread running ``jobs`` after ``start_delay`` seconds; returns it (``stop()`` ends it
    at its next tick)."""
    scheduler = Scheduler(jobs, tick=tick, start_delay=start_delay)
    scheduler.start()
    return scheduler


def standard_jobs() -> list[Job]:
    """Delivering notifications every few seconds; daily: the supervision sweep, the evaluation of the
    month and quarter, and the audit purge."""
    from django.conf import settings

    from luoshi.audit import retention
    from luoshi.evaluation import jobs as evaluation_jobs
    from luoshi.notifications import jobs

    interval = timedelta(seconds=settings.LUOSHI_NOTIFICATIONS["interval_seconds"])
    return [
        Job("deliver-notifications", jobs.deliver, every=interval),
        Job("supervision-sweep", jobs.sweep, daily=True),
        Job("evaluation-refresh", evaluation_jobs.refresh, daily=True),
        Job("audit-purge", retention.purge_expired, daily=True),
    ]
