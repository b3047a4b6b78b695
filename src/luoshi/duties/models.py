"""The three installation-wide duties and who holds them (separation of duties, 三权分立)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Duty(models.TextChoices):
    """Three powers that GB/T 22239-2019 level 3 asks to keep in three different hands.

    - System administrator: the organisation tree, people and their posts, and installation-wide settings
      such as the escalation ladder and notification channels.
    - Security administrator: grants and revokes duties, resets accounts and second factors, ends
      sessions, unlocks accounts.
    - Audit administrator: reads the full audit trail, verifies it and signs checkpoints.
    """

    SYSTEM = "system", _("System administrator")
    SECURITY = "security", _("Security administrator")
    AUDIT = "audit", _("Audit administrator")


class DutyGrantQuerySet(models.QuerySet["DutyGrant"]):
    def active(self) -> DutyGrantQuerySet:
        return self.filter(revoked_at__isnull=True)


class DutyGrant(models.Model):
    """One person holding one duty, from its grant until its revocation.

    Rows are never deleted: a revoked grant keeps who revoked it and when, so the record of who held which
    power stays whole (the audit trail has the same story as events). The database refuses a second
    active grant for one person (the duties are mutually exclusive) and a grant or revocation by the
    person themselves; ``luoshi.duties.services`` explains both in words before the database has to.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="duty_grants",
        verbose_name=_("person"),
    )
    duty = models.CharField(_("duty"), max_length=16, choices=Duty.choices)
    # Null when granted from the server's command line (``luoshi createadmin --duty``, ``luoshi duties``),
    # which is how an installation gets its first security administrator.
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects: ClassVar[DutyGrantQuerySet] = DutyGrantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("duty grant")
        verbose_name_plural = _("duty grants")
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="duty_one_active_per_person"
            ),
            # SQL treats a comparison with NULL as passing, so grants from the command line are allowed.
            models.CheckConstraint(condition=~Q(granted_by=F("user")), name="duty_not_granted_to_self"),
            models.CheckConstraint(condition=~Q(revoked_by=F("user")), name="duty_not_revoked_by_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_duty_display()}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
