"""Granting and revoking duties: who may, the rules that keep the three apart, and the audit of it all."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from luoshi.access import Action, can, policy, scopes_of, visible
from luoshi.audit.models import AuditEvent
from luoshi.core.errors import NotAllowed, ValidationFailed
from luoshi.duties import services
from luoshi.duties.models import Duty, DutyGrant
from luoshi.organizations import services as orgs
from luoshi.organizations.models import Organization, Role, User
from tests.duties.conftest import fresh


def _state():
    return (
        list(DutyGrant.objects.order_by("pk").values_list("user_id", "duty", "revoked_at")),
        AuditEvent.objects.count(),
    )


def test_the_security_administrator_grants_a_duty_and_it_is_audited(duties):
    wang = duties.city.wang
    grant = services.duty_grant(actor=duties.security, person=wang, duty=Duty.AUDIT, reason="轮岗")
    assert (grant.granted_by, grant.duty, grant.is_active) == (duties.security, Duty.AUDIT, True)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor, event.object_id) == ("duty.grant", duties.security, str(wang.pk))
    assert event.changes["duty"] == Duty.AUDIT
    assert policy.holds(fresh(wang), Duty.AUDIT)


@pytest.mark.parametrize("who", ["system", "audit", "superuser", "supervisor", "unit_admin"])
def test_only_the_security_administrator_grants(duties, who):
    actor = {
        "system": duties.system,
        "audit": duties.audit,
        "superuser": User.objects.create_superuser("root", password="Root-pass-2026"),
        "supervisor": duties.city.zhao,
        "unit_admin": duties.city.tiexi_admin,
    }[who]
    before = _state()
    with pytest.raises(NotAllowed, match="Only the security administrator"):
        services.duty_grant(actor=actor, person=duties.city.wang, duty=Duty.SECURITY)
    with pytest.raises(NotAllowed):
        services.duty_revoke(actor=actor, person=duties.audit)
    assert _state() == before


def test_nobody_grants_or_revokes_their_own_duty(duties):
    before = _state()
    with pytest.raises(NotAllowed, match="their own"):
        services.duty_revoke(actor=duties.security, person=duties.security)
    with pytest.raises(NotAllowed, match="their own"):
        services.duty_grant(actor=duties.security, person=duties.security, duty=Duty.AUDIT)
    assert _state() == before


def test_the_database_refuses_a_self_grant_too(duties):
    wang = duties.city.wang
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyGrant.objects.create(user=wang, duty=Duty.AUDIT, granted_by=wang, granted_at=timezone.now())


def test_the_duties_are_mutually_exclusive(duties):
    before = _state()
    with pytest.raises(ValidationFailed, match="three different people"):
        services.duty_grant(actor=duties.security, person=duties.audit, duty=Duty.SYSTEM)
    with pytest.raises(ValidationFailed, match="already the Audit administrator"):
        services.duty_grant(actor=duties.security, person=duties.audit, duty=Duty.AUDIT)
    assert _state() == before
    # And the database keeps one active duty per person whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyGrant.objects.create(user=duties.audit, duty=Duty.SYSTEM, granted_at=timezone.now())


@pytest.mark.parametrize("duty", [Duty.SECURITY, Duty.AUDIT])
def test_a_system_administrator_by_post_or_flag_cannot_take_the_other_duties(duties, duty):
    root = User.objects.create_superuser("root", password="Root-pass-2026")
    before = _state()
    with pytest.raises(ValidationFailed, match="superuser"):
        services.duty_grant(actor=duties.security, person=root, duty=duty)
    with pytest.raises(ValidationFailed, match="administers a unit"):
        services.duty_grant(actor=duties.security, person=duties.city.tiexi_admin, duty=duty)
    assert _state() == before


def test_revoking_then_granting_another_duty(duties):
    services.duty_revoke(actor=duties.security, person=duties.audit, reason="调岗")
    assert not policy.holds(fresh(duties.audit), Duty.AUDIT)
    assert AuditEvent.objects.order_by("-seq").first().action == "duty.revoke"
    with pytest.raises(ValidationFailed, match="holds no duty"):
        services.duty_revoke(actor=duties.security, person=duties.audit)
    services.duty_grant(actor=duties.security, person=duties.audit, duty=Duty.SYSTEM)
    assert policy.duty_of(fresh(duties.audit)) == Duty.SYSTEM
    history = DutyGrant.objects.filter(user=duties.audit).order_by("pk")
    assert [(g.duty, g.revoked_by) for g in history] == [(Duty.AUDIT, duties.security), (Duty.SYSTEM, None)]


def test_a_deactivated_person_gets_no_duty(duties):
    orgs.person_update(actor=duties.system, person=duties.city.wang, version=None, is_active=False)
    with pytest.raises(ValidationFailed, match="deactivated"):
        services.duty_grant(actor=duties.security, person=fresh(duties.city.wang), duty=Duty.AUDIT)


# --- what each duty may do (luoshi.access.policy) -------------------------------------------------


def test_only_the_audit_administrator_reads_the_whole_trail(duties):
    from luoshi.audit.models import AuditEvent

    root = User.objects.create_superuser("root", password="Root-pass-2026")
    everyone = AuditEvent.objects.count()
    assert visible(fresh(duties.audit), AuditEvent.objects.all()).count() == everyone
    for person in (duties.system, duties.security, root, duties.city.zhao, duties.city.tiexi_admin):
        assert not policy.can_view_audit(person)
        assert visible(person, AuditEvent.objects.all()).count() == 0


def test_the_system_administrator_administers_the_whole_tree(duties):
    # A person holding the system duty but only a handler's post in a street.
    services.duty_revoke(actor=duties.security, person=duties.system)
    services.duty_grant(actor=duties.security, person=duties.city.chen, duty=Duty.SYSTEM)
    chen = fresh(duties.city.chen)
    assert any(s.role == Role.ADMIN and s.path == duties.city.government.path for s in scopes_of(chen))
    assert can(chen, Action.ADD_CHILD, duties.city.government)
    assert can(chen, Action.MANAGE_PEOPLE, duties.city.tiedong_street)
    assert can(chen, Action.CHANGE, fresh(duties.city.sun))
    assert not policy.can_view_audit(chen)
    assert not policy.can_manage_duties(chen)


def test_an_administrator_post_gives_a_security_or_audit_administrator_nothing(duties):
    # The system administrator adds an administrator post to the audit administrator after the grant.
    orgs.person_update(
        actor=duties.system,
        person=duties.audit,
        version=None,
        memberships=[(duties.city.tiexi, Role.ADMIN, "")],
    )
    audit = fresh(duties.audit)
    assert not [s for s in scopes_of(audit) if s.role == Role.ADMIN]
    assert not can(audit, Action.CHANGE, duties.city.tiexi_street)
    assert not can(audit, Action.MANAGE_PEOPLE, duties.city.tiexi)


def test_the_security_administrator_sees_every_account_but_administers_no_unit(duties):
    security = duties.security
    assert visible(security, User.objects.all()).count() == User.objects.count()
    assert policy.can_manage_account_security(security, duties.city.sun)
    assert not policy.can_manage_account_security(security, security)
    assert not can(security, Action.MANAGE_PEOPLE, duties.city.government)
    assert not can(security, Action.ADD_CHILD, Organization.objects.get(pk=duties.city.tiexi.pk))


def test_nobody_manages_their_own_posts(duties):
    root = User.objects.create_superuser("root", password="Root-pass-2026")
    for person in (root, duties.system, duties.city.tiexi_admin):
        assert not policy.can_manage_person(person, person)
        with pytest.raises(NotAllowed, match="their own"):
            policy.require_person_manager(person, person)
    assert policy.can_manage_person(duties.city.tiexi_admin, fresh(duties.city.wang))
