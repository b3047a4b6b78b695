"""The access log: one line a request, on the ``luoshi.access`` logger.

Placed right after ``RequestIdMiddleware``, so the line carries the request id and covers every
middleware inside (sign-in redirects, rate-limit refusals, error pages). Only the path is logged, never
the query string, which can hold search terms such as names or telephone numbers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from luoshi.core.logging import RequestLogInfo, evaluated_user_id, reset_request_info, set_request_info

access_log = logging.getLogger("luoshi.access")

# Load balancers ask for /health every few seconds; a healthy answer is not worth a line each time.
QUIET_WHEN_OK = frozenset({"/health"})


class AccessLogMiddleware:
    """Logs method, path, status, duration and user of every request, and makes the request known to
    every other log line written while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        token = set_request_info(
            RequestLogInfo(method=request.method or "", path=request.path, request=request)
        )
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            if not (status < 400 and request.path in QUIET_WHEN_OK):
                access_log.info(
                    "%s %s %s %.1fms",
                    request.method,
                    request.path,
                    status,
                    duration_ms,
                    extra={
                        "status": status,
                        "duration_ms": duration_ms,
                        "user_id": evaluated_user_id(request),
                    },
                )
            reset_request_info(token)
