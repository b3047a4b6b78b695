"""Helpers for tests that take a rectification through acceptance: tick every closing criterion."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.organizations.models import User
from luoshi.tasks import closing
from luoshi.tasks.models import ClosingCriterion, Task
from tests.evidence.samples import pdf


def evidence_upload(name: str = "整改佐证.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf("rectified"), content_type="application/pdf")


def meet_all_criteria(actor: User, task: Task) -> None:
    """The lead unit ticks every criterion: one PDF for the first, the same file for the others."""
    first, *rest = list(ClosingCriterion)
    check = closing.closing_check_tick(actor=actor, task=task, criterion=first, files=[evidence_upload()])
    evidence_ids = [e.pk for e in check.evidence_files.all()]
    for criterion in rest:
        closing.closing_check_tick(actor=actor, task=task, criterion=criterion, evidence_ids=evidence_ids)
