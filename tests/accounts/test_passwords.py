"""The password policy: level 3 (default) and ASVS, history, common passwords, expiry, the change page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from luoshi.accounts.models import LiveSession, PasswordRecord
from luoshi.audit.models import AuditEvent
from luoshi.core.errors import ValidationFailed
from luoshi.organizations import services as orgs
from tests.accounts.conftest import new_client, sign_in
from tests.conftest import PASSWORD

CHANGE = reverse("accounts:password_change")
HOME = reverse("web:home")
ASVS = {
    "min_length": 12,
    "max_length": 128,
    "min_classes": 0,
    "max_age_days": 0,
    "history": 0,
}


def _codes(password: str, user=None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return {e.code for e in exc.error_list}
    return set()


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Xq7#mLp2", set()),  # 8 characters, four classes
        ("xq7#mlp2", set()),  # three classes are enough
        ("Xq7#mL", {"password_too_short"}),
        ("xqzmlpwtrv", {"password_too_simple"}),  # one class
        ("xqzm2lpw7trv", {"password_too_simple"}),  # two classes
        ("Password1", {"password_too_common"}),
    ],
)
def test_level3_length_composition_and_common_passwords(db, password, codes):
    assert _codes(password) == codes


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("plain lower words", set()),  # no composition rule
        ("Xq7#mLp2abc", {"password_too_short"}),  # 11 characters
        ("password1234", {"password_too_common"}),
    ],
)
def test_asvs_length_without_composition_and_common_passwords(db, settings, password, codes):
    settings.LUOSHI_PASSWORD = ASVS
    assert _codes(password) == codes


def test_the_last_five_passwords_are_refused(city):
    wang = city.wang
    passwords = [f"Neu-Pass-{n}x" for n in range(6)]
    for password in passwords:
        orgs.person_set_password(actor=city.admin, person=wang, password=password)
    # The last five (the current one included) are refused; the sixth from last is allowed again.
    for recent in passwords[1:]:
        assert "password_reused" in _codes(recent, wang)
    assert _codes(passwords[0], wang) == set()
    assert PasswordRecord.objects.filter(user=wang).count() == 5


def test_history_is_off_under_asvs(city, settings):
    settings.LUOSHI_PASSWORD = ASVS
    assert "password_reused" not in _codes(PASSWORD, city.wang)


def test_an_expired_password_must_be_changed_at_the_next_sign_in(client, city):
    PasswordRecord.objects.filter(user=city.wang).update(changed_at=timezone.now() - timedelta(days=91))
    sign_in(client, "wangfang")

    deep = client.get(reverse("web:person_list"))
    assert deep.status_code == 302
    assert deep.url.startswith(CHANGE)
    htmx = client.get(reverse("web:ledger"), headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith(CHANGE)
    page = client.get(CHANGE)
    assert "Your password has expired." in page.content.decode()

    response = client.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password": "Brand-new-2026", "new_password_again": "Brand-new-2026"},
    )

    assert response.status_code == 302
    assert client.get(reverse("web:person_list")).status_code == 200
    record = PasswordRecord.objects.filter(user=city.wang).first()
    assert record is not None
    assert record.by_owner
    assert AuditEvent.objects.filter(action="auth.password_changed", actor=city.wang).exists()


def test_passwords_do_not_expire_under_asvs(client, city, settings):
    settings.LUOSHI_PASSWORD = ASVS
    PasswordRecord.objects.filter(user=city.wang).update(changed_at=timezone.now() - timedelta(days=900))
    sign_in(client, "wangfang")
    assert client.get(reverse("web:person_list")).status_code == 200


def test_the_change_page_refuses_a_wrong_current_password_and_a_reused_one(client, city):
    client.force_login(city.wang)
    before = city.wang.password

    wrong = client.post(
        CHANGE,
        {"old_password": "nope", "new_password": "Brand-new-2026", "new_password_again": "Brand-new-2026"},
    )
    same = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password": PASSWORD, "new_password_again": PASSWORD}
    )
    simple = client.post(
        CHANGE, {"old_password": PASSWORD, "new_password": "abcdefghij", "new_password_again": "abcdefghij"}
    )

    assert (wrong.status_code, same.status_code, simple.status_code) == (400, 400, 400)
    assert "Your current password is wrong." in wrong.content.decode()
    assert "must mix at least 3 of" in simple.content.decode()
    city.wang.refresh_from_db()
    assert city.wang.password == before
    assert AuditEvent.objects.filter(action="auth.password_change_failed", actor=city.wang).count() == 1


def test_changing_the_password_keeps_this_session_and_ends_the_others(city):
    here, there = new_client(), new_client()
    sign_in(here, "wangfang")
    sign_in(there, "wangfang")

    here.post(
        CHANGE,
        {"old_password": PASSWORD, "new_password": "Brand-new-2026", "new_password_again": "Brand-new-2026"},
    )

    assert here.get(HOME).status_code == 200
    assert there.get(HOME).url.startswith(reverse("web:login"))
    assert list(LiveSession.objects.filter(user=city.wang).values_list("session_key", flat=True)) == [
        here.session.session_key
    ]


def test_the_service_refuses_a_policy_breaking_password_with_nothing_changed(city):
    from luoshi.accounts import services

    before = PasswordRecord.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.password_change(
            user=city.wang, old_password=PASSWORD, new_password="short", current_key=None
        )
    assert "new_password" in exc.value.fields
    assert PasswordRecord.objects.count() == before


def test_a_password_an_administrator_set_is_changed_by_its_owner_first(client, city, settings):
    settings.LUOSHI_PASSWORD = {**settings.LUOSHI_PASSWORD, "change_after_reset": True}
    orgs.person_set_password(actor=city.admin, person=city.wang, password="Set-by-admin-2026")
    sign_in(client, "wangfang", password="Set-by-admin-2026")

    deep = client.get(reverse("web:person_list"))
    assert deep.status_code == 302
    assert deep.url.startswith(CHANGE)
    assert "set for you by an administrator" in client.get(CHANGE).content.decode()
    client.post(
        CHANGE,
        {
            "old_password": "Set-by-admin-2026",
            "new_password": "My-own-choice-2026",
            "new_password_again": "My-own-choice-2026",
        },
    )
    assert client.get(reverse("web:person_list")).status_code == 200


def test_without_the_rule_an_administrators_password_is_kept(client, city, settings):
    settings.LUOSHI_PASSWORD = {**settings.LUOSHI_PASSWORD, "change_after_reset": False}
    orgs.person_set_password(actor=city.admin, person=city.wang, password="Set-by-admin-2026")
    sign_in(client, "wangfang", password="Set-by-admin-2026")
    assert client.get(reverse("web:person_list")).status_code == 200
