"""Bulletins as files: each is read back with a library that parses it, and its content and layout
checked (GB/T 9704 margins, fonts including the East-Asian ones, headings, totals, page numbers)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import load_workbook

from luoshi.evaluation.periods import Period
from luoshi.reports import documents, services
from luoshi.reports.models import Bulletin
from tests.evaluation.conftest import Quarter

Q1 = Period.parse("2024-Q1")


@pytest.fixture
def bulletin(quarter: Quarter) -> Bulletin:
    city = quarter.desk.city
    made = services.bulletin_generate(
        actor=city.zhao, org=city.government, period=Q1, language="zh-hans", demands="各单位要压实责任。"
    )
    return services.bulletin_issue(actor=city.zhao, bulletin=made, version=made.version)


def test_content_counts_the_record(bulletin: Bulletin, quarter: Quarter) -> None:
    totals = bulletin.content["totals"]
    assert (totals["items"], totals["closed"], totals["closed_rate"], totals["overdue"]) == (2, 1, 50, 1)
    lagging = bulletin.content["lagging"]
    overdue_no = next(i["no"] for i in bulletin.content["items"] if i["id"] == quarter.overdue.pk)
    assert [(u["name"], u["numbers"]) for u in lagging] == [("铁东区", [overdue_no])]
    assert bulletin.content["period"]["label"] == "2024年第一季度"
    assert bulletin.content["as_of_text"] == "2024年3月1日"
    assert bulletin.doc_number == "市政府督通〔2024〕1号"


def _docx(bulletin: Bulletin) -> Document:
    return Document(io.BytesIO(documents.render(bulletin, "docx")))


def test_docx_has_the_official_layout(bulletin: Bulletin) -> None:
    doc = _docx(bulletin)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [
        round(m.mm)
        for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    ] == [37, 35, 28, 26]
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    texts = [p.text for p in doc.paragraphs]
    title = next(p for p in doc.paragraphs if p.text == bulletin.title)
    assert title.runs[0].font.size == Pt(22)
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    # Every run names its East-Asian font, so Word never falls back to a Latin one for Chinese.
    for paragraph in doc.paragraphs:
        for run in paragraph.runs:
            if run.text.strip():
                assert run._element.rPr.rFonts.get(qn("w:eastAsia")), run.text
    assert "市政府督通〔2024〕1号" in texts
    # The four heading levels of GB/T 9704.
    assert any(t.startswith("一、") for t in texts)
    assert any(t.startswith("（一）") for t in texts)
    assert any(t.startswith("1.") for t in texts)
    assert any(t.startswith("（1）") for t in texts)
    heading = next(p for p in doc.paragraphs if p.text.startswith("一、"))
    assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert "2024年3月1日" in texts  # the day of issue, as official documents write dates
    assert any("各单位要压实责任。" in t for t in texts)
    # Totals: 2 items, 1 closed, 50 %.
    body = "\n".join(texts)
    assert "2" in body
    assert "50" in body


def test_docx_footer_numbers_pages_with_dashes(bulletin: Bulletin) -> None:
    doc = _docx(bulletin)
    for footer in (doc.sections[0].footer, doc.sections[0].even_page_footer):
        xml = footer.paragraphs[0]._element.xml
        assert "PAGE" in xml
        assert 'w:fldCharType="begin"' in xml
        assert footer.paragraphs[0].text.startswith("— ")
        assert footer.paragraphs[0].text.endswith(" —")
    assert doc.settings.odd_and_even_pages_header_footer


def test_docx_tables_hold_the_units_and_the_red_list(bulletin: Bulletin) -> None:
    doc = _docx(bulletin)
    cells = [[c.text for c in row.cells] for table in doc.tables for row in table.rows]
    assert ["铁东区", "1", "0", "0%", "1", cells_of_red(bulletin)] in cells
    assert any(row[1] == "铁西区" for row in cells)


def cells_of_red(bulletin: Bulletin) -> str:
    return str(next(u["red"] for u in bulletin.content["by_unit"] if u["name"] == "铁东区"))


def test_xlsx_reads_back(bulletin: Bulletin, quarter: Quarter) -> None:
    book = load_workbook(io.BytesIO(documents.render(bulletin, "xlsx")))
    assert len(book.sheetnames) == 6
    summary = book.worksheets[0]
    assert summary["A1"].value == bulletin.title
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=5, values_only=True) if row[0]}
    assert list(values.values())[:3] == [2, 1, 50]
    items = book.worksheets[1]
    titles = [row[1] for row in items.iter_rows(min_row=2, values_only=True)]
    assert sorted(titles) == sorted([quarter.on_time.title, quarter.overdue.title])


def test_an_issued_bulletin_is_frozen_and_regenerating_makes_a_new_version(
    bulletin: Bulletin, quarter: Quarter
) -> None:
    city = quarter.desk.city
    before = documents.render(bulletin, "xlsx")
    # The record moves on: the overdue task is cancelled. The issued bulletin still says what it said.
    from luoshi.tasks import workflow

    task = quarter.overdue
    task.refresh_from_db()
    workflow.task_cancel(actor=city.zhao, task=task, version=task.version, reason="并入其他事项")
    bulletin.refresh_from_db()
    assert bulletin.content["totals"]["items"] == 2
    again = services.bulletin_generate(actor=city.zhao, org=city.government, period=Q1, language="zh-hans")
    assert again.number == 2
    assert again.content["totals"]["items"] == 1
    assert load_workbook(io.BytesIO(before)).worksheets[0]["A1"].value == bulletin.title
    issued = services.bulletin_issue(actor=city.zhao, bulletin=again, version=again.version)
    bulletin.refresh_from_db()
    assert bulletin.status == "superseded"
    assert issued.doc_number == "市政府督通〔2024〕2号"


def test_only_supervisors_and_leaders_make_bulletins(quarter: Quarter) -> None:
    from luoshi.core.errors import NotAllowed, NotFound

    city = quarter.desk.city
    with pytest.raises((NotAllowed, NotFound)):
        services.bulletin_generate(actor=city.wang, org=city.government, period=Q1)
    assert not Bulletin.objects.exists()


def test_english_bulletin_dates(quarter: Quarter) -> None:
    city = quarter.desk.city
    with translation.override("en"):
        made = services.bulletin_generate(actor=city.zhao, org=city.government, period=Q1, language="en")
    assert made.content["as_of_text"] == "1 March 2024"


@pytest.mark.skipif(documents.cjk_font_path() is None, reason="no CJK font installed")
def test_pdf_renders_chinese_and_is_not_blank(bulletin: Bulletin, tmp_path: Path) -> None:
    pytest.importorskip("fpdf")
    data = documents.render(bulletin, "pdf")
    assert data.startswith(b"%PDF")
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(data))
    # pypdf returns fpdf2's two-byte CID text with NUL bytes between the characters.
    text = "".join(page.extract_text() for page in reader.pages).replace("\x00", "")
    assert "铁东区" in text
    assert "市政府督通〔2024〕1号" in text
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "bulletin.pdf"
    source.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")],
        check=True,
    )
    image = next(tmp_path.glob("page*.pgm"))
    pixels = image.read_bytes().split(b"\n", 3)[3]
    dark = sum(1 for b in pixels if b < 128)
    assert dark > len(pixels) * 0.005  # ink on the page, not a white sheet
