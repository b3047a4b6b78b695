"""Drafts through their services: analysis saves nothing, drafts are private and versioned, corrections
(edit, merge, split, drop) and confirmation that creates clauses and, if asked, tasks, all or nothing."""

from __future__ import annotations

from datetime import date

import pytest

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import Conflict, NotFound, ValidationFailed
from luoshi.directives import services as directives
from luoshi.directives.models import Clause
from luoshi.drafting import selectors, services
from luoshi.drafting.models import Draft, DraftStatus, FocusKeyword
from luoshi.organizations import services as orgs
from luoshi.tasks.models import Task

TEXT = """关于做好下半年重点工作的通知
一、坚持绿色发展
（一）打好蓝天保卫战。生态环境局要在10月底前完成燃煤锅炉淘汰，每季度通报进展。
（二）改善人居环境。要加快老旧小区改造，推进燃气管道更新。
会议充分肯定了上半年取得的成绩。
"""


@pytest.fixture
def green(desk):
    area = directives.focus_area_create(
        actor=desk.city.admin, name="绿色发展", code="green", keywords="燃煤\n锅炉"
    )
    FocusKeyword.objects.create(area=area, phrase="coal")
    return area


def test_analysis_saves_nothing_and_suggests_from_the_database(desk, green):
    language, proposal = services.draft_analyze(actor=desk.city.zhao, text=TEXT)
    assert language == "zh"
    texts = [c["text"] for c in proposal["clauses"]]
    assert texts == [
        "生态环境局要在10月底前完成燃煤锅炉淘汰，每季度通报进展",
        "要加快老旧小区改造",
        "推进燃气管道更新",
    ]
    boilers = proposal["clauses"][0]
    assert boilers["focus_area"] == green.pk
    assert boilers["units"] == [desk.city.ecology_bureau.pk]
    assert boilers["due_on"] == "2024-10-31"
    assert boilers["cadence"] == "quarterly"
    assert [c["reason"] for c in proposal["context"]] == ["praise"]
    assert not Draft.objects.exists()
    assert not Clause.objects.exclude(pk=desk.clause.pk).exists()


def test_english_keywords_added_by_an_admin_suggest_the_area(desk, green):
    _language, proposal = services.draft_analyze(
        actor=desk.city.zhao, text="The districts must retire coal boilers."
    )
    assert proposal["clauses"][0]["focus_area"] == green.pk


def test_units_that_took_similar_clauses_before_are_suggested(desk):
    desk.city_task(title="老旧小区改造")  # the desk's clause (老旧小区改造) went to 铁西区
    _language, proposal = services.draft_analyze(
        actor=desk.city.zhao, text="要加快推进城市更新，完成老旧小区改造任务。"
    )
    clause = proposal["clauses"][0]
    assert desk.city.tiexi.pk in clause["units"]
    assert clause["unit_reasons"][clause["units"].index(desk.city.tiexi.pk)] == "history"


def test_unit_duties_are_read(desk):
    bureau = desk.city.ecology_bureau
    orgs.organization_update(
        actor=desk.city.admin,
        org=bureau,
        version=bureau.version,
        duties="负责大气污染防治、扬尘污染治理的监督管理",
    )
    terms = {u.id: u for u in selectors.unit_terms(desk.city.zhao)}
    assert "大气污染防治" in terms[bureau.pk].duty_words
    _language, proposal = services.draft_analyze(actor=desk.city.zhao, text="要加快大气污染防治。")
    assert proposal["clauses"][0]["units"] == [bureau.pk]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The text is empty."),
        (
            "Городские власти должны завершить ремонт дорог.",
            "Only texts in Chinese or English can be analysed.",
        ),
        ("要" * 200_001, "The text is too long to analyse"),
    ],
    ids=["empty", "other language", "too long"],
)
def test_bad_text_is_refused_on_the_text_field_and_nothing_saved(desk, text, message):
    with pytest.raises(ValidationFailed) as raised:
        services.draft_create(actor=desk.city.zhao, text=text, directive=desk.directive)
    assert raised.value.fields["text"][0].startswith(message)
    assert not Draft.objects.exists()


def test_uploads_docx_and_txt_and_refuses_binary(desk):
    import io
    import zipfile

    import docx

    document = docx.Document()
    document.add_paragraph("一、坚持绿色发展")
    document.add_paragraph("要在10月底前完成").add_run("燃煤锅炉淘汰。")
    document.add_table(rows=1, cols=1).cell(0, 0).text = "要加快扬尘治理。"
    buffer = io.BytesIO()
    document.save(buffer)
    assert services.text_of_upload(name="通知.docx", data=buffer.getvalue()) == (
        "一、坚持绿色发展\n要在10月底前完成燃煤锅炉淘汰。\n要加快扬尘治理。"
    )
    not_word = io.BytesIO()
    with zipfile.ZipFile(not_word, "w") as package:
        package.writestr("hello.txt", "a zip, but not a Word document")
    with pytest.raises(ValidationFailed):
        services.text_of_upload(name="a.docx", data=not_word.getvalue())
    assert services.text_of_upload(name="a.txt", data="要加快改造。".encode("gb18030")) == "要加快改造。"
    for name, data in [("a.txt", b"\x00\x01\x02\x03"), ("a.docx", b"not a zip"), ("a.pdf", b"%PDF-1.4")]:
        with pytest.raises(ValidationFailed) as raised:
            services.text_of_upload(name=name, data=data)
        assert "file" in raised.value.fields
    with pytest.raises(ValidationFailed):
        services.text_of_upload(name="big.txt", data=b"a" * (10 * 1024 * 1024 + 1))


def test_drafts_are_their_authors_and_versioned(desk):
    draft = services.draft_create(actor=desk.city.zhao, text=TEXT, directive=desk.directive)
    assert AuditEvent.objects.filter(action="draft.create").count() == 1
    assert selectors.draft_get(desk.city.zhao, draft.pk) == draft
    with pytest.raises(NotFound):
        selectors.draft_get(desk.city.li, draft.pk)
    clauses = draft.proposal["clauses"]
    services.draft_update(actor=desk.city.zhao, draft=draft, version=draft.version, clauses=clauses)
    with pytest.raises(Conflict):
        services.draft_update(actor=desk.city.zhao, draft=draft, version=draft.version, clauses=clauses)


def test_merge_split_edit_and_drop_then_confirm_creates_clauses_in_order(desk, green):
    draft = services.draft_create(actor=desk.city.zhao, text=TEXT, directive=desk.directive)
    clauses = services.merge_with_next(draft.proposal["clauses"], 1)
    assert [c["text"] for c in clauses][1] == "要加快老旧小区改造，推进燃气管道更新"
    clauses[0]["text"] = "生态环境局要在10月底前完成燃煤锅炉淘汰\n每季度通报进展"  # split in two lines
    clauses[1]["include"] = False
    draft = services.draft_update(actor=desk.city.zhao, draft=draft, version=draft.version, clauses=clauses)
    assert [(c["text"], c["include"], c["start"] is not None) for c in draft.proposal["clauses"]] == [
        ("生态环境局要在10月底前完成燃煤锅炉淘汰", True, False),
        ("每季度通报进展", True, False),
        # Merged back to the source's own words, so its span still holds.
        ("要加快老旧小区改造，推进燃气管道更新", False, True),
    ]
    assert Clause.objects.filter(directive=desk.directive).count() == 1  # nothing created yet
    created = services.draft_confirm(actor=desk.city.zhao, draft=draft, version=draft.version)
    assert [(c.ordinal, c.text, c.heading) for c in created] == [
        (2, "生态环境局要在10月底前完成燃煤锅炉淘汰", "（一）打好蓝天保卫战"),
        (3, "每季度通报进展", "（一）打好蓝天保卫战"),
    ]
    assert created[0].focus_area == green
    draft.refresh_from_db()
    assert draft.status == DraftStatus.CONFIRMED
    assert not Task.objects.exists()
    with pytest.raises(Conflict):
        services.draft_confirm(actor=desk.city.zhao, draft=draft, version=draft.version)


def test_confirm_with_tasks_creates_a_task_per_clause_with_a_lead_unit(desk, green):
    draft = services.draft_create(actor=desk.city.zhao, text=TEXT, directive=desk.directive)
    created = services.draft_confirm(
        actor=desk.city.zhao, draft=draft, version=draft.version, create_tasks=True
    )
    [task] = Task.objects.all()
    assert task.clause == created[0]
    assert task.lead_org == desk.city.ecology_bureau
    assert task.due_on == date(2024, 10, 31)
    assert task.report_cadence == "quarterly"
    assert task.focus_area == green
    assert AuditEvent.objects.filter(action="draft.confirm").count() == 1


def test_bad_corrections_are_named_and_nothing_changes(desk):
    draft = services.draft_create(actor=desk.city.zhao, text=TEXT, directive=desk.directive)
    bad = [
        {"text": ""},
        {"text": "要做好。", "due_on": "next week", "focus_area": 999999, "cadence": "daily"},
    ]
    with pytest.raises(ValidationFailed) as raised:
        services.draft_update(actor=desk.city.zhao, draft=draft, version=draft.version, clauses=bad)
    assert raised.value.fields["clauses.1"] == ["Clause 1 is empty."]
    assert raised.value.fields["clauses.2"] == [
        "Choose a focus area from the list.",
        "Write the due date as YYYY-MM-DD.",
        "Choose a report cadence from the list.",
    ]
    draft.refresh_from_db()
    assert draft.version == 1


def test_confirm_needs_a_directive_and_keeps_nothing_on_failure(desk):
    draft = services.draft_create(actor=desk.city.zhao, text=TEXT)
    with pytest.raises(ValidationFailed) as raised:
        services.draft_confirm(actor=desk.city.zhao, draft=draft, version=draft.version)
    assert "directive" in raised.value.fields
    assert Clause.objects.count() == 1
