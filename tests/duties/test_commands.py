"""Bootstrapping the duties from the server's command line: ``createadmin --duty`` and ``luoshi duties``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from luoshi.access import policy
from luoshi.audit.models import AuditEvent
from luoshi.duties.models import Duty, DutyGrant
from luoshi.organizations.models import User

PASSWORD = "Admin-pass-2026"


def test_a_new_installation_gets_its_three_administrators(db):
    call_command("createadmin", username="xitong", password=PASSWORD, stdout=StringIO())
    call_command("createadmin", username="anquan", duty="security", password=PASSWORD, stdout=StringIO())
    call_command("createadmin", username="shenji", duty="audit", password=PASSWORD, stdout=StringIO())
    people = {u.username: u for u in User.objects.all()}
    assert people["xitong"].is_superuser
    assert not people["anquan"].is_superuser
    assert not people["anquan"].memberships.exists()
    assert not people["shenji"].is_superuser
    assert not people["shenji"].memberships.exists()
    assert {g.user.username: g.duty for g in DutyGrant.objects.active()} == {
        "xitong": Duty.SYSTEM,
        "anquan": Duty.SECURITY,
        "shenji": Duty.AUDIT,
    }
    assert AuditEvent.objects.filter(action="duty.grant").count() == 3
    assert policy.can_manage_duties(people["anquan"])
    assert policy.can_view_audit(people["shenji"])
    assert not policy.can_view_audit(people["xitong"])


def test_createadmin_with_a_duty_is_all_or_nothing(db):
    call_command("createadmin", username="xitong", password=PASSWORD, stdout=StringIO())
    before = (User.objects.count(), DutyGrant.objects.count())
    with pytest.raises(CommandError, match="password"):
        call_command("createadmin", username="anquan", duty="security", password="123", stdout=StringIO())
    assert (User.objects.count(), DutyGrant.objects.count()) == before


def test_the_duties_command_grants_lists_and_revokes(city):
    out = StringIO()
    call_command("duties", "grant", "wangfang", "audit", reason="上岗", stdout=out)
    assert "Audit administrator" in out.getvalue()
    event = AuditEvent.objects.get(action="duty.grant")
    assert (event.actor, event.actor_name) == (None, "luoshi duties")
    listed = StringIO()
    call_command("duties", "list", stdout=listed)
    assert "wangfang" in listed.getvalue()
    call_command("duties", "revoke", "wangfang", stdout=StringIO())
    assert not DutyGrant.objects.active().exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grant", "nobody", "audit"], "Nobody has the username"),
        (["grant", "admin", "security"], "administers a unit"),
        (["revoke", "wangfang"], "holds no duty"),
    ],
)
def test_the_duties_command_refuses_clearly(city, args, message):
    before = DutyGrant.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("duties", *args, stdout=StringIO())
    assert DutyGrant.objects.count() == before
