"""Sign-in security use cases: enrolling and checking a second factor, changing passwords, ending sessions.

Every function is one use case, atomic where it writes, and audited. None takes a request: the views pass
session keys, and the request id and address reach the audit trail through ``luoshi.core.context``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.models import Device

from luoshi.access import policy
from luoshi.accounts.models import (
    LiveSession,
    RecoveryCode,
    RecoveryDevice,
    TotpDevice,
    hash_recovery_code,
)
from luoshi.audit import services as audit
from luoshi.core.errors import NotAllowed, NotFound, ValidationFailed
from luoshi.organizations.models import User

# Why a session ended, as the audit trail records it.
END_LOGOUT = "logout"
END_IDLE = "idle"
END_LIFETIME = "lifetime"
END_BY_PERSON = "ended_by_person"
END_BY_ADMIN = "ended_by_admin"
END_EVERYONE = "ended_for_everyone"
END_DEACTIVATED = "deactivated"
END_PASSWORD = "password_changed"  # noqa: S105 - a reason, not a password
END_SECOND_FACTOR = "second_factor_changed"
END_UNKNOWN = "ended_elsewhere"

# Recovery codes: ten characters from an alphabet without look-alikes (no 0/O, 1/I/L), ~50 bits each.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 10


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def _delete_stored_session(session_key: str) -> None:
    """Through the SessionStore, so that the cached copy (``cached_db``) goes with the database row."""
    _session_store()(session_key=session_key).delete()


def _person(user: Any) -> User:
    return user if isinstance(user, User) else User.objects.get(pk=user.pk)


# --- live sessions --------------------------------------------------------------------------------


def session_started(*, user: Any, session_key: str, ip: str, user_agent: str) -> LiveSession:
    """Remember a new signed-in session (called on every sign-in), and forget the person's dead ones."""
    stale = [row.pk for row in LiveSession.objects.of(user) if not _session_store()().exists(row.session_key)]
    if stale:
        LiveSession.objects.filter(pk__in=stale).delete()
    now = timezone.now()
    row, _created = LiveSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "ip": ip or None,
            "user_agent": user_agent[:300],
        },
    )
    return row


def session_rekeyed(*, old_key: str | None, new_key: str | None) -> None:
    """The session got a new key (after the second step or a password change): follow it."""
    if old_key and new_key and old_key != new_key:
        LiveSession.objects.filter(session_key=old_key).update(session_key=new_key)


def session_seen(*, session_key: str, ip: str) -> bool:
    """Refresh a session's last activity; False if its row is gone, i.e. it was ended elsewhere."""
    return bool(
        LiveSession.objects.filter(session_key=session_key).update(last_seen_at=timezone.now(), ip=ip or None)
    )


@transaction.atomic
def session_ended(*, user: Any, session_key: str | None, reason: str) -> None:
    """The session ``session_key`` of ``user`` ends here (sign-out, idle, too old): forget it, audit it.

    The caller flushes the session itself (``django.contrib.auth.logout``).
    """
    if session_key:
        LiveSession.objects.filter(session_key=session_key).delete()
    action = "auth.logout" if reason == END_LOGOUT else "auth.session_end"
    audit.record(actor=user, action=action, obj=_person(user), changes={"reason": reason})


def _end_sessions(*, person: Any, reason: str, except_key: str | None = None) -> int:
    rows = list(LiveSession.objects.of(person).exclude(session_key=except_key or ""))
    for row in rows:
        _delete_stored_session(row.session_key)
    LiveSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)


@transaction.atomic
def session_end(*, user: Any, session_id: int, current_key: str | None) -> None:
    """A person ends one of their own other sessions (the security page)."""
    row = LiveSession.objects.of(user).filter(pk=session_id).exclude(session_key=current_key or "").first()
    if row is None:
        raise ValidationFailed(_("That session has already ended."))
    _delete_stored_session(row.session_key)
    row.delete()
    audit.record(
        actor=user,
        action="auth.session_end",
        obj=_person(user),
        changes={"reason": END_BY_PERSON, "count": 1, "started": row.created_at, "ip": row.ip or ""},
    )


@transaction.atomic
def sessions_end_others(*, user: Any, current_key: str | None) -> int:
    """A person ends all their sessions but the one they are using."""
    count = _end_sessions(person=user, reason=END_BY_PERSON, except_key=current_key)
    audit.record(
        actor=user,
        action="auth.session_end",
        obj=_person(user),
        changes={"reason": END_BY_PERSON, "count": count},
    )
    return count


def _require_manager(actor: Any, person: User) -> None:
    """Separation of duties: resetting another person's second factor or ending their sessions is the
    security administrator's (``policy.can_manage_account_security``); people manage their own sign-in
    on their account security page."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_("You are not allowed to do this."))
    if actor.pk == person.pk:
        raise NotAllowed(_("Manage your own sign-in on your account security page."))
    if not policy.can_manage_account_security(actor, person):
        raise NotAllowed(_("Only the security administrator manages other people's sign-in."))


def may_manage(actor: Any, person: User) -> bool:
    try:
        _require_manager(actor, person)
    except (NotAllowed, NotFound):
        return False
    return True


@transaction.atomic
def person_sessions_end(*, actor: Any, person: User, current_key: str | None = None) -> int:
    """An administrator signs ``person`` out everywhere, at once."""
    _require_manager(actor, person)
    count = _end_sessions(person=person, reason=END_BY_ADMIN, except_key=current_key)
    audit.record(
        actor=actor, action="auth.session_end", obj=person, changes={"reason": END_BY_ADMIN, "count": count}
    )
    return count


@transaction.atomic
def sessions_end_everyone(*, actor: Any, current_key: str | None) -> int:
    """The security administrator signs everybody out (e.g. after a suspected breach), keeping only their
    own session.

    Every stored session goes, tracked or not, each through the SessionStore so cached copies go too.
    """
    if actor is None or not policy.can_manage_duties(actor):
        raise NotAllowed(_("Only the security administrator manages other people's sign-in."))
    keys = list(Session.objects.exclude(session_key=current_key or "").values_list("session_key", flat=True))
    for key in keys:
        _delete_stored_session(key)
    ended = LiveSession.objects.exclude(session_key=current_key or "").delete()[0]
    audit.record(
        actor=actor,
        action="auth.session_end_all",
        object_type="sessions",
        object_repr=_("All sessions"),
        changes={"reason": END_EVERYONE, "count": ended, "stored": len(keys)},
    )
    return ended


def sessions_end_deactivated(*, actor: Any, person: User) -> int:
    """A person was deactivated: their sessions end now (called by ``organizations.services``)."""
    count = _end_sessions(person=person, reason=END_DEACTIVATED)
    audit.record(
        actor=actor,
        action="auth.session_end",
        obj=person,
        changes={"reason": END_DEACTIVATED, "count": count},
    )
    return count


# --- second factor --------------------------------------------------------------------------------


@transaction.atomic
def totp_enrol_start(*, user: Any) -> TotpDevice:
    """A new seed for the person to scan; it guards nothing until ``totp_enrol_confirm``.

    A pending seed from an earlier visit is replaced, so a seed photographed over someone's shoulder but
    never confirmed stops mattering.
    """
    TotpDevice.objects.filter(user=user, confirmed=False).delete()
    return TotpDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def pending_totp(user: Any) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def _new_recovery_codes(user: Any) -> list[str]:
    RecoveryDevice.objects.filter(user=user).delete()
    device = RecoveryDevice.objects.create(user=user, name=_("Recovery codes"), confirmed=True)
    codes: list[str] = []
    while len(codes) < settings.LUOSHI_RECOVERY_CODES:
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        code = f"{raw[:5]}-{raw[5:]}"
        if code not in codes:
            codes.append(code)
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=hash_recovery_code(c)) for c in codes
    )
    return codes


def totp_enrol_confirm(*, user: Any, device_id: int, code: str, current_key: str | None) -> list[str]:
    """Confirm the pending seed with a code from the app; returns the new recovery codes (shown once).

    The new app replaces any earlier one, earlier recovery codes stop working, and the person's other
    sessions end: they were signed in without this factor.
    """
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        )
        if device is None:
            raise ValidationFailed(_("This set-up has expired. Start again."))
        accepted = device.verify_token(code)
        if not accepted:
            audit.record(
                actor=user,
                action="auth.second_factor_failed",
                obj=_person(user),
                changes={"method": "totp", "stage": "enrolment"},
            )
    if not accepted:
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={
                "code": [_("That code is not right. Check the time on your phone and try the next code.")]
            },
        )
    with transaction.atomic():
        replaced = TotpDevice.objects.filter(user=user, confirmed=True).delete()[0]
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        ended = _end_sessions(person=user, reason=END_SECOND_FACTOR, except_key=current_key)
        audit.record(
            actor=user,
            action="auth.second_factor_enrolled",
            obj=_person(user),
            changes={"replaced": bool(replaced), "recovery_codes": len(codes), "sessions_ended": ended},
        )
    return codes


@transaction.atomic
def recovery_codes_renew(*, user: Any) -> list[str]:
    """A fresh sheet of recovery codes; the old ones stop working."""
    if not TotpDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationFailed(_("Set up an authenticator app first."))
    codes = _new_recovery_codes(user)
    audit.record(
        actor=user, action="auth.recovery_codes_renewed", obj=_person(user), changes={"count": len(codes)}
    )
    return codes


@dataclass(frozen=True)
class SecondStep:
    """The outcome of a second-step attempt: the device that accepted it, or when to try again."""

    device: Device | None
    method: str
    retry_at: datetime | None = None
    recovery_codes_left: int | None = None


def looks_like_totp(code: str) -> bool:
    text = code.strip().replace(" ", "")
    return len(text) == 6 and text.isdigit()


def second_step_verify(*, user: Any, code: str) -> SecondStep:
    """Check a code from the authenticator app, or a recovery code, for ``user``; audited either way.

    Each code works once: a TOTP code is refused at or before the last accepted time step, a recovery code
    is marked used by the same update that accepts it. Wrong codes throttle further tries.
    """
    method = "totp" if looks_like_totp(code) else "recovery"
    model: type[TotpDevice] | type[RecoveryDevice] = TotpDevice if method == "totp" else RecoveryDevice
    retry_at = None
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        accepted = False
        if device is not None:
            allowed, details = device.verify_is_allowed()
            if allowed:
                accepted = device.verify_token(code)
            else:
                retry_at = (details or {}).get("locked_until")
        left = device.remaining() if accepted and isinstance(device, RecoveryDevice) else None
        if accepted:
            audit.record(
                actor=user, action="auth.second_factor", obj=_person(user), changes={"method": method}
            )
            if left is not None:
                audit.record(
                    actor=user,
                    action="auth.recovery_code_used",
                    obj=_person(user),
                    changes={"remaining": left},
                )
        else:
            failures = device.throttling_failure_count if device is not None else 0
            audit.record(
                actor=user,
                action="auth.second_factor_failed",
                obj=_person(user),
                changes={"method": method, "failures": failures, "throttled": retry_at is not None},
            )
    return SecondStep(
        device=device if accepted else None, method=method, retry_at=retry_at, recovery_codes_left=left
    )


def _reset_second_factor(*, actor: Any, person: User) -> int:
    removed = TotpDevice.objects.filter(user=person).delete()[0]
    RecoveryDevice.objects.filter(user=person).delete()
    ended = _end_sessions(person=person, reason=END_SECOND_FACTOR)
    audit.record(
        actor=actor,
        action="auth.second_factor_reset",
        obj=person,
        changes={"devices": removed, "sessions_ended": ended},
    )
    return removed


@transaction.atomic
def second_factor_reset(*, actor: Any, person: User) -> None:
    """An administrator removes a person's authenticator app and recovery codes (a lost phone).

    The person is signed out everywhere and sets up a new app at their next sign-in (or signs in with
    the password alone where the second factor is optional).
    """
    _require_manager(actor, person)
    _reset_second_factor(actor=actor, person=person)


@transaction.atomic
def second_factor_reset_by_operator(*, person: User) -> None:
    """The same, from the server's command line, for when no administrator can sign in any more."""
    _reset_second_factor(actor=None, person=person)


# --- passwords ------------------------------------------------------------------------------------


def password_change(*, user: Any, old_password: str, new_password: str, current_key: str | None) -> None:
    """A person changes their own password; their other sessions end.

    Refused, with nothing changed, if the current password is wrong or the new one breaks the policy.
    """
    person = _person(user)
    if not person.check_password(old_password):
        with transaction.atomic():
            audit.record(
                actor=person,
                action="auth.password_change_failed",
                obj=person,
                changes={"reason": "wrong_password"},
            )
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"old_password": [_("Your current password is wrong.")]},
        )
    if check_password(new_password, person.password):
        raise ValidationFailed(
            _("Please correct the marked fields."),
            fields={"new_password": [_("The new password must differ from the current one.")]},
        )
    try:
        validate_password(new_password, person)
    except ValidationError as exc:
        raise ValidationFailed(
            _("Please correct the marked fields."), fields={"new_password": exc.messages}
        ) from exc
    with transaction.atomic():
        person.set_password(new_password)
        # Read by PasswordHistoryValidator.password_changed, which Django calls from save().
        person._luoshi_password_by_owner = True  # type: ignore[attr-defined]
        person.save(update_fields=["password"])
        ended = _end_sessions(person=person, reason=END_PASSWORD, except_key=current_key)
        audit.record(
            actor=person, action="auth.password_changed", obj=person, changes={"sessions_ended": ended}
        )
    user.password = person.password
