"""Signing in and out, lockout, idle timeout, language, CSRF failures and the health check."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from luoshi.accounts.sessionkeys import LAST_SEEN as LAST_SEEN_SESSION_KEY
from luoshi.audit.models import AuditEvent
from luoshi.organizations.models import Organization, User
from tests.conftest import PASSWORD

LOGIN = reverse("web:login")
WRONG = "Wrong username or password."


def _message(response) -> str:
    """The alert or notice shown on the login page."""
    match = re.search(r'class="notice notice-\w+" role="\w+">([^<]+)<', response.content.decode())
    return match.group(1) if match else ""


def test_login_rotates_the_session_key_and_is_audited(client, city):
    session = client.session
    session["before-login"] = True
    session.save()
    old_key = session.session_key

    response = client.post(LOGIN, {"username": "wangfang", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("web:home")
    assert client.session.session_key != old_key
    assert int(client.session["_auth_user_id"]) == city.wang.pk
    assert AuditEvent.objects.filter(action="auth.login", actor=city.wang).exists()


def test_login_follows_next_only_on_this_site(client, city):
    ok = client.post(LOGIN, {"username": "wangfang", "password": PASSWORD, "next": "/people/"})
    assert ok.url == "/people/"
    client.logout()
    evil = client.post(LOGIN, {"username": "wangfang", "password": PASSWORD, "next": "https://evil.example/"})
    assert evil.url == reverse("web:home")


def test_login_sets_the_language_the_person_chose(client, city):
    User.objects.filter(pk=city.wang.pk).update(language="en")
    response = client.post(LOGIN, {"username": "wangfang", "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_wrong_password_says_so_and_changes_nothing(client, city):
    response = client.post(LOGIN, {"username": "wangfang", "password": "not-the-password"})

    assert response.status_code == 200
    assert _message(response) == WRONG
    assert "_auth_user_id" not in client.session
    failure = AuditEvent.objects.get(action="auth.login_failed")
    assert failure.actor is None
    assert failure.changes == {"username": "wangfang"}
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def _fail(client, username, times):
    responses = [
        client.post(LOGIN, {"username": username, "password": "wrong-password"}) for _ in range(times)
    ]
    return responses


@pytest.mark.parametrize("username", ["wangfang", "nobody-by-this-name"])
def test_lockout_after_ten_failures_reads_the_same_for_any_name(client, city, username):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    expected = f"Too many failed attempts. This account is locked for {minutes} minutes."

    before = _fail(client, username, settings.AXES_FAILURE_LIMIT - 1)
    assert all(_message(r) == WRONG for r in before)

    locked = _fail(client, username, 1)[0]
    assert locked.status_code == 429
    assert _message(locked) == expected

    # Even the right password is refused while the name is locked.
    again = client.post(LOGIN, {"username": username, "password": PASSWORD})
    assert again.status_code == 429
    assert _message(again) == expected
    assert "_auth_user_id" not in client.session


def test_lockout_of_one_name_leaves_others_alone(client, city):
    _fail(client, "sunli", settings.AXES_FAILURE_LIMIT)
    response = client.post(LOGIN, {"username": "wangfang", "password": PASSWORD})
    assert response.status_code == 302


def test_idle_session_is_signed_out_with_a_message(login, city):
    client = login(city.wang)
    assert client.get(reverse("web:home")).status_code == 200
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = time.time() - settings.LUOSHI_IDLE_TIMEOUT.total_seconds() - 60
    session.save()

    response = client.get(reverse("web:home"), follow=True)

    minutes = int(settings.LUOSHI_IDLE_TIMEOUT.total_seconds() // 60)
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert f"You were signed out after {minutes} minutes without activity." in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The notice is shown once.
    assert "without activity" not in client.get(LOGIN).content.decode()


def test_logout_is_post_only_and_audited(login, city):
    client = login(city.wang)
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert response.url == LOGIN
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.logout", actor=city.wang).exists()


def test_pages_need_a_login(client, city):
    response = client.get(reverse("web:organization_list"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_language_switch_is_remembered_on_the_person(city):
    client = Client()  # no Accept-Language: the installation's default (Chinese) applies
    client.force_login(city.wang)
    assert '<html lang="zh-Hans">' in client.get(reverse("web:home")).content.decode()

    response = client.post(reverse("web:language"), {"language": "en", "next": "/people/"})

    assert response.status_code == 302
    assert response.url == "/people/"
    city.wang.refresh_from_db()
    assert city.wang.language == "en"
    assert AuditEvent.objects.filter(action="person.set_language", object_id=str(city.wang.pk)).exists()
    page = client.get(reverse("web:home")).content.decode()
    assert '<html lang="en">' in page
    assert 'value="en" lang="en" aria-pressed="true"' in page

    client.post(reverse("web:language"), {"language": "zh-hans"})
    city.wang.refresh_from_db()
    assert city.wang.language == "zh-hans"
    assert '<html lang="zh-Hans">' in client.get(reverse("web:home")).content.decode()


def test_language_switch_before_login_uses_a_cookie(city):
    client = Client()
    response = client.post(reverse("web:language"), {"language": "en", "next": LOGIN})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in client.get(LOGIN).content.decode()


def test_unknown_language_changes_nothing(login, city):
    client = login(city.wang)
    client.post(reverse("web:language"), {"language": "fr"})
    city.wang.refresh_from_db()
    assert city.wang.language == ""


def test_forged_csrf_token_gets_the_expired_form_page_and_changes_nothing(city):
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    client.force_login(city.tiexi_admin)
    url = reverse("web:organization_edit", args=[city.tiexi_street.pk])
    assert client.get(url).status_code == 200  # sets the CSRF cookie
    street = city.tiexi_street
    before = AuditEvent.objects.count()

    response = client.post(
        url,
        {
            "csrfmiddlewaretoken": "forged" * 8,
            "name": "伪造的名字",
            "kind": street.kind,
            "sort_order": 0,
            "version": street.version,
        },
    )

    assert response.status_code == 403
    assert "The form has expired" in response.content.decode()
    assert Organization.objects.get(pk=street.pk).name == street.name
    assert AuditEvent.objects.count() == before


def test_health_answers_without_login(client, db):
    response = client.get("/health")
    assert response.status_code == 200
    # The health check's full shape belongs to tests/ops; here only that it answers without a login.
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "ok")


def test_not_found_page_leaks_nothing(login, city):
    response = login(city.wang).get("/organizations/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "Traceback" not in body


def test_an_enrolled_persons_sign_in_continues_at_the_second_step(client, city):
    from luoshi.accounts.models import TotpDevice

    TotpDevice.objects.create(user=city.wang, name="phone", confirmed=True)

    response = client.post(LOGIN, {"username": "wangfang", "password": PASSWORD, "next": "/people/"})

    assert response.status_code == 302
    assert response.url == reverse("accounts:second_step") + "?next=%2Fpeople%2F"
    assert client.get("/people/").url.startswith(reverse("accounts:second_step"))
    assert AuditEvent.objects.filter(action="auth.login", actor=city.wang).exists()
