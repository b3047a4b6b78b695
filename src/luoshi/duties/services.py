"""Granting and revoking duties. Each function is one use case: atomic, validated, audited.

``actor`` None (or a string naming the command) means the server's command line: whoever runs
``luoshi createadmin --duty`` or ``luoshi duties`` already controls the installation, and that is how the
first security administrator comes to exist. In the app, only a security administrator grants or revokes,
and never for themselves.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.access import policy
from luoshi.audit import services as audit
from luoshi.core.errors import NotAllowed, ValidationFailed
from luoshi.duties.models import Duty, DutyGrant
from luoshi.organizations.models import Membership, Role, User

# Duties that must not meet the system administrator's powers in one person.
GUARDED_DUTIES = frozenset({Duty.SECURITY, Duty.AUDIT})


def _user_actor(actor: Any) -> User | None:
    """The signed-in person behind ``actor``, or None for the command line."""
    return actor if isinstance(actor, User) else None


def _check_actor(actor: Any, person: User) -> None:
    who = _user_actor(actor)
    if who is None:
        return
    if who.pk == person.pk:
        raise NotAllowed(_("Nobody may grant or revoke their own duty."))
    if not policy.can_manage_duties(who):
        raise NotAllowed(_("Only the security administrator grants and revokes duties."))


@transaction.atomic
def duty_grant(*, actor: Any, person: User, duty: str, reason: str = "") -> DutyGrant:
    """Give ``person`` one of the three duties.

    Refused when the person already holds a duty (the three are mutually exclusive), is not active, or,
    for the security and audit duties, holds the system administrator's powers through a superuser flag
    or an administrator post.
    """
    if duty not in Duty.values:
        raise ValidationFailed(_("Please correct the marked fields."), fields={"duty": [_("Unknown duty.")]})
    # Locking the person serializes grants to them, so two at once cannot both pass the checks below.
    locked = User.objects.select_for_update().get(pk=person.pk)
    _check_actor(actor, locked)
    if not locked.is_active:
        raise ValidationFailed(
            _("%(name)s's account is deactivated; activate it before granting a duty.") % {"name": locked},
            fields={"person": [_("This account is deactivated.")]},
        )
    current = DutyGrant.objects.active().filter(user=locked).first()
    if current is not None:
        message = (
            _("%(name)s is already the %(duty)s.")
            if current.duty == duty
            else _(
                "%(name)s is the %(duty)s. The three duties are held by three different people: revoke "
                "that duty first."
            )
        )
        raise ValidationFailed(
            message % {"name": locked, "duty": current.get_duty_display()},
            fields={"duty": [_("One person holds at most one duty.")]},
        )
    if duty in GUARDED_DUTIES:
        if locked.is_superuser:
            raise ValidationFailed(
                _("%(name)s is a superuser, which makes them the system administrator.") % {"name": locked},
                fields={"duty": [_("A system administrator cannot hold this duty.")]},
            )
        if Membership.objects.filter(user=locked, role=Role.ADMIN).exists():
            raise ValidationFailed(
                _(
                    "%(name)s administers a unit, which is the system administrator's work; remove that "
                    "post first."
                )
                % {"name": locked},
                fields={"duty": [_("A unit administrator cannot hold this duty.")]},
            )
    grant = DutyGrant(
        user=locked,
        duty=duty,
        granted_by=_user_actor(actor),
        granted_at=timezone.now(),
        reason=reason.strip()[:200],
    )
    try:
        # A savepoint, so a refusal by the database leaves the caller's transaction usable.
        with transaction.atomic():
            grant.save()
    except IntegrityError as exc:
        raise ValidationFailed(
            _("%(name)s already holds a duty.") % {"name": locked},
            fields={"duty": [_("One person holds at most one duty.")]},
        ) from exc
    audit.record(
        actor=actor,
        action="duty.grant",
        obj=locked,
        changes={"duty": duty, "grant": grant.pk, "reason": grant.reason},
    )
    policy.forget(person)
    return grant


@transaction.atomic
def duty_revoke(*, actor: Any, person: User, reason: str = "") -> DutyGrant:
    """End the duty ``person`` holds; refused when they hold none."""
    locked = User.objects.select_for_update().get(pk=person.pk)
    _check_actor(actor, locked)
    grant = DutyGrant.objects.active().select_for_update().filter(user=locked).first()
    if grant is None:
        raise ValidationFailed(
            _("%(name)s holds no duty.") % {"name": locked},
            fields={"duty": [_("There is no duty to revoke.")]},
        )
    grant.revoked_by = _user_actor(actor)
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_by", "revoked_at"])
    audit.record(
        actor=actor,
        action="duty.revoke",
        obj=locked,
        changes={"duty": grant.duty, "grant": grant.pk, "reason": reason.strip()[:200]},
    )
    policy.forget(person)
    return grant
