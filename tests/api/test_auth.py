"""Tokens, sessions and the sign-in lockout as seen through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from luoshi.api.models import ApiToken, hash_secret
from luoshi.audit.models import AuditEvent
from luoshi.organizations.models import User
from tests.api.conftest import ApiClient
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"


def me_url(user: User) -> str:
    return f"/api/v1/people/{user.pk}"


def test_token_flow(city, anonymous):
    response = anonymous.post(TOKEN_URL, {"username": "wangfang", "password": PASSWORD, "name": "报表脚本"})
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["token"]
    assert body["name"] == "报表脚本"
    assert body["expires_at"] is not None

    # Only the hash is stored, and the issue is on the audit trail (without the secret).
    token = ApiToken.objects.get(user=city.wang)
    assert token.key_hash == hash_secret(secret)
    assert secret not in token.key_hash
    event = AuditEvent.objects.get(action="api_token.create")
    assert event.actor_id == city.wang.pk
    assert event.object_id == str(token.pk)
    assert secret not in str(event.changes)
    assert secret not in event.object_repr
    expected_expiry = timezone.now() + timedelta(days=settings.LUOSHI_API_TOKEN_DAYS)
    assert abs(token.expires_at - expected_expiry) < timedelta(minutes=1)

    client = ApiClient(secret)
    response = client.get(me_url(city.wang))
    assert response.status_code == 200
    assert response.json()["username"] == "wangfang"
    token.refresh_from_db()
    assert token.last_used_at is not None

    assert client.delete(TOKEN_URL).status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()
    response = client.get(me_url(city.wang))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer lsh_" + "x" * 43, "Bearer ", "bearer lsh_abc"],
)
def test_bad_token_is_refused(city, header):
    response = Client(HTTP_AUTHORIZATION=header).get(me_url(city.wang))
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "unauthenticated"
    assert error["message"]
    assert error["fields"] == {}


def test_bad_token_does_not_fall_back_to_the_session(city):
    client = Client(HTTP_AUTHORIZATION="Bearer lsh_wrong")
    client.force_login(city.wang)
    assert client.get(me_url(city.wang)).status_code == 401


@pytest.mark.parametrize("how", ["expired", "revoked", "inactive"])
def test_unusable_token_is_refused(city, api_as, how):
    client = api_as(city.wang)
    token = ApiToken.objects.get(user=city.wang)
    if how == "expired":
        token.expires_at = timezone.now() - timedelta(seconds=1)
        token.save()
    elif how == "revoked":
        token.revoked_at = timezone.now()
        token.save()
    else:
        User.objects.filter(pk=city.wang.pk).update(is_active=False)
    response = client.get(me_url(city.wang))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_token_for_inactive_person_is_not_issued(city, anonymous):
    User.objects.filter(pk=city.wang.pk).update(is_active=False)
    response = anonymous.post(TOKEN_URL, {"username": "wangfang", "password": PASSWORD})
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_revoking_needs_a_token(city):
    client = Client()
    client.force_login(city.wang)
    assert client.delete(TOKEN_URL).status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(city, anonymous):
    wrong = anonymous.post(TOKEN_URL, {"username": "wangfang", "password": "not-the-password"})
    unknown = anonymous.post(TOKEN_URL, {"username": "nobody-here", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    assert wrong.json()["error"]["code"] == "bad_credentials"
    assert not ApiToken.objects.exists()


def test_repeated_failures_lock_the_name_whether_or_not_it_exists(city, anonymous):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 10
    for attempt in range(1, limit + 2):
        known = anonymous.post(TOKEN_URL, {"username": "wangfang", "password": "wrong"})
        unknown = anonymous.post(TOKEN_URL, {"username": "nobody-here", "password": "wrong"})
        # The two never differ, so the answers do not tell which accounts exist.
        assert known.status_code == unknown.status_code
        assert known.content == unknown.content
        expected = 401 if attempt < limit else 429
        assert known.status_code == expected, (attempt, known.content)
    assert known.json()["error"]["code"] == "locked"
    assert known["Content-Type"].startswith("application/json")

    # Locked means locked: even the right password is refused, and no token is issued.
    response = anonymous.post(TOKEN_URL, {"username": "wangfang", "password": PASSWORD})
    assert response.status_code == 429
    assert not ApiToken.objects.exists()
    # Other people are not affected.
    assert anonymous.post(TOKEN_URL, {"username": "sunli", "password": PASSWORD}).status_code == 201


def test_success_resets_the_failure_count(city, anonymous):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        anonymous.post(TOKEN_URL, {"username": "wangfang", "password": "wrong"})
    assert anonymous.post(TOKEN_URL, {"username": "wangfang", "password": PASSWORD}).status_code == 201
    response = anonymous.post(TOKEN_URL, {"username": "wangfang", "password": "wrong"})
    assert response.status_code == 401


def test_session_auth_enforces_csrf_on_writes(city):
    client = Client(enforce_csrf_checks=True)
    client.force_login(city.wang)
    assert client.get(me_url(city.wang)).status_code == 200
    payload = {"version": city.wang.version, "display_name": "王芳芳"}
    response = client.patch(me_url(city.wang), payload, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert User.objects.get(pk=city.wang.pk).display_name == "王芳"

    # With the cookie and header pair that a rendered page gives its htmx requests.
    secret = "k" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    response = client.patch(
        me_url(city.wang), payload, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert response.status_code == 200, response.content
    assert User.objects.get(pk=city.wang.pk).display_name == "王芳芳"


def test_anonymous_write_is_401_not_csrf_403(city):
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/organizations", {}, content_type="application/json"
    )
    assert response.status_code == 401


def test_inactive_session_is_refused(city):
    client = Client()
    client.force_login(city.wang)
    User.objects.filter(pk=city.wang.pk).update(is_active=False)
    assert client.get(me_url(city.wang)).status_code == 401


def test_token_holder_gets_answers_in_their_language(city, api_as):
    User.objects.filter(pk=city.wang.pk).update(language="en")
    city.wang.refresh_from_db()
    client = api_as(city.wang)
    response = client.get("/api/v1/organizations/999999", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Not found."
    assert response["Content-Language"] == "en"
