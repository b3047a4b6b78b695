"""API tokens and the second factor: a program signs in like a person, so a password alone does not get
a token for an account that has an authenticator app, nor for anyone where the second factor is required."""

from __future__ import annotations

import pytest
from django.test import override_settings

from luoshi.api.models import ApiToken
from luoshi.audit.models import AuditEvent
from tests.accounts.conftest import code_for, enrolled, new_client
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token"


def _ask(**extra):
    return new_client().post(
        TOKEN, {"username": "wangfang", "password": PASSWORD, **extra}, content_type="application/json"
    )


def test_an_account_with_an_app_needs_its_code_for_a_token(city):
    device, recovery = enrolled(city.wang)

    missing = _ask()
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "second_factor_required"
    wrong = _ask(otp="000000" if code_for(device) != "000000" else "111111")
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "second_factor_invalid"
    assert not ApiToken.objects.filter(user=city.wang).exists()

    assert _ask(otp=code_for(device)).status_code == 201
    # Each code works once, here as on the login page; a recovery code works as well.
    assert _ask(otp=code_for(device)).status_code == 401
    assert _ask(otp=recovery[0]).status_code == 201
    assert ApiToken.objects.filter(user=city.wang).count() == 2
    assert AuditEvent.objects.filter(action="auth.second_factor_failed", object_id=str(city.wang.pk)).exists()


@override_settings(LUOSHI_TWO_FACTOR="required")
def test_where_the_second_factor_is_required_an_account_without_one_gets_no_token(city):
    refused = _ask()
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "second_factor_not_set_up"
    assert not ApiToken.objects.exists()


def test_an_account_without_an_app_signs_in_with_its_password_where_the_factor_is_optional(city):
    assert _ask().status_code == 201
