"""The periodic jobs, as plain functions: Celery beat (``luoshi.config.celery``) and the demo's in-process
scheduler (``luoshi.core.scheduler``) both run these, so the two behave the same."""

from __future__ import annotations

import importlib
import logging
from datetime import date
from typing import Any

from luoshi.core import workdays
from luoshi.notifications import services

log = logging.getLogger(__name__)
SWEEP = "luoshi.supervision.services"
# A round delivers up to this many; a job keeps going while rounds come back full, up to MAX_ROUNDS.
BATCH = 200
MAX_ROUNDS = 10


def deliver() -> int:
    """Deliver what is due, a few batches at most (the next tick takes the rest)."""
    total = 0
    for _ in range(MAX_ROUNDS):
        sent = services.deliver_pending(limit=BATCH)
        total += sent
        if sent < BATCH:
            break
    return total


def sweep(today: str | None = None) -> Any:
    """The daily supervision sweep (``luoshi.supervision.services.sweep``), found by its import path so
    that this module works where the supervision app is not installed; then returns None."""
    try:
        module = importlib.import_module(SWEEP)
    except ModuleNotFoundError as exc:
        if exc.name not in {SWEEP, "luoshi.supervision"}:
            raise
        log.warning("no supervision sweep installed (%s); skipped", SWEEP)
        return None
    day = date.fromisoformat(today) if today else workdays.today()
    result = module.sweep(today=day)
    log.info("supervision sweep for %s: %s", day, result)
    return result
