"""The main pages in headless Chromium under the real Content-Security-Policy: not one violation.

The server-side test (tests/hardening/test_csp.py) reads the HTML; this one asks the browser, which also
sees what scripts do after loading (htmx swaps, injected styles) and what the static files ask for.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from luoshi.evidence.models import EvidenceFile
from tests.browser.conftest import TIMEOUT_MS
from tests.conftest import PASSWORD, City
from tests.hardening.conftest import Work
from tests.hardening.conftest import work as work  # the fixture, imported to be found

pytestmark = pytest.mark.browser

# Runs before any script of each document, so that no violation happens before it listens.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " at " + (event.sourceFile || event.documentURI) + ":" + event.lineNumber
  );
});
"""


class Watcher:
    """Collects violations from the page's event listener and from the console."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(f"{self.page.url}: {text}")

    def visit(self, url: str) -> list[str]:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        return self.reported()

    def reported(self) -> list[str]:
        events = self.page.evaluate("window.__cspViolations || []")
        return [f"{self.page.url}: {v}" for v in events]


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watcher]:
    context = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(COLLECT_VIOLATIONS)
    yield Watcher(context.new_page())
    context.close()


def sign_in(watcher: Watcher, base: str, username: str) -> list[str]:
    page = watcher.page
    found = watcher.visit(f"{base}/login/")
    form = page.locator("form").filter(has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("[type=submit]").click()
    page.wait_for_url(f"{base}/")
    return found + watcher.reported()


def test_the_main_pages_cause_no_policy_violation(
    transactional_db, live_server, city: City, work: Work, watched: Watcher
) -> None:
    base = live_server.url
    violations = sign_in(watched, base, city.zhao.username)
    image = EvidenceFile.objects.filter(content_type="image/png").first()
    pages = [
        "/",
        "/my-work/",
        "/cockpit/",
        "/ledger/",
        "/supervision/",
        "/lookbacks/",
        "/indicators/",
        "/evaluation/",
        "/bulletins/",
        "/directives/",
        f"/directives/{work.desk.directive.pk}/",
        f"/tasks/{work.task.pk}/",
        f"/tasks/{work.street_task.pk}/",
        "/organizations/",
        f"/organizations/{city.tiexi.pk}/",
        "/people/",
        f"/people/{city.wang.pk}/",
        "/search/?q=改造",
        "/notifications/",
        "/audit/",
        "/no-such-page/",
        f"/evidence/{image.pk}/download/",
        "/api/docs",
    ]
    for path in pages:
        violations += watched.visit(f"{base}{path}")

    # What htmx does after loading: a filter that redraws the ledger's results in place.
    page = watched.page
    watched.visit(f"{base}/ledger/")
    page.locator("th.sortable a").first.click()
    page.wait_for_url(lambda url: "sort=" in url)
    page.wait_for_load_state("networkidle")
    violations += watched.reported()

    # The phone menu: the stylesheet folds it and the script unfolds it.
    page.set_viewport_size({"width": 390, "height": 844})
    watched.visit(f"{base}/")
    page.locator(".menu-toggle").click()
    violations += watched.reported()

    assert violations == [], "\n".join(violations)
    assert watched.console == [], "\n".join(watched.console)


def test_a_search_over_its_limit_says_so_on_the_page(
    transactional_db, live_server, city: City, watched: Watcher, settings
) -> None:
    """htmx does not draw a 429 answer; the page's script shows the server's explanation instead."""
    settings.LUOSHI_RATE_LIMITS = [
        {
            "group": "search-browser",
            "match": ["web:search"],
            "methods": ["GET"],
            "key": "user_or_ip",
            "rate": "2/d",  # a window that cannot end while the test runs
        }
    ]
    base = live_server.url
    violations = sign_in(watched, base, city.wang.username)
    page = watched.page
    watched.visit(f"{base}/search/")  # the first search-page request of the window
    field = page.locator("#id_q")
    field.fill("改造")
    field.press("Enter")  # the second: still allowed
    page.wait_for_load_state("networkidle")
    field.fill("小区")
    field.press("Enter")  # the third: refused
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Too many requests" in alert.inner_text()
    assert violations + watched.reported() == []
