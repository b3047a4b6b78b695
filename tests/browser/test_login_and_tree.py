"""Signing in through the real login page and seeing the organisation tree, in headless Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    # The page has other forms too (the language switch), so act within the login form.
    form = page.locator("form").filter(has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("[type=submit]").click()


def test_a_supervisor_signs_in_and_sees_the_districts(transactional_db, live_server, city, page):
    sign_in(page, live_server.url, city.zhao.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/organizations/")
    expect(page).to_have_url(f"{live_server.url}/organizations/")
    for name in ("铁西区人民政府", "铁东区人民政府"):
        expect(page.get_by_role("link", name=name).first).to_be_visible()


def test_a_wrong_password_keeps_you_on_the_login_page(transactional_db, live_server, city, page):
    sign_in(page, live_server.url, city.zhao.username, "not-the-password")

    expect(page).to_have_url(re.compile(r"/login/(\?.*)?$"))
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator("input[name=password]")).to_be_visible()
    # Still signed out: the tree sends you back to the login page.
    page.goto(f"{live_server.url}/organizations/")
    expect(page).to_have_url(re.compile(r"/login/"))
