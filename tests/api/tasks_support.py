"""Shared set-up for the task-loop API tests: a frozen date, a private file store, a city directive with a
clause, tasks made through the services (as people make them), and what a refusal must leave alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from luoshi.audit.models import AuditEvent
from luoshi.directives import services as directives
from luoshi.directives.models import Clause, Directive, DirectiveKind, DirectiveLevel
from luoshi.evidence.models import EvidenceFile
from luoshi.notifications.models import Notification
from luoshi.organizations.models import Organization
from luoshi.tasks import services, workflow
from luoshi.tasks.models import (
    CompletionRequest,
    ExtensionRequest,
    ProgressReport,
    SendBack,
    Task,
    TaskTransfer,
)
from tests.api.conftest import ApiClient
from tests.conftest import City
from tests.evidence import samples

# A Friday with no holiday nearby, as in the task domain's own tests.
TODAY = date(2024, 3, 1)
DUE = date(2024, 6, 28)
TASKS = "/api/v1/tasks"


def task_url(task: Task | int, action: str = "") -> str:
    pk = task if isinstance(task, int) else task.pk
    return f"{TASKS}/{pk}" + (f"/{action}" if action else "")


def make_directive(
    city: City, *, title: str = "市政府常务会议纪要", doc_number: str = "鞍政办发[2024]3号"
) -> Directive:
    return directives.directive_create(
        actor=city.zhao,
        issuing_org=city.government,
        title=title,
        level=DirectiveLevel.MUNICIPAL,
        kind=DirectiveKind.MEETING,
        issued_on=date(2024, 2, 20),
        doc_number=doc_number,
    )


def make_clause(
    city: City, directive: Directive, text: str = "加快推进城市更新，完成老旧小区改造。"
) -> Clause:
    return directives.clause_add(actor=city.zhao, directive=directive, text=text)


def city_task(
    city: City,
    clause: Clause,
    *,
    lead: Organization | None = None,
    title: str = "推进老旧小区改造",
    due: date = DUE,
    acknowledged: bool = False,
    **kwargs: Any,
) -> Task:
    """A task from ``clause``, registered by the city for 铁西区 (or ``lead``) and assigned; acknowledged by
    Wang when ``acknowledged``."""
    task = services.task_create(
        actor=city.zhao,
        assigning_org=city.government,
        lead_org=lead or city.tiexi,
        title=title,
        due_on=due,
        clause=clause,
        **kwargs,
    )
    task = workflow.task_assign(actor=city.zhao, task=task, version=task.version)
    if acknowledged:
        task = workflow.task_acknowledge(actor=city.wang, task=task, version=task.version)
    return task


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def png(name: str = "现场照片.png") -> SimpleUploadedFile:
    # The browser's claimed type is deliberately wrong: the evidence store recognises files by content.
    return SimpleUploadedFile(name, samples.png(), content_type="text/plain")


def multipart(client: ApiClient, path: str, data: dict[str, Any], files: Sequence[Any] = ()) -> Any:
    """POST ``data`` and ``files`` as ``multipart/form-data``, the way a browser form or script uploads."""
    body = {key: value for key, value in data.items() if value is not None}
    if files:
        body["files"] = list(files)
    return client.client.post(path, body)


def loop_rows() -> tuple[Any, ...]:
    """Everything a refused request on a task must leave alone."""
    return (
        list(Task.objects.order_by("pk").values()),
        list(ProgressReport.objects.order_by("pk").values()),
        list(ExtensionRequest.objects.order_by("pk").values()),
        list(CompletionRequest.objects.order_by("pk").values()),
        list(TaskTransfer.objects.order_by("pk").values()),
        list(SendBack.objects.order_by("pk").values()),
        EvidenceFile.objects.count(),
        Notification.objects.count(),
        # Making a persona's client issues a token, which is audited too; that is not the request's doing.
        AuditEvent.objects.exclude(action__startswith="api_token.").count(),
    )
