"""Who is calling: a bearer token or a signed-in browser session, and nothing else.

Every operation needs one of the two (``api.auth`` in ``luoshi.api.urls``); the token endpoint is the
only exception. A bad token is refused outright instead of falling back to the session, so a script with
an expired token learns so rather than acting as whoever last used the browser.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.openapi.docs import Swagger
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from luoshi.api.errors import CsrfFailed
from luoshi.api.services import token_authenticate
from luoshi.organizations.models import User


def _use_language_of(request: HttpRequest, user: User) -> None:
    """Answer in the language the person chose, as ``UserLanguageMiddleware`` does for sessions."""
    if user.language and user.language in dict(settings.LANGUAGES):
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <secret>`` with a token from ``POST /api/v1/auth/token``."""

    def authenticate(self, request: HttpRequest, token: str) -> User:
        api_token = token_authenticate(token.strip())
        if api_token is None:
            raise AuthenticationError()
        user = api_token.user
        # Services, the audit trail and the access policy all read ``request.user``.
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        _use_language_of(request, user)
        return user


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF rules, answering a refusal instead of rendering the pages' CSRF failure view."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        return HttpResponseForbidden(reason)


def _csrf_refused(request: HttpRequest) -> bool:
    check = _CsrfCheck(lambda _request: HttpResponse())
    # Normally the middleware does this before the view; Ninja views are exempt, so it is done here.
    check.process_request(request)
    return check.process_view(request, lambda _request: HttpResponse(), (), {}) is not None


class SessionAuth(NinjaSessionAuth):
    """The session of a signed-in browser, with Django's CSRF check on every unsafe method.

    Ninja's own ``SessionAuth`` checks CSRF before it knows whether anyone is signed in, which answers an
    anonymous write with 403; here the anonymous caller gets the 401 that tells them to authenticate.
    """

    def __call__(self, request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        # AuthenticationMiddleware already turns sessions of deactivated people into anonymous ones;
        # the is_active test keeps that true whichever backend loaded the user.
        if not isinstance(user, User) or not user.is_active:
            return None
        if self.csrf and _csrf_refused(request):
            raise CsrfFailed()
        return user


class LoginRequiredSwagger(Swagger):
    """The interactive documentation, for signed-in people only, with swagger-ui served locally."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().render_page(request, api, **kwargs)


def current_user(request: HttpRequest) -> User:
    """The authenticated caller of an operation (set by ``TokenAuth`` or ``SessionAuth``)."""
    user = request.auth  # type: ignore[attr-defined]
    if not isinstance(user, User):
        raise AuthenticationError()
    return user


token_auth = TokenAuth()
session_auth = SessionAuth()
