"""A quick, clean 503 while the database is down, and a fresh connection once it is back.

Without this, a request during a database outage ends in a 500 with a traceback in the log, and a
persistent connection broken by the outage may be handed to the next request. Here a request that fails
because the database cannot be reached (connection refused or timed out, the server closed or terminated
the connection, the server starting up or shutting down) gets a 503 with ``Retry-After``: the error page,
or the API's JSON error for ``/api/``. The connections that failed are closed, so the next request opens
a new one (and ``CONN_HEALTH_CHECKS`` tests any persistent one before use).

Errors of the database that are not about reaching it (a constraint, a missing table) are left alone:
they are bugs or bad data and stay 500s.

The failure may come from the view (``process_exception``) or from a middleware further in (the session,
the user, the rate limits), which Django turns into a 500 response before this middleware sees it; the
``got_request_exception`` signal marks such requests, and their 500 becomes the same 503. A 500 that some
layer made on its own (the API's catch-all handler) becomes a 503 too when a connection of the request
failed and is now unusable.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import get_template
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

Handler = Callable[[HttpRequest], HttpResponse]

# Set on a request whose failure was the database being unreachable.
MARK = "_luoshi_database_down"
# PostgreSQL SQLSTATE classes and codes that mean "cannot serve this now, try again": connection
# exceptions (08), insufficient resources such as too many connections (53), operator intervention such
# as a shutdown or a server still starting (57P), and the conflicts that ask for a retry (serialization
# failure, deadlock, lock not available).
RETRY_SQLSTATE_PREFIXES = ("08", "53", "57P")
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# The SQLite errors of the same kind (the embedded demo): another writer holds the lock too long, the
# file cannot be opened or written.
SQLITE_RETRY_WORDS = ("locked", "unable to open", "disk i/o", "disk is full")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says that the database cannot be reached or cannot serve just now."""
    if isinstance(exc, InterfaceError):
        # Django's own "connection already closed", and the driver's interface errors of a dead socket.
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        text = str(cause).lower()
        return any(word in text for word in SQLITE_RETRY_WORDS)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:
        # psycopg raises client-side failures without a SQLSTATE: refused, timed out, server closed the
        # connection unexpectedly, consuming input failed.
        return cause is not None and type(cause).__module__.startswith("psycopg")
    return sqlstate.startswith(RETRY_SQLSTATE_PREFIXES) or sqlstate in RETRY_SQLSTATES


def close_broken_connections() -> None:
    """Close every connection of this thread that saw an error, so that the next request reconnects."""
    for connection in connections.all(initialized_only=True):
        if connection.errors_occurred or connection.connection is None:
            try:
                connection.close()
            except DatabaseError:
                # Closing a socket the server already dropped may fail too; the wrapper is reset anyway.
                logger.debug("Closing the broken %s connection failed", connection.alias, exc_info=True)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the API's error body for ``/api/``, the plain error page otherwise."""
    retry_after = max(1, settings.LUOSHI_DB_RETRY_AFTER)
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        message = _("The database cannot be reached just now; nothing was changed. Try again shortly.")
        response = JsonResponse(
            {"error": {"code": "database_unavailable", "message": message, "fields": {}}}, status=503
        )
    else:
        # Rendered without the request: its context processors would ask the database again.
        response = HttpResponse(get_template("web/errors/503.html").render(), status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def _handled(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.warning(
        "The database is unavailable (%s: %s); answered 503 to %s %s",
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        request.method,
        request.path,
    )
    close_broken_connections()
    return unavailable_response(request)


class DatabaseDownMiddleware:
    """Placed near the top of ``MIDDLEWARE``, after the request id, so that the 503 carries it."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            # Reaches here only when Django's own 500 handling failed too (the error page asked the
            # database); anything else about the database stays a 500.
            if not is_database_unavailable(exc):
                raise
            return _handled(request, exc)
        if response.status_code == 500:
            failure = getattr(request, MARK, None)
            if failure is not None:
                return _handled(request, failure)
            if _connection_lost():
                # Some layer (the API's catch-all handler) turned the error into a 500 itself, without
                # Django's signal; the broken connection still tells what happened.
                return _handled(request, OperationalError("the database connection was lost"))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return _handled(request, exception)
        return None


def _connection_lost() -> bool:
    """Whether a connection of this thread failed during the request and is now unusable."""
    for connection in connections.all(initialized_only=True):
        if not connection.errors_occurred:
            continue
        raw = connection.connection
        if raw is None:
            return True
        # psycopg 3 knows whether the socket failed; asking the server instead would also fail for a
        # live connection whose transaction an ordinary SQL error aborted (a 500, not an outage).
        broken = getattr(raw, "broken", None)
        if broken is not None:
            if broken or getattr(raw, "closed", False):
                return True
            continue
        try:
            if not connection.is_usable():
                return True
        except Exception:
            return True
    return False


def _mark_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """``got_request_exception``: remember that this request failed for want of the database."""
    exc = sys.exc_info()[1]
    if request is not None and is_database_unavailable(exc):
        setattr(request, MARK, exc)


got_request_exception.connect(_mark_request, dispatch_uid="luoshi.core.dbdown")
