"""Recognising files by their bytes, and cleaning the names they came with."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from luoshi.evidence import checks, filetypes
from tests.evidence import samples


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("整改报告.pdf", "整改报告.pdf"),
        ("C:\\Users\\王芳\\Desktop\\现场照片.jpg", "现场照片.jpg"),
        ("../../etc/passwd", "passwd"),
        # A right-to-left override would display "photo\u202egpj.exe" as "photoexe.jpg".
        ("photo\u202egpj.exe", "photogpj.exe"),
        ('a<b>:"c"|?*.docx', "a_b___c____.docx"),
        ("  报告\t 终稿 .pdf. ", "报告 终稿 .pdf"),
        ("line\nbreak.pdf", "linebreak.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("...", "evidence"),
        ("", "evidence"),
        ("长" * 300 + ".xlsx", "长" * 195 + ".xlsx"),
    ],
)
def test_clean_name(raw: str, clean: str) -> None:
    assert filetypes.clean_name(raw) == clean


@pytest.mark.parametrize(
    ("name", "kind", "result"),
    [
        ("照片.JPEG", filetypes.JPEG, "照片.JPEG"),
        ("scan.pdf", filetypes.PNG, "scan.png"),
        ("2024.03.01检查", filetypes.PDF, "2024.03.01检查.pdf"),
        ("表格.et", filetypes.XLS, "表格.et"),
    ],
)
def test_names_follow_the_content(name: str, kind: filetypes.Kind, result: str) -> None:
    assert filetypes.name_for(name, kind) == result


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (samples.jpeg(), filetypes.JPEG),
        (samples.png(), filetypes.PNG),
        (samples.heic(), filetypes.HEIC),
        (samples.pdf(), filetypes.PDF),
        (samples.docx(), filetypes.DOCX),
        (samples.xlsx(), filetypes.XLSX),
        (samples.pptx(), filetypes.PPTX),
    ],
)
def test_sniff_recognises_by_content_alone(content: bytes, kind: filetypes.Kind, settings) -> None:
    assert filetypes.sniff(io.BytesIO(content), "no-extension") == kind


def test_an_executable_with_a_zip_inside_is_not_an_office_document() -> None:
    self_extracting = samples.exe() + samples.docx()
    with pytest.raises(filetypes.Refused, match="is not a PDF, image or Office document"):
        filetypes.sniff(io.BytesIO(self_extracting), "setup.docx")


def test_ole2_needs_an_office_name() -> None:
    assert filetypes.sniff(io.BytesIO(samples.ole2()), "旧表.xls").content_type == filetypes.OLE2_CONTENT_TYPE
    with pytest.raises(filetypes.Refused):
        filetypes.sniff(io.BytesIO(samples.ole2()), "mail.msg")


def test_system_check_refuses_evidence_among_static_files(settings, tmp_path: Path) -> None:
    assert checks.evidence_outside_static() == []

    settings.STATIC_ROOT = tmp_path / "media"
    [error] = checks.evidence_outside_static()
    assert error.id == "luoshi.evidence.E001"
