"""Sign-in events from Django and django-axes.

Signals rather than explicit calls, because these events are raised inside the frameworks: every way of
signing a session in (the login page, ``Client.force_login``, a future single sign-on backend) goes
through ``django.contrib.auth.login``, and lockouts happen inside axes's authentication backend for the
login page and the API's token endpoint alike. The receivers only record; no domain flow hangs on them.
"""

from __future__ import annotations

import time
from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from luoshi.accounts import selectors, services
from luoshi.accounts.sessionkeys import ENROLLED, LAST_SEEN, LOGIN_AT, PASSWORD_CHANGED_AT
from luoshi.audit import services as audit
from luoshi.core.middleware import client_ip
from luoshi.organizations.models import User


@receiver(user_logged_in, dispatch_uid="luoshi.accounts.session_started")
def _session_started(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    # The API's token endpoint sends this signal too, without signing a session in: nothing to track.
    if request is None or session is None or session.get(SESSION_KEY) != user._meta.pk.value_to_string(user):
        return
    now = time.time()
    session[LOGIN_AT] = now
    session[LAST_SEEN] = now
    # Read once per session instead of on every request; enrolling, a reset or a password change end the
    # person's other sessions, so these never go stale in a way that matters.
    session[ENROLLED] = selectors.has_second_factor(user)
    if not selectors.password_expired(user):
        # Noted only for a password in good standing: one that must change is asked again each request.
        session[PASSWORD_CHANGED_AT] = selectors.password_changed_at(user).timestamp()
    if session.session_key is None:
        session.save()
    services.session_started(
        user=user,
        session_key=session.session_key or "",
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", ""),
    )


@receiver(user_locked_out, dispatch_uid="luoshi.accounts.locked_out")
def _locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    name = (username or "")[:150]
    audit.record(
        actor=None,
        action="auth.lockout",
        object_type=User._meta.label_lower,
        object_repr=name,
        changes={"username": name},
    )
