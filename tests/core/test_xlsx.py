"""Reading uploaded workbooks (``luoshi.core.xlsx``): calamine gives the values openpyxl gave, and a
workbook it would read differently or could not hold in bounded memory is read by openpyxl instead."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
import python_calamine
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from luoshi.core import xlsx


def _naive(*parts: int) -> datetime:
    return datetime(*parts)  # noqa: DTZ001 (Excel cells are naive)


def _bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _patched(data: bytes, part: str, change) -> bytes:
    """``data`` with the XML of ``part`` passed through ``change`` (for what openpyxl will not write)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, change(content) if item.filename == part else content)
    return out.getvalue()


@pytest.fixture
def opened(monkeypatch):
    """The workbooks handed to calamine."""
    handed: list[bytes] = []
    real = python_calamine.CalamineWorkbook

    class Recording:
        @staticmethod
        def from_filelike(filelike, *args, **kwargs):
            handed.append(filelike.getvalue())
            return real.from_filelike(filelike, *args, **kwargs)

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Recording)
    return handed


def _rows(sheet: xlsx.Worksheet) -> list[list[object]]:
    """The rows without the empty cells at their ends (openpyxl pads rows to the widest) and without
    empty rows at the end, with each value's type."""
    rows = []
    for row in sheet.rows:
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append([(type(v).__name__, v) for v in values])
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _government_list() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet["B1"] = "2024年重点工作任务清单"  # the table starts in column B, below a title
    sheet.merge_cells("B1:H1")
    sheet.append([None, "序号", "任务内容", "牵头单位", "完成时限", "金额", "备注", "日期时间"])
    sheet.append(
        [None, 1, "  完成燃煤锅炉淘汰\u3000", " 市生态环境局 ", date(2024, 9, 30), 2.5, "00123", None]
    )
    sheet.append([])  # a blank row between tasks
    sheet.append([None, 2.0, "多行\n文本", None, "年底前", -7, "", _naive(2024, 9, 30, 14, 30)])
    sheet.append([None, 3, "开展扬尘专项整治", "铁西区", 45565, 0.1 + 0.2, True, time(9, 30)])
    sheet["E6"].number_format = "yyyy/m/d"  # a date typed as a number, shown as a date
    sheet.append([None, "一、分组标题"])
    sheet.merge_cells("B7:H7")
    sheet.append([None, 4, CellRichText(["富", TextBlock(InlineFont(b=True), "文本")]), "铁东区"])
    sheet.append([None, 5, "=1+1", None, timedelta(hours=30)])
    sheet["F9"].number_format = "[h]:mm:ss"
    sheet["E10"] = date(2024, 12, 31)
    sheet["E10"].number_format = 'yyyy"年"m"月"d"日"'
    sheet.merge_cells("D8:D11")  # a lead unit merged down past the last row with a value
    return _bytes(book)


def test_calamine_reads_a_government_list_as_openpyxl_did():
    data = _government_list()
    fast = xlsx.read_with_calamine(data)
    assert fast is not None
    before = xlsx.read_with_openpyxl(data)
    assert _rows(fast) == _rows(before)
    assert sorted(fast.merges) == sorted(before.merges) == [(1, 2, 1, 8), (7, 2, 7, 8), (8, 4, 11, 4)]
    rows = _rows(xlsx.read_with_calamine(data))
    assert rows[2][1:5] == [
        ("int", 1),
        ("str", "  完成燃煤锅炉淘汰\u3000"),
        ("str", " 市生态环境局 "),
        ("datetime", _naive(2024, 9, 30)),
    ]
    assert rows[5][1:5] == [
        ("int", 3),
        ("str", "开展扬尘专项整治"),
        ("str", "铁西区"),
        ("datetime", _naive(2024, 9, 30)),
    ]
    assert rows[2][6] == ("str", "00123")
    assert rows[3] == []


def test_a_workbook_written_in_streaming_mode_reads_the_same():
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["序号", "任务内容", "牵头单位", "完成时限"])
    for n in range(1, 50):
        sheet.append([n, f"任务{n}", "铁西区", date(2024, 10, 1) + timedelta(days=n)])
    sheet.append([])
    sheet.append([None, None, None, "年底前"])
    data = _bytes(book)
    fast = xlsx.read_with_calamine(data)
    assert fast is not None
    assert _rows(fast) == _rows(xlsx.read_with_openpyxl(data))


def test_error_cells_are_read_by_openpyxl_which_keeps_them(opened):
    book = Workbook()
    book.active.append(["任务内容", "牵头单位"])
    book.active.append(["任务甲", "#N/A"])  # a lookup that failed
    data = _bytes(book)
    assert xlsx.read_with_calamine(data) is None
    assert opened == []
    assert _rows(xlsx.first_worksheet(data))[1] == [("str", "任务甲"), ("str", "#N/A")]


def _far_cell(ref: str) -> bytes:
    book = Workbook()
    book.active["A1"] = "任务内容"
    book.active[ref] = "x"
    return _bytes(book)


@pytest.mark.parametrize(
    "change",
    [
        # A cell far away: calamine would hold every cell from A1 to it.
        lambda xml: xml,
        # The same cell written with other quotes and spaces.
        lambda xml: xml.replace(b'<c r="ZZ100000"', b"<c\tr = 'zz100000'"),
        # A cell without a position follows the one before it.
        lambda xml: xml.replace(b'<c r="ZZ100000"', b"<c"),
    ],
    ids=["far cell", "far cell written otherwise", "cell without position"],
)
def test_a_sheet_calamine_could_not_hold_goes_to_openpyxl(change, opened):
    data = _patched(_far_cell("ZZ100000"), "xl/worksheets/sheet1.xml", change)
    assert xlsx.read_with_calamine(data) is None
    assert opened == []  # calamine never saw it: its allocation would have ended the process
    assert next(xlsx.first_worksheet(data).rows)[0] == "任务内容"


def test_a_declared_string_count_calamine_could_not_hold_goes_to_openpyxl(opened):
    data = _bytes(Workbook())
    strings = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>'
    )
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert "xl/sharedStrings.xml" not in package.namelist()
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as package:
        package.writestr("xl/sharedStrings.xml", strings)
    assert xlsx.read_with_calamine(out.getvalue()) is None
    assert opened == []


def test_a_sheet_within_bounds_is_read_by_calamine(opened):
    data = _far_cell("CV1000")  # 100 columns, 1,000 rows
    assert xlsx.read_with_calamine(data) is not None
    assert opened == [data]


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 not really a zip",
        _patched(_bytes(Workbook()), "xl/workbook.xml", lambda xml: b"<nonsense"),
    ],
    ids=["broken zip", "broken workbook"],
)
def test_what_neither_reader_reads_is_not_a_workbook(data):
    with pytest.raises(xlsx.NotAWorkbook):
        xlsx.first_worksheet(data)


def test_an_empty_sheet_has_no_rows():
    data = _bytes(Workbook())
    assert xlsx.read_with_calamine(data) is not None
    assert _rows(xlsx.first_worksheet(data)) == []


def test_merged_ranges_come_from_the_sheet():
    book = Workbook()
    book.active["A1"] = "标题"
    book.active.merge_cells("A1:C1")
    data = _bytes(book)
    assert xlsx.read_with_calamine(data).merges == [xlsx.Merge(1, 1, 1, 3)]
