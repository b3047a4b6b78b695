"""Request plumbing: request ids, the user's language, idle timeout, and login required by default."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from luoshi.core import context

Handler = Callable[[HttpRequest], HttpResponse]

LAST_SEEN_SESSION_KEY = "luoshi_last_seen"
# Refreshing the idle clock costs a session write, so it is refreshed at most this often.
LAST_SEEN_RESOLUTION_SECONDS = 60


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or ""


class RequestIdMiddleware:
    """Gives every request an id (or keeps the proxy's ``X-Request-ID``) for logs and the audit trail."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.set_current(context.RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class UserLanguageMiddleware:
    """Puts the language a signed-in person chose (``User.language``) in force for their requests.

    Placed after the authentication middleware, so it overrides what LocaleMiddleware guessed from the
    cookie or the browser; people who chose nothing keep that guess.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if chosen and chosen in dict(settings.LANGUAGES):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Ends a session on the server after ``LUOSHI_IDLE_TIMEOUT`` without a request."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
            idle_limit = settings.LUOSHI_IDLE_TIMEOUT.total_seconds()
            if last_seen is not None and now - float(last_seen) > idle_limit:
                logout(request)
                request.session["luoshi_idle_logout"] = True
            elif last_seen is None or now - float(last_seen) > LAST_SEEN_RESOLUTION_SECONDS:
                request.session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login unless its view is marked ``@login_not_required``.

    The API authenticates each request itself (bearer token or session) and answers 401 in JSON rather
    than redirecting to the login page, so it is left to Ninja's global ``auth``.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
