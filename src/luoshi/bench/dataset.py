"""The benchmark dataset format (``/work/shared/bench/FORMAT.md``, restated in ``docs/performance.md``):
its files and columns, and a validator that reads any dataset in that format and names every problem
precisely (file, line, column, value) before anything is loaded.

A dataset is a folder of UTF-8 CSV files with a header row, plus ``meta.json``. Ids are positive
integers, unique per file; a parent always appears before its children.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from luoshi.directives.docnumbers import normalize_doc_number

META = "meta.json"
COLUMNS: dict[str, tuple[str, ...]] = {
    "units.csv": ("id", "parent_id", "name", "kind", "region_code"),
    "people.csv": ("id", "unit_id", "username", "display_name", "role"),
    "directives.csv": ("id", "title", "issuer_unit_id", "level", "kind", "doc_number", "issued_on"),
    "tasks.csv": (
        "id",
        "parent_id",
        "directive_id",
        "title",
        "focus_area",
        "lead_unit_id",
        "cooperating_unit_ids",
        "handler_id",
        "status",
        "progress",
        "weight",
        "start_on",
        "due_on",
        "closed_on",
    ),
    "reports.csv": ("id", "task_id", "reporter_id", "reported_on", "progress", "text"),
}
# The order files are written and loaded in: every reference points to a file before it.
FILES = tuple(COLUMNS)

UNIT_KINDS = frozenset({"government", "party", "department", "district", "township", "community"})
ROLES = frozenset({"leader", "head", "handler", "supervisor"})
DIRECTIVE_LEVELS = frozenset({"central", "provincial", "municipal", "district", "unit"})
DIRECTIVE_KINDS = frozenset({"speech", "meeting", "instruction", "document", "inspection"})
TASK_STATUSES = frozenset(
    {"draft", "assigned", "in_progress", "under_review", "returned", "public_notice", "closed", "cancelled"}
)
REGION_CODE = re.compile(r"^[1-9]\d{5}$")
USERNAME = re.compile(r"^[\w.@+-]{1,150}$")
# Limits of the columns the rows are loaded into (longer values would fail halfway through a load).
MAX_LENGTH = {
    ("units.csv", "name"): 100,
    ("people.csv", "display_name"): 60,
    ("directives.csv", "title"): 200,
    ("directives.csv", "doc_number"): 60,
    ("tasks.csv", "title"): 200,
    ("tasks.csv", "focus_area"): 60,
}
# A materialized path segment is ten digits and paths hold at most 250 characters (luoshi.core.trees).
MAX_DEPTH = 25
# Problems listed before the rest are only counted.
SHOWN_ERRORS = 50


class DatasetError(Exception):
    """The dataset cannot be loaded; ``problems`` names each one (file, line, column)."""

    def __init__(self, problems: list[str], more: int = 0) -> None:
        self.problems = problems
        self.more = more
        lines = "\n".join(f"  - {p}" for p in problems)
        tail = f"\n  … and {more} more" if more else ""
        super().__init__(f"The dataset has {len(problems) + more} problem(s):\n{lines}{tail}")


@dataclass(frozen=True)
class Meta:
    name: str
    today: date
    seed: int | None


@dataclass
class Summary:
    """What validation learnt that the load needs: counts, and the tasks that have children."""

    meta: Meta
    counts: dict[str, int] = field(default_factory=dict)
    parents: set[int] = field(default_factory=set)
    depth: dict[str, int] = field(default_factory=dict)


def read_meta(folder: Path) -> Meta:
    path = folder / META
    if not path.is_file():
        raise DatasetError([f"{META}: missing (expected in {folder})"])
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError([f"{META}: not valid UTF-8 JSON ({exc})"]) from None
    problems = []
    if not isinstance(raw, dict):
        raise DatasetError([f"{META}: must be a JSON object"])
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f'{META}: "name" must be a non-empty string')
    today: date | None = None
    try:
        today = date.fromisoformat(str(raw.get("today")))
    except ValueError:
        problems.append(f'{META}: "today" must be a date YYYY-MM-DD, not {raw.get("today")!r}')
    seed = raw.get("seed")
    if seed is not None and not isinstance(seed, int):
        problems.append(f'{META}: "seed" must be an integer when given, not {seed!r}')
    if problems:
        raise DatasetError(problems)
    return Meta(name=str(name).strip(), today=today or date.min, seed=seed)


def rows(folder: Path, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The rows of one file as dicts of its columns, with their line numbers (the header is line 1)."""
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        header = [h.strip() for h in header]
        positions = [header.index(column) for column in COLUMNS[name]]
        for values in reader:
            if not values:
                continue
            yield (
                reader.line_num,
                {
                    c: (values[p] if p < len(values) else "")
                    for c, p in zip(COLUMNS[name], positions, strict=True)
                },
            )


class _Checker:
    """Collects problems; stops recording (but keeps counting) after ``SHOWN_ERRORS``."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.more = 0

    def add(self, where: str, text: str) -> None:
        if len(self.problems) < SHOWN_ERRORS:
            self.problems.append(f"{where}: {text}")
        else:
            self.more += 1

    def id(self, where: str, value: str, column: str, *, required: bool = True) -> int | None:
        if value == "":
            if required:
                self.add(where, f"{column} is required")
            return None
        if not value.isdigit() or int(value) < 1:
            self.add(where, f"{column} must be a positive integer, not {value!r}")
            return None
        return int(value)

    def date(self, where: str, value: str, column: str, *, required: bool = True) -> date | None:
        if value == "":
            if required:
                self.add(where, f"{column} is required (a date YYYY-MM-DD)")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.add(where, f"{column} must be a date YYYY-MM-DD, not {value!r}")
            return None

    def choice(self, where: str, value: str, column: str, allowed: frozenset[str]) -> None:
        if value not in allowed:
            self.add(where, f"{column} must be one of {', '.join(sorted(allowed))}, not {value!r}")

    def percent(self, where: str, value: str, column: str) -> int | None:
        if value == "":
            return None
        if not value.isdigit() or int(value) > 100:
            self.add(where, f"{column} must be an integer from 0 to 100, not {value!r}")
            return None
        return int(value)

    def text(self, where: str, file: str, column: str, value: str, *, required: bool = True) -> None:
        if required and not value.strip():
            self.add(where, f"{column} is required")
        limit = MAX_LENGTH.get((file, column))
        if limit is not None and len(value) > limit:
            self.add(where, f"{column} is {len(value)} characters long; at most {limit} fit")


def _check_header(folder: Path, name: str, check: _Checker) -> bool:
    path = folder / name
    if not path.is_file():
        check.add(name, "missing")
        return False
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError:
        check.add(name, "not UTF-8 text")
        return False
    if header is None:
        check.add(name, "empty (a header row is required)")
        return False
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    present = [h.strip() for h in header]
    missing = [c for c in COLUMNS[name] if c not in present]
    if missing:
        check.add(
            f"{name} line 1", f"missing column(s) {', '.join(missing)}; the header is {', '.join(present)}"
        )
        return False
    duplicated = sorted({c for c in present if present.count(c) > 1})
    if duplicated:
        check.add(f"{name} line 1", f"column(s) named twice: {', '.join(duplicated)}")
        return False
    return True


def validate(
    folder: Path,
    *,
    taken_usernames: set[str] | frozenset[str] = frozenset(),
    taken_region_codes: set[str] | frozenset[str] = frozenset(),
    taken_doc_numbers: set[str] | frozenset[str] = frozenset(),
) -> Summary:
    """Read the whole dataset and raise ``DatasetError`` naming every problem; nothing is loaded.

    ``taken_*`` are values already in the database that the dataset must not repeat (unique columns).
    Memory holds the ids of each file (a few dozen bytes per row), not the rows.
    """
    meta = read_meta(folder)
    check = _Checker()
    readable = {name: _check_header(folder, name, check) for name in FILES}
    if not all(readable.values()):
        raise DatasetError(check.problems, check.more)
    summary = Summary(meta=meta)

    unit_depth: dict[int, int] = {}
    names_per_parent: set[tuple[int | None, str]] = set()
    region_codes: set[str] = set()
    file = "units.csv"
    for line, row in rows(folder, file):
        where = f"{file} line {line}"
        unit_id = check.id(where, row["id"], "id")
        parent_id = check.id(where, row["parent_id"], "parent_id", required=False)
        check.text(where, file, "name", row["name"])
        check.choice(where, row["kind"], "kind", UNIT_KINDS)
        code = row["region_code"]
        if code:
            if not REGION_CODE.match(code):
                check.add(where, f"region_code must be six digits not starting with 0, not {code!r}")
            elif code in region_codes or code in taken_region_codes:
                check.add(where, f"region_code {code} is used by another unit")
            region_codes.add(code)
        if parent_id is not None and parent_id not in unit_depth:
            check.add(where, f"parent_id {parent_id} is not a unit listed before this row")
        key = (parent_id, row["name"])
        if key in names_per_parent:
            check.add(where, f"name {row['name']!r} is used by a sibling unit (same parent)")
        names_per_parent.add(key)
        if unit_id is not None:
            if unit_id in unit_depth:
                check.add(where, f"id {unit_id} is used by an earlier row")
            depth = unit_depth.get(parent_id, 0) + 1 if parent_id is not None else 1
            if depth > MAX_DEPTH:
                check.add(where, f"the unit is {depth} levels deep; at most {MAX_DEPTH} are supported")
            unit_depth[unit_id] = depth
    summary.counts[file] = len(unit_depth)
    summary.depth["units"] = max(unit_depth.values(), default=0)
    del names_per_parent, region_codes

    people: set[int] = set()
    usernames: set[str] = set()
    file = "people.csv"
    for line, row in rows(folder, file):
        where = f"{file} line {line}"
        person_id = check.id(where, row["id"], "id")
        unit_id = check.id(where, row["unit_id"], "unit_id")
        if unit_id is not None and unit_id not in unit_depth:
            check.add(where, f"unit_id {unit_id} is not in units.csv")
        username = row["username"]
        if not USERNAME.match(username):
            check.add(where, f"username must be 1–150 letters, digits or @.+-_, not {username!r}")
        elif username in usernames or username in taken_usernames:
            check.add(where, f"username {username!r} is taken")
        usernames.add(username)
        check.text(where, file, "display_name", row["display_name"], required=False)
        check.choice(where, row["role"], "role", ROLES)
        if person_id is not None:
            if person_id in people:
                check.add(where, f"id {person_id} is used by an earlier row")
            people.add(person_id)
    summary.counts[file] = len(people)
    del usernames

    directives: set[int] = set()
    doc_numbers: set[str] = set()
    file = "directives.csv"
    for line, row in rows(folder, file):
        where = f"{file} line {line}"
        directive_id = check.id(where, row["id"], "id")
        check.text(where, file, "title", row["title"])
        issuer = check.id(where, row["issuer_unit_id"], "issuer_unit_id")
        if issuer is not None and issuer not in unit_depth:
            check.add(where, f"issuer_unit_id {issuer} is not in units.csv")
        check.choice(where, row["level"], "level", DIRECTIVE_LEVELS)
        check.choice(where, row["kind"], "kind", DIRECTIVE_KINDS)
        check.text(where, file, "doc_number", row["doc_number"], required=False)
        if row["doc_number"]:
            try:
                number = normalize_doc_number(row["doc_number"])
            except ValidationError:
                check.add(
                    where,
                    f"doc_number {row['doc_number']!r} is not a document number like 辽政发〔2022〕12号",
                )
            else:
                if number in doc_numbers or number in taken_doc_numbers:
                    check.add(where, f"doc_number {number} is used by another directive")
                doc_numbers.add(number)
        check.date(where, row["issued_on"], "issued_on")
        if directive_id is not None:
            if directive_id in directives:
                check.add(where, f"id {directive_id} is used by an earlier row")
            directives.add(directive_id)
    summary.counts[file] = len(directives)

    task_depth: dict[int, int] = {}
    with_progress: set[int] = set()
    file = "tasks.csv"
    for line, row in rows(folder, file):
        where = f"{file} line {line}"
        task_id = check.id(where, row["id"], "id")
        parent_id = check.id(where, row["parent_id"], "parent_id", required=False)
        if parent_id is not None:
            if parent_id not in task_depth:
                check.add(where, f"parent_id {parent_id} is not a task listed before this row")
            else:
                summary.parents.add(parent_id)
        directive_id = check.id(where, row["directive_id"], "directive_id", required=False)
        if directive_id is not None and directive_id not in directives:
            check.add(where, f"directive_id {directive_id} is not in directives.csv")
        check.text(where, file, "title", row["title"])
        check.text(where, file, "focus_area", row["focus_area"], required=False)
        lead = check.id(where, row["lead_unit_id"], "lead_unit_id")
        if lead is not None and lead not in unit_depth:
            check.add(where, f"lead_unit_id {lead} is not in units.csv")
        if row["cooperating_unit_ids"]:
            for part in row["cooperating_unit_ids"].split(";"):
                unit = check.id(where, part.strip(), "cooperating_unit_ids")
                if unit is not None and unit not in unit_depth:
                    check.add(where, f"cooperating_unit_ids names {unit}, which is not in units.csv")
        handler = check.id(where, row["handler_id"], "handler_id", required=False)
        if handler is not None and handler not in people:
            check.add(where, f"handler_id {handler} is not in people.csv")
        check.choice(where, row["status"], "status", TASK_STATUSES)
        progress = check.percent(where, row["progress"], "progress")
        weight = check.id(where, row["weight"] or "1", "weight")
        if weight is not None and weight > 1000:
            check.add(where, f"weight must be from 1 to 1000, not {weight}")
        start_on = check.date(where, row["start_on"], "start_on")
        due_on = check.date(where, row["due_on"], "due_on")
        closed_on = check.date(where, row["closed_on"], "closed_on", required=False)
        if start_on and due_on and due_on < start_on:
            check.add(where, f"due_on {due_on} is before start_on {start_on}")
        if row["status"] == "closed" and closed_on is None:
            check.add(where, "closed_on is required when status is closed")
        if task_id is not None:
            if task_id in task_depth:
                check.add(where, f"id {task_id} is used by an earlier row")
            depth = task_depth.get(parent_id, 0) + 1 if parent_id is not None else 1
            if depth > MAX_DEPTH:
                check.add(where, f"the task is {depth} levels deep; at most {MAX_DEPTH} are supported")
            task_depth[task_id] = depth
            if progress is not None:
                with_progress.add(task_id)
    for task_id in sorted(with_progress & summary.parents)[:SHOWN_ERRORS]:
        check.add(file, f"task {task_id} has subtasks, so its progress is rolled up: leave progress empty")
    summary.counts[file] = len(task_depth)
    summary.depth["tasks"] = max(task_depth.values(), default=0)
    del with_progress

    reports: set[int] = set()
    file = "reports.csv"
    for line, row in rows(folder, file):
        where = f"{file} line {line}"
        report_id = check.id(where, row["id"], "id")
        task_id = check.id(where, row["task_id"], "task_id")
        if task_id is not None and task_id not in task_depth:
            check.add(where, f"task_id {task_id} is not in tasks.csv")
        reporter = check.id(where, row["reporter_id"], "reporter_id")
        if reporter is not None and reporter not in people:
            check.add(where, f"reporter_id {reporter} is not in people.csv")
        check.date(where, row["reported_on"], "reported_on")
        check.percent(where, row["progress"], "progress")
        check.text(where, file, "text", row["text"])
        if report_id is not None:
            if report_id in reports:
                check.add(where, f"id {report_id} is used by an earlier row")
            reports.add(report_id)
    summary.counts[file] = len(reports)

    if check.problems:
        raise DatasetError(check.problems, check.more)
    return summary


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
