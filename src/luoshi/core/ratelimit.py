"""Rate limits on the requests that guess secrets or cost a lot: sign-in, API tokens, exports, search.

The rules are data (``settings.LUOSHI_RATE_LIMITS``): each names the URLs it covers, by URL name
("web:login", "api:search") or path prefix ("/api/v1/search"), the methods it counts, whom it counts
(a django-ratelimit key: "ip", "user_or_ip", or a dotted function of ``(group, request)``) and a rate
("20/10m"). Counting is django-ratelimit's core on the shared cache, so every web process sees the same
counts (with Redis; the demo's local memory cache counts per process).

Over the limit the request is answered at once with 429 and ``Retry-After`` (the seconds until the
counting window ends): a page for people, the API's JSON error shape for ``/api/``. A rule counts every
request as it arrives, or, with ``successes`` (the statuses of a successful sign-in), only the attempts
that fail; either way the refusal comes before the view runs, so a refused guess is never checked.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import ResolverMatch
from django.utils.translation import ngettext
from django_ratelimit.core import get_usage

logger = logging.getLogger("luoshi.security")

# Longest username read from a JSON body for counting (the login form's field allows 150).
MAX_USERNAME = 150
# Bodies larger than this are not parsed to find a username (a token request is a few hundred bytes).
MAX_JSON_BODY = 16 * 1024


@dataclass(frozen=True)
class Rule:
    """One line of ``LUOSHI_RATE_LIMITS``."""

    group: str
    url_names: frozenset[str]
    prefixes: tuple[str, ...]
    methods: tuple[str, ...]
    key: str
    rate: str
    # Answers that do not count (e.g. 302 after a sign-in): then only failed attempts are counted, after
    # the view has answered. Empty: every request counts, before the view runs.
    successes: frozenset[int] = frozenset()

    @classmethod
    def from_setting(cls, raw: Mapping[str, Any]) -> Rule:
        matches = list(raw["match"])
        return cls(
            group=str(raw["group"]),
            url_names=frozenset(m for m in matches if not m.startswith("/")),
            prefixes=tuple(m for m in matches if m.startswith("/")),
            methods=tuple(m.upper() for m in raw.get("methods", ())),
            key=str(raw["key"]),
            rate=str(raw["rate"]),
            successes=frozenset(int(status) for status in raw.get("successes", ())),
        )

    def applies(self, request: HttpRequest, match: ResolverMatch | None) -> bool:
        if self.methods and request.method not in self.methods:
            return False
        if match is not None and match.view_name in self.url_names:
            return True
        return any(request.path_info.startswith(prefix) for prefix in self.prefixes)


_rules: list[Rule] | None = None


def rules() -> list[Rule]:
    """The configured rules, parsed once (and again when a test changes the setting)."""
    global _rules
    if _rules is None:
        # Each rule mixes lists and strings, which the settings module's inferred type cannot say.
        configured = cast(list[Mapping[str, Any]], settings.LUOSHI_RATE_LIMITS)
        _rules = [Rule.from_setting(raw) for raw in configured]
    return _rules


@receiver(setting_changed)
def _forget_rules(*, setting: str, **kwargs: Any) -> None:
    global _rules
    if setting == "LUOSHI_RATE_LIMITS":
        _rules = None


# --- keys -----------------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address (``RATELIMIT_IP_META_KEY``): the proxy's header when one is configured.

    With ``X-Forwarded-For`` the last address is taken: the one the trusted proxy appended, not whatever
    the client wrote in front of it. A value that is not an address is ignored.
    """
    header = settings.LUOSHI_CLIENT_IP_HEADER
    candidates = [str(request.META.get(header, "")).split(",")[-1].strip()] if header else []
    candidates.append(str(request.META.get("REMOTE_ADDR") or ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    # No address at all: a Unix-socket connection, from this machine.
    return "127.0.0.1"


def username_key(group: str, request: HttpRequest) -> str:
    """The username being signed in with: the login form's field, or the token request's JSON body.

    Case and surrounding spaces are ignored, so "Admin " and "admin" count together.
    """
    name = request.POST.get("username", "") if request.method == "POST" else ""
    if not name and request.content_type == "application/json":
        name = _json_username(request)
    return name.strip().casefold()[:MAX_USERNAME]


def _json_username(request: HttpRequest) -> str:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return ""
    if not 0 < length <= MAX_JSON_BODY:
        return ""
    try:
        # Django keeps the body, so the view reads it again afterwards.
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return ""
    name = payload.get("username") if isinstance(payload, dict) else None
    return name if isinstance(name, str) else ""


# --- the middleware -------------------------------------------------------------------------------


class RateLimitMiddleware:
    """Refuse requests over a limit with 429 before their view runs, and count them.

    Most rules count every matching request as it arrives. Rules with ``successes`` (sign-in) count only
    the attempts that fail, once the view has answered: a guesser is held back as much, but a bureau
    signing in behind one address in the morning is not.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for rule in getattr(request, "_rate_limits_after", ()):
            if response.status_code not in rule.successes:
                _usage(request, rule, increment=True)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not settings.LUOSHI_RATE_LIMITS_ENABLED:
            return None
        match = getattr(request, "resolver_match", None)
        retry_after = 0
        after: list[Rule] = []
        for rule in rules():
            if not rule.applies(request, match):
                continue
            if rule.successes:
                # Counted afterwards; refused now if the failures so far already reach the limit.
                usage = _usage(request, rule, increment=False)
                over = usage is not None and usage["count"] >= usage["limit"]
                after.append(rule)
            else:
                usage = _usage(request, rule, increment=True)
                over = usage is not None and usage["should_limit"]
            if over and usage is not None:
                _log_refusal(request, rule, usage)
                retry_after = max(retry_after, int(usage["time_left"]), 1)
        if retry_after:
            return too_many_requests(request, retry_after)
        request._rate_limits_after = after  # type: ignore[attr-defined]
        return None


def _usage(request: HttpRequest, rule: Rule, *, increment: bool) -> dict[str, Any] | None:
    """django-ratelimit's count for ``rule`` (adding this request if ``increment``), None if unknown."""
    try:
        usage: dict[str, Any] | None = get_usage(
            request, group=rule.group, key=rule.key, rate=rule.rate, increment=increment
        )
    except Exception:
        # The cache (Redis) is down: let the request through rather than lock everyone out. Sign-in
        # stays guarded by the per-name lockout, which lives in the database.
        logger.warning("Rate limit %s not counted: the cache is unavailable", rule.group, exc_info=True)
        return None
    return usage


def _log_refusal(request: HttpRequest, rule: Rule, usage: Mapping[str, Any]) -> None:
    logger.warning(
        "Rate limit %s reached (%s of %s) for %s %s",
        rule.group,
        usage["count"],
        usage["limit"],
        request.method,
        request.path,
    )


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 with ``Retry-After``: JSON in the API's error shape under /api/, a page otherwise."""
    message = retry_message(retry_after)
    response: HttpResponse
    if request.path_info.startswith("/api/"):
        response = JsonResponse(
            {"error": {"code": "throttled", "message": message, "fields": {}}}, status=429
        )
    else:
        # Rendered without the request: a refused request should cost nothing (no session, no database).
        body = render_to_string("web/errors/429.html", {"message": message})
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def retry_message(seconds: int) -> str:
    if seconds < 120:
        return ngettext(
            "Too many requests. Try again in %(count)d second.",
            "Too many requests. Try again in %(count)d seconds.",
            seconds,
        ) % {"count": seconds}
    minutes = (seconds + 59) // 60
    return ngettext(
        "Too many requests. Try again in %(count)d minute.",
        "Too many requests. Try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}
