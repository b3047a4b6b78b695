"""Uploads seen by an attacker: names that try to escape or impersonate, types that would run in the
browser, polyglots, too many files in one request, and rows whose recorded type cannot be trusted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from luoshi.evidence import filetypes, services
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.storage import evidence_storage
from luoshi.tasks.models import ProgressReport, Task
from tests.conftest import City
from tests.evidence import samples
from tests.evidence.conftest import stored_files, upload

STORED_NAME = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{32}\.[a-z0-9]{1,5}$")
# A GIF header followed by markup: a browser that guessed the type from the body would run the script.
GIF_HTML_POLYGLOT = (
    b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/<html><script>alert(document.cookie)</script></html>"
)


def signed_in(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "name",
    ["../../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "/etc/cron.d/x.pdf", "报告\u202efdp.exe", "CON.pdf"],
)
def test_stored_names_are_random_whatever_the_uploaded_name(
    city: City, task: Task, report: ProgressReport, evidence_dir: Path, name: str
) -> None:
    (row,) = services.evidence_attach(
        actor=city.wang, task=task, report=report, files=[upload(name, samples.pdf())]
    )
    assert STORED_NAME.match(row.stored_name), row.stored_name
    assert row.stored_name.endswith(".pdf")
    # Written inside the store, and nowhere else.
    assert [p.relative_to(evidence_dir).as_posix() for p in stored_files(evidence_dir)] == [row.stored_name]
    assert "/" not in row.original_name
    assert "\\" not in row.original_name
    assert "\u202e" not in row.original_name


def test_the_same_file_twice_gets_two_names(city: City, task: Task, report: ProgressReport) -> None:
    first, second = services.evidence_attach(
        actor=city.wang,
        task=task,
        report=report,
        files=[upload("a.pdf", samples.pdf()), upload("a.pdf", samples.pdf())],
    )
    assert first.stored_name != second.stored_name
    assert first.sha256 == second.sha256


def test_a_polyglot_is_kept_as_the_image_it_starts_as_and_never_sniffed(
    city: City, task: Task, report: ProgressReport
) -> None:
    (row,) = services.evidence_attach(
        actor=city.wang, task=task, report=report, files=[upload("page.html", GIF_HTML_POLYGLOT)]
    )
    assert row.content_type == "image/gif"
    assert row.original_name == "page.gif"
    response = signed_in(city.wang).get(reverse("evidence:download", args=[row.pk]))
    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "recorded",
    ["text/html", "image/svg+xml", "application/javascript", "text/xml", "application/xhtml+xml", ""],
)
def test_a_row_with_an_untrusted_type_is_sent_as_opaque_bytes(
    city: City, task: Task, report: ProgressReport, recorded: str
) -> None:
    """A row that did not come through the checks (an import, an older version) cannot make the
    browser render its file."""
    stored = evidence_storage().save("ab/cd/legacy.html", ContentFile(samples.html()))
    row = EvidenceFile.objects.create(
        task=task,
        report=report,
        uploaded_by=city.wang,
        original_name="legacy.html",
        stored_name=stored,
        content_type=recorded,
        size=len(samples.html()),
        sha256="0" * 64,
    )
    response = signed_in(city.wang).get(reverse("evidence:download", args=[row.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    b"".join(response.streaming_content)


def test_nothing_that_runs_in_a_browser_is_ever_shown_inline() -> None:
    executable = {"text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", "application/xml"}
    assert not executable & filetypes.SERVABLE_CONTENT_TYPES
    assert not any("javascript" in t or "ecmascript" in t for t in filetypes.SERVABLE_CONTENT_TYPES)
    # Only raster images are shown in the page; PDF and Office documents always download.
    assert all(t.startswith("image/") for t in filetypes.INLINE_CONTENT_TYPES)
    assert "image/svg+xml" not in filetypes.INLINE_CONTENT_TYPES


def _report_url(task: Task) -> str:
    return reverse("web:task_report", args=[task.pk])


def test_too_many_files_in_one_report_saves_nothing(
    city: City, task: Task, evidence_dir: Path, settings
) -> None:
    settings.LUOSHI_EVIDENCE_MAX_FILES = 2
    task.refresh_from_db()
    files = [SimpleUploadedFile(f"{i}.png", samples.png()) for i in range(3)]
    response = signed_in(city.wang).post(
        _report_url(task), {"version": task.version, "narrative": "三张照片", "files": files}
    )
    assert response.status_code == 422
    assert "At most 2 files can be attached at once" in response.content.decode()
    assert stored_files(evidence_dir) == []
    assert ProgressReport.objects.filter(narrative="三张照片").count() == 0


def test_a_request_with_far_too_many_files_is_refused_before_reading_them(
    city: City, task: Task, evidence_dir: Path, settings
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    task.refresh_from_db()
    files = [SimpleUploadedFile(f"{i}.png", samples.png()) for i in range(4)]
    client = Client(raise_request_exception=False, headers={"Accept-Language": "en"})
    client.force_login(city.wang)
    response = client.post(_report_url(task), {"version": task.version, "narrative": "太多", "files": files})
    assert response.status_code == 400
    assert "Traceback" not in response.content.decode()
    assert stored_files(evidence_dir) == []
    assert ProgressReport.objects.filter(narrative="太多").count() == 0


def test_an_oversized_file_through_the_page_saves_nothing(
    city: City, task: Task, evidence_dir: Path, settings
) -> None:
    settings.LUOSHI_EVIDENCE_MAX_BYTES = 1024
    task.refresh_from_db()
    big = SimpleUploadedFile("big.pdf", samples.pdf() + b"%" * 4096)
    response = signed_in(city.wang).post(
        _report_url(task), {"version": task.version, "narrative": "大文件", "files": [big]}
    )
    assert response.status_code == 422
    assert "big.pdf" in response.content.decode()
    assert stored_files(evidence_dir) == []


def test_a_bomb_through_the_page_saves_nothing(city: City, task: Task, evidence_dir: Path) -> None:
    task.refresh_from_db()
    bomb = SimpleUploadedFile("总结.docx", samples.zip_bomb(50))
    response = signed_in(city.wang).post(
        _report_url(task), {"version": task.version, "narrative": "炸弹", "files": [bomb]}
    )
    assert response.status_code == 422
    assert "archive bomb" in response.content.decode()
    assert stored_files(evidence_dir) == []
