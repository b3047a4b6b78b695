"""The Content-Security-Policy, and pages that satisfy it: no inline script, handler or style anywhere.

The page test signs in as people of different roles and crawls every page reachable from the start page
(and the htmx partials the pages ask for), so a new template is checked without being listed here.
"""

from __future__ import annotations

from collections import Counter, deque

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from tests.conftest import City
from tests.hardening.conftest import Work
from tests.hardening.inline import inspect, same_origin_path

# Routes whose answers are files or actions, not pages (and the API, with its own tests).
NOT_PAGES = ("/api/", "/evidence/", "/static/", "/logout/", "/language/", "/health")
FILE_SUFFIXES = (".xlsx", ".docx", ".pdf")


def is_page(path: str) -> bool:
    bare = path.split("?", 1)[0]
    return not path.startswith(NOT_PAGES) and not bare.endswith(FILE_SUFFIXES) and "/download/" not in bare


PER_ROUTE = 2
MAX_PAGES = 400


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict_policy(response, path: str) -> None:
    csp = policy(response)
    assert csp, f"{path}: no Content-Security-Policy header"
    assert csp["default-src"] == ["'self'"], path
    assert csp["script-src"] == ["'self'"], path
    assert csp["style-src"] == ["'self'"], path
    assert csp["img-src"] == ["'self'", "data:"], path
    assert csp["frame-ancestors"] == ["'none'"], path
    assert csp["form-action"] == ["'self'"], path
    assert csp["base-uri"] == ["'self'"], path


def route_of(path: str) -> tuple[str, tuple[str, ...]] | None:
    bare, _, query = path.partition("?")
    try:
        match = resolve(bare)
    except Resolver404:
        return None
    keys = tuple(sorted({pair.split("=", 1)[0] for pair in query.split("&") if pair}))
    return match.view_name, keys


def crawl(client: Client) -> dict[str, list[str]]:
    """Visit the pages reachable from "/" (at most PER_ROUTE per route and set of query parameters) and
    the htmx partials they ask for; return each page's problems, and check the policy header on each."""
    seen: set[str] = set()
    per_route: Counter[tuple[str, tuple[str, ...]]] = Counter()
    queue: deque[tuple[str, bool]] = deque([("/", False)])
    problems: dict[str, list[str]] = {}
    while queue and len(problems) < MAX_PAGES:
        path, htmx = queue.popleft()
        route = route_of(path)
        if route is None or (path, htmx) in seen or per_route[(*route, htmx)] >= PER_ROUTE:
            continue
        seen.add((path, htmx))
        per_route[(*route, htmx)] += 1
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.get(path, headers=headers)
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        assert_strict_policy(response, path)
        found = inspect(response.content.decode())
        problems[f"{path}{' (htmx)' if htmx else ''}"] = found.problems
        for href in found.links:
            target = same_origin_path(href, path)
            if target and is_page(target):
                queue.append((target, False))
        for url in found.htmx_urls:
            target = same_origin_path(url, path)
            if target and is_page(target):
                queue.append((target, True))
    return problems


@pytest.mark.parametrize("persona", ["zhao", "admin", "wang", "chen"])
def test_every_reachable_page_satisfies_the_policy(
    client: Client, city: City, work: Work, persona: str
) -> None:
    client.force_login(getattr(city, persona))
    problems = crawl(client)
    visited = {page.split("?", 1)[0] for page in problems}
    # The crawl really went somewhere: the main pages and pages of single objects.
    for page in ("/", "/my-work/", "/ledger/", "/directives/", "/organizations/", "/people/"):
        assert page in visited, f"the crawl never reached {page}"
    task_pages = {f"/tasks/{work.task.pk}/", f"/tasks/{work.street_task.pk}/"}
    assert task_pages & visited, "the crawl never reached a task page"
    assert len(problems) > 20
    bad = {page: found for page, found in problems.items() if found}
    assert not bad, "\n".join(f"{page}: {'; '.join(found)}" for page, found in bad.items())


def test_the_login_page_satisfies_the_policy(client: Client, db) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert_strict_policy(response, "/login/")
    assert inspect(response.content.decode()).problems == []


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client: Client, city: City) -> None:
    client.force_login(city.wang)
    body = client.get("/").content.decode()
    assert '"includeIndicatorStyles": false' in body
    assert '"allowEval": false' in body


def test_error_pages_satisfy_the_policy(client: Client, city: City, settings) -> None:
    client.force_login(city.wang)
    for path, status in (("/no-such-page/", 404), ("/audit/", 403)):
        response = client.get(path)
        assert response.status_code == status
        assert_strict_policy(response, path)
        assert inspect(response.content.decode()).problems == []


def test_the_finder_sees_what_the_policy_would_block() -> None:
    page = (
        '<script>alert(1)</script><script src="/static/x.js"></script>'
        '<script type="application/json">{}</script>'
        '<button onclick="go()">x</button><div style="color:red"></div><style>p{}</style>'
        '<a href="javascript:void(0)">x</a><form hx-on::after-request="x()"></form>'
    )
    problems = inspect(page).problems
    assert len(problems) == 6, problems
