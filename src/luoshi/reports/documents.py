"""A bulletin's content laid out as files: .docx in the official document layout, .xlsx and .pdf.

The .docx follows GB/T 9704-2012: A4; margins top 37, bottom 35, left 28, right 26 mm; body in 仿宋 16 pt
(三号) at a fixed line pitch (22 lines a page), the title in 小标宋 22 pt (二号), headings 一、（一）1.（1）
in 黑体, 楷体, 仿宋 bold and 仿宋; the date as 2022年9月30日; page numbers "— 1 —" in 宋体 14 pt (四号),
odd pages right, even pages left. Word picks a Chinese font from ``w:eastAsia`` only, so every style and
run sets it explicitly. The fonts are settings (``LUOSHI_BULLETINS``): offices differ in what they have.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from luoshi.core.errors import Conflict

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
CONTENT_TYPES = {"docx": DOCX, "xlsx": XLSX, "pdf": PDF}

CHINESE_NUMERALS = "一二三四五六七八九十"
FONT_DEFAULTS = {
    "body": "仿宋_GB2312",
    "title": "方正小标宋简体",
    "heading1": "黑体",
    "heading2": "楷体_GB2312",
    "page_number": "宋体",
    "latin": "Times New Roman",
}
# Where PDF fonts with Chinese glyphs are looked for, after the LUOSHI_BULLETINS["pdf_font"] setting.
PDF_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
)


class DocumentUnavailable(Conflict):
    """The file cannot be made on this server (a library or a font is missing)."""


def fonts() -> dict[str, str]:
    return FONT_DEFAULTS | dict(getattr(settings, "LUOSHI_BULLETINS", {}).get("fonts", {}))


def heading_number(level: int, n: int) -> str:
    """一、 （一） 1. （1）: the four levels of GB/T 9704 headings."""
    numeral = CHINESE_NUMERALS[n - 1] if n <= 10 else str(n)
    return {1: f"{numeral}、", 2: f"（{numeral}）", 3: f"{n}.", 4: f"（{n}）"}[level]


def movement_text(movement: int | None, previous_rank: int | None) -> str:
    """Rank movement in words and an arrow, never by colour alone."""
    if previous_rank is None:
        return str(_("new"))
    if not movement:
        return "— " + str(_("unchanged"))
    if movement > 0:
        return "↑ " + str(_("up %(places)d") % {"places": movement})
    return "↓ " + str(_("down %(places)d") % {"places": -movement})


def _numbers(numbers: list[int]) -> str:
    return "、".join(str(n) for n in numbers)


# --- the text, shared by every format -----------------------------------------------------------------


def sections(content: dict[str, Any]) -> list[dict[str, Any]]:
    """The body as headings, paragraphs and tables: one structure that each format lays out its way."""
    t = content["totals"]
    blocks: list[dict[str, Any]] = []

    def heading(level: int, n: int, text: str) -> None:
        blocks.append({"kind": "heading", "level": level, "text": heading_number(level, n) + text})

    def para(text: str) -> None:
        blocks.append({"kind": "para", "text": text})

    def table(header: list[str], rows: list[list[str]]) -> None:
        blocks.append({"kind": "table", "header": header, "rows": rows})

    para(
        _(
            "As of %(date)s, %(items)d items are under supervision; %(closed)d are closed, %(rate)d %% of "
            "the total; %(open)d are under way, %(overdue)d of them overdue. Lights of open items: %(red)d "
            "red, %(yellow)d yellow, %(blue)d blue, %(green)d green."
        )
        % {
            "date": content["as_of_text"],
            "items": t["items"],
            "closed": t["closed"],
            "rate": t["closed_rate"],
            "open": t["open"],
            "overdue": t["overdue"],
            "red": t["red"],
            "yellow": t["yellow"],
            "blue": t["blue"],
            "green": t["green"],
        }
    )
    heading(1, 1, _("Overall progress"))
    heading(2, 1, _("By unit"))
    table(
        [_("Unit"), _("Items"), _("Closed"), _("Closed %"), _("Overdue"), _("Red")],
        [
            [
                u["name"],
                str(u["items"]),
                str(u["closed"]),
                f"{u['closed_rate']}%",
                str(u["overdue"]),
                str(u["red"]),
            ]
            for u in content["by_unit"]
        ],
    )
    heading(2, 2, _("By focus area"))
    for n, area in enumerate(content["by_area"], start=1):
        heading(3, n, area["name"])
        para(
            _("%(items)d items, %(closed)d closed, %(overdue)d overdue.")
            % {"items": area["items"], "closed": area["closed"], "overdue": area["overdue"]}
        )

    heading(1, 2, _("Units lagging behind"))
    if content["lagging"]:
        items = {i["no"]: i for i in content["items"]}
        for n, unit in enumerate(content["lagging"], start=1):
            heading(
                3,
                n,
                _("%(unit)s: items %(numbers)s (%(overdue)d overdue, %(red)d red).")
                % {
                    "unit": unit["name"],
                    "numbers": _numbers(unit["numbers"]),
                    "overdue": unit["overdue"],
                    "red": unit["red"],
                },
            )
            for m, number in enumerate(unit["numbers"], start=1):
                item = items[number]
                heading(
                    4,
                    m,
                    _("Item %(no)d, %(title)s: due %(due)s, progress %(progress)d %%, %(state)s.")
                    % {
                        "no": number,
                        "title": item["title"],
                        "due": item["due"],
                        "progress": item["progress"],
                        "state": item["light_label"],
                    },
                )
    else:
        para(_("No unit is lagging behind."))

    heading(1, 3, _("League table"))
    if content["league"]:
        table(
            [_("Rank"), _("Unit"), _("Score"), _("Movement")],
            [
                [
                    str(r["rank"]) if r["rank"] else "—",
                    r["name"],
                    r["score"] if r["score"] is not None else _("no data"),
                    movement_text(r["movement"], r["previous_rank"]),
                ]
                for r in content["league"]
            ],
        )
    else:
        para(_("No scores for this period."))

    heading(1, 4, _("Red list"))
    if content["red_list"]:
        table(
            [_("No."), _("Item"), _("Lead unit"), _("Handler"), _("Deadline"), _("Progress")],
            [
                [str(r["no"]), r["title"], r["lead"], r["handler"], r["due"], f"{r['progress']}%"]
                for r in content["red_list"]
            ],
        )
    else:
        para(_("No item shows a red light."))

    heading(1, 5, _("Next demands"))
    if content["demands"]:
        for n, demand in enumerate(content["demands"], start=1):
            para(heading_number(3, n) + demand)
    else:
        para(_("Keep every item on schedule and report on time."))
    return blocks


def title_of(content: dict[str, Any]) -> str:
    return _("Supervision bulletin of %(org)s, %(period)s") % {
        "org": content["org"]["name"],
        "period": content["period"]["label"],
    }


def date_text(bulletin: Any) -> str:
    """The date under the signature: the day of issue, or (a draft) the day the figures are as of."""
    from luoshi.reports.content import format_date

    if bulletin.issued_on:
        return format_date(bulletin.issued_on, bulletin.content["language"])
    return str(bulletin.content["as_of_text"])


def doc_number_line(bulletin: Any) -> str:
    return bulletin.doc_number or str(_("(draft, not yet numbered)"))


# --- .docx ----------------------------------------------------------------------------------------------


def _set_fonts(element: Any, east_asia: str, latin: str) -> None:
    """Set every script's font on a style's or run's ``w:rPr``; Word reads Chinese from ``w:eastAsia``."""
    from docx.oxml.ns import qn

    rpr = element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:cs"), latin)


def _run(paragraph: Any, text: str, *, font: str, size: float, bold: bool = False, color: Any = None) -> Any:
    from docx.shared import Pt

    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    _set_fonts(run._element, font, fonts()["latin"])
    return run


def _page_number(paragraph: Any) -> None:
    """ "— N —" with N a PAGE field, in 宋体 四号 (14 pt)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    f = fonts()["page_number"]
    _run(paragraph, "— ", font=f, size=14)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = _run(paragraph, "", font=f, size=14)
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
        else:
            run.text = text
    _run(paragraph, " —", font=f, size=14)


def _red_rule(paragraph: Any) -> None:
    """The red separator line under the document number (版头中的分隔线)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "FF0000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def render_docx(bulletin: Any) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt, RGBColor

    content = bulletin.content
    f = fonts()
    with translation.override(content["language"]):
        document = Document()
        section = document.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        section.footer_distance = Mm(20)
        normal = document.styles["Normal"]
        normal.font.size = Pt(16)
        normal.font.name = f["latin"]
        _set_fonts(normal.element, f["body"], f["latin"])
        fmt = normal.paragraph_format
        # 22 lines a page: (297 − 37 − 35) mm / 22 ≈ 28.9 pt.
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(28.9)
        fmt.space_before = fmt.space_after = Pt(0)

        mark = document.add_paragraph()
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(mark, str(_("Supervision Bulletin")), font=f["title"], size=36, color=RGBColor(0xFF, 0, 0))
        number = document.add_paragraph()
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(number, doc_number_line(bulletin), font=f["body"], size=16)
        _red_rule(number)
        document.add_paragraph()
        title = document.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(title, bulletin.title, font=f["title"], size=22)
        document.add_paragraph()

        heading_fonts = {
            1: (f["heading1"], False),
            2: (f["heading2"], False),
            3: (f["body"], True),
            4: (f["body"], False),
        }
        for block in sections(content):
            if block["kind"] == "table":
                table = document.add_table(rows=1, cols=len(block["header"]))
                table.style = "Table Grid"
                table.alignment = WD_TABLE_ALIGNMENT.CENTER
                for cell, text in zip(table.rows[0].cells, block["header"], strict=True):
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                    _run(cell.paragraphs[0], str(text), font=f["heading1"], size=12)
                for row in block["rows"]:
                    cells = table.add_row().cells
                    for cell, text in zip(cells, row, strict=True):
                        _run(cell.paragraphs[0], str(text), font=f["body"], size=12)
                for row in table.rows:
                    for cell in row.cells:
                        cell.paragraphs[0].paragraph_format.line_spacing = Pt(20)
                continue
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.first_line_indent = Pt(32)
            if block["kind"] == "heading":
                font, bold = heading_fonts[block["level"]]
                _run(paragraph, block["text"], font=font, size=16, bold=bold)
            else:
                _run(paragraph, block["text"], font=f["body"], size=16)

        document.add_paragraph()
        signature = document.add_paragraph()
        signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        signature.paragraph_format.right_indent = Pt(64)
        _run(signature, content["org"]["name"], font=f["body"], size=16)
        dated = document.add_paragraph()
        dated.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        dated.paragraph_format.right_indent = Pt(64)
        _run(dated, date_text(bulletin), font=f["body"], size=16)

        # Page numbers: odd pages on the right, even pages on the left, one character in from the edge.
        document.settings.odd_and_even_pages_header_footer = True
        odd = section.footer.paragraphs[0]
        odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        odd.paragraph_format.right_indent = Pt(14)
        _page_number(odd)
        even = section.even_page_footer.paragraphs[0]
        even.alignment = WD_ALIGN_PARAGRAPH.LEFT
        even.paragraph_format.left_indent = Pt(14)
        _page_number(even)

        document.core_properties.title = bulletin.title
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


# --- .xlsx ----------------------------------------------------------------------------------------------


def render_xlsx(bulletin: Any) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    content = bulletin.content
    bold = Font(bold=True)
    with translation.override(content["language"]):
        book = Workbook()
        summary = book.active
        summary.title = str(_("Summary"))[:31]
        summary.append([bulletin.title])
        summary["A1"].font = Font(bold=True, size=14)
        summary.append([doc_number_line(bulletin)])
        summary.append([str(_("As of")), content["as_of_text"]])
        summary.append([])
        t = content["totals"]
        for label, value in (
            (_("Items"), t["items"]),
            (_("Closed"), t["closed"]),
            (_("Closed %"), t["closed_rate"]),
            (_("Under way"), t["open"]),
            (_("Overdue"), t["overdue"]),
            (_("Red"), t["red"]),
            (_("Yellow"), t["yellow"]),
            (_("Blue"), t["blue"]),
            (_("Green"), t["green"]),
        ):
            summary.append([str(label), value])
        summary.column_dimensions["A"].width = 24
        summary.column_dimensions["B"].width = 16

        def sheet(name: str, header: list[str], rows: list[list[Any]], widths: list[int]) -> None:
            ws = book.create_sheet(str(name)[:31])
            ws.append([str(h) for h in header])
            for cell in ws[1]:
                cell.font = bold
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            for row in rows:
                ws.append(row)
            for index, width in enumerate(widths):
                ws.column_dimensions[chr(ord("A") + index)].width = width
            ws.freeze_panes = "A2"

        sheet(
            _("Items"),
            [
                _("No."),
                _("Task"),
                _("Lead unit"),
                _("Handler"),
                _("Deadline"),
                _("Status"),
                _("Light"),
                _("Progress"),
            ],
            [
                [
                    i["no"],
                    i["title"],
                    i["lead"],
                    i["handler"],
                    i["due"],
                    i["status_label"],
                    i["light_label"],
                    i["progress"] / 100,
                ]
                for i in content["items"]
            ],
            [6, 48, 20, 12, 12, 12, 12, 10],
        )
        items_sheet = book[str(_("Items"))[:31]]
        for (cell,) in items_sheet.iter_rows(min_row=2, min_col=8, max_col=8):
            cell.number_format = "0%"
        sheet(
            _("By unit"),
            [_("Unit"), _("Items"), _("Closed"), _("Closed %"), _("Overdue"), _("Red"), _("Lagging items")],
            [
                [
                    u["name"],
                    u["items"],
                    u["closed"],
                    u["closed_rate"],
                    u["overdue"],
                    u["red"],
                    _numbers(u["lagging_numbers"]),
                ]
                for u in content["by_unit"]
            ],
            [20, 8, 8, 10, 8, 8, 20],
        )
        sheet(
            _("League table"),
            [_("Rank"), _("Unit"), _("Score"), _("Movement")],
            [
                [
                    r["rank"],
                    r["name"],
                    float(r["score"]) if r["score"] is not None else None,
                    movement_text(r["movement"], r["previous_rank"]),
                ]
                for r in content["league"]
            ],
            [8, 20, 10, 14],
        )
        sheet(
            _("Red list"),
            [_("No."), _("Item"), _("Lead unit"), _("Handler"), _("Deadline"), _("Progress")],
            [
                [r["no"], r["title"], r["lead"], r["handler"], r["due"], r["progress"]]
                for r in content["red_list"]
            ],
            [6, 48, 20, 12, 12, 10],
        )
        sheet(
            _("Next demands"),
            [_("No."), _("Demand")],
            [[n, d] for n, d in enumerate(content["demands"], 1)],
            [6, 90],
        )
        buffer = io.BytesIO()
        book.save(buffer)
    return buffer.getvalue()


# --- .pdf -----------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """A font file with Chinese glyphs: the setting, the usual packages' paths, or what fontconfig finds."""
    configured = getattr(settings, "LUOSHI_BULLETINS", {}).get("pdf_font")
    for candidate in (configured, *PDF_FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        # Fixed arguments, and the program found on PATH above: nothing from users reaches the command.
        found = subprocess.run(  # noqa: S603
            [fc_match, "-f", "%{file}", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return found if found and Path(found).is_file() and found.endswith((".ttf", ".otf", ".ttc")) else None


@lru_cache(maxsize=4)
def _face_number(path: str) -> int:
    """In a collection (.ttc), the number of the Simplified Chinese face (e.g. "Noto Serif CJK SC")."""
    if not path.endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    for number, font in enumerate(collection.fonts):
        if (font["name"].getDebugName(1) or "").endswith(" SC"):
            return number
    return 0


def render_pdf(bulletin: Any) -> bytes:
    try:
        from fpdf import FPDF
        from fpdf.fonts import FontFace
    except ModuleNotFoundError as exc:
        raise DocumentUnavailable(
            _("PDF output is not installed on this server (the fpdf2 package).")
        ) from exc
    path = cjk_font_path()
    if path is None:
        raise DocumentUnavailable(
            _("No font with Chinese characters is installed for PDF output; install fonts-noto-cjk.")
        )
    # fontTools reports every table it subsets at INFO: noise in the server's log for each download.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    content = bulletin.content
    with translation.override(content["language"]):
        pdf = FPDF(format="A4", unit="mm")
        pdf.set_margins(left=28, top=37, right=26)
        pdf.set_auto_page_break(auto=True, margin=35)
        # One face only: every face is parsed and subset on each document, which is what costs time.
        pdf.add_font("cjk", fname=path, collection_font_number=_face_number(path))
        pdf.alias_nb_pages()

        def footer() -> None:
            pdf.set_y(-25)
            pdf.set_font("cjk", size=14)
            align = "R" if pdf.page_no() % 2 else "L"
            pdf.cell(0, 10, f"— {pdf.page_no()} —", align=align)

        pdf.footer = footer  # type: ignore[method-assign]
        pdf.add_page()
        width = pdf.epw
        pdf.set_font("cjk", size=30)
        pdf.set_text_color(255, 0, 0)
        pdf.cell(width, 16, str(_("Supervision Bulletin")), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("cjk", size=16)
        pdf.cell(width, 10, doc_number_line(bulletin), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(255, 0, 0)
        pdf.set_line_width(0.6)
        pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.l_margin + width, pdf.get_y() + 2)
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(0.2)
        pdf.ln(8)
        pdf.set_font("cjk", size=22)
        pdf.multi_cell(width, 12, bulletin.title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        line = 10.2  # 28.9 pt
        for block in sections(content):
            if block["kind"] == "table":
                pdf.set_font("cjk", size=11)
                headings = FontFace(emphasis=None, fill_color=(235, 235, 235))
                with pdf.table(text_align="LEFT", line_height=7, headings_style=headings) as table:
                    for row in [block["header"], *block["rows"]]:
                        cells = table.row()
                        for text in row:
                            cells.cell(str(text))
                pdf.ln(2)
                continue
            pdf.set_font("cjk", size=16)
            pdf.multi_cell(width, line, "\u3000\u3000" + block["text"], new_x="LMARGIN", new_y="NEXT")
        pdf.ln(line)
        pdf.cell(width - 22, line, content["org"]["name"], align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.cell(width - 22, line, date_text(bulletin), align="R")
        return bytes(pdf.output())


RENDERERS = {"docx": render_docx, "xlsx": render_xlsx, "pdf": render_pdf}


def render(bulletin: Any, file_format: str) -> bytes:
    return RENDERERS[file_format](bulletin)
