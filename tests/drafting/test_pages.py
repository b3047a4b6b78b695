"""The drafting pages: from the directive list to a draft, correcting it, confirming it."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from luoshi.directives.models import Clause
from luoshi.drafting.models import Draft, DraftStatus
from luoshi.tasks.models import Task

TEXT = "一、坚持绿色发展\n生态环境局要在10月底前完成燃煤锅炉淘汰，加快扬尘治理。\n市长主持会议。"


def page_as(user) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(user)
    return client


def test_the_directive_list_offers_drafting_and_the_page_renders(desk):
    client = page_as(desk.city.zhao)
    assert reverse("web:draft_new") in client.get(reverse("web:directive_list")).content.decode()
    page = client.get(reverse("web:draft_new"), {"directive": desk.directive.pk})
    assert page.status_code == 200
    assert f'<option value="{desk.directive.pk}" selected>' in page.content.decode()


def test_paste_correct_merge_and_confirm_with_tasks(desk):
    client = page_as(desk.city.zhao)
    response = client.post(reverse("web:draft_new"), {"directive": desk.directive.pk, "text": TEXT})
    draft = Draft.objects.get()
    assert response.url == reverse("web:draft_detail", args=[draft.pk])
    page = client.get(response.url)
    html = page.content.decode()
    assert "一、坚持绿色发展" in html
    assert "加快扬尘治理" in html
    assert "市长主持会议" in html  # kept aside, visible
    assert "named in the text" in html
    form = {
        "version": draft.version,
        "count": 2,
        "c0-text": "生态环境局要在10月底前完成燃煤锅炉淘汰",
        "c0-include": "1",
        "c0-kind": "demand",
        "c0-unit": desk.city.ecology_bureau.pk,
        "c0-due": "2024-10-31",
        "c0-cadence": "monthly",
        "c1-text": "加快扬尘治理",
        "c1-include": "1",
        "c1-kind": "demand",
    }
    merged = client.post(response.url, {**form, "action": "merge-0"})
    assert merged.status_code == 302
    draft.refresh_from_db()
    assert [c["text"] for c in draft.proposal["clauses"]] == [
        "生态环境局要在10月底前完成燃煤锅炉淘汰，加快扬尘治理"
    ]
    assert Clause.objects.filter(directive=desk.directive).count() == 1  # nothing created yet
    confirm = {
        "version": draft.version,
        "count": 1,
        "c0-text": "生态环境局要在10月底前完成燃煤锅炉淘汰，加快扬尘治理",
        "c0-heading": "一、坚持绿色发展",  # a hidden field of the page
        "c0-include": "1",
        "c0-kind": "demand",
        "c0-unit": desk.city.ecology_bureau.pk,
        "c0-due": "2024-10-31",
        "c0-cadence": "monthly",
        "create_tasks": "1",
        "action": "confirm",
    }
    done = client.post(response.url, confirm)
    assert done.url == reverse("web:directive_detail", args=[desk.directive.pk])
    clause = Clause.objects.get(directive=desk.directive, ordinal=2)
    assert clause.heading == "一、坚持绿色发展"
    assert Task.objects.get(clause=clause).lead_org == desk.city.ecology_bureau
    draft.refresh_from_db()
    assert draft.status == DraftStatus.CONFIRMED


def test_bad_input_shows_a_message_and_saves_nothing(desk):
    client = page_as(desk.city.zhao)
    empty = client.post(reverse("web:draft_new"), {"text": ""})
    assert empty.status_code == 422
    assert "The text is empty." in empty.content.decode()
    binary = client.post(
        reverse("web:draft_new"), {"text": "", "file": SimpleUploadedFile("x.txt", b"\x00\x01\x02")}
    )
    assert binary.status_code == 422
    assert "does not look like text" in binary.content.decode()
    assert not Draft.objects.exists()


def test_a_stale_form_is_refused(desk):
    client = page_as(desk.city.zhao)
    client.post(reverse("web:draft_new"), {"directive": desk.directive.pk, "text": TEXT})
    draft = Draft.objects.get()
    url = reverse("web:draft_detail", args=[draft.pk])
    form = {"version": draft.version, "count": 1, "c0-text": "要做好。", "c0-include": "1", "action": "save"}
    assert client.post(url, form).status_code == 302
    stale = client.post(url, form)
    assert stale.status_code == 409


def test_other_peoples_drafts_are_not_found(desk):
    page_as(desk.city.zhao).post(reverse("web:draft_new"), {"text": TEXT})
    draft = Draft.objects.get()
    assert page_as(desk.city.li).get(reverse("web:draft_detail", args=[draft.pk])).status_code == 404


def test_an_administrator_edits_the_keywords_and_suggestions_follow(desk):
    from luoshi.directives import services as directives
    from luoshi.drafting import services
    from luoshi.drafting.models import FocusKeyword

    area = directives.focus_area_create(actor=desk.city.admin, name="道路", code="roads", keywords="路面")
    client = page_as(desk.city.admin)
    url = reverse("web:focus_keywords")
    assert client.post(url, {"area": area.pk, "phrase": "pothole"}).status_code == 302
    duplicate = client.post(url, {"area": area.pk, "phrase": "路面"})
    assert duplicate.status_code == 422
    assert "already a keyword" in duplicate.content.decode()
    _language, proposal = services.draft_analyze(
        actor=desk.city.zhao, text="Districts must fix every pothole."
    )
    assert proposal["clauses"][0]["focus_area"] == area.pk
    keyword = FocusKeyword.objects.get()
    assert client.post(url, {"remove": keyword.pk}).status_code == 302
    assert not FocusKeyword.objects.exists()
    assert page_as(desk.city.wang).get(url).status_code == 403


def test_a_ten_megabyte_paste_on_the_page_is_refused_without_saving(desk):
    client = page_as(desk.city.zhao)
    response = client.post(reverse("web:draft_new"), {"text": "a" * (10 * 1024 * 1024 + 1)})
    assert response.status_code == 400
    assert not Draft.objects.exists()


def test_the_draft_page_query_count_does_not_grow_with_clauses(desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.drafting import services

    client = page_as(desk.city.zhao)
    small = services.draft_create(
        actor=desk.city.zhao, text="生态环境局要加快改造。" * 2, directive=desk.directive
    )
    large = services.draft_create(
        actor=desk.city.zhao,
        text="\n".join(f"{n}. 生态环境局要完成第{n}批锅炉淘汰。" for n in range(1, 40)),
        directive=desk.directive,
    )
    assert len(large.proposal["clauses"]) > 30
    client.get(reverse("web:draft_detail", args=[small.pk]))  # the session's first request does more
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("web:draft_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("web:draft_detail", args=[large.pk]))
    assert len(many) == len(few)
