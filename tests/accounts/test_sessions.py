"""Sessions end on the server: absolute lifetime, sign-out, ending one or all, deactivation; all audited."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from luoshi.accounts.models import LiveSession
from luoshi.accounts.sessionkeys import LAST_SEEN, LOGIN_AT
from luoshi.audit.models import AuditEvent
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Role
from tests.accounts.conftest import LOGIN, new_client, sign_in

HOME = reverse("web:home")
PEOPLE = reverse("web:person_list")


def _signed_out(client) -> bool:
    response = client.get(PEOPLE)
    return response.status_code == 302 and response.url.startswith(LOGIN)


def test_signing_in_records_a_live_session(client, city):
    sign_in(client, "wangfang")
    row = LiveSession.objects.get(user=city.wang)
    assert row.session_key == client.session.session_key
    assert client.session[LOGIN_AT] <= time.time()


def test_a_session_ends_after_its_absolute_lifetime_however_busy(client, city):
    sign_in(client, "wangfang")
    session = client.session
    session[LOGIN_AT] = time.time() - settings.SESSION_COOKIE_AGE - 1
    session[LAST_SEEN] = time.time()  # busy: the idle timeout alone would not end it
    session.save()

    response = client.get(PEOPLE, follow=True)

    hours = settings.SESSION_COOKIE_AGE // 3600
    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert (
        f"You were signed out because you signed in more than {hours} hours ago." in response.content.decode()
    )
    assert not LiveSession.objects.filter(user=city.wang).exists()
    event = AuditEvent.objects.get(action="auth.session_end", actor=city.wang)
    assert event.changes == {"reason": "lifetime"}


def test_signing_out_ends_the_session_on_the_server(client, city):
    sign_in(client, "wangfang")
    key = client.session.session_key

    client.post(reverse("web:logout"))

    assert not Session.objects.filter(session_key=key).exists()
    assert not LiveSession.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.get(action="auth.logout", actor=city.wang).changes == {"reason": "logout"}


def test_the_security_administrator_ends_all_of_a_persons_sessions_at_once(city, security_officer):
    phone, desk = new_client(), new_client()
    sign_in(phone, "wangfang")
    sign_in(desk, "wangfang")
    # Separation of duties: the system administrator manages posts, not other people's sign-in.
    system_admin = new_client()
    system_admin.force_login(city.admin)
    assert system_admin.post(reverse("accounts:person_sessions_end", args=[city.wang.pk])).status_code == 403
    admin = new_client()
    admin.force_login(security_officer)

    page = admin.get(reverse("accounts:person_security", args=[city.wang.pk]))
    assert page.status_code == 200
    response = admin.post(reverse("accounts:person_sessions_end", args=[city.wang.pk]))

    assert response.status_code == 302
    assert _signed_out(phone)
    assert _signed_out(desk)
    assert not LiveSession.objects.filter(user=city.wang).exists()
    event = AuditEvent.objects.get(
        action="auth.session_end", object_id=str(city.wang.pk), actor=security_officer
    )
    assert event.changes == {"reason": "ended_by_admin", "count": 2}
    assert admin.get(PEOPLE).status_code == 200


def test_people_cannot_end_sessions_of_people_they_do_not_manage(city):
    sun = new_client()
    sign_in(sun, "sunli")
    wang = new_client()
    wang.force_login(city.wang)

    response = wang.post(reverse("accounts:person_sessions_end", args=[city.sun.pk]))

    assert response.status_code in (403, 404)
    assert sun.get(PEOPLE).status_code == 200


def test_a_person_ends_their_other_sessions_from_the_security_page(city):
    here, there, third = new_client(), new_client(), new_client()
    for client in (here, there, third):
        sign_in(client, "wangfang")
    page = here.get(reverse("accounts:security")).content.decode()
    assert page.count("<tr>") == 4  # the heading row and three sessions
    there_row = LiveSession.objects.get(session_key=there.session.session_key)

    here.post(reverse("accounts:session_end", args=[there_row.pk]))

    assert _signed_out(there)
    assert not _signed_out(third)
    here.post(reverse("accounts:sessions_end_others"))
    assert _signed_out(third)
    assert here.get(PEOPLE).status_code == 200
    assert (
        AuditEvent.objects.filter(action="auth.session_end", changes__reason="ended_by_person").count() == 2
    )


def test_a_person_cannot_end_someone_elses_session_by_its_number(city):
    sun = new_client()
    sign_in(sun, "sunli")
    row = LiveSession.objects.get(user=city.sun)
    wang = new_client()
    wang.force_login(city.wang)

    wang.post(reverse("accounts:session_end", args=[row.pk]))

    assert sun.get(PEOPLE).status_code == 200


def test_the_security_administrator_signs_everyone_else_out(city, security_officer):
    root = security_officer
    boss = new_client()
    sign_in(boss, root.username)
    others = [new_client() for _ in range(3)]
    for client, name in zip(others, ["wangfang", "sunli", "liqiang"], strict=True):
        sign_in(client, name)

    refused = new_client()
    refused.force_login(city.admin)
    assert refused.post(reverse("accounts:sessions_end_everyone"), {"confirm": "yes"}).status_code == 403
    response = boss.post(reverse("accounts:sessions_end_everyone"), {"confirm": "yes"})

    assert response.status_code == 302
    assert all(_signed_out(client) for client in others)
    assert _signed_out(refused)
    assert boss.get(PEOPLE).status_code == 200
    event = AuditEvent.objects.get(action="auth.session_end_all")
    assert event.actor == root
    assert event.changes["count"] == 4


def test_deactivating_a_person_signs_them_out_at_once(city):
    wang = new_client()
    sign_in(wang, "wangfang")
    key = wang.session.session_key

    orgs.person_update(actor=city.admin, person=city.wang, version=city.wang.version, is_active=False)

    assert not Session.objects.filter(session_key=key).exists()
    assert not LiveSession.objects.filter(user=city.wang).exists()
    assert _signed_out(wang)
    event = AuditEvent.objects.get(action="auth.session_end", object_id=str(city.wang.pk))
    assert event.changes == {"reason": "deactivated", "count": 1}


def test_a_session_whose_record_is_gone_is_ended_at_its_next_check(client, city):
    sign_in(client, "wangfang")
    LiveSession.objects.filter(user=city.wang).delete()
    session = client.session
    session[LAST_SEEN] = time.time() - 120  # due for its once-a-minute refresh
    session.save()

    assert _signed_out(client)


def test_sign_in_failures_lockouts_and_successes_are_audited(client, city):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "sunli", password="wrong-password")
    assert AuditEvent.objects.filter(action="auth.login_failed", object_repr="sunli").count() >= 9
    assert AuditEvent.objects.filter(action="auth.lockout", object_repr="sunli").exists()
    sign_in(client, "wangfang")
    assert AuditEvent.objects.filter(action="auth.login", actor=city.wang).exists()
    assert city.wang.memberships.get().role == Role.HANDLER


def test_the_people_page_is_for_the_security_administrator(city, security_officer):
    system_admin = new_client()
    system_admin.force_login(city.admin)
    assert system_admin.get(reverse("accounts:people")).status_code == 403
    admin = new_client()
    admin.force_login(security_officer)
    sign_in(new_client(), "wangfang")

    page = admin.get(reverse("accounts:people"), {"q": "wang"})

    assert page.status_code == 200
    body = page.content.decode()
    assert "wangfang" in body
    assert "sunli" not in body
    assert "Sign everyone out" in body
    handler = new_client()
    handler.force_login(city.wang)
    assert handler.get(reverse("accounts:people")).status_code == 403
