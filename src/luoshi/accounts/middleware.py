"""Session lifetime and the second step, enforced on every request.

``SessionLifetimeMiddleware`` sits right after authentication: it ends sessions that are idle, older than
the absolute lifetime, or were ended from elsewhere. ``SecondStepMiddleware`` sits after the login check:
a signed-in session that still owes the second factor, an enrolment or a password change reaches only
the pages that settle it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from luoshi.accounts import selectors, services
from luoshi.accounts.sessionkeys import ENDED_NOTICE, ENROLLED, LAST_SEEN, LOGIN_AT, PASSWORD_CHANGED_AT
from luoshi.core.middleware import client_ip

Handler = Callable[[HttpRequest], HttpResponse]

# Refreshing the idle clock costs a session write and an update of the live-session row, so it is
# refreshed at most this often.
LAST_SEEN_RESOLUTION_SECONDS = 60

# What a session owes before it may reach the rest of Luoshi.
OWES_SECOND_STEP = "second_step"
OWES_ENROLMENT = "enrolment"
OWES_PASSWORD = "password"  # noqa: S105 - the name of a step, not a password

# Pages reachable while something is owed (URL names); static files and /health never get here or
# are listed. The API is handled apart: it ignores such a session and asks for a token.
ALWAYS_OPEN = frozenset({"web:logout", "web:language", "web:login", "web:health"})
OPEN_WHILE = {
    OWES_SECOND_STEP: frozenset({"accounts:second_step"}),
    OWES_ENROLMENT: frozenset({"accounts:enrol"}),
    OWES_PASSWORD: frozenset({"accounts:password_change"}),
}
TARGET = {
    OWES_SECOND_STEP: "accounts:second_step",
    OWES_ENROLMENT: "accounts:enrol",
    OWES_PASSWORD: "accounts:password_change",
}


def _end_here(request: HttpRequest, reason: str) -> None:
    user = request.user
    services.session_ended(user=user, session_key=request.session.session_key, reason=reason)
    logout(request)
    request.session[ENDED_NOTICE] = reason


class SessionLifetimeMiddleware:
    """Ends a session on the server when it is idle too long, too old, or ended from elsewhere.

    Idle: ``LUOSHI_IDLE_TIMEOUT`` without a request. Too old: ``SESSION_COOKIE_AGE`` after the sign-in,
    however busy; the cookie's own expiry is in the browser's hands, this check is not. Ended elsewhere:
    its row in ``LiveSession`` is gone (checked when the idle clock is refreshed; ending a session also
    deletes it from the session store, which takes effect at once).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and session is not None and user.is_authenticated:
            self._check(request, session)
        return self.get_response(request)

    def _check(self, request: HttpRequest, session: Any) -> None:
        now = time.time()
        login_at = session.get(LOGIN_AT)
        if login_at is None:
            # Signed in before this check existed (or by a path that bypassed the receiver): count from now.
            session[LOGIN_AT] = login_at = now
        last_seen = session.get(LAST_SEEN)
        if now - float(login_at) > settings.SESSION_COOKIE_AGE:
            _end_here(request, services.END_LIFETIME)
        elif last_seen is not None and now - float(last_seen) > settings.LUOSHI_IDLE_TIMEOUT.total_seconds():
            _end_here(request, services.END_IDLE)
        elif last_seen is None or now - float(last_seen) > LAST_SEEN_RESOLUTION_SECONDS:
            session[LAST_SEEN] = now
            if session.session_key and not services.session_seen(
                session_key=session.session_key, ip=client_ip(request)
            ):
                _end_here(request, services.END_UNKNOWN)


def owed(request: HttpRequest) -> str | None:
    """What the signed-in session still owes, or None once it may go anywhere."""
    user: Any = request.user
    session = request.session
    # Just signed in (``login`` replaced the user OTPMiddleware wrapped): not verified yet.
    is_verified = getattr(user, "is_verified", None)
    if not (is_verified is not None and is_verified()):
        enrolled = session.get(ENROLLED)
        if enrolled is None:
            enrolled = session[ENROLLED] = selectors.has_second_factor(user)
        if enrolled:
            return OWES_SECOND_STEP
        if selectors.two_factor_required():
            return OWES_ENROLMENT
    if _password_expired(request, user):
        return OWES_PASSWORD
    return None


def _password_expired(request: HttpRequest, user: Any) -> bool:
    days = int(settings.LUOSHI_PASSWORD["max_age_days"])
    if days <= 0 and not settings.LUOSHI_PASSWORD.get("change_after_reset"):
        return False
    changed = request.session.get(PASSWORD_CHANGED_AT)
    if changed is not None and (days <= 0 or time.time() - float(changed) < days * 86400):
        return False
    # Expired by the session's note (or no note): ask the database, which knows of changes made since.
    # The note is kept only for a password in good standing, so one that must change is asked again.
    if selectors.password_expired(user):
        return True
    request.session[PASSWORD_CHANGED_AT] = selectors.password_changed_at(user).timestamp()
    return False


class SecondStepMiddleware:
    """Holds a signed-in session at the second step, enrolment or password change until it is done.

    Every URL is covered, not only the sign-in page: deep links and htmx requests are sent to the step
    (htmx with ``HX-Redirect``, so the whole page changes instead of a fragment). The API does not
    accept such a session as a caller; a bearer token still works, since it is checked on its own.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        debt = owed(request)
        if debt is None:
            return None
        if request.path_info.startswith("/api/"):
            # Ninja's session auth then finds nobody and answers 401; a bearer token sets its own user.
            request.user = AnonymousUser()
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in ALWAYS_OPEN or name in OPEN_WHILE[debt]:
            return None
        if request.path_info.startswith(settings.STATIC_URL):
            return None
        target = reverse(TARGET[debt])
        if request.method in ("GET", "HEAD"):
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(target)
        return redirect(target)
