"""Signing in and out, the lockout answer, and the language switch."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from luoshi.accounts import services as accounts
from luoshi.accounts.middleware import OWES_ENROLMENT, OWES_SECOND_STEP, owed
from luoshi.accounts.sessionkeys import ENDED_NOTICE
from luoshi.audit import services as audit
from luoshi.organizations import services as orgs
from luoshi.organizations.models import LanguageChoice, User
from luoshi.web.forms import LoginForm
from luoshi.web.shortcuts import safe_next


def _minutes(delta: Any) -> int:
    return max(1, round(delta.total_seconds() / 60))


def _ended_notice(reason: str) -> str:
    """Why the server ended the previous session, for the sign-in page."""
    if reason == accounts.END_IDLE:
        return _("You were signed out after %(minutes)d minutes without activity.") % {
            "minutes": _minutes(settings.LUOSHI_IDLE_TIMEOUT)
        }
    if reason == accounts.END_LIFETIME:
        return _("You were signed out because you signed in more than %(hours)d hours ago.") % {
            "hours": max(1, round(settings.SESSION_COOKIE_AGE / 3600))
        }
    return _("Your session was ended. Please sign in again.")


def _render_login(
    request: HttpRequest, form: LoginForm, *, error: str = "", notice: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "error": error,
        "notice": notice,
        "next": safe_next(request, request.POST.get("next") or request.GET.get("next"), ""),
    }
    return render(request, "web/login.html", context, status=status)


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next(request, request.GET.get("next"), reverse("web:home")))
    if request.method != "POST":
        reason = request.session.pop(ENDED_NOTICE, "")
        return _render_login(request, LoginForm(), notice=_ended_notice(reason) if reason else "")

    form = LoginForm(request.POST)
    if not form.is_valid():
        return _render_login(request, form, status=400)
    username = form.cleaned_data["username"]
    # Passing the request lets django-axes count the failure and lock the name after too many.
    user = authenticate(request=request, username=username, password=form.cleaned_data["password"])
    if user is None:
        audit.record(
            actor=None,
            action="auth.login_failed",
            object_type=User._meta.label_lower,
            object_repr=username[:200],
            changes={"username": username},
        )
        # The same words whether the name exists or not, so the page does not confirm accounts.
        return _render_login(
            request, LoginForm(initial={"username": username}), error=_("Wrong username or password.")
        )
    login(request, user)  # rotates the session key
    audit.record(actor=user, action="auth.login", obj=user)
    target = safe_next(request, request.POST.get("next"), reverse("web:home"))
    # The password was the first step; SecondStepMiddleware would send the person on anyway.
    debt = owed(request)
    if debt in (OWES_SECOND_STEP, OWES_ENROLMENT):
        step = "accounts:second_step" if debt == OWES_SECOND_STEP else "accounts:enrol"
        target = f"{reverse(step)}?{urlencode({'next': target})}"
    response = redirect(target)
    if user.language:
        _set_language_cookie(response, user.language)
    return response


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers once a name is locked: the login page with the same words for every name."""
    message = _("Too many failed attempts. This account is locked for %(minutes)d minutes.") % {
        "minutes": _minutes(settings.AXES_COOLOFF_TIME)
    }
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked", "message": message, "fields": {}}}, status=429)
    username = ""
    if isinstance(credentials, dict):
        username = str(credentials.get("username") or "")
    return _render_login(request, LoginForm(initial={"username": username}), error=message, status=429)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated:
        accounts.session_ended(user=user, session_key=request.session.session_key, reason=accounts.END_LOGOUT)
    logout(request)
    return redirect("web:login")


@login_not_required
@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """Switch the language: remembered on the person when signed in, and in a cookie for the sign-in page."""
    language = request.POST.get("language", "")
    target = safe_next(request, request.POST.get("next"), reverse("web:home"))
    response = HttpResponseRedirect(target)
    if language not in dict(settings.LANGUAGES) or language not in LanguageChoice.values:
        return response
    if request.user.is_authenticated:
        orgs.person_set_language(actor=request.user, person=request.user, language=language)
    _set_language_cookie(response, language)
    return response
