"""Bulletins through the API, the pages and the command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from luoshi.reports.models import Bulletin
from tests.evaluation.conftest import Quarter


@pytest.fixture
def client() -> Client:
    return Client(headers={"Accept-Language": "en"})


def test_api_generates_issues_and_downloads(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    client.force_login(city.zhao)
    made = client.post(
        "/api/v1/bulletins",
        {"org_id": city.government.pk, "period": "2024-Q1", "demands": "按时报送"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["content"]["totals"]["items"] == 2
    assert body["number"] == 1
    stale = client.post(
        f"/api/v1/bulletins/{body['id']}/issue", {"version": 99}, content_type="application/json"
    )
    assert stale.status_code == 409
    issued = client.post(
        f"/api/v1/bulletins/{body['id']}/issue", {"version": body["version"]}, content_type="application/json"
    )
    assert issued.status_code == 200
    assert issued.json()["doc_number"].endswith("〔2024〕1号")
    again = client.post(
        f"/api/v1/bulletins/{body['id']}/issue",
        {"version": issued.json()["version"]},
        content_type="application/json",
    )
    assert again.status_code == 409
    listed = client.get("/api/v1/bulletins?period=2024-Q1").json()
    assert listed["count"] == 1
    docx = client.get(f"/api/v1/bulletins/{body['id']}/download?format=docx")
    assert docx.status_code == 200
    assert docx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert any("按时报送" in p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    xlsx = client.get(f"/api/v1/bulletins/{body['id']}/download?format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0]["A1"].value == body["title"]
    assert client.get(f"/api/v1/bulletins/{body['id']}/download?format=doc").status_code == 422


def test_api_names_bad_input_and_saves_nothing(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    client.force_login(city.zhao)
    answer = client.post(
        "/api/v1/bulletins", {"org_id": city.government.pk, "period": "Q3"}, content_type="application/json"
    )
    assert answer.status_code == 422
    assert "period" in answer.json()["error"]["fields"]
    future = client.post(
        "/api/v1/bulletins",
        {"org_id": city.government.pk, "period": "2030-Q1"},
        content_type="application/json",
    )
    assert future.status_code == 422
    assert not Bulletin.objects.exists()


def test_a_district_cannot_see_another_districts_bulletin(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    client.force_login(city.zhao)
    made = client.post(
        "/api/v1/bulletins", {"org_id": city.tiedong.pk, "period": "2024-Q1"}, content_type="application/json"
    )
    assert made.status_code == 201
    client.force_login(city.wang)
    assert client.get(f"/api/v1/bulletins/{made.json()['id']}").status_code == 404
    assert client.get("/api/v1/bulletins").json()["count"] == 0


def test_pages_generate_show_and_issue(quarter: Quarter, client: Client) -> None:
    city = quarter.desk.city
    client.force_login(city.zhao)
    assert client.get("/bulletins/").status_code == 200
    bad = client.post("/bulletins/generate/", {"org": city.government.pk, "period": "nonsense"})
    assert bad.status_code == 422
    assert not Bulletin.objects.exists()
    made = client.post(
        "/bulletins/generate/", {"org": city.government.pk, "period": "2024-Q1", "demands": ""}
    )
    assert made.status_code == 302
    bulletin = Bulletin.objects.get()
    page = client.get(f"/bulletins/{bulletin.pk}/")
    html = page.content.decode()
    assert "铁东区" in html
    assert "Download .docx" in html
    assert client.post(f"/bulletins/{bulletin.pk}/issue/", {"version": bulletin.version}).status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.status == "issued"
    download = client.get(f"/bulletins/{bulletin.pk}/download/xlsx/")
    assert download.status_code == 200
    assert client.get(f"/bulletins/{bulletin.pk}/download/exe/").status_code == 404


def test_bulletin_list_query_count_does_not_grow(
    quarter: Quarter, client: Client, django_assert_max_num_queries
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.evaluation.periods import Period
    from luoshi.reports import services

    city = quarter.desk.city
    services.bulletin_generate(actor=city.zhao, org=city.government, period=Period.parse("2024-Q1"))
    client.force_login(city.zhao)
    with CaptureQueriesContext(connection) as one:
        client.get("/bulletins/")
    for _ in range(4):
        services.bulletin_generate(actor=city.zhao, org=city.tiexi, period=Period.parse("2024-02"))
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get("/bulletins/")


def test_command_line_writes_the_file(quarter: Quarter, tmp_path: Path) -> None:
    city = quarter.desk.city
    target = tmp_path / "bulletin.docx"
    out = io.StringIO()
    call_command(
        "bulletin",
        "--period",
        "2024-Q1",
        "--org",
        str(city.government.pk),
        "--format",
        "docx",
        "--output",
        str(target),
        stdout=out,
    )
    assert "2 items, 1 closed, 50 %" in out.getvalue()
    assert Document(str(target)).sections[0].left_margin.mm == pytest.approx(28, abs=0.1)


def test_command_line_names_a_bad_period(quarter: Quarter, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--period"):
        call_command(
            "bulletin",
            "--period",
            "2024Q1",
            "--org",
            str(quarter.desk.city.government.pk),
            "--output",
            str(tmp_path / "x"),
        )
    assert not Bulletin.objects.exists()
