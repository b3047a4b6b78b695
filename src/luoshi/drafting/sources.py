"""Reading a directive's text from an upload: a .txt file (UTF-8, or GB18030 as Chinese Windows saves
it) or a .docx document (its paragraphs and tables, with python-docx)."""

from __future__ import annotations

import io

import docx
from docx.text.paragraph import Paragraph

from luoshi.drafting.analysis import AnalysisError

ZIP_MAGIC = b"PK\x03\x04"


def read_upload(name: str, data: bytes, *, max_bytes: int) -> str:
    """The text of an uploaded file, or ``AnalysisError`` (too_long, binary, file_type, empty)."""
    if len(data) > max_bytes:
        raise AnalysisError("too_long")
    lowered = name.lower()
    if lowered.endswith(".docx"):
        return _docx_text(data)
    if lowered.endswith(".txt") or "." not in lowered:
        return _plain_text(data)
    raise AnalysisError("file_type")


def _plain_text(data: bytes) -> str:
    if b"\x00" in data[:8192] or data.startswith(ZIP_MAGIC):
        raise AnalysisError("binary")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AnalysisError("binary")


def _docx_text(data: bytes) -> str:
    """The paragraphs of the document body in order, with the paragraphs of its tables."""
    if not data.startswith(ZIP_MAGIC):
        raise AnalysisError("binary")
    try:
        document = docx.Document(io.BytesIO(data))
    # A zip that is not a Word document fails in several ways inside python-docx; all mean the same here.
    except Exception as exc:
        raise AnalysisError("binary") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            for row in block.rows:
                lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)
