"""Nothing answers an anonymous caller except the few things meant for them.

The URL patterns and the API's routes are discovered, not listed, so pages and endpoints added later
are covered without touching this file. Anything new that should be public must be added to an
allowlist below, on purpose and in review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from luoshi.api.urls import api

# Pages anyone may open: signing in, the load balancer's probe, and the language switch (it is on the
# sign-in page, before anyone is signed in).
PUBLIC_PAGES = {"/login/", "/health", "/language/"}
# The API document, so that clients can be generated before anyone has an account.
PUBLIC_API_DOCUMENTS = {"/api/openapi.json"}
# API operations that work without a token: getting one.
PUBLIC_OPERATIONS = {("POST", "/api/v1/auth/token")}

# A value each path converter accepts.
SAMPLE_VALUES = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000001",
}


def _fill_route(route: str) -> str:
    """Turn ``organizations/<int:pk>/`` into ``organizations/1/``."""

    def sample(match: re.Match[str]) -> str:
        return SAMPLE_VALUES.get(match.group(1) or "str", "1")

    return re.sub(r"<(?:(\w+):)?\w+>", sample, route)


def _fill_regex(regex: str) -> str:
    """Turn ``^files/(?P<name>.+)$`` into ``files/1`` (good enough for the simple patterns in use)."""
    text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", regex)
    return text.lstrip("^").rstrip("$").replace("\\", "")


def _fill(pattern: URLPattern | URLResolver) -> str:
    text = str(pattern.pattern)
    return _fill_regex(text) if text.startswith("^") else _fill_route(text)


def url_paths(patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "/") -> Iterator[str]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_paths(pattern.url_patterns, prefix + _fill(pattern))
        else:
            yield prefix + _fill(pattern)


def api_operations() -> Iterator[tuple[str, str]]:
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method in methods:
            yield method.upper(), re.sub(r"\{[^}]+\}", "1", path)


ALL_PATHS = sorted(set(url_paths()))
PAGE_PATHS = [p for p in ALL_PATHS if not p.startswith("/api/")]
API_PATHS = [p for p in ALL_PATHS if p.startswith("/api/")]
OPERATIONS = sorted(set(api_operations()))


def _is_login_redirect(response) -> bool:
    if response.status_code not in {301, 302, 303, 307, 308}:
        return False
    return urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)


def test_the_walk_finds_pages_and_operations():
    """Guards the discovery itself: an empty walk would pass every test below."""
    assert "/" in PAGE_PATHS
    assert "/api/docs" in API_PATHS
    assert ("GET", "/api/v1/organizations") in OPERATIONS
    assert ("PATCH", "/api/v1/people/1") in OPERATIONS


@pytest.mark.parametrize("path", PAGE_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_pages_send_anonymous_callers_to_sign_in(db, path, method):
    if path in PUBLIC_PAGES or path.startswith(settings.STATIC_URL):
        pytest.skip("public on purpose")
    response = getattr(Client(), method)(path)
    assert _is_login_redirect(response), (
        f"{method.upper()} {path} answered {response.status_code} "
        f"{response.get('Location', '')} to an anonymous caller"
    )


@pytest.mark.parametrize("path", API_PATHS)
def test_api_urls_answer_nothing_to_anonymous_callers(db, path):
    """Every URL under /api/ (operations, docs, the root): an error or a sign-in redirect, nothing else."""
    if path in PUBLIC_API_DOCUMENTS:
        pytest.skip("public on purpose")
    response = Client().get(path)
    assert response.status_code >= 400 or _is_login_redirect(response), (
        f"GET {path} answered {response.status_code} to an anonymous caller"
    )


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@pytest.mark.parametrize("csrf_checks", [False, True], ids=["plain", "csrf-enforced"])
def test_api_operations_answer_401_to_anonymous_callers(db, method, path, csrf_checks):
    if (method, path) in PUBLIC_OPERATIONS:
        pytest.skip("public on purpose")
    client = Client(enforce_csrf_checks=csrf_checks)
    response = client.generic(method, path, "{}", content_type="application/json")
    assert response.status_code == 401, f"{method} {path} answered {response.status_code}"
    assert response.json()["error"]["code"] == "unauthenticated"


def test_api_document_is_public(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Luoshi API"


def test_unknown_api_paths_are_401_when_anonymous_and_404_json_when_signed_in(city):
    assert Client().get("/api/v1/no-such-thing").status_code == 401
    client = Client()
    client.force_login(city.wang)
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
