"""Password validators that follow ``LUOSHI_PASSWORD`` (the policy chosen by ``LUOSHI_PASSWORD_POLICY``).

They read the setting on every call instead of taking options in ``AUTH_PASSWORD_VALIDATORS``, so one
validator list serves both policies and a test can switch policy with ``override_settings``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def policy() -> dict[str, Any]:
    return dict(settings.LUOSHI_PASSWORD)


def character_classes(password: str) -> int:
    """How many of the four classes (lower case, upper case, digits, other) ``password`` uses."""
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


class PolicyLengthValidator:
    """At least ``min_length`` characters, and at most ``max_length`` (long passphrases are welcome)."""

    def validate(self, password: str, user: Any = None) -> None:
        minimum, maximum = int(policy()["min_length"]), int(policy()["max_length"])
        if len(password) < minimum:
            raise ValidationError(
                ngettext(
                    "This password is too short. It must contain at least %(min_length)d character.",
                    "This password is too short. It must contain at least %(min_length)d characters.",
                    minimum,
                )
                % {"min_length": minimum},
                code="password_too_short",
            )
        if len(password) > maximum:
            raise ValidationError(
                _("This password is too long. It may contain at most %(max_length)d characters.")
                % {"max_length": maximum},
                code="password_too_long",
            )

    def get_help_text(self) -> str:
        minimum = int(policy()["min_length"])
        return ngettext(
            "Your password must contain at least %(min_length)d character.",
            "Your password must contain at least %(min_length)d characters.",
            minimum,
        ) % {"min_length": minimum}


class CharacterClassesValidator:
    """At least ``min_classes`` of lower case, upper case, digits and other characters (0: no rule)."""

    def validate(self, password: str, user: Any = None) -> None:
        needed = int(policy()["min_classes"])
        if needed and character_classes(password) < needed:
            raise ValidationError(
                _(
                    "This password must mix at least %(count)d of: lower-case letters, upper-case letters, "
                    "digits and other characters."
                )
                % {"count": needed},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        needed = int(policy()["min_classes"])
        if not needed:
            return ""
        return _(
            "Use at least %(count)d of: lower-case letters, upper-case letters, digits and other characters."
        ) % {"count": needed}


class PasswordHistoryValidator:
    """Refuses the last ``history`` passwords, and remembers each new one (``password_changed``).

    Django calls ``password_changed`` whenever a user whose password was set is saved, whoever set it,
    which also restarts the expiry clock.
    """

    def validate(self, password: str, user: Any = None) -> None:
        keep = int(policy()["history"])
        if not keep or user is None or user.pk is None:
            return
        from luoshi.accounts.models import PasswordRecord

        recent = PasswordRecord.objects.filter(user=user).values_list("password_hash", flat=True)[:keep]
        hashes = list(recent)
        # The current password counts even when it predates the history table (e.g. the demo's).
        if user.password and user.has_usable_password() and user.password not in hashes:
            hashes.append(user.password)
        if any(check_password(password, stored) for stored in hashes):
            raise ValidationError(
                _("You used this password recently. Choose one that differs from your last %(count)d.")
                % {"count": keep},
                code="password_reused",
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from luoshi.accounts.models import PasswordRecord

        PasswordRecord.objects.create(
            user=user,
            password_hash=user.password,
            by_owner=bool(getattr(user, "_luoshi_password_by_owner", False)),
        )
        # Keep what the history rule needs, and always the latest (it dates the expiry clock).
        keep = max(int(policy()["history"]), 1)
        stale = PasswordRecord.objects.filter(user=user).values_list("pk", flat=True)[keep:]
        PasswordRecord.objects.filter(pk__in=list(stale)).delete()

    def get_help_text(self) -> str:
        keep = int(policy()["history"])
        if not keep:
            return ""
        return ngettext(
            "It must differ from your last %(count)d password.",
            "It must differ from your last %(count)d passwords.",
            keep,
        ) % {"count": keep}
