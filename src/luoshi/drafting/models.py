"""Drafting help (DESIGN §3): drafts of a directive's clauses being corrected before they are created, and
the keywords that suggest focus areas."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.directives.models import Directive, FocusArea


class FocusKeyword(models.Model):
    """A word or phrase (in any language) that suggests ``area`` for a drafted clause.

    Kept beside the area's own ``keywords`` so that administrators can tune suggestions (e.g. add
    English words) without touching the taxonomy itself.
    """

    area = models.ForeignKey(
        FocusArea, on_delete=models.CASCADE, related_name="drafting_keywords", verbose_name=_("focus area")
    )
    phrase = models.CharField(_("keyword"), max_length=60)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("focus keyword")
        verbose_name_plural = _("focus keywords")
        ordering = ["area", "phrase"]
        constraints = [models.UniqueConstraint(fields=["area", "phrase"], name="focus_keyword_unique")]

    def __str__(self) -> str:
        return f"{self.area} · {self.phrase}"


class DraftStatus(models.TextChoices):
    OPEN = "open", _("Being corrected")
    CONFIRMED = "confirmed", _("Confirmed")


class Draft(models.Model):
    """A directive's text and the clauses proposed from it, as its author corrects them.

    ``proposal`` holds ``headings``, ``clauses`` (each with its text, span, kind, heading, focus area,
    lead units, due date or cadence, and whether to create it) and ``context`` sentences. Nothing in the
    ledger changes until the draft is confirmed; then its clauses (and, if asked, tasks) are created.
    """

    directive = models.ForeignKey(
        Directive,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="drafts",
        verbose_name=_("directive"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("author")
    )
    source_name = models.CharField(_("file"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8)
    proposal = models.JSONField(_("proposal"), default=dict)
    status = models.CharField(
        _("status"), max_length=16, choices=DraftStatus.choices, default=DraftStatus.OPEN
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["created_by", "status"], name="draft_author_idx")]

    def __str__(self) -> str:
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        return first[:60]
