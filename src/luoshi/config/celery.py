"""The Celery app (``luoshi worker`` runs it with an embedded beat): delivers the notification outbox
every few seconds and runs the daily supervision sweep.

The broker is Redis (``CELERY_BROKER_URL``, else ``REDIS_URL``). Nothing of value lives in the broker:
the jobs are ticks that read the database's outbox, so a broker that restarts empty loses nothing; a tick
that waited too long is dropped (``expires``), since the next one does the same work.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.config.settings")

from django.conf import settings

app = Celery("luoshi")
app.config_from_object("django.conf:settings", namespace="CELERY")
_interval = settings.LUOSHI_NOTIFICATIONS["interval_seconds"]
app.conf.update(
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    # Keep trying the broker for as long as it is away, at start and later.
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,
    broker_transport_options={"socket_timeout": 5, "socket_connect_timeout": 5},
    worker_hijack_root_logger=False,
    beat_schedule_filename=str(settings.DATA_DIR / "celerybeat-schedule"),
    beat_schedule={
        "deliver-notifications": {
            "task": "luoshi.deliver_notifications",
            "schedule": float(_interval),
            "options": {"expires": float(_interval * 3)},
        },
        "supervision-sweep": {
            "task": "luoshi.supervision_sweep",
            "schedule": crontab(hour=settings.LUOSHI_NOTIFICATIONS["sweep_hour"], minute=0),
        },
        # The league tables of the month and the quarter, after the night's sweep has judged the lights.
        "evaluation-refresh": {
            "task": "luoshi.evaluation_refresh",
            "schedule": crontab(hour=(settings.LUOSHI_NOTIFICATIONS["sweep_hour"] + 1) % 24, minute=0),
        },
        # Audit events past the retention period leave the trail after a signed checkpoint at the cut.
        "audit-purge": {"task": "luoshi.audit_purge", "schedule": crontab(hour=3, minute=30)},
    },
)


@app.task(name="luoshi.deliver_notifications")
def deliver_notifications() -> int:
    from luoshi.notifications import jobs

    return jobs.deliver()


@app.task(name="luoshi.supervision_sweep")
def supervision_sweep(today: str | None = None) -> Any:
    """The sweep for ``today`` (ISO date; default the deployment's today). Returns nothing useful to the
    broker: the results are in the database."""
    from luoshi.notifications import jobs

    jobs.sweep(today)
    return None


@app.task(name="luoshi.evaluation_refresh")
def evaluation_refresh(today: str | None = None) -> None:
    """Store the league tables of the current month and quarter (see ``luoshi.evaluation.jobs``)."""
    from luoshi.evaluation import jobs

    jobs.refresh(today)


@app.task(name="luoshi.audit_purge")
def audit_purge() -> None:
    """Purge audit events older than ``LUOSHI_AUDIT_RETENTION_DAYS`` (never fewer than 185 days)."""
    from luoshi.audit import retention

    retention.purge_expired()
