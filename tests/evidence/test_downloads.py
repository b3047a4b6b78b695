"""Downloading evidence: only for people who may see the task, and never as something a browser runs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from luoshi.api import services as tokens
from luoshi.evidence import services
from luoshi.evidence.models import EvidenceFile
from luoshi.evidence.responses import content_disposition
from luoshi.organizations.models import User
from luoshi.tasks.models import ProgressReport, Task
from tests.conftest import City
from tests.evidence import samples
from tests.evidence.conftest import upload


def attach(city: City, task: Task, report: ProgressReport, name: str, content: bytes) -> EvidenceFile:
    [row] = services.evidence_attach(actor=city.wang, task=task, report=report, files=[upload(name, content)])
    return row


def signed_in(user: User) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def body(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.fixture
def pdf_row(city: City, task: Task, report: ProgressReport) -> EvidenceFile:
    return attach(city, task, report, "整改报告.pdf", samples.pdf())


def test_a_person_who_sees_the_task_downloads_with_safe_headers(city: City, pdf_row: EvidenceFile) -> None:
    response = signed_in(city.wang).get(reverse("evidence:download", args=[pdf_row.pk]))

    assert response.status_code == 200
    assert body(response) == samples.pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"evidence-{pdf_row.pk}.pdf\"; filename*=UTF-8''{quote('整改报告.pdf')}"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(len(samples.pdf()))


def test_images_are_shown_inline_office_documents_downloaded(
    city: City, task: Task, report: ProgressReport
) -> None:
    image = attach(city, task, report, "photo.png", samples.png())
    document = attach(city, task, report, "台账.xlsx", samples.xlsx())
    client = signed_in(city.wang)

    shown = client.get(reverse("evidence:download", args=[image.pk]))
    saved = client.get(reverse("evidence:download", args=[document.pk]))

    assert (shown["Content-Type"], shown["Content-Disposition"]) == (
        "image/png",
        "inline; filename=\"photo.png\"; filename*=UTF-8''photo.png",
    )
    assert saved["Content-Disposition"].startswith("attachment; ")
    assert saved["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert shown["Content-Security-Policy"] == saved["Content-Security-Policy"] == "sandbox"
    body(shown), body(saved)


@pytest.mark.parametrize("persona", ["wang", "tiexi_admin", "zhao", "admin"])
def test_everyone_who_sees_the_task_may_download(city: City, pdf_row: EvidenceFile, persona: str) -> None:
    response = signed_in(getattr(city, persona)).get(reverse("evidence:download", args=[pdf_row.pk]))
    assert response.status_code == 200
    body(response)


@pytest.mark.parametrize("persona", ["sun", "chen", "li"])
def test_others_are_told_it_does_not_exist(city: City, pdf_row: EvidenceFile, persona: str) -> None:
    client = signed_in(getattr(city, persona))

    hidden = client.get(reverse("evidence:download", args=[pdf_row.pk]))
    missing = client.get(reverse("evidence:download", args=[pdf_row.pk + 1000]))

    assert hidden.status_code == missing.status_code == 404
    assert [t.name for t in hidden.templates] == [t.name for t in missing.templates]


def test_anonymous_visitors_are_sent_to_the_login_page(pdf_row: EvidenceFile) -> None:
    url = reverse("evidence:download", args=[pdf_row.pk])
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={quote(url)}"


def test_only_reading_is_allowed(city: City, pdf_row: EvidenceFile) -> None:
    response = signed_in(city.wang).post(reverse("evidence:download", args=[pdf_row.pk]))
    assert response.status_code == 405


def test_a_file_missing_from_the_store_is_not_found(
    city: City, pdf_row: EvidenceFile, evidence_dir: Path, caplog
) -> None:
    (evidence_dir / pdf_row.stored_name).unlink()

    response = signed_in(city.wang).get(reverse("evidence:download", args=[pdf_row.pk]))

    assert response.status_code == 404
    assert "is missing from the store" in caplog.text


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"),
        ("résumé.pdf", "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"),
        (
            "第3季度.pdf",
            "attachment; filename=\"evidence-7.pdf\"; filename*=UTF-8''%E7%AC%AC3%E5%AD%A3%E5%BA%A6.pdf",
        ),
        ("a b;c.pdf", "attachment; filename=\"a b;c.pdf\"; filename*=UTF-8''a%20b%3Bc.pdf"),
    ],
)
def test_content_disposition_names(name: str, expected: str) -> None:
    assert content_disposition("attachment", name, fallback="evidence-7") == expected


# --- the API --------------------------------------------------------------------------------------


def api_client(user: User | None) -> Client:
    if user is None:
        return Client()
    _token, secret = tokens.token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})


@pytest.mark.urls("tests.evidence.urls")
def test_api_describes_and_serves_the_file(city: City, pdf_row: EvidenceFile) -> None:
    client = api_client(city.wang)

    described = client.get(f"/api/v1/evidence/{pdf_row.pk}")
    served = client.get(f"/api/v1/evidence/{pdf_row.pk}/download")

    assert described.status_code == 200
    data = described.json()
    assert data == {
        "id": pdf_row.pk,
        "task": pdf_row.task_id,
        "report": pdf_row.report_id,
        "completion_request": None,
        "name": "整改报告.pdf",
        "content_type": "application/pdf",
        "size": len(samples.pdf()),
        "sha256": pdf_row.sha256,
        "uploaded_by": city.wang.pk,
        "uploaded_by_name": str(city.wang),
        "created_at": data["created_at"],
        "download_url": f"/evidence/{pdf_row.pk}/download/",
    }
    assert served.status_code == 200
    assert body(served) == samples.pdf()
    assert served["Content-Disposition"].startswith("attachment; ")
    assert served["Content-Security-Policy"] == "sandbox"
    assert served["X-Content-Type-Options"] == "nosniff"


@pytest.mark.urls("tests.evidence.urls")
@pytest.mark.parametrize("path", ["/api/v1/evidence/{id}", "/api/v1/evidence/{id}/download"])
def test_api_hides_evidence_of_tasks_the_caller_cannot_see(
    city: City, pdf_row: EvidenceFile, path: str
) -> None:
    hidden = api_client(city.sun).get(path.format(id=pdf_row.pk))
    anonymous = api_client(None).get(path.format(id=pdf_row.pk))

    assert hidden.status_code == 404
    assert hidden.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    assert anonymous.status_code == 401


def test_the_store_has_no_url_of_its_own(city: City, pdf_row: EvidenceFile) -> None:
    client = signed_in(city.admin)
    for path in (f"/files/evidence/{pdf_row.stored_name}", f"/files/{pdf_row.stored_name}"):
        response = client.get(path)
        assert response.status_code == 404, path
