"""Reads about a person's sign-in: second factor, password age, live sessions."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.utils import timezone

from luoshi.accounts.models import LiveSession, PasswordRecord, RecoveryDevice, TotpDevice


def two_factor_required() -> bool:
    return settings.LUOSHI_TWO_FACTOR == "required"


def totp_device(user: Any) -> TotpDevice | None:
    """The person's confirmed authenticator app, if any."""
    return TotpDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user: Any) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_device(user: Any) -> RecoveryDevice | None:
    return RecoveryDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: Any) -> int:
    device = recovery_device(user)
    return device.remaining() if device else 0


def password_changed_at(user: Any) -> datetime:
    """When the current password was set; people from before the history table count from joining."""
    latest = PasswordRecord.objects.filter(user=user).values_list("changed_at", flat=True).first()
    return latest or user.date_joined


def password_expires_at(user: Any, changed_at: datetime | None = None) -> datetime | None:
    """When the password must be changed (None: the policy sets no expiry, or there is no password)."""
    days = int(settings.LUOSHI_PASSWORD["max_age_days"])
    if days <= 0 or not user.has_usable_password():
        return None
    return (changed_at or password_changed_at(user)) + timedelta(days=days)


def password_set_by_someone_else(user: Any) -> bool:
    """Whether the current password was set by an administrator (or with the account), not its owner."""
    latest = PasswordRecord.objects.filter(user=user).values_list("by_owner", flat=True).first()
    return latest is False


def password_expired(user: Any) -> bool:
    """Whether the password must be changed before anything else: past its age, or (where the policy
    says so) set by someone other than its owner."""
    if (
        settings.LUOSHI_PASSWORD.get("change_after_reset")
        and user.has_usable_password()
        and password_set_by_someone_else(user)
    ):
        return True
    expires = password_expires_at(user)
    return expires is not None and expires <= timezone.now()


def session_exists(session_key: str) -> bool:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return bool(store().exists(session_key))


def sessions_of(user: Any) -> list[LiveSession]:
    """The person's sessions still alive in the session store, newest activity first.

    Rows of sessions that died on their own (expired, or flushed because the password changed elsewhere)
    are skipped here and deleted at the person's next sign-in (``services.session_started``).
    """
    return [row for row in LiveSession.objects.of(user) if session_exists(row.session_key)]
