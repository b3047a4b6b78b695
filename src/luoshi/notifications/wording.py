"""What a notification says, in its recipient's language, with a link to the task.

Each kind of event has one sentence (``KINDS``); other apps add theirs with ``register`` (e.g. the sweep's
urgings). Unknown kinds still read sensibly ("Update on task …").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from luoshi.notifications.models import Notification

# Each sentence may use %(title)s (the task's title) and any payload key the service writes.
KINDS: dict[str, Promise] = {
    "task.assign": _("A task was assigned to your unit: %(title)s"),
    "task.start": _("Work started on the task %(title)s"),
    "task.acknowledge": _("The task %(title)s was acknowledged"),
    "task.send_back": _("The task %(title)s was sent back"),
    "task.transfer": _("The task %(title)s was transferred"),
    "task.request_completion": _("Completion is asked for the task %(title)s and waits for verification"),
    "task.accept": _("The task %(title)s was verified and closed"),
    "task.reject": _("Completion of the task %(title)s was rejected"),
    "task.object": _("An objection was recorded against the task %(title)s"),
    "task.conclude_notice": _("The public notice of %(title)s ended and the task is closed"),
    "task.cancel": _("The task %(title)s was cancelled"),
    "task.reopen": _("The task %(title)s was reopened"),
    "task.extension_request": _("An extension of the deadline of %(title)s is asked for"),
    "task.extension_approved": _("The extension of the deadline of %(title)s was approved"),
    "task.extension_denied": _("The extension of the deadline of %(title)s was denied"),
    "task.acknowledge_late": _("The task %(title)s is still not acknowledged (due by %(acknowledge_by)s)"),
    "task.light.red": _("The task %(title)s turned red"),
    "task.light.yellow": _("The task %(title)s turned yellow"),
    "task.light.blue": _("The task %(title)s is due within days (blue)"),
    "task.light.green": _("The task %(title)s is back on track (green)"),
    # The supervision sweep and urgings (luoshi.supervision).
    "urging.issued": _("Urging on the task %(title)s"),
    "urging.answered": _("An urging on the task %(title)s was answered"),
    "urging.closed": _("An urging on the task %(title)s was closed"),
    "urging.unanswered": _("An urging on the task %(title)s is unanswered past %(respond_by)s"),
    "report.due": _("A progress report on the task %(title)s is due on %(report_due)s"),
    "report.missing": _("The progress report on the task %(title)s due on %(report_due)s is missing"),
    "review.waiting": _("The completion of the task %(title)s waits for your verification"),
    "lookback.due": _("A look-back at the task %(title)s is due on %(due_on)s"),
}
# Kinds whose reason is written from their payload when read, in the reader's language (a digest's
# counts by level); other apps add theirs with ``register``.
DETAILS: dict[str, Callable[[Mapping[str, Any]], str]] = {}
# Kinds not about one task whose link inside Luoshi is worked out from their payload when read.
PATHS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {}
FALLBACK = _("Update on the task %(title)s")
FALLBACK_WITHOUT_TASK = _("You have a new notification")


def register(
    kind: str,
    sentence: Promise,
    *,
    details: Callable[[Mapping[str, Any]], str] | None = None,
    path: Callable[[Mapping[str, Any]], str | None] | None = None,
) -> None:
    """Give a kind of notification its sentence (a lazily translated string, see ``KINDS``) and, where
    its reason or its link are worked out from the payload when read, the functions that do it (see
    ``DETAILS`` and ``PATHS``)."""
    KINDS[kind] = sentence
    if details is not None:
        DETAILS[kind] = details
    if path is not None:
        PATHS[kind] = path


@dataclass(frozen=True)
class Rendered:
    """One notification as a person reads it."""

    headline: str
    reason: str
    url: str  # absolute, for emails and robots
    path: str  # relative, for the in-app inbox


class _Defaulting(dict[str, Any]):
    """Missing payload keys read as empty text instead of breaking the sentence."""

    def __missing__(self, key: str) -> str:
        return ""


def language_of(user: Any) -> str:
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _path(notification: Notification) -> str:
    payload: Mapping[str, Any] = notification.payload or {}
    if notification.task_id:
        return reverse("web:task_detail", args=[notification.task_id])
    worked_out = PATHS.get(notification.kind)
    link = worked_out(payload) if worked_out else payload.get("path")
    return link if isinstance(link, str) and link.startswith("/") else reverse("web:notification_inbox")


def render(notification: Notification, *, language: str | None = None) -> Rendered:
    """``notification`` in ``language`` (by default its recipient's)."""
    language = language or language_of(notification.recipient)
    payload = _Defaulting(notification.payload or {})
    with translation.override(language):
        if "headline" in payload and not notification.task_id and payload["headline"]:
            headline = str(payload["headline"])
        else:
            sentence = KINDS.get(notification.kind) or (
                FALLBACK if notification.task_id else FALLBACK_WITHOUT_TASK
            )
            headline = str(sentence) % payload
        details = DETAILS.get(notification.kind)
        reason = details(payload) if details else str(payload.get("reason") or "")
        path = _path(notification)
    return Rendered(headline=headline, reason=reason, url=settings.LUOSHI_BASE_URL + path, path=path)
