"""Importing a task list (任务清单) from an Excel workbook, as governments circulate them, all or nothing.

The first worksheet holds a header row (序号 | 任务内容 | 牵头单位 | 责任单位 | 责任领导 |
完成时限 | 进展情况 …, in Chinese or English, in any order; title rows above it are skipped) and one
task per row. Cells merged down a column (one lead unit beside several tasks) count for every row they
cover; a row with nothing but a heading ("一、推动绿色发展") is a section. Several units in one cell
are separated by 、，,；; — the first of the lead units leads (or, without a lead column, the first
responsible unit), the others cooperate; a unit marked （牵头） leads wherever it is written.

Units and people are matched by name or short name in a few bulk queries, whatever the number of rows.
An unknown unit comes back with suggestions; the caller confirms one by passing ``unit_aliases`` (text as
written → unit id) and importing again. Deadlines in words are read by ``luoshi.tasks.deadlines``.

The whole file is checked before anything is written; only when every row is valid are the tasks created
through ``task_create`` in one transaction, followed by one summary audit event.
"""

from __future__ import annotations

import difflib
import functools
import gc
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import trees, xlsx
from luoshi.core.errors import NotAllowed
from luoshi.directives.models import Directive, FocusArea
from luoshi.organizations.models import Membership, Organization, User
from luoshi.tasks import rules, services
from luoshi.tasks.deadlines import Deadline, UnreadableDeadline, parse_deadline
from luoshi.tasks.models import ReportCadence, Task

HEADER_SEARCH_ROWS = 10
QUERY_CHUNK = 500
TITLE_MAX = Task._meta.get_field("title").max_length or 200
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UNIT_SEPARATORS = re.compile(r"[、，,；;\n]+")
SENTENCE_END = re.compile(r"(?<=[。；;！!？?])")
LEAD_MARK = re.compile(r"[(（]\s*(牵头|lead)\s*[)）]$", re.IGNORECASE)
# Posts written after a leader's name in lists ("张伟副市长"); the name is what is matched.
POSTS = re.compile(
    r"(常务副市长|副市长|市长|副区长|区长|副县长|县长|副书记|书记|副局长|局长|副主任|主任|副秘书长|秘书长|"
    r"处长|科长|同志)$"
)
SUGGESTIONS = 3


# --- the report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` is the spreadsheet row (0 for the file as a whole), ``column`` the header as
    written in the file ("" when the problem is not one column's)."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class UnitSuggestion:
    """A unit name the tree does not know, where it was written, and the closest units (id, name)."""

    text: str
    rows: tuple[int, ...]
    candidates: tuple[tuple[int, str], ...]


@dataclass
class RowPreview:
    """What one row of the file becomes."""

    row: int
    number: str
    section: str
    title: str
    lead: str = ""
    cooperating: list[str] = field(default_factory=list)
    leader: str = ""
    handler: str = ""
    deadline_text: str = ""
    due_on: date | None = None
    cadence: str = ""
    ongoing: bool = False
    messages: list[str] = field(default_factory=list)
    task_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.messages


@dataclass
class ImportReport:
    """The outcome: every row, every problem, unit suggestions, and how many tasks were created."""

    file_name: str
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    rows: list[RowPreview] = field(default_factory=list)
    suggestions: list[UnitSuggestion] = field(default_factory=list)
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


COLUMNS = (
    _Column("number", "序号", "no.", ("编号", "序", "no", "number", "item")),
    _Column(
        "title",
        "任务内容",
        "task",
        (
            "工作任务",
            "重点任务",
            "主要任务",
            "任务",
            "工作内容",
            "具体任务",
            "任务名称",
            "任务事项",
            "tasks",
            "task content",
            "content",
            "title",
        ),
    ),
    _Column("lead", "牵头单位", "lead unit", ("牵头部门", "主责单位", "牵头", "lead", "lead units")),
    _Column("units", "责任单位", "responsible units", ("责任部门", "responsible unit", "units")),
    _Column(
        "cooperating",
        "配合单位",
        "cooperating units",
        ("协办单位", "参与单位", "协同单位", "cooperating unit", "supporting units"),
    ),
    _Column("leader", "责任领导", "responsible leader", ("分管领导", "牵头领导", "包保领导", "leader")),
    _Column("handler", "经办人", "handler", ("联系人", "责任人", "具体负责人", "contact")),
    _Column(
        "deadline",
        "完成时限",
        "deadline",
        ("完成时间", "时间节点", "时限要求", "办结时限", "时限", "完成期限", "due", "due date", "time limit"),
    ),
    _Column(
        "outcome", "工作目标", "expected outcome", ("目标", "预期成效", "预期目标", "完成标志", "outcome")
    ),
    _Column("focus", "重点领域", "focus area", ("领域", "所属领域", "area")),
)
# Columns that lists carry and the import reads past: progress is reported in Luoshi, not imported.
IGNORED = (
    "进展情况",
    "最新进展",
    "推进情况",
    "完成情况",
    "备注",
    "状态",
    "亮灯",
    "进度",
    "progress",
    "latest progress",
    "status",
    "light",
    "notes",
    "remarks",
)


def _header_key(text: str) -> str:
    """``"完成时限（必填）"``, ``"Deadline *"`` and ``"完 成 时 限"`` read as their plain words."""
    text = text.strip().casefold()
    text = re.sub(r"[(（](必填|选填|可选|required|optional)[)）]$", "", text)
    text = text.rstrip("*＊ ").replace("_", " ").replace("-", " ")
    text = re.sub(r"\s+", " ", text).strip()
    return text.replace(" ", "") if re.search(r"[\u4e00-\u9fff]", text) else text


COLUMN_KEYS = tuple(column.key for column in COLUMNS)
_HEADERS: dict[str, _Column] = {
    _header_key(word): column for column in COLUMNS for word in (column.zh, column.en, *column.aliases)
}
_IGNORED = {_header_key(word) for word in IGNORED}


def accepted_headers() -> str:
    return "、".join(column.zh for column in COLUMNS) + " / " + ", ".join(column.en for column in COLUMNS)


# --- reading the workbook -------------------------------------------------------------------------


def _error(row: int, column: str, detail: str) -> RowError:
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
    return file.read(), os.path.basename(str(getattr(file, "name", "") or ""))


def _open_sheet(data: bytes) -> xlsx.Worksheet:
    not_xlsx = _FileProblem(
        _error(
            0,
            "",
            _(
                "This file is not an Excel workbook (.xlsx). Save it in Excel or WPS as "
                "“Excel Workbook (*.xlsx)” and upload it again."
            ),
        )
    )
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
        raise not_xlsx
    try:
        return xlsx.first_worksheet(data)
    except xlsx.NotAWorkbook as exc:
        raise not_xlsx from exc


def _text(value: Any) -> str:
    if type(value) is not str:  # nearly every cell is text already
        if value is None:
            return ""
        value = str(int(value) if isinstance(value, float) and value.is_integer() else value)
    return value.replace("\u3000", " ").replace("\xa0", " ").strip()


# A row of the sheet: its number, its values, their ``_text``s, and the (0-based) columns where a merge
# across columns starts.
_SheetRow = tuple[int, list[Any], list[str], set[int]]


def _sheet_rows(sheet: xlsx.Worksheet) -> Iterator[_SheetRow]:
    """The non-blank rows (``_SheetRow``s).

    A cell merged down a column counts for every row it covers; a merge across columns only in its first
    cell (a section heading spread over the width of the table)."""
    # Merges down a column: (first row, last row, column) of each, by the row where it starts.
    down: dict[int, list[tuple[int, int]]] = defaultdict(list)
    across: dict[int, set[int]] = defaultdict(set)
    for merged in sheet.merges:
        if merged.max_col > merged.min_col:
            for row in range(merged.min_row, merged.max_row + 1):
                across[row].add(merged.min_col - 1)
        if merged.max_row > merged.min_row:
            down[merged.min_row].append((merged.max_row, merged.min_col))
    carried: dict[int, tuple[int, Any]] = {}  # column → (last row, value of the merge's top cell)
    for number, values in enumerate(sheet.rows, start=1):
        cells = list(values)
        for last, column in down.get(number, ()):
            top = cells[column - 1] if column - 1 < len(cells) else None
            if _text(top):
                carried[column] = (last, top)
        for column, (last, top) in list(carried.items()):
            if number > last:
                del carried[column]
            else:
                while len(cells) < column:
                    cells.append(None)
                if _text(cells[column - 1]) == "":
                    cells[column - 1] = top
        texts = [_text(v) for v in cells]  # once per cell, for the check here and for reading the row
        if not any(texts):
            continue
        yield number, cells, texts, across.get(number, set())


@dataclass
class _Row:
    number: int
    preview: RowPreview
    lead_texts: list[str]
    cooperating_texts: list[str]
    leader_text: str
    handler_text: str
    focus_text: str
    outcome: str
    description: str
    deadline: Deadline | None
    errors: list[RowError] = field(default_factory=list)
    lead: Organization | None = None
    cooperating: list[Organization] = field(default_factory=list)
    leader: User | None = None
    handler: User | None = None
    focus: FocusArea | None = None

    def fail(self, column: str, detail: str) -> None:
        error = _error(self.number, column, detail)
        self.errors.append(error)
        self.preview.messages.append(error.message)


@functools.lru_cache(maxsize=4096)
def _split_units(text: str) -> tuple[tuple[str, bool], ...]:
    """``"市发改委（牵头）、市工信局"`` → ``(("市发改委", True), ("市工信局", False))``.

    Kept for the next rows: a list names the same few dozen units, and the same cells, row after row."""
    parts = []
    for raw in UNIT_SEPARATORS.split(text):
        name = raw.strip().strip("。.")
        if not name:
            continue
        marked = bool(LEAD_MARK.search(name))
        parts.append((LEAD_MARK.sub("", name).strip(), marked))
    return tuple(parts)


def _title_and_description(text: str) -> tuple[str, str]:
    """A long task text keeps its first sentence (shortened if needed) as the title and all as description."""
    # Whitespace runs as one space: ``str.split`` splits at the very characters ``\s`` matches.
    text = " ".join(text.split())
    if len(text) <= TITLE_MAX:
        return text, ""
    first = SENTENCE_END.split(text, maxsplit=1)[0].strip()
    if len(first) > TITLE_MAX:
        first = first[: TITLE_MAX - 1] + "…"
    return first, text


class _Sheet:
    """The header row and the data rows of the first worksheet."""

    def __init__(self, sheet: xlsx.Worksheet) -> None:
        rows = _sheet_rows(sheet)
        self.header_row, self.columns = self._find_header(rows)
        self.data: list[_SheetRow] = []
        limit = settings.LUOSHI_IMPORT_MAX_ROWS
        for number, cells, texts, across in rows:
            if len(self.data) >= limit:
                raise _FileProblem(
                    _error(
                        number,
                        "",
                        _("The file has more than %(limit)d rows of tasks. Split it into smaller files.")
                        % {"limit": limit},
                    )
                )
            self.data.append((number, cells, texts, across))
        if not self.data:
            raise _FileProblem(
                _error(self.header_row, "", _("The file has a header row but no tasks below it."))
            )

    def _find_header(self, rows: Iterator[_SheetRow]) -> tuple[int, dict[str, tuple[int, str]]]:
        for number, _cells, texts, _across in rows:
            if number > HEADER_SEARCH_ROWS:
                break
            known = [_HEADERS.get(_header_key(t)) for t in texts]
            if sum(1 for column in known if column is not None) < 2:
                continue  # a title or notes row above the table
            columns: dict[str, tuple[int, str]] = {}
            errors = []
            for index, (written, column) in enumerate(zip(texts, known, strict=True)):
                if not written or _header_key(written) in _IGNORED:
                    continue
                if column is None:
                    errors.append(
                        _error(
                            number,
                            written,
                            _("Unknown column. The columns read are: %(columns)s.")
                            % {"columns": accepted_headers()},
                        )
                    )
                elif column.key in columns:
                    errors.append(
                        _error(
                            number,
                            written,
                            _("This column repeats “%(first)s”; keep one of them.")
                            % {"first": columns[column.key][1]},
                        )
                    )
                else:
                    columns[column.key] = (index, written)
            for key, zh, en in (("title", "任务内容", "task"), ("deadline", "完成时限", "deadline")):
                if key not in columns:
                    errors.append(
                        _error(
                            number, "", _("The column “%(column)s” is missing.") % {"column": f"{zh} / {en}"}
                        )
                    )
            if not {"lead", "units"} & columns.keys():
                errors.append(
                    _error(
                        number,
                        "",
                        _("The column “%(column)s” is missing.") % {"column": "牵头单位 / lead unit"},
                    )
                )
            if errors:
                raise _FileProblem(*errors)
            return number, columns
        raise _FileProblem(
            _error(
                0,
                "",
                _("No header row was found in the first %(count)d rows. The columns read are: %(columns)s.")
                % {"count": HEADER_SEARCH_ROWS, "columns": accepted_headers()},
            )
        )

    def header(self, key: str) -> str:
        return self.columns[key][1] if key in self.columns else ""

    def texts_by_key(self, texts: list[str]) -> dict[str, str]:
        """The row's texts by column key: every key, "" where the sheet or the row has no such cell."""
        by_key = dict.fromkeys(COLUMN_KEYS, "")
        width = len(texts)
        for key, (index, _written) in self.columns.items():
            if index < width:
                by_key[key] = texts[index]
        return by_key

    def parse(self, reference: date) -> list[_Row]:
        rows: list[_Row] = []
        section = ""
        title_index = self.columns["title"][0]
        deadline_index = self.columns["deadline"][0]
        for number, cells, texts, across in self.data:
            filled = [i for i, text in enumerate(texts) if text]
            if len(filled) == 1 and (filled[0] in across or filled[0] != title_index):
                section = texts[filled[0]]
                continue
            deadline_raw = cells[deadline_index] if deadline_index < len(cells) else None
            rows.append(self._parse_row(number, self.texts_by_key(texts), deadline_raw, section, reference))
        return rows

    def _parse_row(
        self, number: int, texts: dict[str, str], deadline_raw: Any, section: str, reference: date
    ) -> _Row:
        title, description = _title_and_description(texts["title"])
        deadline_text = texts["deadline"]
        lead_parts = _split_units(texts["lead"])
        unit_parts = _split_units(texts["units"])
        coop_parts = _split_units(texts["cooperating"])
        marked = [name for name, lead in (*lead_parts, *unit_parts, *coop_parts) if lead]
        if marked:
            leads = marked[:1]
        elif lead_parts:
            leads = [lead_parts[0][0]]
        else:
            leads = [unit_parts[0][0]] if unit_parts else []
        others = [name for name, _lead in (*lead_parts, *unit_parts, *coop_parts) if name not in leads]
        preview = RowPreview(
            row=number,
            number=texts["number"],
            section=section,
            title=title,
            lead=leads[0] if leads else "",
            cooperating=list(dict.fromkeys(others)),
            leader=texts["leader"],
            handler=texts["handler"],
            deadline_text=deadline_text
            if not isinstance(deadline_raw, date)
            else deadline_raw.isoformat()[:10],
        )
        row = _Row(
            number=number,
            preview=preview,
            lead_texts=leads,
            cooperating_texts=preview.cooperating,
            leader_text=preview.leader,
            handler_text=preview.handler,
            focus_text=texts["focus"],
            outcome=texts["outcome"],
            description=description,
            deadline=None,
        )
        if not title:
            row.fail(self.header("title"), _("The task is empty."))
        if not leads:
            row.fail(self.header("lead") or self.header("units"), _("Name the lead unit."))
        try:
            row.deadline = parse_deadline(deadline_raw, reference=reference)
        except UnreadableDeadline:
            if deadline_text:
                row.fail(
                    self.header("deadline"),
                    _(
                        "“%(text)s” is not a deadline that can be read. Write a date "
                        "(2022年9月30日, 9月30日前, 2022年底前, 第三季度), a cadence (每季度) or 长期坚持."
                    )
                    % {"text": deadline_text},
                )
            else:
                row.fail(self.header("deadline"), _("The deadline is empty."))
        else:
            preview.due_on = row.deadline.due_or_year_end(reference)
            preview.cadence = row.deadline.cadence or ""
            preview.ongoing = row.deadline.ongoing
        return row


# --- resolving names in bulk ----------------------------------------------------------------------


def _chunks(items: Iterable[str], size: int = QUERY_CHUNK) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Units:
    """Every unit name in the file, matched to the units the actor can see in a few queries."""

    def __init__(
        self, actor: User, assigning_org: Organization, rows: list[_Row], aliases: Mapping[str, int]
    ) -> None:
        self.actor = actor
        self.assigning_org = assigning_org
        names = {text for row in rows for text in (*row.lead_texts, *row.cooperating_texts)}
        self.by_text: dict[str, list[Organization]] = defaultdict(list)
        visible = access.visible(actor, Organization.objects.active())
        alias_ids = {aliases[text] for text in names if text in aliases}
        aliased = {org.pk: org for org in visible.filter(pk__in=alias_ids)} if alias_ids else {}
        for text in names:
            if text in aliases and aliases[text] in aliased:
                self.by_text[text] = [aliased[aliases[text]]]
        wanted = [text for text in names if text not in self.by_text]
        for chunk in _chunks(wanted):
            for org in visible.filter(Q(name__in=chunk) | Q(short_name__in=chunk)):
                for text in (org.name, org.short_name):
                    if text in chunk:
                        self.by_text[text].append(org)
        self.unknown = sorted(text for text in names if not self.by_text.get(text))

    def pick(self, text: str, *, lead: bool) -> tuple[Organization | None, str]:
        """The unit ``text`` names, or None and why not."""
        found = self.by_text.get(text, [])
        exact = [org for org in found if org.name == text] or found
        if lead:
            inside = [org for org in exact if org.is_in_subtree_of(self.assigning_org)]
            if exact and not inside:
                return None, _(
                    "%(unit)s is not %(assigner)s or a unit below it, so it cannot lead this task."
                ) % {
                    "unit": text,
                    "assigner": self.assigning_org.name,
                }
            exact = inside
        if not exact:
            return None, _("No unit is called “%(unit)s”.") % {"unit": text}
        if len(exact) > 1:
            return None, _("Several units are called “%(unit)s”: %(units)s. Write the full name.") % {
                "unit": text,
                "units": "、".join(sorted(org.name for org in exact)),
            }
        return exact[0], ""

    def suggestions(self, rows: list[_Row]) -> list[UnitSuggestion]:
        if not self.unknown:
            return []
        where: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            for text in (*row.lead_texts, *row.cooperating_texts):
                if text in self.unknown:
                    where[text].append(row.number)
        candidates = list(
            access.visible(self.actor, Organization.objects.active())
            .filter(trees.subtree_q("path", self.assigning_org.path))
            .values_list("pk", "name", "short_name")[: settings.LUOSHI_IMPORT_MAX_ROWS]
        )
        labels = {}
        for pk, name, short_name in candidates:
            labels[name] = (pk, name)
            if short_name:
                labels.setdefault(short_name, (pk, name))
        result = []
        for text in self.unknown:
            contained = [labels[label] for label in labels if text in label or label in text]
            close = [
                labels[label] for label in difflib.get_close_matches(text, labels, n=SUGGESTIONS, cutoff=0.5)
            ]
            picked = list(dict.fromkeys([*contained, *close]))[:SUGGESTIONS]
            result.append(UnitSuggestion(text=text, rows=tuple(where[text]), candidates=tuple(picked)))
        return result


def _person_name(text: str) -> str:
    first = UNIT_SEPARATORS.split(text.strip())[0].strip()
    return POSTS.sub("", first).strip() or first


def _resolve_people(actor: User, rows: list[_Row], sheet: _Sheet) -> None:
    names = {_person_name(t) for row in rows for t in (row.leader_text, row.handler_text) if t}
    people: dict[str, list[User]] = defaultdict(list)
    visible = access.visible(actor, User.objects.filter(is_active=True))
    for chunk in _chunks(names):
        for person in visible.filter(Q(display_name__in=chunk) | Q(username__in=chunk)):
            for text in {person.display_name, person.username} & set(chunk):
                people[text].append(person)
    lead_ids = {row.lead.pk for row in rows if row.lead}
    handler_ids = {
        p.pk for row in rows if row.handler_text for p in people.get(_person_name(row.handler_text), [])
    }
    memberships = (
        set(
            Membership.objects.filter(user_id__in=handler_ids, organization_id__in=lead_ids).values_list(
                "user_id", "organization_id"
            )
        )
        if handler_ids and lead_ids
        else set()
    )
    for row in rows:
        if row.leader_text:
            row.leader = _one_person(row, sheet.header("leader"), row.leader_text, people)
        if row.handler_text:
            handler = _one_person(row, sheet.header("handler"), row.handler_text, people)
            if handler and row.lead and (handler.pk, row.lead.pk) not in memberships:
                row.fail(
                    sheet.header("handler"),
                    _("%(person)s does not work in %(unit)s, the lead unit.")
                    % {"person": handler, "unit": row.lead.name},
                )
                handler = None
            row.handler = handler


def _one_person(row: _Row, column: str, text: str, people: Mapping[str, list[User]]) -> User | None:
    name = _person_name(text)
    found = list({p.pk: p for p in people.get(name, [])}.values())
    if not found:
        row.fail(column, _("No person called “%(name)s” was found.") % {"name": name})
        return None
    if len(found) > 1:
        row.fail(
            column,
            _("Several people are called “%(name)s” (%(users)s); write the user name instead.")
            % {"name": name, "users": "、".join(sorted(p.username for p in found))},
        )
        return None
    return found[0]


def _resolve(
    actor: User, assigning_org: Organization, sheet: _Sheet, rows: list[_Row], aliases: Mapping[str, int]
) -> list[UnitSuggestion]:
    units = _Units(actor, assigning_org, rows, aliases)
    lead_header = sheet.header("lead") or sheet.header("units")
    for row in rows:
        if row.lead_texts:
            row.lead, problem = units.pick(row.lead_texts[0], lead=True)
            if problem:
                row.fail(lead_header, problem)
        for text in row.cooperating_texts:
            org, problem = units.pick(text, lead=False)
            if org is None:
                row.fail(sheet.header("units") or sheet.header("cooperating") or lead_header, problem)
            elif not row.lead or org.pk != row.lead.pk:
                row.cooperating.append(org)
    _resolve_people(actor, rows, sheet)
    focus_names = {row.focus_text for row in rows if row.focus_text}
    if focus_names:
        areas = {
            a.name: a for a in FocusArea.objects.filter(Q(name__in=focus_names) | Q(code__in=focus_names))
        }
        areas.update({a.code: a for a in areas.values()})
        for row in rows:
            if row.focus_text:
                row.focus = areas.get(row.focus_text)
                if row.focus is None:
                    row.fail(
                        sheet.header("focus"),
                        _("No focus area is called “%(name)s”.") % {"name": row.focus_text},
                    )
    return units.suggestions(rows)


# --- the use case ---------------------------------------------------------------------------------


class _CreateFailed(Exception):
    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


FIELD_COLUMNS = {
    "title": "title",
    "lead_org": "lead",
    "due_on": "deadline",
    "handler": "handler",
    "cooperating_orgs": "units",
    "responsible_leader": "leader",
    "expected_outcome": "outcome",
}


def task_import(
    *,
    actor: User,
    directive: Directive,
    file: Any,
    dry_run: bool = False,
    assigning_org: Organization | None = None,
    unit_aliases: Mapping[str, int] | None = None,
) -> ImportReport:
    """Check every row of ``file`` (an upload, a binary file, bytes or a path) and, unless ``dry_run``,
    create its tasks under ``directive`` in one transaction. Nothing is written if any row is wrong.

    ``assigning_org`` (default: the directive's issuing unit) assigns the tasks; lead units must be it or
    below it. Dates without a year are read against the directive's date.
    """
    access.require(actor, "view", directive)
    assigning_org = assigning_org or directive.issuing_org
    if not rules.may_assign_from(actor, assigning_org):
        raise NotAllowed(
            _("Only the people of %(unit)s or its supervisors may register tasks for it.")
            % {"unit": assigning_org.name}
        )
    with _collector_paused():
        return _import(actor, directive, assigning_org, file, dry_run, unit_aliases or {})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector held off while a file is imported.

    An import keeps what it builds (the rows, their previews, the tasks, their search and audit rows)
    until it ends, so none of it is garbage; yet building it sets off the collector's full passes, each a
    walk over every object of the process: a quarter to a third of the time of an import of 10,000 rows.
    Memory is still freed by reference counting meanwhile; cycles wait for the first pass after the import.
    """
    if not gc.isenabled():  # held off already (by an import running in another thread): left to it
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _import(
    actor: User,
    directive: Directive,
    assigning_org: Organization,
    file: Any,
    dry_run: bool,
    unit_aliases: Mapping[str, int],
) -> ImportReport:
    data, file_name = _read_bytes(file)
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    try:
        sheet = _Sheet(_open_sheet(data))
    except _FileProblem as problem:
        report.errors = problem.errors
        return report
    rows = sheet.parse(directive.issued_on)
    report.suggestions = _resolve(actor, assigning_org, sheet, rows, unit_aliases)
    report.rows = [row.preview for row in rows]
    report.errors = [error for row in rows for error in row.errors]
    if not rows and not report.errors:
        report.errors = [_error(sheet.header_row, "", _("The file has a header row but no tasks below it."))]
    if report.errors or dry_run:
        return report
    try:
        _create_all(actor, directive, assigning_org, sheet, rows, file_name)
    except _CreateFailed as failed:
        # A rule of task_create refused a row (or the tree changed meanwhile): nothing was kept.
        report.errors = [failed.error]
        for preview in report.rows:
            preview.task_id = None
            if preview.row == failed.error.row:
                preview.messages.append(failed.error.message)
        return report
    report.created = len(rows)
    return report


@transaction.atomic
def _create_all(
    actor: User,
    directive: Directive,
    assigning_org: Organization,
    sheet: _Sheet,
    rows: list[_Row],
    file_name: str,
) -> None:
    specs = []
    for row in rows:
        if row.lead is None or row.deadline is None:
            raise RuntimeError("only rows that passed every check are created")
        specs.append(
            services.NewTask(
                lead_org=row.lead,
                title=row.preview.title,
                due_on=row.deadline.due_or_year_end(directive.issued_on),
                description=row.description,
                expected_outcome=row.outcome,
                focus_area=row.focus,
                cooperating_orgs=tuple(row.cooperating),
                responsible_leader=row.leader,
                handler=row.handler,
                report_cadence=row.deadline.cadence or ReportCadence.MONTHLY,
            )
        )
    try:
        tasks = services.task_create_many(
            actor=actor, assigning_org=assigning_org, directive=directive, rows=specs, source=file_name
        )
    except services.RowRefused as refused:
        row = rows[refused.index]
        field_name, messages = next(iter(refused.error.fields.items()), ("", [str(refused.error.message)]))
        raise _CreateFailed(
            _error(
                row.number,
                sheet.header(FIELD_COLUMNS.get(field_name, "")),
                " ".join(str(m) for m in messages),
            )
        ) from refused
    for row, task in zip(rows, tasks, strict=True):
        row.preview.task_id = task.pk
    audit.record(
        actor=actor,
        action="task.import",
        obj=directive,
        changes={"created": len(tasks), "file": file_name, "tasks": [task.pk for task in tasks]},
    )


# --- the same layout out --------------------------------------------------------------------------


def tasklist_workbook(tasks: Iterable[Task]) -> IO[bytes]:
    """Tasks (with ``web.tasklists.with_export_facts``) in the layout this importer reads and governments
    circulate: 序号 | 任务内容 | 牵头单位 | 责任单位 | 责任领导 | 完成时限 | 进展情况.
    The file imports back as it is."""
    from django.db.models import QuerySet
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    zh = (get_language() or "").startswith("zh")
    keys = ("number", "title", "lead", "units", "leader", "deadline")
    by_key = {column.key: column for column in COLUMNS}
    headers = [by_key[key].zh if zh else by_key[key].en.capitalize() for key in keys]
    headers.append("进展情况" if zh else "Progress")
    widths = (6, 50, 22, 28, 12, 14, 50)
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet("任务清单" if zh else "Task list")
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    bold, wrap = Font(bold=True), Alignment(vertical="top", wrap_text=True)

    def cell(value: Any, *, header: bool = False, number_format: str = "") -> Any:
        written = WriteOnlyCell(sheet, value=value)
        written.alignment = wrap
        if header:
            written.font = bold
        if number_format:
            written.number_format = number_format
        return written

    sheet.append([cell(h, header=True) for h in headers])
    rows = tasks.iterator(chunk_size=2000) if isinstance(tasks, QuerySet) else tasks
    for number, task in enumerate(rows, start=1):
        sheet.append(
            [
                cell(number),
                cell(task.title),
                cell(task.lead_org.name),
                cell("、".join(o.name for o in task.cooperating_orgs.all())),
                cell(str(task.responsible_leader) if task.responsible_leader else ""),
                cell(task.due_on, number_format="yyyy-mm-dd"),
                cell(getattr(task, "latest_narrative", None) or ""),
            ]
        )
    output = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
    workbook.save(output)
    output.seek(0)
    return output
