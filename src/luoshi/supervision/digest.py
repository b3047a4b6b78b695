"""How a digest of the sweep's urgings reads (``sweep._tell_about_urgings`` writes them): its sentence,
its counts by level in the reader's language and its link, worked out when it is read
(``notifications.wording.register``, called from this app's ``ready``).

Kept apart from ``sweep`` so that starting the app does not import the whole sweep.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.supervision.models import UrgingLevel, level_rank

KIND = "urging.digest"
SENTENCE = gettext_lazy(
    "%(count)s urgings under the escalation rules on %(issued_on)s concern you or your unit"
)


def overview_path(*, issued_on: date) -> str:
    """The supervision overview narrowed to the urgings of one day addressed to the reader or their units,
    whatever their state: where a digest of the day's urgings leads."""
    query = urlencode({"issued_on": issued_on.isoformat(), "mine": "on", "status": ""})
    return f"{reverse('web:supervision_overview')}?{query}"


def digest_path(payload: Mapping[str, Any]) -> str | None:
    """Where a digest of urgings leads (``overview_path``), worked out when it is read: a link stored in
    the payload would outlive a change of the page's address."""
    try:
        return overview_path(issued_on=date.fromisoformat(str(payload.get("issued_on"))))
    except ValueError:
        return None


def digest_details(payload: Mapping[str, Any]) -> str:
    """The reason line of a digest of urgings: its counts by level, the most severe first, in the
    reader's language (``notifications.wording`` calls it under the reader's language)."""
    levels = payload.get("levels")
    if not isinstance(levels, Mapping):
        return ""
    known = sorted((level for level in levels if level in UrgingLevel.values), key=level_rank, reverse=True)
    return _(", ").join(f"{UrgingLevel(level).label} {levels[level]}" for level in known)
