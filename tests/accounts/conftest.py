"""Helpers for the sign-in security tests: English pages, signing in through the form, TOTP codes."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP

from luoshi.accounts.models import TOTP_DIGITS, TOTP_STEP, TotpDevice
from tests.conftest import PASSWORD

LOGIN = reverse("web:login")
SECOND_STEP = reverse("accounts:second_step")
ENROL = reverse("accounts:enrol")


def new_client() -> Client:
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def client() -> Client:
    return new_client()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (luoshi.core.ratelimit) live in the cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_throttle_by_default(settings):
    """Wrong codes throttle the next try for a second; tests that are not about throttling skip the wait."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code_for(device: TotpDevice, steps_ahead: int = 0) -> str:
    """The code the person's app shows now (or ``steps_ahead`` steps later, within the tolerance)."""
    clock = TOTP(device.bin_key, TOTP_STEP, 0, TOTP_DIGITS, device.drift)
    clock.time = time.time() + steps_ahead * TOTP_STEP
    return f"{clock.token():0{TOTP_DIGITS}d}"


def sign_in(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def enrol(client: Client, user) -> list[str]:
    """Set up an authenticator app through the pages; returns the recovery codes shown."""
    page = client.get(ENROL)
    assert page.status_code == 200, page
    device = TotpDevice.objects.get(user=user, confirmed=False)
    response = client.post(ENROL, {"device": device.pk, "code": code_for(device)})
    assert response.status_code == 200
    return re.findall(r"<li>([2-9A-Z]{5}-[2-9A-Z]{5})</li>", response.content.decode())


def enrolled(user) -> tuple[TotpDevice, list[str]]:
    """``user`` with a confirmed app, set up in a throwaway session; returns the device and codes."""
    helper = new_client()
    helper.force_login(user)
    codes = enrol(helper, user)
    device = TotpDevice.objects.get(user=user, confirmed=True)
    # The enrolment used the current step; let the tests use it again as if the next step had come.
    TotpDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    return device, codes
