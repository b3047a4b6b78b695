"""Helpers for the task page tests: the city's directive with a clause, tasks made through the services,
small real evidence files, and a snapshot of everything an action could change."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.audit.models import AuditEvent
from luoshi.directives import services as directives
from luoshi.directives.models import DirectiveKind, DirectiveLevel
from luoshi.evidence.models import EvidenceFile
from luoshi.organizations.models import Role
from luoshi.tasks.models import (
    CompletionRequest,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    SendBack,
    Task,
    TaskTransfer,
)
from tests.conftest import City, make_person
from tests.evidence import samples
from tests.tasks.conftest import TODAY, Desk

__all__ = ["TODAY", "make_desk", "pdf_upload", "png_upload", "snapshot"]


def make_desk(city: City) -> Desk:
    """The tasks tests' desk: the city's meeting decision with one clause, and two more unit heads."""
    directive = directives.directive_create(
        actor=city.zhao,
        issuing_org=city.government,
        title="市政府常务会议纪要",
        level=DirectiveLevel.MUNICIPAL,
        kind=DirectiveKind.MEETING,
        issued_on=date(2024, 2, 20),
        doc_number="鞍政办发[2024]3号",
    )
    clause = directives.clause_add(
        actor=city.zhao, directive=directive, text="加快推进城市更新，完成老旧小区改造。"
    )
    return Desk(
        city=city,
        tiexi_head=make_person("tiexihead", "刘洋", city.tiexi, Role.HEAD),
        street_head=make_person("streethead", "周静", city.tiexi_street, Role.HEAD),
        directive=directive,
        clause=clause,
    )


def png_upload(name: str = "现场照片.png") -> SimpleUploadedFile:
    # The browser's claimed type does not matter: the evidence service recognises the bytes.
    return SimpleUploadedFile(name, samples.png(), content_type="application/octet-stream")


def pdf_upload(name: str = "验收报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, samples.pdf(), content_type="application/octet-stream")


def snapshot() -> dict[str, Any]:
    """Every row an action on a task could write, to show that a refusal changed nothing."""
    return {
        "tasks": list(Task.objects.order_by("pk").values()),
        "reports": ProgressReport.objects.count(),
        "completions": list(CompletionRequest.objects.order_by("pk").values()),
        "extensions": list(ExtensionRequest.objects.order_by("pk").values()),
        "transfers": TaskTransfer.objects.count(),
        "send_backs": SendBack.objects.count(),
        "milestones": list(Milestone.objects.order_by("pk").values()),
        "evidence": EvidenceFile.objects.count(),
        "audit": AuditEvent.objects.count(),
    }
