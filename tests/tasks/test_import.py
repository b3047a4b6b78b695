"""Importing task lists from Excel as governments write them: merged cells, several units in a cell, fuzzy
deadlines, unit suggestions; every problem named by row and column, nothing saved unless all is valid."""

from __future__ import annotations

import gc
import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from luoshi.audit.models import AuditEvent
from luoshi.core.errors import NotAllowed, NotFound
from luoshi.tasks import importer
from luoshi.tasks.importer import task_import
from luoshi.tasks.models import Task

HEADER = ["序号", "任务内容", "牵头单位", "责任单位", "责任领导", "完成时限", "进展情况"]


def workbook(rows, *, header=HEADER, title="2024年重点工作任务清单", merges=()) -> bytes:
    book = Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for merge in merges:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(desk, data, **kwargs):
    return task_import(actor=desk.city.zhao, directive=desk.directive, file=data, **kwargs)


def test_a_government_list_with_merged_cells_and_several_units_imports(desk):
    city = desk.city
    data = workbook(
        [
            ["一、生态环境"],  # a section heading spread over the table
            [1, "完成燃煤锅炉淘汰", "市生态环境局", "铁西区、铁东区", "李强", "2024年底前", "已启动"],
            [2, "开展扬尘专项整治", None, "铁西区", None, "每季度", ""],  # lead merged from the row above
            [3, "推进老旧小区改造", "铁西区", "铁东区（牵头），市生态环境局", "", "9月30日前", ""],
            [4, "巩固整改成果", "铁东区", "", "", "长期坚持", ""],
        ],
        merges=["A3:G3", "C4:C5"],
    )
    report = run(desk, data)
    assert report.ok, report.errors
    assert report.created == 4
    tasks = {
        t.title: t for t in Task.objects.filter(directive=desk.directive).prefetch_related("cooperating_orgs")
    }
    boiler = tasks["完成燃煤锅炉淘汰"]
    assert boiler.lead_org == city.ecology_bureau
    assert {o.pk for o in boiler.cooperating_orgs.all()} == {city.tiexi.pk, city.tiedong.pk}
    assert boiler.responsible_leader == city.li
    assert boiler.due_on == date(2024, 12, 31)
    assert boiler.assigning_org == city.government
    dust = tasks["开展扬尘专项整治"]
    assert dust.lead_org == city.ecology_bureau
    assert dust.report_cadence == "quarterly"
    assert dust.due_on == date(2024, 12, 31)
    renewal = tasks["推进老旧小区改造"]
    assert renewal.lead_org == city.tiedong  # marked （牵头）
    assert {o.pk for o in renewal.cooperating_orgs.all()} == {city.tiexi.pk, city.ecology_bureau.pk}
    assert renewal.due_on == date(2024, 9, 30)
    assert report.rows[0].section == "一、生态环境"
    assert AuditEvent.objects.filter(action="task.import").count() == 1


def test_dry_run_previews_without_saving(desk):
    data = workbook([[1, "完成燃煤锅炉淘汰", "生态环境局", "", "", "第三季度", ""]])
    report = run(desk, data, dry_run=True)
    assert report.ok
    assert report.rows[0].lead == "生态环境局"
    assert report.rows[0].due_on == date(2024, 9, 30)
    assert not Task.objects.filter(directive=desk.directive).exists()


def test_english_headers_and_the_ledger_export_layout_are_read(desk):
    header = [
        "No.",
        "Task",
        "Lead unit",
        "Cooperating units",
        "Responsible leader",
        "Handler",
        "Deadline",
        "Status",
        "Light",
        "Progress",
        "Latest progress",
    ]
    data = workbook(
        [
            [
                1,
                "Retire coal boilers",
                "铁西区人民政府",
                "市生态环境局",
                "",
                "王芳",
                "by the end of the year",
                "Draft",
                "Green light",
                0,
                "",
            ]
        ],
        header=header,
        title="",
    )
    report = run(desk, data)
    assert report.ok, report.errors
    task = Task.objects.get(directive=desk.directive)
    assert task.handler == desk.city.wang
    assert task.due_on == date(2024, 12, 31)


def _messages(report):
    return [(e.row, e.column, e.message) for e in report.errors]


def test_every_problem_is_named_by_row_and_column_and_nothing_is_saved(desk):
    data = workbook(
        [
            [1, "任务甲", "市发展改革委", "", "", "年底前", ""],  # unknown unit
            [2, "任务乙", "铁西区", "", "", "尽快", ""],  # unreadable deadline
            [3, "", "铁西区", "", "", "年底前", ""],  # empty task
            [4, "任务丁", "铁西区", "", "钱多多", "年底前", ""],  # unknown person
            [5, "任务戊", "铁西区", "", "", "", ""],  # empty deadline
        ]
    )
    report = run(desk, data)
    assert not report.ok
    errors = _messages(report)
    assert (3, "牵头单位", "Row 3, column “牵头单位”: No unit is called “市发展改革委”.") in errors
    assert any(
        row == 4 and col == "完成时限" and "“尽快” is not a deadline" in msg for row, col, msg in errors
    )
    assert (5, "任务内容", "Row 5, column “任务内容”: The task is empty.") in errors
    assert (6, "责任领导", "Row 6, column “责任领导”: No person called “钱多多” was found.") in errors
    assert (7, "完成时限", "Row 7, column “完成时限”: The deadline is empty.") in errors
    assert not Task.objects.exists()
    assert not AuditEvent.objects.filter(action="task.import").exists()


def test_an_unknown_unit_gets_suggestions_and_an_alias_confirms_one(desk):
    data = workbook([[1, "任务甲", "铁西区政府", "", "", "年底前", ""]])
    report = run(desk, data)
    assert not report.ok
    [suggestion] = report.suggestions
    assert suggestion.text == "铁西区政府"
    assert suggestion.rows == (3,)
    assert (desk.city.tiexi.pk, "铁西区人民政府") in suggestion.candidates
    confirmed = run(desk, data, unit_aliases={"铁西区政府": desk.city.tiexi.pk})
    assert confirmed.ok
    assert confirmed.created == 1
    assert Task.objects.get().lead_org == desk.city.tiexi


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["序号", "任务内容", "牵头单位", "完成时限", "奇怪的列"],
            "Row 2, column “奇怪的列”: Unknown column.",
        ),
        (["序号", "任务内容", "牵头单位"], "Row 2: The column “完成时限 / deadline” is missing."),
        (["序号", "任务内容", "完成时限"], "Row 2: The column “牵头单位 / lead unit” is missing."),
        (
            ["任务内容", "牵头单位", "完成时限", "完成时间"],
            "Row 2, column “完成时间”: This column repeats “完成时限”",
        ),
    ],
    ids=["unknown column", "no deadline column", "no unit column", "repeated column"],
)
def test_bad_columns_are_named(desk, header, expected):
    report = run(desk, workbook([["x"] * len(header)], header=header))
    assert not report.ok
    assert any(e.message.startswith(expected) for e in report.errors), report.errors
    assert not Task.objects.exists()


def test_a_lead_unit_outside_the_assigning_unit_is_refused(desk):
    report = task_import(
        actor=desk.city.zhao,
        directive=desk.directive,
        assigning_org=desk.city.tiexi,
        file=workbook([[1, "任务甲", "铁东区", "", "", "年底前", ""]]),
    )
    assert [e.message for e in report.errors] == [
        "Row 3, column “牵头单位”: 铁东区 is not 铁西区人民政府 or a unit below it, "
        "so it cannot lead this task."
    ]


def test_a_handler_outside_the_lead_unit_is_refused(desk):
    header = ["任务内容", "牵头单位", "经办人", "完成时限"]
    report = run(desk, workbook([["任务甲", "铁东区", "王芳", "年底前"]], header=header))
    assert [e.message for e in report.errors] == [
        "Row 3, column “经办人”: 王芳 does not work in 铁东区人民政府, the lead unit."
    ]


def test_not_a_workbook_is_a_file_error(desk):
    report = run(desk, b"hello, not a spreadsheet")
    assert report.errors[0].row == 0
    assert "not an Excel workbook" in report.errors[0].message


def test_someone_who_may_not_assign_is_refused(desk):
    # Sun sees nothing of it; Wang sees it once 铁西区 has work from it,
    # but may not assign in the city's name.
    with pytest.raises(NotFound):
        task_import(actor=desk.city.sun, directive=desk.directive, file=workbook([]))
    desk.city_task()
    with pytest.raises(NotAllowed):
        task_import(actor=desk.city.wang, directive=desk.directive, file=workbook([]))
    assert Task.objects.count() == 1


def test_long_task_text_keeps_its_first_sentence_as_title(desk):
    text = "全面完成燃煤锅炉淘汰工作。" + "具体包括摸底排查、制定方案、分步实施和验收销号等环节，" * 10
    report = run(desk, workbook([[1, text, "铁西区", "", "", "年底前", ""]]))
    assert report.ok, report.errors
    task = Task.objects.get()
    assert task.title == "全面完成燃煤锅炉淘汰工作。"
    assert task.description == text


def test_resolving_names_does_not_query_per_row(desk, django_assert_max_num_queries):
    def rows(n):
        return [[i, f"任务{i}", "铁西区", "铁东区、生态环境局", "李强", "年底前", ""] for i in range(n)]

    small, large = workbook(rows(3)), workbook(rows(60))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        run(desk, small, dry_run=True)
    with CaptureQueriesContext(connection) as many:
        run(desk, large, dry_run=True)
    assert len(many) == len(few)


def test_importing_is_set_based_and_leaves_the_same_record_as_one_task_at_a_time(desk):
    """A bulk import writes what ``task_create`` would for each row (paths, lights, cooperating units,
    search entries, one audit event per task, a chain that verifies) in batched statements, not
    statements per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.audit.verify import verify_chain
    from luoshi.core import trees
    from luoshi.search.models import SearchEntry

    def rows(n, start):
        return [[i, f"批量任务{i}", "铁西区", "铁东区", "", "年底前", ""] for i in range(start, start + n)]

    with CaptureQueriesContext(connection) as few:
        assert run(desk, workbook(rows(3, 0))).created == 3
    with CaptureQueriesContext(connection) as many:
        assert run(desk, workbook(rows(90, 100))).created == 90
    # Rows go in batches (on SQLite a batch is as many rows as its 999 bound parameters allow, ~20 tasks):
    # thirty times the rows cost a handful more statements, not thirty times as many.
    assert len(many) - len(few) < 87 / 10

    tasks = list(Task.objects.filter(title__startswith="批量任务").prefetch_related("cooperating_orgs"))
    assert len(tasks) == 93
    for task in tasks:
        assert task.path == trees.child_path("", task.pk)
        assert task.depth == 1
        assert [o.pk for o in task.cooperating_orgs.all()] == [desk.city.tiedong.pk]
        assert task.light
        assert task.next_report_due is not None
    created = AuditEvent.objects.filter(action="task.create", object_id__in=[str(t.pk) for t in tasks])
    assert created.count() == 93
    assert SearchEntry.objects.filter(kind="task", object_id__in=[t.pk for t in tasks]).count() == 93
    assert verify_chain().ok


def test_cells_are_read_as_the_list_writes_them(desk):
    """Date cells, numbers, numbers kept as text, blank rows and spaces around names read as before the
    import read workbooks with calamine (``tests/core/test_xlsx.py`` compares the two readers)."""
    data = workbook(
        [
            ["001", "完成燃煤锅炉淘汰", "\u3000铁西区 ", "", "", date(2024, 9, 30), ""],
            [],  # a blank row between tasks
            [2, "开展扬尘专项整治", "铁东区", "", "", 45657, ""],  # a date typed as its serial number
            [3.0, " 巩固整改成果 ", "铁西区", "铁东区", "", "2024-06-30", ""],
        ]
    )
    book = load_workbook(io.BytesIO(data))
    book.active["F5"].number_format = "yyyy-mm-dd"  # shown as 2024-12-31
    out = io.BytesIO()
    book.save(out)
    report = run(desk, out.getvalue())
    assert report.ok, report.errors
    assert [(r.row, r.number, r.title, r.lead, r.deadline_text, r.due_on) for r in report.rows] == [
        (3, "001", "完成燃煤锅炉淘汰", "铁西区", "2024-09-30", date(2024, 9, 30)),
        (5, "2", "开展扬尘专项整治", "铁东区", "2024-12-31", date(2024, 12, 31)),
        (6, "3", "巩固整改成果", "铁西区", "2024-06-30", date(2024, 6, 30)),
    ]
    assert Task.objects.filter(directive=desk.directive).count() == 3


def test_an_error_cell_is_named_as_written(desk):
    data = workbook([[1, "任务甲", "#N/A", "", "", "年底前", ""]])  # a lookup that failed
    report = run(desk, data)
    assert _messages(report) == [(3, "牵头单位", "Row 3, column “牵头单位”: No unit is called “#N/A”.")]
    assert not Task.objects.exists()


def test_the_cycle_collector_is_held_off_only_while_a_file_is_imported(desk, monkeypatch):
    seen = []
    real_import = importer._import

    def spying(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_import(*args, **kwargs)

    monkeypatch.setattr(importer, "_import", spying)
    good = workbook([[1, "完成燃煤锅炉淘汰", "生态环境局", "", "", "年底前", ""]])
    assert run(desk, good).created == 1
    assert not run(desk, b"not a workbook").ok
    assert seen == [False, False]
    assert gc.isenabled()
    gc.disable()  # as another import in the process leaves it
    try:
        assert run(desk, good).created == 1
        assert not gc.isenabled()
    finally:
        gc.enable()
