"""The task list import through its interfaces: the API (preview and import), the command line."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from luoshi.api import services as tokens
from luoshi.tasks.models import Task
from tests.tasks.test_import import workbook

URL = "/api/v1/tasks/import"
GOOD = [[1, "完成燃煤锅炉淘汰", "生态环境局", "铁西区", "", "年底前", ""]]
BAD = [[1, "完成燃煤锅炉淘汰", "铁西区政府", "", "", "尽快", ""]]


def client_as(user) -> Client:
    _token, secret = tokens.token_create(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")


def upload(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("list.xlsx", workbook(rows))


def test_api_preview_lists_rows_problems_and_suggestions(desk):
    response = client_as(desk.city.zhao).post(
        f"{URL}?dry_run=true", {"directive": desk.directive.pk, "file": upload(BAD)}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert {(e["row"], e["column"]) for e in body["errors"]} == {(3, "牵头单位"), (3, "完成时限")}
    assert body["suggestions"][0]["text"] == "铁西区政府"
    assert {"id": desk.city.tiexi.pk, "name": "铁西区人民政府"} in body["suggestions"][0]["candidates"]
    assert not Task.objects.exists()


def test_api_import_creates_or_refuses_whole(desk):
    client = client_as(desk.city.zhao)
    refused = client.post(URL, {"directive": desk.directive.pk, "file": upload(BAD)})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid"
    assert any("Row 3" in m for m in refused.json()["error"]["fields"]["file"])
    assert not Task.objects.exists()
    created = client.post(URL, {"directive": desk.directive.pk, "file": upload(GOOD)})
    assert created.status_code == 201, created.content
    [row] = created.json()["rows"]
    assert Task.objects.get(pk=row["task_id"]).lead_org == desk.city.ecology_bureau


def test_api_aliases_confirm_a_suggestion(desk):
    rows = [[1, "任务甲", "铁西区政府", "", "", "年底前", ""]]
    response = client_as(desk.city.zhao).post(
        URL,
        {
            "directive": desk.directive.pk,
            "file": upload(rows),
            "unit_aliases": json.dumps({"铁西区政府": desk.city.tiexi.pk}),
        },
    )
    assert response.status_code == 201
    bad = client_as(desk.city.zhao).post(
        URL, {"directive": desk.directive.pk, "file": upload(rows), "unit_aliases": "not json"}
    )
    assert bad.status_code == 422
    assert "unit_aliases" in bad.json()["error"]["fields"]


def test_api_hides_directives_the_caller_cannot_see(desk):
    response = client_as(desk.city.sun).post(URL, {"directive": desk.directive.pk, "file": upload(GOOD)})
    assert response.status_code == 404
    assert not Task.objects.exists()


def test_command_line_dry_run_then_import(desk, tmp_path, capsys):
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook(GOOD))
    args = ["import", "tasks", str(path), "--directive", str(desk.directive.pk), "--as", "zhaomin"]
    call_command(*args, "--dry-run")
    assert "1 tasks would be created" in capsys.readouterr().out
    assert not Task.objects.exists()
    call_command(*args)
    assert "Imported 1 tasks." in capsys.readouterr().out
    assert Task.objects.count() == 1


def test_command_line_reports_problems_and_exits_1(desk, tmp_path, capsys):
    path = tmp_path / "list.xlsx"
    path.write_bytes(workbook(BAD))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", "tasks", str(path), "--directive", str(desk.directive.pk), "--as", "zhaomin")
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "Row 3, column “完成时限”" in captured.err
    assert f'--map "铁西区政府={desk.city.tiexi.pk}"' in captured.out
    assert not Task.objects.exists()


# --- the page --------------------------------------------------------------------------------------


@pytest.fixture
def page_as(settings, tmp_path):
    settings.DATA_DIR = tmp_path

    def make(user) -> Client:
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(user)
        return client

    return make


def test_page_previews_then_imports_without_uploading_again(desk, page_as):
    from django.urls import reverse

    client = page_as(desk.city.zhao)
    url = reverse("web:task_import", args=[desk.directive.pk])
    assert client.get(url).status_code == 200
    preview = client.post(url, {"file": upload(GOOD), "action": "check"})
    assert preview.status_code == 200
    assert "完成燃煤锅炉淘汰" in preview.content.decode()
    assert not Task.objects.exists()
    token = preview.context["token"]
    done = client.post(url, {"token": token, "action": "import"})
    assert done.status_code == 302
    assert Task.objects.count() == 1
    # The kept file is gone once imported: the token cannot import twice.
    again = client.post(url, {"token": token, "action": "import"})
    assert again.status_code == 302
    assert Task.objects.count() == 1


def test_page_lists_problems_and_confirms_a_suggested_unit(desk, page_as):
    from django.urls import reverse

    client = page_as(desk.city.zhao)
    url = reverse("web:task_import", args=[desk.directive.pk])
    rows = [[1, "任务甲", "铁西区政府", "", "", "年底前", ""]]
    preview = client.post(url, {"file": upload(rows), "action": "check"})
    assert preview.status_code == 422
    html = preview.content.decode()
    assert "No unit is called “铁西区政府”" in html
    assert "铁西区人民政府" in html
    token = preview.context["token"]
    checked = client.post(
        url,
        {"token": token, "action": "check", "alias_text_1": "铁西区政府", "alias_unit_1": desk.city.tiexi.pk},
    )
    assert checked.status_code == 200
    assert checked.context["report"].ok
    client.post(
        url,
        {
            "token": token,
            "action": "import",
            "alias_text_1": "铁西区政府",
            "alias_unit_1": desk.city.tiexi.pk,
        },
    )
    assert Task.objects.get().lead_org == desk.city.tiexi


def test_page_is_refused_to_people_who_may_not_assign(desk, page_as):
    from django.urls import reverse

    desk.city_task()
    response = page_as(desk.city.wang).get(reverse("web:task_import", args=[desk.directive.pk]))
    assert response.status_code == 403


def test_the_ledger_exports_the_task_list_layout_that_imports_back(desk, page_as):
    from django.urls import reverse
    from openpyxl import load_workbook

    from luoshi.directives import services as directives
    from luoshi.tasks.importer import task_import

    rows = [
        [1, "完成燃煤锅炉淘汰", "生态环境局", "铁西区、铁东区", "李强", "年底前", ""],
        [2, "推进老旧小区改造", "铁西区", "", "", "9月30日前", ""],
    ]
    assert task_import(actor=desk.city.zhao, directive=desk.directive, file=workbook(rows)).ok
    client = page_as(desk.city.zhao)
    response = client.get(reverse("web:ledger_export"), {"layout": "tasklist", "sort": "due"})
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == [
        "No.",
        "Task",
        "Lead unit",
        "Responsible units",
        "Responsible leader",
        "Deadline",
        "Progress",
    ]
    assert values[1][1:5] == ["推进老旧小区改造", "铁西区人民政府", None, None]
    assert values[2][1:5] == ["完成燃煤锅炉淘汰", "市生态环境局", "铁西区人民政府、铁东区人民政府", "李强"]
    # The exported file imports back unchanged under another directive.
    other = directives.directive_create(
        actor=desk.city.zhao,
        issuing_org=desk.city.government,
        title="复制",
        level="municipal",
        kind="meeting",
        issued_on=desk.directive.issued_on,
    )
    again = task_import(actor=desk.city.zhao, directive=other, file=data)
    assert again.ok, again.errors
    assert [(r.title, r.lead, r.cooperating, r.due_on) for r in again.rows] == [
        ("推进老旧小区改造", "铁西区人民政府", [], date(2024, 9, 30)),
        ("完成燃煤锅炉淘汰", "市生态环境局", ["铁西区人民政府", "铁东区人民政府"], date(2024, 12, 31)),
    ]
