"""Importing organisation units from an Excel workbook (.xlsx), all or nothing.

The first worksheet holds a header row (Chinese or English headers, any order; a title row above it is
skipped) and one unit per row. The whole file is read and checked before anything is written; only when
every row is valid are the units created, parents first, through ``organization_create`` in one
transaction, followed by one summary audit event.

A parent is named by its full name or short name. It may be a unit the actor can see or a unit anywhere
in the same file. When several units carry the name, ``parent/name`` (any number of levels, e.g.
``铁西区/兴盛街道``) picks one out.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from luoshi.access import Action, can, visible
from luoshi.audit import services as audit
from luoshi.core.errors import ValidationFailed
from luoshi.organizations.models import Organization, OrganizationKind
from luoshi.organizations.services import organization_create

# How far down a title or notes block may push the header row.
HEADER_SEARCH_ROWS = 10
# Bound on the parameters of one ``IN (...)`` query (SQLite allows 32766 per statement).
QUERY_CHUNK = 500
NAME_MAX = Organization._meta.get_field("name").max_length or 100
SHORT_NAME_MAX = Organization._meta.get_field("short_name").max_length or 40
SORT_ORDER_LIMIT = 2**31 - 1
REGION_CODE_RE = re.compile(r"^[1-9]\d{5}$")
ZIP_MAGIC = b"PK\x03\x04"
# Legacy .xls workbooks and password-protected .xlsx files are both OLE2 compound documents.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` is the spreadsheet row number (0 for the file as a whole), ``column`` the
    header as written in the file ("" when the problem is not one column's)."""

    row: int
    column: str
    message: str


@dataclass
class RowResult:
    """What a row of the file does: create a unit, or name one that already exists (an error)."""

    row: int
    name: str
    parent: str  # as written in the file; "" for a top-level unit
    action: Literal["create", "exists"]
    messages: list[str] = field(default_factory=list)
    organization_id: int | None = None  # set once the unit has been created

    @property
    def ok(self) -> bool:
        return not self.messages


@dataclass
class ImportReport:
    """The outcome of an import: every row, every problem, and how many units were created."""

    file_name: str
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)
    created: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- columns --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...]
    required: bool


COLUMNS = (
    _Column("name", "名称", "name", ("单位名称", "unit name", "organisation", "organization"), True),
    _Column("parent", "上级单位", "parent", ("上级", "上级单位名称", "parent unit"), True),
    _Column("kind", "类型", "kind", ("单位类型", "type"), True),
    _Column("region_code", "区划代码", "region code", ("行政区划代码", "division code"), False),
    _Column("short_name", "简称", "short name", ("单位简称",), False),
    _Column("sort_order", "排序", "sort order", ("排序号", "order"), False),
)


def _header_key(text: str) -> str:
    """``"Region_Code *"``, ``"区划代码（必填）"`` and ``"region code"`` all read as ``"region code"``."""
    text = text.strip().casefold()
    text = re.sub(r"[(（](必填|选填|可选|required|optional)[)）]$", "", text)
    text = text.rstrip("*＊ ").replace("_", " ").replace("-", " ")
    text = re.sub(r"\s+", " ", text).strip()
    # Chinese headers are often spaced out for looks (名 称).
    return text.replace(" ", "") if re.search(r"[\u4e00-\u9fff]", text) else text


_HEADERS: dict[str, _Column] = {
    _header_key(word): column for column in COLUMNS for word in (column.zh, column.en, *column.aliases)
}


KIND_CHOICES = "政府、党委、部门、区县、乡镇街道、社区村 / " + ", ".join(OrganizationKind.values)


def _kind_key(text: str) -> str:
    return re.sub(r"[\s/／、_\-]+", "", text.casefold())


_KINDS: dict[str, str] = {
    _kind_key(word): kind
    for kind, words in {
        OrganizationKind.GOVERNMENT: ("政府", "government"),
        OrganizationKind.PARTY: ("党委", "party", "party committee"),
        OrganizationKind.DEPARTMENT: ("部门", "department"),
        OrganizationKind.DISTRICT: ("区县", "district", "district or county"),
        OrganizationKind.TOWNSHIP: ("乡镇街道", "township", "township or street"),
        OrganizationKind.COMMUNITY: ("社区村", "community", "community or village"),
    }.items()
    for word in words
}


# --- reading the workbook -------------------------------------------------------------------------


def _error(row: int, column: str, detail: str) -> RowError:
    """An error whose message names its row and column, so it reads on its own (e.g. in a log)."""
    if row and column:
        message = _("Row %(row)d, column “%(column)s”: %(detail)s") % {
            "row": row,
            "column": column,
            "detail": detail,
        }
    elif row:
        message = _("Row %(row)d: %(detail)s") % {"row": row, "detail": detail}
    else:
        message = detail
    return RowError(row, column, message)


class _FileProblem(Exception):
    """The file as a whole cannot be imported; carries the errors to report."""

    def __init__(self, *errors: RowError) -> None:
        super().__init__(errors)
        self.errors = list(errors)


def _read_bytes(file: Any) -> tuple[bytes, str]:
    if isinstance(file, bytes | bytearray):
        return bytes(file), ""
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            return handle.read(), os.path.basename(os.fspath(file))
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read()
    return data, os.path.basename(str(getattr(file, "name", "") or ""))


def _not_xlsx() -> _FileProblem:
    return _FileProblem(
        _error(
            0,
            "",
            _(
                "This file is not an Excel workbook (.xlsx). Save it in Excel or WPS as "
                "“Excel Workbook (*.xlsx)” and upload it again."
            ),
        )
    )


def _open_sheet(data: bytes) -> Any:
    if data.startswith(OLE2_MAGIC):
        raise _FileProblem(
            _error(
                0,
                "",
                _(
                    "This is an old-format Excel file (.xls) or a password-protected workbook. Save it as "
                    "“Excel Workbook (*.xlsx)” without a password and upload it again."
                ),
            )
        )
    if not data.startswith(ZIP_MAGIC):
        raise _not_xlsx()
    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    # A zip that is not a workbook (a .docx, a damaged download) fails in many different ways inside
    # openpyxl and zipfile; to the person uploading it they all mean the same thing.
    except Exception as exc:
        raise _not_xlsx() from exc
    return workbook.worksheets[0]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\u3000", " ").replace("\xa0", " ").strip()


def _sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """Non-blank rows with their numbers. A cell merged down a column (a parent written once beside all
    its children) counts for every row it covers; merges and formatting with no text are ignored."""
    fill_down: dict[tuple[int, int], Any] = {}
    for merged in sheet.merged_cells.ranges:
        top = sheet.cell(merged.min_row, merged.min_col).value
        if merged.max_row > merged.min_row and _cell_text(top):
            for row in range(merged.min_row + 1, merged.max_row + 1):
                fill_down[(row, merged.min_col)] = top
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if all(_cell_text(v) == "" for v in values):
            continue
        cells = list(values)
        if fill_down:
            for index in range(len(cells)):
                if (number, index + 1) in fill_down and _cell_text(cells[index]) == "":
                    cells[index] = fill_down[(number, index + 1)]
        yield number, cells


@dataclass
class _Row:
    """One unit as read from the file, then resolved against the tree."""

    number: int
    name: str
    parent_text: str
    kind: str
    short_name: str
    region_code: str | None
    sort_order: int
    errors: list[RowError] = field(default_factory=list)
    parent: Organization | _Row | None = None
    exists: bool = False

    def fail(self, column: str, detail: str) -> None:
        self.errors.append(_error(self.number, column, detail))


Node = Organization | _Row


class _Sheet:
    """The header row and data rows of the first worksheet."""

    def __init__(self, sheet: Any) -> None:
        rows = _sheet_rows(sheet)
        self.header_row, self.columns = self._find_header(rows)
        self.zh = any(re.search(r"[\u4e00-\u9fff]", header) for _index, header in self.columns.values())
        self.data: list[tuple[int, list[Any]]] = []
        limit = settings.LUOSHI_IMPORT_MAX_ROWS
        for number, cells in rows:
            if len(self.data) >= limit:
                raise _FileProblem(
                    _error(
                        number,
                        "",
                        _("The file has more than %(limit)d rows of units. Split it into smaller files.")
                        % {"limit": limit},
                    )
                )
            self.data.append((number, cells))
        if not self.data:
            raise _FileProblem(
                _error(self.header_row, "", _("The file has a header row but no units below it."))
            )

    def _find_header(self, rows: Iterator[tuple[int, list[Any]]]) -> tuple[int, dict[str, tuple[int, str]]]:
        first: int | None = None
        for number, cells in rows:
            first = first or number
            found: dict[str, tuple[int, str]] = {}
            duplicates: list[RowError] = []
            for index, value in enumerate(cells):
                header = _cell_text(value)
                column = _HEADERS.get(_header_key(header))
                if column is None:
                    continue
                if column.key in found:
                    duplicates.append(
                        _error(
                            number,
                            header,
                            _("The column %(column)s appears twice in the header row; keep one.")
                            % {"column": header},
                        )
                    )
                found[column.key] = (index, header)
            if found:
                zh = any(re.search(r"[\u4e00-\u9fff]", header) for _index, header in found.values())
                missing = [
                    _error(
                        number,
                        c.zh if zh else c.en,
                        _("The header row has no %(column)s column (write %(zh)s or %(en)s as its header).")
                        % {"column": c.zh if zh else c.en, "zh": c.zh, "en": c.en},
                    )
                    for c in COLUMNS
                    if c.required and c.key not in found
                ]
                if duplicates or missing:
                    raise _FileProblem(*duplicates, *missing)
                return number, found
            if number >= HEADER_SEARCH_ROWS:
                break
        if first is None:
            raise _FileProblem(_error(0, "", _("The file is empty: it has no header row and no units.")))
        raise _FileProblem(
            _error(
                first,
                "",
                _(
                    "No header row was found. The first row must name the columns: %(headers)s "
                    "(or in English: %(english)s)."
                )
                % {
                    "headers": "、".join(c.zh for c in COLUMNS if c.required),
                    "english": ", ".join(c.en for c in COLUMNS if c.required),
                },
            )
        )

    def header(self, key: str) -> str:
        if key in self.columns:
            return self.columns[key][1]
        column = next(c for c in COLUMNS if c.key == key)
        return column.zh if self.zh else column.en

    def value(self, cells: list[Any], key: str) -> Any:
        if key not in self.columns:
            return None
        index = self.columns[key][0]
        return cells[index] if index < len(cells) else None

    def parse(self) -> list[_Row]:
        return [self._parse_row(number, cells) for number, cells in self.data]

    def _parse_row(self, number: int, cells: list[Any]) -> _Row:
        row = _Row(
            number=number,
            name=_cell_text(self.value(cells, "name")),
            parent_text=_cell_text(self.value(cells, "parent")),
            kind="",
            short_name=_cell_text(self.value(cells, "short_name")),
            region_code=None,
            sort_order=0,
        )
        if not row.name:
            row.fail(self.header("name"), _("The name is missing."))
        elif len(row.name) > NAME_MAX:
            row.fail(
                self.header("name"),
                _("The name is longer than %(limit)d characters.") % {"limit": NAME_MAX},
            )
        if len(row.short_name) > SHORT_NAME_MAX:
            row.fail(
                self.header("short_name"),
                _("The short name is longer than %(limit)d characters.") % {"limit": SHORT_NAME_MAX},
            )
        kind_text = _cell_text(self.value(cells, "kind"))
        if not kind_text:
            row.fail(self.header("kind"), _("The kind is missing."))
        elif _kind_key(kind_text) not in _KINDS:
            row.fail(
                self.header("kind"),
                _("%(kind)s is not a kind of unit. Use one of: %(choices)s.")
                % {"kind": kind_text, "choices": KIND_CHOICES},
            )
        else:
            row.kind = _KINDS[_kind_key(kind_text)]
        code = _cell_text(self.value(cells, "region_code"))
        if code:
            if REGION_CODE_RE.match(code):
                row.region_code = code
            else:
                row.fail(
                    self.header("region_code"),
                    _(
                        "%(code)s is not a region code. A region code is six digits and "
                        "does not start with 0, e.g. 210302."
                    )
                    % {"code": code},
                )
        order = _cell_text(self.value(cells, "sort_order"))
        if order:
            try:
                row.sort_order = int(order)
            except ValueError:
                row.sort_order = 0
            if not re.fullmatch(r"[+-]?\d+", order) or abs(row.sort_order) > SORT_ORDER_LIMIT:
                row.sort_order = 0
                row.fail(
                    self.header("sort_order"),
                    _("The sort order must be a whole number, not %(value)s.") % {"value": order},
                )
        return row


# --- resolving parents against the tree and the file ----------------------------------------------


def _chunks(items: Iterable[str], size: int = QUERY_CHUNK) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _segments(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[/／]", text) if part.strip()]


class _Resolver:
    """Finds each row's parent among the visible units and the rows of the file, without a query per row."""

    def __init__(self, actor: Any, rows: list[_Row]) -> None:
        self.rows = rows
        wanted = {part for row in rows for part in [row.parent_text, *_segments(row.parent_text)] if part}
        self.existing: dict[int, Organization] = {}
        for batch in _chunks(sorted(wanted)):
            # Every unit the actor can see whose name or short name is mentioned as (part of) a parent.
            units = visible(actor, Organization.objects.filter(Q(name__in=batch) | Q(short_name__in=batch)))
            self.existing.update((unit.pk, unit) for unit in units)
        self.by_name: dict[str, list[Node]] = {}
        self.by_short_name: dict[str, list[Node]] = {}
        nodes: list[Node] = [*self.existing.values(), *(row for row in rows if row.name)]
        for node in nodes:
            self.by_name.setdefault(node.name, []).append(node)
            if node.short_name:
                self.by_short_name.setdefault(node.short_name, []).append(node)
        self._resolving: set[int] = set()
        self._done: set[int] = set()

    def resolve_all(self, parent_header: str) -> None:
        for row in self.rows:
            self._resolve(row, parent_header)

    def _matches(self, text: str, exclude: _Row | None) -> list[Node]:
        """Units with this full name, or else with this short name."""
        for index in (self.by_name, self.by_short_name):
            found = [node for node in index.get(text, []) if node is not exclude]
            if found:
                return found
        return []

    def _parent_of(self, node: Node, parent_header: str) -> Node | None:
        if isinstance(node, _Row):
            self._resolve(node, parent_header)
            return node.parent
        return self.existing.get(node.parent_id) if node.parent_id else None

    def _resolve(self, row: _Row, parent_header: str) -> None:
        if row.number in self._done or row.number in self._resolving or not row.parent_text:
            return
        self._resolving.add(row.number)
        try:
            row.parent = self._find(row, parent_header)
        finally:
            self._resolving.discard(row.number)
            self._done.add(row.number)

    def _find(self, row: _Row, parent_header: str) -> Node | None:
        text = row.parent_text
        candidates = self._matches(text, exclude=row)
        segments = _segments(text)
        if not candidates and len(segments) > 1:
            candidates = [
                node
                for node in self._matches(segments[-1], exclude=row)
                if self._ancestors_match(node, segments[:-1], parent_header)
            ]
        if len(candidates) > 1:
            candidates = self._without_restatements(candidates, parent_header)
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            row.fail(
                parent_header,
                _(
                    "%(parent)s matches %(count)d units. Write the full name of the one you "
                    "mean, or the unit above it and its name joined by “/” (e.g. 铁西区/兴盛街道)."
                )
                % {"parent": text, "count": len(candidates)},
            )
        elif text in (row.name, row.short_name):
            row.fail(parent_header, _("A unit cannot be its own parent."))
        else:
            row.fail(
                parent_header,
                _("No unit named %(parent)s was found among the units you can see or in this file.")
                % {"parent": text},
            )
        return None

    def _without_restatements(self, candidates: list[Node], parent_header: str) -> list[Node]:
        """Drop rows that restate an existing unit (same name, same parent): they are that unit, and are
        reported as already existing; their children should not read as ambiguous too."""
        existing = {(c.parent_id, c.name) for c in candidates if isinstance(c, Organization)}

        def restates(node: Node) -> bool:
            if not isinstance(node, _Row):
                return False
            parent = self._parent_of(node, parent_header)
            if isinstance(parent, _Row) or (parent is None and node.parent_text):
                return False
            return (parent.pk if parent is not None else None, node.name) in existing

        return [c for c in candidates if not restates(c)]

    def _ancestors_match(self, node: Node, names: list[str], parent_header: str) -> bool:
        current: Node | None = node
        for name in reversed(names):
            current = self._parent_of(current, parent_header) if current is not None else None
            if current is None or name not in (current.name, current.short_name):
                return False
        return True


def _check_cycles(rows: list[_Row], parent_header: str) -> None:
    """Rows of the file whose parents lead back to themselves can never be created."""
    state: dict[int, str] = {}
    for start in rows:
        trail: list[_Row] = []
        node: Node | None = start
        while isinstance(node, _Row) and node.number not in state:
            state[node.number] = "open"
            trail.append(node)
            node = node.parent
        if isinstance(node, _Row) and state[node.number] == "open":
            loop = trail[trail.index(node) :]
            numbers = "、".join(str(r.number) for r in loop)
            for member in loop:
                member.fail(
                    parent_header,
                    _(
                        "The parents of rows %(rows)s lead round in a circle; one of them "
                        "needs a parent outside the circle."
                    )
                    % {"rows": numbers},
                )
        for member in trail:
            state[member.number] = "closed"


def _parent_key(row: _Row) -> tuple[str, int]:
    if isinstance(row.parent, Organization):
        return ("unit", row.parent.pk)
    if isinstance(row.parent, _Row):
        return ("row", row.parent.number)
    return ("root", 0)


def _parent_label(row: _Row) -> str:
    return row.parent.name if row.parent is not None else row.parent_text


def _check_rights(actor: Any, rows: list[_Row], parent_header: str) -> None:
    allowed: dict[int, bool] = {}
    is_superuser = bool(getattr(actor, "is_superuser", False))
    for row in rows:
        if isinstance(row.parent, Organization):
            parent = row.parent
            if parent.pk not in allowed:
                allowed[parent.pk] = can(actor, Action.ADD_CHILD, parent)
            if not parent.is_active:
                row.fail(
                    parent_header,
                    _("%(parent)s is deactivated; units cannot be added under it.") % {"parent": parent.name},
                )
            elif not allowed[parent.pk]:
                row.fail(
                    parent_header,
                    _("You may not add units under %(parent)s.") % {"parent": parent.name},
                )
        elif not row.parent_text and not is_superuser:
            row.fail(
                parent_header,
                _(
                    "The parent unit is missing. Only a system administrator can create a top-level unit; "
                    "write the name of the unit this one belongs under."
                ),
            )


def _check_duplicates(sheet: _Sheet, rows: list[_Row]) -> None:
    name_header = sheet.header("name")
    first_by_key: dict[tuple[tuple[str, int], str], _Row] = {}
    for row in rows:
        if not row.name or (row.parent_text and row.parent is None):
            continue
        key = (_parent_key(row), row.name)
        if key in first_by_key:
            row.fail(
                name_header,
                _("Row %(first)d already adds %(name)s under %(parent)s.")
                % {
                    "first": first_by_key[key].number,
                    "name": row.name,
                    "parent": _parent_label(row) or _("the top level"),
                },
            )
        else:
            first_by_key[key] = row

    under_units = [r for r in rows if r.name and isinstance(r.parent, Organization)]
    taken: set[tuple[int | None, str]] = set()
    parent_ids = {r.parent.pk for r in under_units if isinstance(r.parent, Organization)}
    for batch in _chunks(sorted({r.name for r in under_units})):
        taken.update(
            Organization.objects.filter(parent_id__in=parent_ids, name__in=batch).values_list(
                "parent_id", "name"
            )
        )
    roots = [r for r in rows if r.name and not r.parent_text]
    for batch in _chunks(sorted({r.name for r in roots})):
        taken.update(
            Organization.objects.filter(parent__isnull=True, name__in=batch).values_list("parent_id", "name")
        )
    for row in [*under_units, *roots]:
        parent_id = row.parent.pk if isinstance(row.parent, Organization) else None
        if (parent_id, row.name) in taken:
            row.exists = True
            row.fail(
                name_header,
                _("%(parent)s already has a unit named %(name)s.")
                % {"parent": row.parent.name, "name": row.name}
                if isinstance(row.parent, Organization)
                else _("A top-level unit named %(name)s already exists.") % {"name": row.name},
            )


def _check_region_codes(actor: Any, sheet: _Sheet, rows: list[_Row]) -> None:
    header = sheet.header("region_code")
    first_by_code: dict[str, _Row] = {}
    for row in rows:
        if row.region_code is None:
            continue
        if row.region_code in first_by_code:
            row.fail(
                header,
                _("Region code %(code)s is already used by row %(first)d.")
                % {"code": row.region_code, "first": first_by_code[row.region_code].number},
            )
        else:
            first_by_code[row.region_code] = row
    used: dict[str, tuple[int, str]] = {}
    for batch in _chunks(sorted(first_by_code)):
        holders = Organization.objects.filter(region_code__in=batch).values_list("region_code", "pk", "name")
        used.update((code, (pk, name)) for code, pk, name in holders if code)
    if not used:
        return
    # Name the unit holding the code only to someone who may see it.
    seen = set(
        visible(actor, Organization.objects.filter(pk__in=[pk for pk, _name in used.values()])).values_list(
            "pk", flat=True
        )
    )
    for code, (pk, name) in used.items():
        row = first_by_code[code]
        if pk in seen:
            message = _("Region code %(code)s already belongs to %(unit)s.") % {
                "code": code,
                "unit": name,
            }
        else:
            message = _("Region code %(code)s already belongs to another unit.") % {
                "code": code,
            }
        row.fail(header, message)


def _creation_order(rows: list[_Row]) -> list[_Row]:
    """Parents before children, otherwise in the order of the file."""
    ordered: list[_Row] = []
    placed: set[int] = set()
    for row in rows:
        chain: list[_Row] = []
        node: Node | None = row
        while isinstance(node, _Row) and node.number not in placed:
            chain.append(node)
            node = node.parent
        for member in reversed(chain):
            placed.add(member.number)
            ordered.append(member)
    return ordered


# --- the use case ---------------------------------------------------------------------------------


class _CreateFailed(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


def organization_import(*, actor: Any, file: Any, dry_run: bool = False) -> ImportReport:
    """Check every row of ``file`` (an upload, a binary file, bytes or a path) and, unless ``dry_run``,
    create all its units in one transaction. Nothing is written if any row is wrong."""
    data, file_name = _read_bytes(file)
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    try:
        sheet = _Sheet(_open_sheet(data))
    except _FileProblem as problem:
        report.errors = problem.errors
        return report

    rows = sheet.parse()
    parent_header = sheet.header("parent")
    _Resolver(actor, rows).resolve_all(parent_header)
    _check_cycles(rows, parent_header)
    _check_rights(actor, rows, parent_header)
    _check_duplicates(sheet, rows)
    _check_region_codes(actor, sheet, rows)

    results = {
        row.number: RowResult(
            row=row.number,
            name=row.name,
            parent=row.parent_text,
            action="exists" if row.exists else "create",
            messages=[error.message for error in row.errors],
        )
        for row in rows
    }
    report.rows = list(results.values())
    report.errors = [error for row in rows for error in row.errors]
    if report.errors or dry_run:
        return report

    try:
        _create_all(actor, sheet, _creation_order(rows), results, file_name)
    except _CreateFailed as failed:
        # Another session changed the tree between the checks and the writes; nothing was kept.
        report.errors = [failed.error]
        results[failed.error.row].messages.append(failed.error.message)
        for result in report.rows:
            result.organization_id = None
        return report
    report.created = len(rows)
    return report


@transaction.atomic
def _create_all(
    actor: Any, sheet: _Sheet, ordered: list[_Row], results: dict[int, RowResult], file_name: str
) -> None:
    created: dict[int, Organization] = {}
    first_id: int | None = None
    for row in ordered:
        parent = created[row.parent.number] if isinstance(row.parent, _Row) else row.parent
        try:
            org = organization_create(
                actor=actor,
                parent=parent,
                name=row.name,
                kind=row.kind,
                short_name=row.short_name,
                region_code=row.region_code,
                sort_order=row.sort_order,
            )
        except ValidationFailed as exc:
            field_name, messages = next(iter(exc.fields.items()), ("", [str(exc.message)]))
            column = field_name if field_name in {c.key for c in COLUMNS} else ""
            raise _CreateFailed(
                _error(
                    row.number,
                    sheet.header(column) if column else "",
                    " ".join(str(m) for m in messages),
                )
            ) from exc
        except IntegrityError as exc:
            raise _CreateFailed(
                _error(
                    row.number,
                    "",
                    _("The tree changed while this row was being saved. Import the file again."),
                )
            ) from exc
        created[row.number] = org
        results[row.number].organization_id = org.pk
        first_id = first_id or org.pk
    audit.record(
        actor=actor,
        action="organization.import",
        object_type="organizations.import",
        object_id=str(first_id) if first_id else "",
        object_repr=file_name,
        changes={"created": len(created), "file": file_name},
    )


# --- the template ---------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty import file: the header row (in the current language) and two example rows."""
    zh = (get_language() or "").startswith("zh")
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = "组织机构" if zh else "Units"
    sheet.append([c.zh if zh else c.en for c in COLUMNS])
    # The second example names its parent by short name: it is a unit created earlier in the same file.
    if zh:
        sheet.append(["千山区人民政府", "鞍山市人民政府", "区县", "210311", "千山区", 1])
        sheet.append(["千山区东鞍山街道", "千山区", "乡镇街道", None, None, 1])
    else:
        sheet.append(
            [
                "Qianshan District Government",
                "Anshan Municipal Government",
                "district",
                "210311",
                "Qianshan",
                1,
            ]
        )
        sheet.append(["Dong'anshan Street", "Qianshan", "township", None, None, 1])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (32, 32, 14, 12, 16, 8), strict=True):
        sheet.column_dimensions[letter].width = width
    # Region codes are text: typed as numbers they would lose nothing today but invite reformatting.
    for row in range(2, 1001):
        sheet.cell(row, 4).number_format = "@"
    kinds = DataValidation(
        type="list",
        formula1='"政府,党委,部门,区县,乡镇街道,社区村"'
        if zh
        else '"government,party,department,district,township,community"',
        allow_blank=False,
    )
    sheet.add_data_validation(kinds)
    kinds.add("C2:C1000")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
