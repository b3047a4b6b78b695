"""Evidence files (佐证材料) attached to tasks, progress reports and completion requests (DESIGN §4, §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.tasks.models import CompletionRequest, ProgressReport, Task


class EvidenceFile(models.Model):
    """A file that shows work was done: a photo of the site, a signed document, a spreadsheet of figures.

    It belongs to a task, and to at most one of the task's progress reports or completion requests (or to
    neither, when it supports the task as a whole). The bytes live in the ``"evidence"`` storage under
    ``stored_name``, a random name that says nothing about the file; ``original_name`` is the uploader's
    name, cleaned, kept for display and for the download. ``content_type`` was recognised from the bytes
    themselves, never taken from the browser or the name. Rows are only inserted after their file is
    safely written, and never deleted: evidence is part of the record.
    """

    task = models.ForeignKey(
        Task, on_delete=models.PROTECT, related_name="evidence_files", verbose_name=_("task")
    )
    report = models.ForeignKey(
        ProgressReport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_files",
        verbose_name=_("progress report"),
    )
    completion_request = models.ForeignKey(
        CompletionRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_files",
        verbose_name=_("completion request"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    original_name = models.CharField(_("file name"), max_length=255)
    # The path inside the evidence storage: "ab/cd/abcd….ext", 128 random bits and the sniffed extension.
    stored_name = models.CharField(_("stored name"), max_length=100, unique=True, editable=False)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(report__isnull=True) | Q(completion_request__isnull=True),
                name="evidence_at_most_one_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name
