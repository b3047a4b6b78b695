"""``luoshi bench load DIR``: any dataset in the benchmark format, into the configured database, in bulk.

1. Validate the whole dataset first (``dataset.validate``): nothing is written if any row is wrong.
2. Insert every file in one transaction with the database's bulk path: ``COPY … FROM STDIN`` on
   PostgreSQL (psycopg's ``cursor.copy``), batched multi-row ``executemany`` INSERTs on SQLite. Ids of
   the dataset are shifted past the ids already in the database, so a dataset loads beside existing data.
   Materialized paths (``luoshi.core.trees``) are built while streaming, since parents come first.
3. Set-based SQL fills what the rows imply (assigning unit = the parent task's lead unit, last report
   date), the reports' fingerprints are written in bulk (``evaluation.fingerprints.fill_missing``),
   then ``rollup.repair(today=…)`` computes own lights, report due dates and the roll-up.
4. ``search.bulk.rebuild`` builds the search index (terms in worker processes, written in bulk, indexes
   built once); one audit event records the load (a bulk operation is one event, not one per row).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from luoshi.audit import services as audit
from luoshi.bench import dataset
from luoshi.core import bulk, trees
from luoshi.directives.docnumbers import normalize_doc_number
from luoshi.directives.models import Directive, FocusArea
from luoshi.evaluation import fingerprints
from luoshi.organizations.models import Membership, Organization, User
from luoshi.search import bulk as search_bulk
from luoshi.summaries import triggers as summaries
from luoshi.tasks import rollup
from luoshi.tasks.models import ProgressReport, Task

# Rows per executemany on SQLite.
BATCH = 2000
# A password hash that matches no password (Django's "unusable password" form): benchmark people sign in
# through the test client's force_login, or after an administrator sets a password.
UNUSABLE_PASSWORD = "!bench"  # noqa: S105 - not a password: the hash form that matches none
AUDIT_ACTION = "bench.load"

Progress = Callable[[str], None]


@dataclass
class LoadResult:
    name: str
    today: date
    counts: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)


class _Table:
    """Bulk insertion into one model's table: the given columns, then every other concrete column with
    its default (``auto_now``/``auto_now_add`` columns take the load's timestamp)."""

    def __init__(self, model: type[models.Model], given: Sequence[str], now: Any) -> None:
        self.model = model
        concrete = [f for f in model._meta.concrete_fields]
        by_name = {f.name: f for f in concrete} | {f.attname: f for f in concrete}
        chosen = [by_name[name] for name in given]
        rest = [f for f in concrete if f not in chosen and not f.primary_key]
        self.columns = [f.column for f in chosen] + [f.column for f in rest]
        defaults = []
        for f in rest:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            defaults.append(f.get_db_prep_save(value, connection))
        self.defaults = tuple(defaults)

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        return bulk.copy_rows(self.model, self.columns, ((*row, *self.defaults) for row in rows))


def _offset(model: type[models.Model]) -> int:
    return model._default_manager.aggregate(top=Max("pk"))["top"] or 0


def _int(text: str) -> int | None:
    return int(text) if text else None


def _focus_areas(folder: Path) -> dict[str, int]:
    """The focus areas the tasks name (by code or name), created when the deployment lacks them."""
    wanted = sorted({row["focus_area"] for _, row in dataset.rows(folder, "tasks.csv") if row["focus_area"]})
    found: dict[str, int] = {}
    for value in wanted:
        area = FocusArea.objects.filter(models.Q(code=value) | models.Q(name=value)).first()
        if area is None:
            code = value if value.isascii() and value.replace("-", "").replace("_", "").isalnum() else ""
            code = (code.lower() or f"bench-{len(found) + 1}")[:40]
            while FocusArea.objects.filter(code=code).exists():
                code = f"{code[:34]}-{len(found) + 1}"
            area = FocusArea.objects.create(name=value, code=code)
        found[value] = area.pk
    return found


def load(folder: Path, *, progress: Progress | None = None, index: bool = True) -> LoadResult:
    """Validate and load the dataset in ``folder``; returns what was loaded and how long each step took."""
    say = progress or (lambda _text: None)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    summary = dataset.validate(
        folder,
        taken_usernames=set(User.objects.values_list("username", flat=True)),
        taken_region_codes={
            code for code in Organization.objects.values_list("region_code", flat=True) if code
        },
        taken_doc_numbers=set(Directive.objects.exclude(doc_number="").values_list("doc_number", flat=True)),
    )
    seconds["validate"] = time.perf_counter() - started
    say(f"valid: {', '.join(f'{n} {c:,}' for n, c in summary.counts.items())}")

    # The cockpit's summary tables are counted once at the end, not row by row during the COPY.
    with summaries.suspended():
        started = time.perf_counter()
        with transaction.atomic():
            counts = _Loader(folder).run(say)
        seconds["insert"] = time.perf_counter() - started
        seconds["fingerprints"] = _fingerprint_reports(say)

        started = time.perf_counter()
        rollup.repair(today=summary.meta.today)
        seconds["rollup"] = time.perf_counter() - started
        say(f"roll-up repaired as of {summary.meta.today} in {seconds['rollup']:.1f} s")
        started = time.perf_counter()  # the rebuild runs as the block exits
    seconds["summaries"] = time.perf_counter() - started
    say(f"summary tables rebuilt in {seconds['summaries']:.1f} s")
    # The repair rewrote most tasks: on PostgreSQL the table would then be read at twice its size (the
    # old versions stay until a vacuum, and a plain vacuum does not give the space back), as by no
    # deployment that loads its past once and compacts it. Then fresh statistics, so that the planner
    # knows the sizes just loaded.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # (VACUUM cannot run in a transaction, as when a test loads a dataset.)
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            cursor.execute(f"VACUUM (FULL) {Task._meta.db_table}")
        cursor.execute("ANALYZE")
    seconds["compact"] = time.perf_counter() - started
    say(f"tasks compacted and statistics gathered in {seconds['compact']:.1f} s")

    if index:
        started = time.perf_counter()
        search_bulk.rebuild()
        seconds["search"] = time.perf_counter() - started
        say(f"search index rebuilt in {seconds['search']:.1f} s")

    audit.record(
        actor=None,
        action=AUDIT_ACTION,
        object_type="bench.dataset",
        object_id=summary.meta.name,
        object_repr=f"benchmark dataset {summary.meta.name}",
        changes={
            "folder": str(folder),
            "today": summary.meta.today.isoformat(),
            "seed": summary.meta.seed,
            "rows": counts,
        },
    )
    return LoadResult(name=summary.meta.name, today=summary.meta.today, counts=counts, seconds=seconds)


def _fingerprint_reports(say: Progress) -> float:
    """The fingerprints of the loaded reports (how the evaluation finds copied reports), in bulk: COPY on
    PostgreSQL, batched INSERTs on SQLite. Returns the seconds taken."""
    started = time.perf_counter()
    written = fingerprints.fill_missing()
    elapsed = time.perf_counter() - started
    say(f"report fingerprints written ({written:,}) in {elapsed:.1f} s")
    return elapsed


class _Loader:
    """One load: the id shift of each file (the ids already in the database) and the maps the later
    files need (unit paths, people's units, task paths)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.now = timezone.now()
        self.unit_paths: dict[int, str] = {}
        self.person_units: dict[int, int] = {}
        self.units = _offset(Organization)
        self.people = _offset(User)
        self.directives = _offset(Directive)
        self.tasks = _offset(Task)
        self.reports = _offset(ProgressReport)

    def run(self, say: Progress) -> dict[str, int]:
        counts = {"units.csv": self.insert_units(), "people.csv": self.insert_people()}
        say(f"units and people inserted ({counts['units.csv']:,} / {counts['people.csv']:,})")
        areas = _focus_areas(self.folder)
        counts["directives.csv"] = self.insert_directives()
        counts["tasks.csv"], counts["cooperations"] = self.insert_tasks(areas)
        say(f"tasks inserted ({counts['tasks.csv']:,})")
        counts["reports.csv"] = self.insert_reports()
        say(f"reports inserted ({counts['reports.csv']:,})")
        loaded_models: list[type[models.Model]] = [
            Organization,
            User,
            Membership,
            Directive,
            Task,
            ProgressReport,
            COOPERATION,
        ]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), loaded_models):
                cursor.execute(sql)
        self.derive_columns()
        return counts

    def insert_units(self) -> int:
        shift, paths = self.units, self.unit_paths

        def units() -> Iterator[tuple[Any, ...]]:
            for _, row in dataset.rows(self.folder, "units.csv"):
                unit_id = int(row["id"]) + shift
                parent = _int(row["parent_id"])
                parent_id = parent + shift if parent is not None else None
                path = (
                    trees.segment(unit_id)
                    if parent_id is None
                    else trees.child_path(paths[parent_id], unit_id)
                )
                paths[unit_id] = path
                yield (
                    unit_id,
                    parent_id,
                    path,
                    trees.depth_of(path),
                    row["kind"],
                    row["name"],
                    row["region_code"] or None,
                )

        fields = ["id", "parent_id", "path", "depth", "kind", "name", "region_code"]
        return _Table(Organization, fields, self.now).insert(units())

    def insert_people(self) -> int:
        memberships: list[tuple[int, int, str]] = []

        def people() -> Iterator[tuple[Any, ...]]:
            for _, row in dataset.rows(self.folder, "people.csv"):
                person_id = int(row["id"]) + self.people
                unit_id = int(row["unit_id"]) + self.units
                self.person_units[person_id] = unit_id
                memberships.append((person_id, unit_id, row["role"]))
                yield person_id, row["username"], row["display_name"], UNUSABLE_PASSWORD

        count = _Table(User, ["id", "username", "display_name", "password"], self.now).insert(people())
        _Table(Membership, ["user_id", "organization_id", "role"], self.now).insert(memberships)
        return count

    def insert_directives(self) -> int:
        def directives() -> Iterator[tuple[Any, ...]]:
            for _, row in dataset.rows(self.folder, "directives.csv"):
                yield (
                    int(row["id"]) + self.directives,
                    row["title"],
                    int(row["issuer_unit_id"]) + self.units,
                    row["level"],
                    row["kind"],
                    normalize_doc_number(row["doc_number"]),
                    row["issued_on"],
                )

        fields = ["id", "title", "issuing_org_id", "level", "kind", "doc_number", "issued_on"]
        return _Table(Directive, fields, self.now).insert(directives())

    def insert_tasks(self, areas: dict[str, int]) -> tuple[int, int]:
        shift, units, people = self.tasks, self.units, self.people
        paths: dict[int, str] = {}
        cooperations: list[tuple[int, int]] = []

        def tasks() -> Iterator[tuple[Any, ...]]:
            for _, row in dataset.rows(self.folder, "tasks.csv"):
                task_id = int(row["id"]) + shift
                parent = _int(row["parent_id"])
                parent_id = parent + shift if parent is not None else None
                path = (
                    trees.segment(task_id)
                    if parent_id is None
                    else trees.child_path(paths[parent_id], task_id)
                )
                paths[task_id] = path
                lead = int(row["lead_unit_id"]) + units
                for part in filter(None, (p.strip() for p in row["cooperating_unit_ids"].split(";"))):
                    cooperations.append((task_id, int(part) + units))
                directive = _int(row["directive_id"])
                handler = _int(row["handler_id"])
                status = row["status"]
                progress = _int(row["progress"]) or 0
                closed_on = row["closed_on"] or None
                yield (
                    task_id,
                    parent_id,
                    path,
                    trees.depth_of(path),
                    directive + self.directives if directive is not None else None,
                    areas.get(row["focus_area"]) if row["focus_area"] else None,
                    row["title"],
                    lead,  # the assigning unit: the parent's lead unit, set in one statement afterwards
                    lead,
                    self.unit_paths[lead],
                    handler + people if handler is not None else None,
                    status,
                    row["start_on"],
                    row["due_on"],
                    row["due_on"],
                    int(row["weight"] or 1),
                    None if status in NOT_YET_ASSIGNED else row["start_on"],
                    None if status in NOT_YET_ACKNOWLEDGED else row["start_on"],
                    1 if status == "returned" else 0,
                    closed_on,
                    closed_on,
                    bool(closed_on and closed_on > row["due_on"]),
                    progress,
                    progress,
                )

        count = _Table(Task, TASK_FIELDS, self.now).insert(tasks())
        linked = _Table(COOPERATION, ["task_id", "organization_id"], self.now).insert(cooperations)
        return count, linked

    def insert_reports(self) -> int:
        def reports() -> Iterator[tuple[Any, ...]]:
            for _, row in dataset.rows(self.folder, "reports.csv"):
                reporter = int(row["reporter_id"]) + self.people
                yield (
                    int(row["id"]) + self.reports,
                    int(row["task_id"]) + self.tasks,
                    reporter,
                    self.person_units[reporter],
                    row["reported_on"],
                    _int(row["progress"]),
                    row["text"],
                )

        fields = ["id", "task_id", "reporter_id", "reporting_org_id", "reported_on", "progress", "narrative"]
        return _Table(ProgressReport, fields, self.now).insert(reports())

    def derive_columns(self) -> None:
        """What the rows imply, in set-based statements over the loaded tasks only."""
        loaded = Task.objects.filter(pk__gt=self.tasks)
        parents = Task.objects.filter(pk=OuterRef("parent_id")).values("lead_org_id")[:1]
        loaded.filter(parent__isnull=False).update(assigning_org_id=Subquery(parents))
        latest = (
            ProgressReport.objects.filter(task_id=OuterRef("pk"))
            .order_by()
            .values("task_id")
            .annotate(latest=Max("reported_on"))
            .values("latest")[:1]
        )
        loaded.update(last_reported_on=Subquery(latest))


TASK_FIELDS = [
    "id", "parent_id", "path", "depth", "directive_id", "focus_area_id", "title", "assigning_org_id",
    "lead_org_id", "lead_org_path", "handler_id", "status", "start_on", "due_on", "original_due_on", "weight",
    "assigned_on", "acknowledged_on", "rejection_count", "accepted_on", "closed_on", "closed_late",
    "reported_progress", "progress",
]  # fmt: skip
NOT_YET_ASSIGNED = {"draft"}
NOT_YET_ACKNOWLEDGED = {"draft", "assigned"}
COOPERATION = Task.cooperating_orgs.through
