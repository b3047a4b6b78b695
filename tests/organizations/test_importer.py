"""Importing organisation units from .xlsx: all or nothing, row-by-row errors, parents resolved in bulk."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl import Workbook, load_workbook

from luoshi.audit.models import AuditEvent
from luoshi.core import trees
from luoshi.core.errors import ValidationFailed
from luoshi.organizations import importer
from luoshi.organizations import services as orgs
from luoshi.organizations.importer import organization_import, template_workbook
from luoshi.organizations.models import Organization, OrganizationKind, User

EN = ["name", "parent", "kind", "region code", "short name", "sort order"]
ZH = ["名称", "上级单位", "类型", "区划代码", "简称", "排序"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Messages are asserted in their English source form.
pytestmark = pytest.mark.usefixtures("english")


def workbook_bytes(rows: list[list[Any]], *, prepare: Any = None) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    for row in rows:
        sheet.append(row)
    if prepare is not None:
        prepare(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(rows: list[list[Any]], *, name: str = "units.xlsx", prepare: Any = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, workbook_bytes(rows, prepare=prepare), content_type=XLSX)


def node(name: str) -> Organization:
    return Organization.objects.get(name=name)


@contextmanager
def nothing_written() -> Iterator[None]:
    orgs_before = Organization.objects.count()
    events_before = AuditEvent.objects.count()
    yield
    assert Organization.objects.count() == orgs_before
    assert AuditEvent.objects.count() == events_before


def where(report: importer.ImportReport) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in report.errors]


# --- files that import ----------------------------------------------------------------------------


def test_good_file_creates_the_units_under_their_parents(city):
    events_before = AuditEvent.objects.count()
    report = organization_import(
        actor=city.admin,
        file=upload(
            [
                EN,
                # Its parent is written by short name and comes later in the file.
                ["千山区东鞍山街道", "千山区", "township", None, None, 2],
                ["千山区人民政府", "市政府", "district", 210311, "千山区", 5],
                ["兴盛社区", "铁西区兴盛街道", "community", "", "", ""],
            ]
        ),
    )
    assert report.ok, report.errors
    assert report.created == 3
    assert [(r.row, r.name, r.parent, r.action) for r in report.rows] == [
        (2, "千山区东鞍山街道", "千山区", "create"),
        (3, "千山区人民政府", "市政府", "create"),
        (4, "兴盛社区", "铁西区兴盛街道", "create"),
    ]

    district, street, community = node("千山区人民政府"), node("千山区东鞍山街道"), node("兴盛社区")
    assert district.parent_id == city.government.pk
    assert (district.kind, district.region_code, district.short_name, district.sort_order) == (
        OrganizationKind.DISTRICT,
        "210311",
        "千山区",
        5,
    )
    assert street.parent_id == district.pk
    assert street.path == district.path + trees.segment(street.pk)
    assert (street.depth, street.kind, street.sort_order, street.region_code) == (3, "township", 2, None)
    assert community.parent_id == city.tiexi_street.pk
    assert community.path == city.tiexi_street.path + trees.segment(community.pk)
    assert {r.organization_id for r in report.rows} == {district.pk, street.pk, community.pk}

    # One event per unit, then one summary for the import that points at the first unit created.
    assert AuditEvent.objects.count() == events_before + 4
    summary = AuditEvent.objects.order_by("-seq").first()
    assert summary is not None
    assert summary.action == "organization.import"
    assert summary.object_type == "organizations.import"
    assert summary.object_id == str(district.pk)
    assert summary.changes == {"created": 3, "file": "units.xlsx"}
    assert summary.actor_id == city.admin.pk


def test_chinese_headers_in_any_order_below_a_title(city):
    report = organization_import(
        actor=city.admin,
        file=upload(
            [
                ["鞍山市组织机构导入表"],
                ["类型", "名 称", "上级单位*", "区划代码（选填）", "备注"],
                ["社区/村", "前进社区", "兴盛街道办事处", None, "notes are ignored"],
                ["乡镇街道", "兴盛街道办事处", "铁西区", "", ""],
                ["部门", "市发展和改革委员会", "鞍山市人民政府", "", ""],
            ]
        ),
    )
    assert report.ok, report.errors
    assert report.created == 3
    assert node("兴盛街道办事处").parent_id == city.tiexi.pk
    assert node("前进社区").parent == node("兴盛街道办事处")
    assert node("前进社区").kind == OrganizationKind.COMMUNITY
    assert node("市发展和改革委员会").kind == OrganizationKind.DEPARTMENT


def test_a_chain_written_leaves_first(city):
    report = organization_import(
        actor=city.tiexi_admin,
        file=upload(
            [
                EN,
                ["C", "B", "community"],
                ["B", "A", "township"],
                ["A", "铁西区", "township"],
            ]
        ),
    )
    assert report.ok, report.errors
    a, b, c = node("A"), node("B"), node("C")
    assert (a.parent_id, b.parent_id, c.parent_id) == (city.tiexi.pk, a.pk, b.pk)
    assert c.path == city.tiexi.path + trees.segment(a.pk) + trees.segment(b.pk) + trees.segment(c.pk)
    # Parents are created first, so ids grow down the chain.
    assert a.pk < b.pk < c.pk


def test_blank_and_merged_trailing_rows_are_ignored_and_a_merged_parent_fills_down(city):
    def prepare(sheet):
        sheet.merge_cells("B3:B4")  # 铁西区兴盛街道 written once for both communities
        sheet.merge_cells("A9:F11")  # an empty merged block under the data
        sheet["C40"].number_format = "@"  # formatting far below the last row
        sheet["A50"] = "   "

    report = organization_import(
        actor=city.admin,
        file=upload(
            [
                EN,
                ["和平社区", "铁西区兴盛街道", "community"],
                ["幸福社区", "铁西区兴盛街道", "community"],
                ["团结社区", None, "community"],
                [],
                [None, None, None, None],
            ],
            prepare=prepare,
        ),
    )
    assert report.ok, report.errors
    assert report.created == 3
    assert [r.row for r in report.rows] == [2, 3, 4]
    assert {o.name for o in Organization.objects.filter(parent=city.tiexi_street)} == {
        "和平社区",
        "幸福社区",
        "团结社区",
    }


def test_a_path_picks_one_of_two_units_with_the_same_name(city):
    for district in (city.tiexi, city.tiedong):
        orgs.organization_create(actor=None, parent=district, name="办公室", kind=OrganizationKind.DEPARTMENT)
    report = organization_import(
        actor=city.admin,
        file=upload(
            [
                EN,
                ["文秘科", "办公室", "department"],
                ["档案科", "铁东区/办公室", "department"],
            ]
        ),
    )
    assert where(report) == [(2, "parent")]
    assert "full name" in report.errors[0].message
    assert report.rows[1].ok

    report = organization_import(
        actor=city.admin, file=upload([EN, ["档案科", "铁东区人民政府 / 办公室", "department"]])
    )
    assert report.ok, report.errors
    assert node("档案科").parent.parent_id == city.tiedong.pk


def test_dry_run_checks_everything_and_writes_nothing(city):
    with nothing_written():
        report = organization_import(
            actor=city.admin, file=upload([EN, ["新局", "市政府", "department"]]), dry_run=True
        )
    assert report.ok
    assert report.dry_run
    assert report.created == 0
    assert [(r.name, r.action) for r in report.rows] == [("新局", "create")]


def test_a_superuser_may_create_a_top_level_unit(city):
    root = User.objects.create_superuser("root", password="Root-pass-2026")
    report = organization_import(
        actor=root,
        file=upload(
            [EN, ["辽阳市人民政府", "", "government", "211000"], ["辽阳市督查室", "辽阳市人民政府", "部门"]]
        ),
    )
    assert report.ok, report.errors
    top = node("辽阳市人民政府")
    assert top.parent_id is None
    assert top.depth == 1
    assert node("辽阳市督查室").parent_id == top.pk


def test_the_template_imports_as_it_is(city):
    with translation.override("zh-hans"):
        data = template_workbook()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[1]] == ZH
    report = organization_import(actor=city.admin, file=data)
    assert report.ok, report.errors
    assert report.created == 2
    assert node("千山区东鞍山街道").parent == node("千山区人民政府")

    with translation.override("en"):
        english = load_workbook(io.BytesIO(template_workbook())).worksheets[0]
    assert [c.value for c in english[1]] == EN
    assert english.max_row >= 3


def test_a_path_on_disk_is_accepted(city, tmp_path):
    path = tmp_path / "单位.xlsx"
    path.write_bytes(workbook_bytes([EN, ["新局", "市政府", "department"]]))
    report = organization_import(actor=city.admin, file=path)
    assert report.ok, report.errors
    assert AuditEvent.objects.order_by("-seq").first().changes == {"created": 1, "file": "单位.xlsx"}


# --- rows that are wrong --------------------------------------------------------------------------

GOOD = ["市审计局", "市政府", "department"]

BAD_ROWS = {
    "missing name": ([["", "市政府", "department"]], [(2, "name")], "name is missing"),
    "missing kind": ([["新局", "市政府", ""]], [(2, "kind")], "kind is missing"),
    "unknown kind": ([["新局", "市政府", "bureau"]], [(2, "kind")], "bureau is not a kind"),
    "region code with a leading zero": (
        [["新区", "市政府", "district", "021030"]],
        [(2, "region code")],
        "021030 is not a region code",
    ),
    "region code too short": (
        [["新区", "市政府", "district", 21030]],
        [(2, "region code")],
        "21030 is not a region code",
    ),
    "region code twice in the file": (
        [["新区", "市政府", "district", "210399"], ["另一新区", "市政府", "district", "210399"]],
        [(3, "region code")],
        "already used by row 2",
    ),
    "region code of an existing unit": (
        [["新区", "市政府", "district", "210303"]],
        [(2, "region code")],
        "already belongs to 铁西区人民政府",
    ),
    "unknown parent": (
        [["新局", "市人民代表大会", "department"]],
        [(2, "parent")],
        "No unit named 市人民代表大会",
    ),
    "same name twice under one parent": (
        [["新局", "市政府", "department"], ["新局", "鞍山市人民政府", "department"]],
        [(3, "name")],
        "Row 2 already adds 新局",
    ),
    "same name as an existing unit": (
        [["市生态环境局", "市政府", "department"]],
        [(2, "name")],
        "already has a unit named 市生态环境局",
    ),
    "a unit that is its own parent": ([["新局", "新局", "department"]], [(2, "parent")], "its own parent"),
    "parents in a circle": (
        [["甲", "乙", "department"], ["乙", "丙", "department"], ["丙", "甲", "department"]],
        [(2, "parent"), (3, "parent"), (4, "parent")],
        "rows 2、3、4 lead round in a circle",
    ),
    "no parent for a non-superuser": ([["新市", "", "government"]], [(2, "parent")], "top-level unit"),
    "sort order not a number": (
        [["新局", "市政府", "department", "", "", "first"]],
        [(2, "sort order")],
        "whole",
    ),
    "name too long": ([["长" * 101, "市政府", "department"]], [(2, "name")], "longer than 100"),
}


@pytest.mark.parametrize(("rows", "expected", "fragment"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_reported_and_nothing_is_created(city, rows, expected, fragment):
    with nothing_written():
        report = organization_import(actor=city.admin, file=upload([EN, *rows, GOOD]))
    assert not report.ok
    assert report.created == 0
    assert where(report) == expected
    assert fragment in report.errors[0].message
    first_row, first_column = expected[0]
    assert report.errors[0].message.startswith(f"Row {first_row}, column “{first_column}”:")
    # The good row is reported as fine; nothing of it was written either.
    assert report.rows[-1].name == "市审计局"
    assert report.rows[-1].ok
    assert not Organization.objects.filter(name="市审计局").exists()


def test_an_existing_unit_is_reported_as_exists(city):
    report = organization_import(
        actor=city.admin, file=upload([EN, ["铁西区兴盛街道", "铁西区", "乡镇街道"]])
    )
    assert [(r.action, r.ok) for r in report.rows] == [("exists", False)]


def test_restating_an_existing_unit_does_not_make_its_children_ambiguous(city):
    with nothing_written():
        report = organization_import(
            actor=city.admin,
            file=upload(
                [EN, ["铁西区兴盛街道", "铁西区", "township"], ["新社区", "铁西区兴盛街道", "community"]]
            ),
        )
    assert where(report) == [(2, "name")]
    assert [r.action for r in report.rows] == ["exists", "create"]


def test_errors_name_the_columns_as_written_in_the_file(city):
    with nothing_written():
        report = organization_import(
            actor=city.admin, file=upload([ZH, ["", "不存在", "局", "0123"], ["新局", "市政府", "部门"]])
        )
    assert where(report) == [(2, "名称"), (2, "类型"), (2, "区划代码"), (2, "上级单位")]
    assert report.rows[0].messages == [e.message for e in report.errors]


def test_a_district_admin_cannot_import_under_a_sibling_district(city):
    with nothing_written():
        report = organization_import(
            actor=city.tiexi_admin,
            file=upload(
                [EN, ["铁西区新社区", "铁西区兴盛街道", "community"], ["铁东区新街道", "铁东区", "township"]]
            ),
        )
    # 铁东区 is invisible to them, so it reads as unknown rather than forbidden.
    assert where(report) == [(3, "parent")]
    assert "No unit named 铁东区" in report.errors[0].message


def test_a_district_admin_cannot_import_under_the_city(city):
    with nothing_written():
        report = organization_import(
            actor=city.tiexi_admin, file=upload([EN, ["新局", "市政府", "department"]])
        )
    assert where(report) == [(2, "parent")]
    assert "may not add units under 鞍山市人民政府" in report.errors[0].message


def test_a_handler_cannot_import_under_their_own_district(city):
    with nothing_written():
        report = organization_import(actor=city.wang, file=upload([EN, ["新街道", "铁西区", "township"]]))
    assert where(report) == [(2, "parent")]
    assert "may not add units" in report.errors[0].message


def test_a_deactivated_parent_is_refused(city):
    orgs.organization_update(actor=None, org=city.tiexi_street, version=None, is_active=False)
    with nothing_written():
        report = organization_import(
            actor=city.admin, file=upload([EN, ["新社区", "铁西区兴盛街道", "community"]])
        )
    assert where(report) == [(2, "parent")]
    assert "deactivated" in report.errors[0].message


# --- files that are wrong -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("name,parent,kind\n新局,市政府,department\n".encode(), "not an Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "old-format Excel file (.xls)"),
        (b"", "not an Excel workbook (.xlsx)"),
    ],
    ids=["csv", "xls", "zero bytes"],
)
def test_a_file_that_is_not_xlsx_is_refused_clearly(city, data, fragment):
    with nothing_written():
        report = organization_import(actor=city.admin, file=SimpleUploadedFile("units.xlsx", data))
    assert where(report) == [(0, "")]
    assert fragment in report.errors[0].message
    assert report.rows == []


def test_a_zip_that_is_not_a_workbook_is_refused(city):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    report = organization_import(actor=city.admin, file=SimpleUploadedFile("report.docx", out.getvalue()))
    assert where(report) == [(0, "")]
    assert ".xlsx" in report.errors[0].message


def test_an_empty_workbook(city):
    with nothing_written():
        report = organization_import(actor=city.admin, file=upload([]))
    assert where(report) == [(0, "")]
    assert "empty" in report.errors[0].message


def test_a_header_without_rows(city):
    report = organization_import(actor=city.admin, file=upload([EN, [], []]))
    assert where(report) == [(1, "")]
    assert "no units" in report.errors[0].message


def test_a_missing_required_header(city):
    with nothing_written():
        report = organization_import(
            actor=city.admin, file=upload([["名称", "上级单位"], ["新局", "市政府"]])
        )
    assert where(report) == [(1, "类型")]
    assert "no 类型 column" in report.errors[0].message


def test_no_header_row_at_all(city):
    report = organization_import(actor=city.admin, file=upload([["新局", "市政府", "department"]]))
    assert where(report) == [(1, "")]
    assert "No header row" in report.errors[0].message


def test_too_many_rows(city, settings):
    settings.LUOSHI_IMPORT_MAX_ROWS = 3
    rows = [[f"新局{i}", "市政府", "department"] for i in range(4)]
    with nothing_written():
        report = organization_import(actor=city.admin, file=upload([EN, *rows]))
    assert where(report) == [(5, "")]
    assert "more than 3 rows" in report.errors[0].message


# --- atomicity and cost ---------------------------------------------------------------------------


def test_a_failure_while_creating_keeps_nothing(city, monkeypatch):
    real_create = orgs.organization_create
    calls = []

    def flaky_create(**kwargs):
        calls.append(kwargs["name"])
        if len(calls) == 2:
            raise ValidationFailed("invalid", fields={"region_code": ["Taken a moment ago."]})
        return real_create(**kwargs)

    monkeypatch.setattr(importer, "organization_create", flaky_create)
    with nothing_written():
        report = organization_import(
            actor=city.admin,
            file=upload([EN, ["新局", "市政府", "department"], ["新区", "市政府", "district", "210399"]]),
        )
    assert calls == ["新局", "新区"]
    assert where(report) == [(3, "region code")]
    assert "Taken a moment ago." in report.errors[0].message
    assert report.created == 0
    assert all(r.organization_id is None for r in report.rows)


def test_checking_a_large_file_takes_a_fixed_number_of_queries(city, django_assert_max_num_queries):
    parents = ["铁西区兴盛街道", "铁东区站前街道", "市生态环境局", "市政府", "铁西区"]
    rows = [[f"单位{i}", parents[i % len(parents)], "community", 100000 + i] for i in range(1500)]
    # Some parents come from the file itself.
    rows += [[f"下级{i}", f"单位{i}", "community"] for i in range(500)]
    file = upload([EN, *rows])
    # Loading visible units (chunked), rights per distinct parent, duplicates, region codes.
    with django_assert_max_num_queries(40):
        report = organization_import(actor=city.admin, file=file, dry_run=True)
    assert report.ok, report.errors[:3]
    assert len(report.rows) == 2000
