"""Logging helpers; imported by the logging configuration before Django's apps load.

Every record gets the request it was written in (id, signed-in user, method, path) from
``RequestLogFilter``; ``JsonFormatter`` writes one JSON object a line (``LUOSHI_LOG_FORMAT=json``) with the
fields log collectors index: time, level, logger, message, request_id, user_id, path, method, and for
access lines (``luoshi.ops.middleware``) status and duration_ms.
"""

from __future__ import annotations

import contextvars
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from luoshi.core import context


@dataclass(frozen=True)
class RequestLogInfo:
    """What the log needs to know about the request being served."""

    method: str
    path: str
    # The request itself, read only for the signed-in user, and only once authentication has run.
    request: Any = None

    def user_id(self) -> int | None:
        return evaluated_user_id(self.request)


_request_info: contextvars.ContextVar[RequestLogInfo | None] = contextvars.ContextVar(
    "luoshi_request_log_info", default=None
)


def set_request_info(info: RequestLogInfo | None) -> contextvars.Token[RequestLogInfo | None]:
    return _request_info.set(info)


def reset_request_info(token: contextvars.Token[RequestLogInfo | None]) -> None:
    _request_info.reset(token)


def evaluated_user_id(request: Any) -> int | None:
    """The signed-in user's id if authentication has already looked the user up, else None.

    ``request.user`` is lazy; evaluating it here would cost a session and user query that the request
    itself never asked for (e.g. for /health or a static file).
    """
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    # An unevaluated SimpleLazyObject holds the ``empty`` sentinel, which is a plain ``object``.
    if type(wrapped) is object:
        return None
    if getattr(wrapped, "is_authenticated", False):
        pk = getattr(wrapped, "pk", None)
        return pk if isinstance(pk, int) else None
    return None


class RequestLogFilter(logging.Filter):
    """Adds the current request's id, user, method and path to every record (``-``/None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        info = _request_info.get()
        # Access lines carry their own values (``extra``), which are kept.
        if not hasattr(record, "method"):
            record.method = info.method if info else None
        if not hasattr(record, "path"):
            record.path = info.path if info else None
        if not hasattr(record, "user_id"):
            record.user_id = info.user_id() if info else None
        return True


# The name the existing configuration used; kept so that a copied LOGGING dict keeps working.
RequestIdLogFilter = RequestLogFilter


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line, with a fixed set of leading fields and ISO 8601 times in UTC."""

    FIELDS = ("time", "level", "logger", "message", "request_id", "user_id", "path", "method")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("json_ensure_ascii", False)  # Chinese messages stay readable in the log
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_text:
            # The traceback was formatted already, and masked by the redaction filter: write that text
            # (the base class would format the exception afresh, unmasked).
            exc_info, record.exc_info = record.exc_info, None
            try:
                return super().format(record)
            finally:
                record.exc_info = exc_info
        return super().format(record)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        request_id = getattr(record, "request_id", None)
        ordered: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": None if request_id in (None, "-") else request_id,
            "user_id": getattr(record, "user_id", None),
            "path": getattr(record, "path", None),
            "method": getattr(record, "method", None),
        }
        log_data.update(ordered)
        super().add_fields(log_data, record, message_dict)
        # The base class copies every non-standard attribute (``extra``); those above are already placed.
        for name in ("request_id", "user_id", "path", "method"):
            log_data[name] = ordered[name]
        log_data.pop("asctime", None)
