"""``/api/v1/directives/draft``: analysis, saved drafts, corrections and confirmation over HTTP."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from luoshi.api import services as tokens
from luoshi.directives.models import Clause
from luoshi.drafting.models import Draft

URL = "/api/v1/directives/draft"
TEXT = "一、坚持绿色发展\n要在10月底前完成燃煤锅炉淘汰，加快扬尘治理。\n市长主持会议。"


def client_as(user) -> Client:
    _token, secret = tokens.token_create(user=user, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")


def test_analysis_returns_headings_clauses_spans_and_context(desk):
    response = client_as(desk.city.zhao).post(URL, {"text": TEXT}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "zh"
    assert body["draft"] is None
    assert [h["text"] for h in body["headings"]] == ["一、坚持绿色发展"]
    assert [c["text"] for c in body["clauses"]] == ["要在10月底前完成燃煤锅炉淘汰", "加快扬尘治理"]
    first = body["clauses"][0]
    assert TEXT[first["start"] : first["end"]] == first["text"]
    assert first["due_on"] == "2024-10-31"
    assert body["context"][0]["reason"] == "attendance"
    assert not Draft.objects.exists()


def test_bad_text_is_a_422_naming_the_text(desk):
    response = client_as(desk.city.zhao).post(URL, {"text": "  "}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["text"][0].startswith("The text is empty.")


def test_upload_binary_file_is_refused(desk):
    response = client_as(desk.city.zhao).post(
        f"{URL}/upload", {"file": SimpleUploadedFile("a.txt", b"\x00\x01\x02\x03\x04")}
    )
    assert response.status_code == 422
    assert "file" in response.json()["error"]["fields"]


def test_save_correct_and_confirm(desk):
    client = client_as(desk.city.zhao)
    saved = client.post(
        URL, {"text": TEXT, "directive": desk.directive.pk, "save": True}, content_type="application/json"
    ).json()
    draft_id, version = saved["draft"], saved["version"]
    clauses = saved["clauses"]
    clauses[1]["include"] = False
    updated = client.put(
        f"{URL}/{draft_id}", {"version": version, "clauses": clauses}, content_type="application/json"
    )
    assert updated.status_code == 200
    stale = client.post(f"{URL}/{draft_id}/confirm", {"version": version}, content_type="application/json")
    assert stale.status_code == 409
    confirmed = client.post(
        f"{URL}/{draft_id}/confirm", {"version": updated.json()["version"]}, content_type="application/json"
    )
    assert confirmed.status_code == 201
    [clause_id] = confirmed.json()["clauses"]
    assert Clause.objects.get(pk=clause_id).text == "要在10月底前完成燃煤锅炉淘汰"


def test_someone_elses_draft_is_not_found(desk):
    saved = (
        client_as(desk.city.zhao)
        .post(URL, {"text": TEXT, "save": True}, content_type="application/json")
        .json()
    )
    assert client_as(desk.city.li).get(f"{URL}/{saved['draft']}").status_code == 404


def test_a_paste_over_the_length_limit_is_refused_with_a_message(desk):
    import json

    client = client_as(desk.city.zhao)
    body = json.dumps({"text": "要" * 2_000_000}, ensure_ascii=False).encode()  # 6 MB, 2 million characters
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["text"][0].startswith("The text is too long to analyse")
    assert not Draft.objects.exists()
