"""The duties page and granting or revoking a duty from a person's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from luoshi.audit.models import AuditEvent
from luoshi.duties.models import Duty, DutyGrant
from luoshi.organizations.models import User


def _grants():
    return list(DutyGrant.objects.order_by("pk").values_list("user_id", "duty", "revoked_at"))


def test_the_duty_holders_see_who_holds_which_duty(login, duties):
    for person in (duties.system, duties.security, duties.audit):
        body = login(person).get(reverse("web:duty_list")).content.decode()
        assert "安全管理员" in body
        assert "审计管理员" in body
        assert "系统管理员" in body


@pytest.mark.parametrize("persona", ["zhao", "wang", "tiexi_admin"])
def test_others_do_not_see_the_duties_page(login, duties, persona):
    assert login(getattr(duties.city, persona)).get(reverse("web:duty_list")).status_code == 403


def test_the_security_administrator_grants_from_the_person_page(login, duties):
    client = login(duties.security)
    wang = duties.city.wang
    page = client.get(reverse("web:person_detail", args=[wang.pk])).content.decode()
    assert reverse("web:duty_grant", args=[wang.pk]) in page
    response = client.post(reverse("web:duty_grant", args=[wang.pk]), {"duty": Duty.AUDIT, "reason": "x"})
    assert response.status_code == 302
    assert DutyGrant.objects.active().get(user=wang).duty == Duty.AUDIT
    assert AuditEvent.objects.filter(action="duty.grant", object_id=str(wang.pk)).exists()
    # A refusal by the rules comes back as a message, nothing changed.
    before = _grants()
    response = client.post(reverse("web:duty_grant", args=[wang.pk]), {"duty": Duty.SYSTEM}, follow=True)
    assert "三种职责须由三个不同的人担任" in response.content.decode()
    assert _grants() == before
    client.post(reverse("web:duty_revoke", args=[wang.pk]), {"reason": "调岗"})
    assert not DutyGrant.objects.active().filter(user=wang).exists()


@pytest.mark.parametrize("who", ["system", "audit", "superuser"])
def test_others_cannot_grant_from_the_page(login, duties, who):
    actor = {
        "system": duties.system,
        "audit": duties.audit,
        "superuser": User.objects.create_superuser("root", password="Root-pass-2026"),
    }[who]
    wang = duties.city.wang
    client = login(actor)
    page = client.get(reverse("web:person_detail", args=[wang.pk])).content.decode()
    assert reverse("web:duty_grant", args=[wang.pk]) not in page
    before = _grants()
    response = client.post(reverse("web:duty_grant", args=[wang.pk]), {"duty": Duty.AUDIT})
    assert response.status_code in {403, 404}
    assert client.post(reverse("web:duty_revoke", args=[duties.audit.pk])).status_code in {403, 404}
    assert _grants() == before


def test_the_security_administrator_cannot_revoke_their_own_duty_on_the_page(login, duties):
    before = _grants()
    client = login(duties.security)
    assert client.post(reverse("web:duty_revoke", args=[duties.security.pk])).status_code == 403
    assert _grants() == before


def test_only_the_audit_administrator_opens_the_audit_page(login, duties):
    assert login(duties.audit).get(reverse("web:audit_list")).status_code == 200
    for person in (duties.system, duties.security, duties.city.zhao):
        assert login(person).get(reverse("web:audit_list")).status_code == 403
