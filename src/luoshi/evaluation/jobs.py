"""The nightly evaluation: the league tables of the current month and quarter, computed from the record
and stored, so that the cockpit, the rankings API and the evaluation page read a stored table instead of
scoring every unit on a request. Celery beat (``luoshi.config.celery``) and the demo's in-process
scheduler (``luoshi.core.scheduler``) both run ``refresh``."""

from __future__ import annotations

import logging
from datetime import date

from luoshi.core import workdays
from luoshi.evaluation.periods import Period, PeriodKind
from luoshi.evaluation.services import evaluation_run

log = logging.getLogger(__name__)
NIGHTLY_KINDS = (PeriodKind.MONTH, PeriodKind.QUARTER)


def refresh(today: str | None = None) -> list[str]:
    """Compute and store the tables of the periods containing ``today`` (ISO date; default the
    deployment's today), as the system. Returns the period keys computed."""
    day = date.fromisoformat(today) if today else workdays.today()
    done = []
    for kind in NIGHTLY_KINDS:
        period = Period.containing(kind, day)
        evaluation = evaluation_run(actor=None, period=period, as_of=day)
        log.info("evaluation of %s stored (digest %s)", period.key, evaluation.digest[:12])
        done.append(period.key)
    return done
