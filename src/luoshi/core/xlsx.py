"""Reading the first worksheet of an uploaded Excel workbook (.xlsx) as plain cell values.

The values are those of openpyxl's read-only, values-only reading, which the importers were written
against: ``None`` for an empty cell, ``int`` for a whole number, ``float``, ``str`` as written (spaces
kept), ``bool``, ``datetime`` for a date cell (midnight when it has no time), ``time`` and ``timedelta``;
rows start at row 1 and column A, so a row's index is its spreadsheet number.

python-calamine (Rust) reads a sheet some twenty times faster than openpyxl, and reads most workbooks. Two
kinds go to openpyxl's streaming reader instead:

- Workbooks calamine would read differently: it turns error cells ("#N/A" from a failed lookup) into empty
  ones, and an importer that sees "#N/A" can say which cell is wrong.
- Workbooks calamine cannot hold in bounded memory. It sizes its memory from what the file declares: one
  slot for every cell between A1 and the furthest cell a row or cell names, a list as long as the shared
  strings' declared count. A failed allocation aborts the process (Rust does not raise), so a file of a
  few kilobytes naming cell XFD1048576 would end the web worker. Every part of the package is checked
  for such numbers before calamine sees it (some hundredths of a second for ten thousand rows).

Where calamine still reads a file differently from openpyxl, it mostly reads what Excel shows: a date in
one of the Chinese built-in formats (numFmtId 27-36, 50-58) is a date rather than its serial number,
``_x000D_`` is a carriage return rather than those seven characters, and cells beyond a stale
``<dimension>`` element are read rather than dropped. A cell holding an empty text is empty (``None``),
and text not marked to keep its spaces (Excel marks all that have some at their ends) loses them there.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, NamedTuple

# Bounds on what calamine is given (see the module docstring). A task list of 20,000 rows and 100 columns
# fits; its grid is some 64 MB while it is read.
MAX_CELLS = 2_000_000
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_PACKAGE_BYTES = 256 * 1024 * 1024

_UTF16 = (b"\xff\xfe", b"\xfe\xff")
# Whitespace inside tags may be any of these; read as spaces, one pattern finds every written position.
_SPACES = bytes.maketrans(b"\t\n\r", b"   ")
# A row's or a cell's position (``r="B12"``, ``r="12"``), as ``_plain_positions`` makes sure all are written.
_POSITION = re.compile(rb' r="([A-Za-z]*)([0-9]+)"')
# A declared count (``count="…"``, ``uniqueCount="…"``): calamine reserves the shared strings' up front.
_COUNT = re.compile(rb"""ount *= *["']([0-9]+)""")
_ERROR_CELL = re.compile(rb"""t *= *["']e["']""")
_MERGE = re.compile(r'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


class NotAWorkbook(Exception):
    """The bytes are not a workbook either reader can read."""


class Merge(NamedTuple):
    """A merged range, by 1-based rows and columns, both ends included."""

    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass
class Worksheet:
    """The rows of a workbook's first worksheet, from row 1 and column A, and its merged ranges."""

    rows: Iterator[list[Any]]
    merges: list[Merge]


def first_worksheet(data: bytes) -> Worksheet:
    """The first worksheet (chart sheets are not worksheets) of the .xlsx file ``data``.

    Raises ``NotAWorkbook`` when neither reader can read it."""
    return read_with_calamine(data) or read_with_openpyxl(data)


# --- calamine -------------------------------------------------------------------------------------


def read_with_calamine(data: bytes) -> Worksheet | None:
    """The first worksheet read by calamine, or None when it is left to openpyxl (see the module)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            if not _calamine_reads_as_openpyxl(package):
                return None
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        index = next(
            i for i, sheet in enumerate(workbook.sheets_metadata) if sheet.typ != SheetTypeEnum.ChartSheet
        )
        sheet = workbook.get_sheet_by_index(index)
        rows = sheet.to_python(skip_empty_area=False)
        merges = [
            Merge(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or ()
        ]
    # Whatever calamine cannot read, openpyxl reads as before or refuses.
    except Exception:
        return None
    return Worksheet(rows=_openpyxl_values(rows, merges), merges=merges)


def _calamine_reads_as_openpyxl(package: zipfile.ZipFile) -> bool:
    """No error cells and nothing calamine would size past the bounds, in any part of the package (any
    part may be the one the workbook names as its first sheet)."""
    parts = package.infolist()
    if sum(part.file_size for part in parts) > MAX_PACKAGE_BYTES:
        return False
    for part in parts:
        if part.file_size > MAX_PART_BYTES:
            return False
        xml = package.read(part)
        if xml.startswith(_UTF16):
            return False  # calamine reads such a part as empty
        xml = xml.translate(_SPACES)
        if not _plain_positions(xml) or _cells_spanned(xml) > MAX_CELLS:
            return False
        if any(int(count) > MAX_CELLS for count in _COUNT.findall(xml)):
            return False
        if (b'"e"' in xml or b"'e'" in xml) and _ERROR_CELL.search(xml):
            return False
    return True


def _plain_positions(xml: bytes) -> bool:
    """Every row and cell is written as Excel, WPS and openpyxl write them, its position first
    (``<row r="12"``, ``<c r="B12"``), so that ``_POSITION`` finds every position calamine will use.

    A row or cell without a position follows the one before it, so a few megabytes of them could span
    any grid; such files (and prefixed tags, ``<x:c``) go to openpyxl. The counts compare the same
    occurrences, so nothing elsewhere in the part (a comment, a string) can make up for one."""
    return (
        xml.count(b"<c ") == xml.count(b'<c r="')
        and xml.count(b"<row ") == xml.count(b'<row r="')
        and xml.count(b" r=") == xml.count(b' r="')
        and not any(tag in xml for tag in (b"<c>", b"<row>", b":c ", b":c>", b":row ", b":row>", b" r ="))
    )


def _cells_spanned(xml: bytes) -> int:
    """The cells of the grid from A1 to the furthest row and column named in ``xml``."""
    positions = _POSITION.findall(xml)
    if not positions:
        return 0
    # Many cells share a row: each distinct number is converted once.
    rows = max(map(int, set(map(itemgetter(1), positions))))
    columns = max(map(_column_number, set(map(itemgetter(0), positions))))
    return rows * max(columns, 1)


def _column_number(letters: bytes) -> int:
    number = 0
    for code in letters.upper():
        number = number * 26 + code - 64
    return number


def _openpyxl_values(rows: list[list[Any]], merges: list[Merge]) -> Iterator[list[Any]]:
    """calamine's rows with openpyxl's values, and the rows a merge covers below the last value (openpyxl
    reads them as the worksheet's dimension includes them, and a merge down a column counts for them)."""
    for row in rows:
        # Most cells hold text, which needs no change: tested first, inline.
        yield [value if type(value) is str and value else _openpyxl_value(value) for value in row]
    for _ in range(len(rows), max((m.max_row for m in merges), default=0)):
        yield []


def _openpyxl_value(value: Any) -> Any:
    if value == "":
        return None
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is date:
        # A cell's date has no time zone; openpyxl gives it as a naive midnight.
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001
    return value


# --- openpyxl -------------------------------------------------------------------------------------


def read_with_openpyxl(data: bytes) -> Worksheet:
    """The first worksheet read by openpyxl, streamed."""
    from openpyxl import load_workbook
    from openpyxl.utils.cell import range_boundaries

    try:
        # Read-only mode streams the rows but does not load merged ranges, so those are read from the
        # worksheet's XML directly.
        workbook = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
        sheet = workbook.worksheets[0]
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            xml = package.read(sheet._worksheet_path).decode("utf-8", "replace")
    # A zip that is not a workbook fails in many ways inside openpyxl; to the uploader they mean one thing.
    except Exception as exc:
        raise NotAWorkbook from exc
    merges = []
    for ref in _MERGE.findall(xml):
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        # The pattern admits only full ranges ("A1:B2"), so no bound is missing.
        merges.append(Merge(min_row or 0, min_col or 0, max_row or 0, max_col or 0))
    return Worksheet(rows=(list(row) for row in sheet.iter_rows(values_only=True)), merges=merges)
