"""Logging helpers; imported by the logging configuration before Django's apps load."""

from __future__ import annotations

import logging

from luoshi.core import context


class RequestIdLogFilter(logging.Filter):
    """Adds the current request id to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True
