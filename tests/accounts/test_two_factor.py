"""The second factor: enrolment, the second step on every URL, single-use codes, recovery codes, resets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from luoshi.accounts.models import RecoveryCode, RecoveryDevice, TotpDevice, hash_recovery_code
from luoshi.audit.models import AuditEvent
from luoshi.organizations import services as orgs
from tests.accounts.conftest import ENROL, SECOND_STEP, code_for, enrol, enrolled, new_client, sign_in

HOME = reverse("web:home")
DEEP = reverse("web:person_list") + "?q=wang"


def test_enrolment_shows_a_qr_code_and_the_key_and_confirms_with_a_code(client, city):
    client.force_login(city.wang)

    page = client.get(ENROL)

    body = page.content.decode()
    assert page.status_code == 200
    assert '<svg width="' in body
    assert 'class="qr-code"' in body
    device = TotpDevice.objects.get(user=city.wang, confirmed=False)
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in body
    # No inline script or style attribute: the page runs under a strict CSP.
    assert "<script>" not in body
    assert " style=" not in body
    assert " onclick=" not in body

    wrong = client.post(ENROL, {"device": device.pk, "code": "000000"})
    assert wrong.status_code == 400
    assert not TotpDevice.objects.filter(user=city.wang, confirmed=True).exists()

    codes = enrol(client, city.wang)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert TotpDevice.objects.filter(user=city.wang, confirmed=True).count() == 1
    assert AuditEvent.objects.filter(action="auth.second_factor_enrolled", actor=city.wang).exists()
    # This session passed the second factor while enrolling, so it goes on.
    assert client.get(DEEP).status_code == 200


def test_the_seed_is_encrypted_at_rest_and_recovery_codes_are_hashed(city):
    device, codes = enrolled(city.wang)
    with connection.cursor() as cursor:
        cursor.execute("SELECT seed FROM accounts_totpdevice WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc:")
    assert device.seed not in stored
    hashes = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert hashes == {hash_recovery_code(c) for c in codes}
    assert not hashes & set(codes)


def test_an_enrolled_person_must_pass_the_second_step_even_where_it_is_optional(client, city):
    device, _codes = enrolled(city.wang)

    response = sign_in(client, "wangfang", next_url="/people/")

    assert response.status_code == 302
    assert response.url.startswith(SECOND_STEP)
    # A deep link goes to the second step and comes back after it.
    deep = client.get(DEEP)
    assert deep.status_code == 302
    assert deep.url.startswith(SECOND_STEP)
    assert "next=" in deep.url
    # htmx asks for a full-page redirect instead of swapping the second step into a fragment.
    htmx = client.get(DEEP, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert htmx["HX-Redirect"].startswith(SECOND_STEP)
    assert "q=wang" not in htmx.content.decode()
    # Writes are held too.
    assert client.post(reverse("web:language"), {"language": "en"}).status_code == 302
    # The session does not count as an API caller until the second step is passed.
    assert client.get("/api/v1/organizations").status_code == 401

    passed = client.post(SECOND_STEP, {"code": code_for(device), "next": DEEP})

    assert passed.status_code == 302
    assert passed.url == DEEP
    assert client.get(DEEP).status_code == 200
    assert client.get("/api/v1/organizations").status_code == 200
    assert AuditEvent.objects.filter(action="auth.second_factor", actor=city.wang).exists()


def test_the_second_step_gives_the_session_a_new_key(client, city):
    device, _codes = enrolled(city.wang)
    sign_in(client, "wangfang")
    before = client.session.session_key
    client.post(SECOND_STEP, {"code": code_for(device)})
    assert client.session.session_key != before
    from luoshi.accounts.models import LiveSession

    assert LiveSession.objects.filter(session_key=client.session.session_key, user=city.wang).exists()


@override_settings(LUOSHI_TWO_FACTOR="required")
def test_required_holds_everyone_at_enrolment_on_every_url(client, city):
    sign_in(client, "wangfang")

    deep = client.get(DEEP)
    assert deep.status_code == 302
    assert deep.url.startswith(ENROL)
    htmx = client.get(reverse("web:ledger"), headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert htmx["HX-Redirect"].startswith(ENROL)
    assert client.get(reverse("accounts:security")).url.startswith(ENROL)
    assert client.get("/health").status_code == 200

    enrol(client, city.wang)

    assert client.get(DEEP).status_code == 200


@override_settings(LUOSHI_TWO_FACTOR="required")
def test_required_leaves_api_tokens_working_beside_a_held_session(client, city):
    from luoshi.api import services as api_services

    _token, secret = api_services.token_create(user=city.wang, name="script")
    sign_in(client, "wangfang")  # a browser session held at enrolment, sent along with the token

    bearer = client.get("/api/v1/organizations", headers={"Authorization": f"Bearer {secret}"})
    session_only = client.get("/api/v1/organizations")

    assert bearer.status_code == 200
    assert session_only.status_code == 401


@override_settings(LUOSHI_TWO_FACTOR="required")
def test_required_sends_the_login_to_enrolment(client, city):
    response = sign_in(client, "wangfang")
    assert response.status_code == 302
    assert response.url.startswith(ENROL)
    assert client.get(SECOND_STEP).status_code == 302  # nothing to verify yet


def test_a_totp_code_works_once(city):
    device, _codes = enrolled(city.wang)
    code = code_for(device)
    first = new_client()
    sign_in(first, "wangfang")
    assert first.post(SECOND_STEP, {"code": code}).status_code == 302

    second = new_client()
    sign_in(second, "wangfang")
    replay = second.post(SECOND_STEP, {"code": code})

    assert replay.status_code == 400
    assert "That code is not right, or it was used already." in replay.content.decode()
    assert second.get(DEEP).url.startswith(SECOND_STEP)
    assert AuditEvent.objects.filter(action="auth.second_factor_failed", actor=city.wang).exists()


def test_wrong_codes_throttle_even_the_right_one(client, city, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    device, _codes = enrolled(city.wang)
    sign_in(client, "wangfang")

    assert (
        client.post(SECOND_STEP, {"code": "123456" if code_for(device) != "123456" else "654321"}).status_code
        == 400
    )
    throttled = client.post(SECOND_STEP, {"code": code_for(device)})

    assert throttled.status_code == 400
    assert "Too many wrong codes." in throttled.content.decode()
    # Once the wait is over the right code works.
    TotpDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=5)
    )
    assert client.post(SECOND_STEP, {"code": code_for(device)}).status_code == 302


def test_a_recovery_code_signs_in_once(city):
    _device, codes = enrolled(city.wang)
    first = new_client()
    sign_in(first, "wangfang")

    used = first.post(SECOND_STEP, {"code": codes[0].lower()}, follow=True)

    assert used.redirect_chain[-1][0] == HOME
    assert "You used a recovery code; 9 left." in used.content.decode()
    event = AuditEvent.objects.get(action="auth.recovery_code_used", actor=city.wang)
    assert event.changes == {"remaining": 9}

    second = new_client()
    sign_in(second, "wangfang")
    assert second.post(SECOND_STEP, {"code": codes[0]}).status_code == 400
    assert RecoveryDevice.objects.get(user=city.wang).remaining() == 9


def test_new_recovery_codes_replace_the_old_ones(client, city):
    device, codes = enrolled(city.wang)
    sign_in(client, "wangfang")
    client.post(SECOND_STEP, {"code": code_for(device)})

    response = client.post(reverse("accounts:recovery_codes_renew"))

    assert response.status_code == 200
    fresh = [c for c in codes if c in response.content.decode()]
    assert fresh == []
    assert not RecoveryCode.objects.filter(code_hash=hash_recovery_code(codes[1])).exists()
    assert AuditEvent.objects.filter(action="auth.recovery_codes_renewed", actor=city.wang).exists()


def test_replacing_the_app_needs_the_second_step_first(client, city):
    enrolled(city.wang)
    sign_in(client, "wangfang")
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response.url.startswith(SECOND_STEP)
    assert TotpDevice.objects.filter(user=city.wang, confirmed=False).count() == 0


def test_the_security_administrator_resets_a_second_factor_and_it_is_audited(city, security_officer):
    enrolled(city.wang)
    wang = new_client()
    sign_in(wang, "wangfang")
    admin = new_client()
    admin.force_login(security_officer)

    response = admin.post(reverse("accounts:person_second_factor_reset", args=[city.wang.pk]))

    assert response.status_code == 302
    assert not TotpDevice.objects.filter(user=city.wang).exists()
    assert not RecoveryDevice.objects.filter(user=city.wang).exists()
    event = AuditEvent.objects.get(action="auth.second_factor_reset")
    assert event.actor == security_officer
    assert event.object_id == str(city.wang.pk)
    # Wang was signed out; signing in again needs only the password (optional mode, nothing enrolled).
    assert wang.get(DEEP).url.startswith(reverse("web:login"))
    assert sign_in(new_client(), "wangfang").url == HOME


@pytest.mark.parametrize("persona", ["sun", "wang"])
def test_others_cannot_reset_a_second_factor(city, persona):
    enrolled(city.chen)
    client = new_client()
    client.force_login(getattr(city, persona))
    before = AuditEvent.objects.count()

    response = client.post(reverse("accounts:person_second_factor_reset", args=[city.chen.pk]))

    assert response.status_code in (403, 404)
    assert TotpDevice.objects.filter(user=city.chen, confirmed=True).exists()
    assert AuditEvent.objects.count() == before


def test_the_security_page_links_from_the_user_menu(client, city):
    client.force_login(city.wang)
    home = client.get(HOME).content.decode()
    assert f'href="{reverse("accounts:security")}"' in home
    page = client.get(reverse("accounts:security"))
    assert page.status_code == 200
    assert "Set up an authenticator app" in page.content.decode()


def test_a_deactivated_person_with_a_second_factor_cannot_sign_in(client, city):
    enrolled(city.wang)
    orgs.person_update(actor=city.admin, person=city.wang, version=city.wang.version, is_active=False)
    response = sign_in(client, "wangfang")
    assert response.status_code == 200  # the login page again
    assert "_auth_user_id" not in client.session


def test_the_server_command_resets_a_second_factor(city):
    from io import StringIO

    from django.core.management import CommandError, call_command

    enrolled(city.wang)
    out = StringIO()
    call_command("twofactor_reset", "wangfang", stdout=out)
    assert not TotpDevice.objects.filter(user=city.wang).exists()
    event = AuditEvent.objects.get(action="auth.second_factor_reset")
    assert event.actor is None
    with pytest.raises(CommandError):
        call_command("twofactor_reset", "nobody")
