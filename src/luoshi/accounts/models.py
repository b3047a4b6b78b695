"""Second-factor devices, recovery codes, password history and the live sessions of each person."""

from __future__ import annotations

import hashlib
import secrets
import time
from binascii import unhexlify
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from luoshi.core.fields import EncryptedTextField

# RFC 6238 as every authenticator app implements it: SHA-1, 30-second steps, six digits.
TOTP_STEP = 30
TOTP_DIGITS = 6
# One step either side absorbs clock drift between the phone and the server (a code lives ~90 s).
TOTP_TOLERANCE = 1
SEED_BYTES = 20


def new_seed() -> str:
    """A random 160-bit seed, hex-encoded (RFC 4226 recommends 160 bits)."""
    return secrets.token_hex(SEED_BYTES)


class TotpDevice(TimestampMixin, ThrottlingMixin, Device):
    """A person's authenticator app: the shared seed, encrypted at rest, and the last time step used.

    ``confirmed`` stays false until the person typed a code from the app, so a seed that was shown but
    never set up cannot guard (or lock) the account. A person has at most one confirmed device.
    """

    # Declared again without a reverse accessor: django-otp is untyped, and django-stubs cannot type a
    # related manager on the person for a model built on it.
    user: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    seed: EncryptedTextField = EncryptedTextField(_("seed"), default=new_seed)
    # The time step of the last accepted code: a code is accepted once, and never an older one after it.
    last_t: models.BigIntegerField = models.BigIntegerField(_("last time step used"), default=-1)
    drift: models.SmallIntegerField = models.SmallIntegerField(_("clock drift in steps"), default=0)

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(confirmed=True), name="accounts_one_confirmed_totp_per_user"
            ),
        ]

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.seed.encode())

    def totp(self) -> TOTP:
        clock = TOTP(self.bin_key, TOTP_STEP, 0, TOTP_DIGITS, self.drift)
        clock.time = time.time()
        return clock

    def verify_token(self, token: Any) -> bool:
        """Accept ``token`` once, within the tolerance, and only newer than the last accepted one.

        Wrong codes slow further attempts down (django-otp's exponential back-off,
        ``OTP_TOTP_THROTTLE_FACTOR``): while throttled even the right code is refused, so six digits cannot
        be guessed by brute force.
        """
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        text = str(token).strip().replace(" ", "")
        verified = False
        if len(text) == TOTP_DIGITS and text.isdigit():
            clock = self.totp()
            verified = clock.verify(int(text), TOTP_TOLERANCE, self.last_t + 1)
            if verified:
                self.last_t = clock.t()
                self.drift = clock.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def config_url(self, issuer: str) -> str:
        """The ``otpauth://`` address the QR code carries (Google's Key Uri Format)."""
        from base64 import b32encode
        from urllib.parse import quote, urlencode

        issuer = issuer.replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        params = urlencode(
            {
                "secret": b32encode(self.bin_key).decode(),
                "issuer": issuer,
                "algorithm": "SHA1",
                "digits": TOTP_DIGITS,
                "period": TOTP_STEP,
            },
            quote_via=quote,
        )
        return f"otpauth://totp/{label}?{params}"


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the normalised code.

    A fast hash is enough: each code carries 50 random bits, far beyond guessing, so the slow password
    hashers would only slow down the sign-in page.
    """
    normalised = code.strip().replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(normalised.encode()).hexdigest()


class RecoveryDevice(ThrottlingMixin, Device):
    """The person's sheet of one-time recovery codes, as a django-otp device so it can verify a session."""

    # Without a reverse accessor, as on TotpDevice.
    user: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    created_at: models.DateTimeField = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta(Device.Meta):
        verbose_name = _("recovery code sheet")
        verbose_name_plural = _("recovery code sheets")
        constraints = [
            models.UniqueConstraint(fields=["user"], name="accounts_one_recovery_sheet_per_user"),
        ]

    def verify_token(self, token: Any) -> bool:
        """Accept an unused code once: the update that marks it used is the one that accepts it."""
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        digest = hash_recovery_code(str(token))
        used = self.codes.filter(code_hash=digest, used_at__isnull=True).update(used_at=timezone.now())
        if used:
            self.throttle_reset(commit=True)
            return True
        self.throttle_increment(commit=True)
        return False

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))

    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    """One recovery code, stored only as its hash; ``used_at`` is set the moment it is accepted."""

    device = models.ForeignKey(RecoveryDevice, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(_("code hash"), max_length=64)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["device", "code_hash"], name="accounts_recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.code_hash[:8]}"


class PasswordRecord(models.Model):
    """A password a person had: its hash, to refuse reuse, and when it was set, for the expiry clock.

    Written by ``PasswordHistoryValidator.password_changed``, which Django calls whenever a user with a new
    password is saved, so passwords set by an administrator or a command are remembered too.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_records"
    )
    password_hash = models.CharField(_("password hash"), max_length=256)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    # False when someone else (an administrator, a command) set it.
    by_owner = models.BooleanField(_("set by the person"), default=False)

    class Meta:
        verbose_name = _("previous password")
        verbose_name_plural = _("previous passwords")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["user", "-changed_at"], name="accounts_password_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.changed_at:%Y-%m-%d}"


class LiveSessionQuerySet(models.QuerySet["LiveSession"]):
    def of(self, user: Any) -> LiveSessionQuerySet:
        return self.filter(user=user)


class LiveSession(models.Model):
    """A signed-in browser session, so that it can be listed and ended at once from anywhere.

    The session itself lives in the session store (database plus cache); this row only knows its key.
    A session whose row is gone is treated as ended by ``SessionLifetimeMiddleware``.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_sessions")
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("signed in at"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    objects: ClassVar[LiveSessionQuerySet] = LiveSessionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.created_at:%Y-%m-%d %H:%M}"
