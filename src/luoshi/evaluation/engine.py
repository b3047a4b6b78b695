"""Scoring from the record: every unit and person, one period, one scheme (nothing is stored here but the
report fingerprints, a cache for finding copies).

Units are scored over the tasks they and the units below them lead. Every aggregate is one query grouped
on (lead unit path, person), a few thousand groups, added up in Python to every unit on the path and to
the person, so the number of queries depends neither on the number of units nor on that of tasks. Report
timeliness replays each task's report deadlines in Python over two flat queries (the cadence rules live
in ``luoshi.tasks.lights``). Copied reports are found by one ranking query over the report fingerprints
(``luoshi.evaluation.fingerprints``, written with each report). ``points_lost`` explains one score item
by item with the same base queries.

The formula (published beside the table, see ``formula``): each component scores 0–100; the score is
the weighted mean of the components that have data for the subject, so a component without data hands
its weight to the others in proportion.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple, cast

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When

from luoshi.core import trees
from luoshi.evaluation import fingerprints, sources
from luoshi.evaluation.models import Component, FlagKind, ReportFingerprint
from luoshi.evaluation.periods import Period
from luoshi.organizations.models import Organization
from luoshi.tasks import lights
from luoshi.tasks.models import (
    CompletionRequest,
    ProgressReport,
    ReportCadence,
    RequestStatus,
    Task,
    TaskQuerySet,
    TaskStatus,
)

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
UNIT = "unit"
PERSON = "person"
NOT_STARTED = (TaskStatus.DRAFT, TaskStatus.ASSIGNED, TaskStatus.CANCELLED)


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Window:
    """The days of the period that the record is read for: from its start to its end or ``as_of``."""

    period: Period
    start: date
    end: date

    @classmethod
    def of(cls, period: Period, as_of: date) -> Window:
        return cls(period=period, start=period.start, end=min(period.end, max(as_of, period.start)))


@dataclass
class Value_:
    """One component for one subject: a rate (good of total) or a penalty (points taken from 100)."""

    good: int = 0
    total: int = 0
    points: int = 0
    count: int = 0
    direct: Decimal | None = None  # a score given as such (indicator attainment)
    penalty: bool = False

    def score(self) -> Decimal | None:
        if self.direct is not None:
            return max(Decimal(0), min(HUNDRED, self.direct))
        if self.penalty:
            return max(Decimal(0), HUNDRED - self.points)
        if self.total == 0:
            return None
        return HUNDRED * self.good / self.total


@dataclass
class Row:
    kind: str
    subject_id: int
    peer_group_id: int | None
    score: Decimal | None
    components: dict[str, dict[str, Any]]
    flag_count: int = 0
    rank: int | None = None


@dataclass(frozen=True)
class FlagRow:
    kind: str
    organization_id: int
    task_id: int
    report_id: int | None
    other_report_id: int | None
    detail: str


@dataclass
class Table:
    window: Window
    scheme: dict[str, Any]
    unavailable: list[str]
    rows: list[Row] = field(default_factory=list)
    flags: list[FlagRow] = field(default_factory=list)

    def digest(self) -> str:
        payload = [
            [r.kind, r.subject_id, r.peer_group_id, str(r.score), r.rank, r.components, r.flag_count]
            for r in sorted(self.rows, key=lambda r: (r.kind, r.subject_id))
        ]
        flags = sorted(
            [f.kind, f.organization_id, f.task_id, f.report_id, f.other_report_id] for f in self.flags
        )
        text = json.dumps([payload, flags], sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


# --- base queries (shared by the table and the drill-down) ------------------------------------------


def on_time_base(w: Window) -> QuerySet[Task]:
    """Tasks whose original deadline falls in the window; on time = accepted by that deadline."""
    return Task.objects.exclude(status=TaskStatus.CANCELLED).filter(
        original_due_on__gte=w.start, original_due_on__lte=w.end
    )


ON_TIME = Q(accepted_on__isnull=False, accepted_on__lte=F("original_due_on"))


def verification_base(w: Window) -> QuerySet[CompletionRequest]:
    """Completion requests decided in the window; passed = approved."""
    return CompletionRequest.objects.filter(
        status__in=(RequestStatus.APPROVED, RequestStatus.DENIED),
        decided_at__date__gte=w.start,
        decided_at__date__lte=w.end,
    )


def _under_way(w: Window, prefix: str = "") -> Q:
    """The task (``prefix``: the task of what is filtered) was under way at some time in the window."""
    return (
        ~Q(**{f"{prefix}status__in": NOT_STARTED})
        & Q(**{f"{prefix}start_on__lte": w.end})
        & (Q(**{f"{prefix}accepted_on__isnull": True}) | Q(**{f"{prefix}accepted_on__gte": w.start}))
    )


def working_base(w: Window) -> QuerySet[Task]:
    """Tasks under way at some time in the window (a subject with none has no urgings or relapses score)."""
    return Task.objects.filter(_under_way(w))


def reporting_base(w: Window) -> QuerySet[Task]:
    tasks = working_base(w).exclude(report_cadence=ReportCadence.NONE)
    return cast(TaskQuerySet, tasks).leaves()


def reporting_reports(w: Window) -> QuerySet[ProgressReport]:
    """The reports on tasks of ``working_base`` with a cadence: those of ``reporting_base`` and of the
    parents among them, read by one join (``_report_facts`` keeps the leaves')."""
    return ProgressReport.objects.filter(_under_way(w, "task__")).exclude(
        task__report_cadence=ReportCadence.NONE
    )


def urging_base(w: Window) -> QuerySet[Any] | None:
    model = sources.urging_model()
    if model is None:
        return None
    return model.objects.filter(issued_on__gte=w.start, issued_on__lte=w.end)


def urging_points_expression(points: dict[str, int]) -> Case:
    return Case(
        *(When(level=level, then=Value(int(p))) for level, p in sorted(points.items())),
        default=Value(0),
        output_field=IntegerField(),
    )


# --- grouping -------------------------------------------------------------------------------------


def _per_unit_and_person(
    qs: QuerySet[Any], path_field: str, person_field: str, depths: Iterable[int], **aggregates: Any
) -> tuple[dict[str, dict], dict[int, dict]]:
    """Additive ``aggregates`` (counts, sums) for every unit and for every person, from one query.

    The query groups on (unit path, person), a few thousand groups at most; each group is then added to
    the unit at every depth of its path (a unit's figures cover the units below it) and to its person.
    """
    depths = sorted(depths)
    units: dict[str, dict] = {}
    people: dict[int, dict] = {}
    rows = qs.order_by().values(path_field, person_field).annotate(**aggregates)
    for row in rows:
        path, person = row.pop(path_field), row.pop(person_field)
        for depth in depths:
            width = trees.SEGMENT * depth
            if path is not None and len(path) >= width:
                _add(units.setdefault(path[:width], {}), row)
        if person is not None:
            _add(people.setdefault(person, {}), row)
    return units, people


def _add(total: dict[str, Any], row: dict[str, Any]) -> None:
    for name, value in row.items():
        total[name] = (total.get(name) or 0) + (value or 0)


# --- report deadlines -----------------------------------------------------------------------------


def report_deadlines(
    cadence: str,
    start_on: date,
    reports: list[date],
    until: date,
    next_due: Callable[[str, date | None, date], date | None] = lights.next_report_due,
) -> list[tuple[date, date | None]]:
    """Each report deadline of a task up to ``until``, with the report that met it (None: missed).

    Follows the light's rule (``lights.next_report_due``, or ``next_due``, the same rule remembered): the
    next deadline counts from the last report made by the current one, or from the missed deadline itself.
    """
    result: list[tuple[date, date | None]] = []
    due = next_due(cadence, None, start_on)
    index = 0
    while due is not None and due <= until:
        met = None
        while index < len(reports) and reports[index] <= due:
            met = reports[index]
            index += 1
        result.append((due, met))
        following = next_due(cadence, met, start_on) if met else None
        if following is None or following <= due:
            following = next_due(cadence, due, start_on)
        if following is None or following <= due:
            following = due + timedelta(days=1)
        due = following
    return result


class Deadline(NamedTuple):
    """One report deadline of a task (a tuple: millions are made for a table)."""

    task_id: int
    due: date
    met_on: date | None


FACT_FIELDS = (
    "pk",
    "lead_org_path",
    "handler_id",
    "report_cadence",
    "start_on",
    "acknowledged_on",
    "accepted_on",
)


def _report_facts(
    w: Window, tasks: QuerySet[Task], reports: QuerySet[ProgressReport] | None = None
) -> list[tuple[dict[str, Any], list[Deadline]]]:
    """For each task that owes reports in the window: its row and its deadlines in the window.

    ``reports`` may widen the reports read to those of more tasks than ``tasks`` (their dates are not
    used): for the whole table, a plain join of reports and tasks is much cheaper than asking for each
    report whether its task is a leaf. By default the reports of ``tasks``.
    """
    rows = [
        dict(zip(FACT_FIELDS, values, strict=True)) for values in tasks.order_by().values_list(*FACT_FIELDS)
    ]
    if not rows:
        return []
    if reports is None:
        reports = ProgressReport.objects.filter(task__in=tasks.values("pk"))
    dates: dict[int, list[date]] = defaultdict(list)
    for task_id, reported_on in (
        reports.filter(reporting_org_id=F("task__lead_org_id"), reported_on__lte=w.end)
        .order_by("task_id", "reported_on")
        .values_list("task_id", "reported_on")
    ):
        dates[task_id].append(reported_on)
    # The deadlines of many tasks follow from the same few days: each rule asked once per day.
    next_due = functools.cache(lights.next_report_due)
    result = []
    for row in rows:
        first = max(w.start, row["acknowledged_on"] or row["start_on"])
        last = min(w.end, row["accepted_on"] or w.end)
        task_dates = dates.get(row["pk"], [])
        deadlines = [
            Deadline(row["pk"], due, met)
            for due, met in report_deadlines(
                row["report_cadence"], row["start_on"], task_dates, last, next_due
            )
            if due >= first
        ]
        if deadlines:
            result.append((row, deadlines))
    return result


# --- the table ------------------------------------------------------------------------------------


def _units() -> list[dict[str, Any]]:
    rows = Organization.objects.active().order_by().values("pk", "path", "depth", "parent_id")
    return [dict(row) for row in rows]


def compute(period: Period, scheme: dict[str, Any], *, as_of: date) -> Table:
    """Score every active unit and every person with data, and find the flags, as of ``as_of``."""
    w = Window.of(period, as_of)
    units = _units()
    depths = sorted({u["depth"] for u in units})
    by_path = {u["path"]: u for u in units}
    values: dict[tuple[str, int], dict[str, Value_]] = defaultdict(dict)

    def put(kind: str, subject: int, component: str, value: Value_) -> None:
        values[(kind, subject)][component] = value

    def put_units(rows: dict[str, dict], component: str, make: Any) -> None:
        for path, row in rows.items():
            unit = by_path.get(path)
            if unit is not None:
                put(UNIT, unit["pk"], component, make(row))

    def put_people(rows: dict[int, dict], component: str, make: Any) -> None:
        for person, row in rows.items():
            put(PERSON, person, component, make(row))

    # On-time completion and verification: one grouped query per depth, one for people.
    counts = {"good": Count("pk", filter=ON_TIME), "total": Count("pk")}
    rate = lambda row: Value_(good=row["good"], total=row["total"])  # noqa: E731
    on_time_units, on_time_people = _per_unit_and_person(
        on_time_base(w), "lead_org_path", "handler_id", depths, **counts
    )
    put_units(on_time_units, Component.ON_TIME, rate)
    put_people(on_time_people, Component.ON_TIME, rate)
    passed = {"good": Count("pk", filter=Q(status=RequestStatus.APPROVED)), "total": Count("pk")}
    verified_units, verified_people = _per_unit_and_person(
        verification_base(w), "task__lead_org_path", "task__handler_id", depths, **passed
    )
    put_units(verified_units, Component.VERIFICATION, rate)
    put_people(verified_people, Component.VERIFICATION, rate)

    # Report timeliness: deadlines replayed per task, added up the task's chain of units.
    unit_reports: dict[str, Value_] = defaultdict(Value_)
    person_reports: dict[int, Value_] = defaultdict(Value_)
    for row, deadlines in _report_facts(w, reporting_base(w), reporting_reports(w)):
        met = sum(1 for d in deadlines if d.met_on is not None)
        path = row["lead_org_path"]
        for end in range(trees.SEGMENT, len(path) + 1, trees.SEGMENT):
            tally = unit_reports[path[:end]]
            tally.good += met
            tally.total += len(deadlines)
        if row["handler_id"]:
            tally = person_reports[row["handler_id"]]
            tally.good += met
            tally.total += len(deadlines)
    for path, tally in unit_reports.items():
        if path in by_path:
            put(UNIT, by_path[path]["pk"], Component.REPORTS, tally)
    for person, tally in person_reports.items():
        put(PERSON, person, Component.REPORTS, tally)

    # Who had work: urgings and relapses only score subjects that had work (or were urged).
    working_paths, working_people_rows = _per_unit_and_person(
        working_base(w), "lead_org_path", "handler_id", depths, n=Count("pk")
    )
    working_units = {by_path[p]["pk"] for p in working_paths if p in by_path}
    working_people = set(working_people_rows)

    unavailable: list[str] = []
    urgings = urging_base(w)
    if urgings is None:
        unavailable.append(Component.URGINGS)
    else:
        points = {"points": Sum(urging_points_expression(scheme["urging_points"])), "count": Count("pk")}
        urged_units, urged_people = _per_unit_and_person(
            urgings, "to_org__path", "to_person_id", depths, **points
        )
        for unit in units:
            urged = urged_units.get(unit["path"])
            if urged or unit["pk"] in working_units:
                put(UNIT, unit["pk"], Component.URGINGS, _penalty(urged))
        for person in working_people | set(urged_people):
            put(PERSON, person, Component.URGINGS, _penalty(urged_people.get(person)))

    attainment = sources.attainment_by_org(w.start, w.end)
    if attainment is None:
        unavailable.append(Component.INDICATORS)
    else:
        for org_id, value in attainment.items():
            put(UNIT, org_id, Component.INDICATORS, Value_(direct=Decimal(str(round(value, 2)))))

    relapses = sources.relapse_counts([u["pk"] for u in units], w.start, w.end)
    if relapses is None:
        unavailable.append(Component.RELAPSES)
    else:
        for unit in units:
            count = int(relapses.get(unit["pk"], 0))
            if count or unit["pk"] in working_units:
                put(
                    UNIT,
                    unit["pk"],
                    Component.RELAPSES,
                    Value_(penalty=True, count=count, points=count * int(scheme["relapse_points"])),
                )

    table = Table(window=w, scheme=scheme, unavailable=unavailable)
    parents = {u["pk"]: u["parent_id"] for u in units}
    weights = {str(k): int(v) for k, v in scheme["weights"].items()}
    for (kind, subject), components in sorted(values.items()):
        if kind == UNIT and subject not in parents:
            continue  # an inactive unit's indicator values
        table.rows.append(
            Row(
                kind=kind,
                subject_id=subject,
                peer_group_id=parents.get(subject) if kind == UNIT else None,
                **_combine(components, weights),
            )
        )
    table.flags = find_flags(w, scheme)
    _count_flags(table, units)
    _rank(table.rows)
    return table


def _penalty(row: dict[str, Any] | None) -> Value_:
    return Value_(
        penalty=True, points=int(row["points"] or 0) if row else 0, count=row["count"] if row else 0
    )


def _combine(components: dict[str, Value_], weights: dict[str, int]) -> dict[str, Any]:
    scores = {c: v.score() for c, v in components.items()}
    carried = sum(weights.get(c, 0) for c, s in scores.items() if s is not None)
    detail: dict[str, dict[str, Any]] = {}
    total = Decimal(0)
    for component in Component:
        c = str(component)
        value = components.get(c)
        score = scores.get(c)
        share = (
            Decimal(weights.get(c, 0)) * HUNDRED / carried if score is not None and carried else Decimal(0)
        )
        if score is not None and carried:
            total += score * weights.get(c, 0) / carried
        detail[c] = {
            "score": None if score is None else str(q2(score)),
            "good": value.good if value else 0,
            "total": value.total if value else 0,
            "points": value.points if value else 0,
            "count": value.count if value else 0,
            "weight": str(q2(share)),
        }
    return {"score": q2(total) if carried else None, "components": detail}


def _rank(rows: list[Row]) -> None:
    """Competition ranking (1, 2, 2, 4) by score, units among siblings, people among all people."""
    groups: dict[tuple[str, int | None], list[Row]] = defaultdict(list)
    for row in rows:
        if row.score is not None:
            groups[(row.kind, row.peer_group_id)].append(row)
    for members in groups.values():
        members.sort(key=lambda r: r.score or 0, reverse=True)
        previous: Decimal | None = None
        rank = 0
        for position, row in enumerate(members, start=1):
            if row.score != previous:
                rank = position
                previous = row.score
            row.rank = rank


def _count_flags(table: Table, units: list[dict[str, Any]]) -> None:
    """Each unit's row counts the flags on work led in its subtree."""
    if not table.flags:
        return
    paths = {u["pk"]: u["path"] for u in units}
    per_path: dict[str, int] = defaultdict(int)
    for flag in table.flags:
        path = paths.get(flag.organization_id, "")
        for end in range(trees.SEGMENT, len(path) + 1, trees.SEGMENT):
            per_path[path[:end]] += 1
    for row in table.rows:
        if row.kind == UNIT:
            row.flag_count = per_path.get(paths.get(row.subject_id, ""), 0)


# --- flags ----------------------------------------------------------------------------------------

# The digests are made by ``fingerprints`` (kept when reports are written); named here too, as the
# engine's own definition of a copied report.
normalize = fingerprints.normalize


def fingerprint(report: dict[str, Any]) -> tuple[str, int]:
    return fingerprints.digest(report["narrative"], report["problems"], report["next_steps"])


def ensure_fingerprints(end: date) -> None:
    """Fingerprint the reports made up to ``end`` that have none yet (records from before reports were
    fingerprinted when written); a quick check when every report has its fingerprint."""
    fingerprints.fill_missing(up_to=end)


def find_flags(w: Window, scheme: dict[str, Any]) -> list[FlagRow]:
    flags = _jump_flags(w, int(scheme["flag_jump_points"]))
    flags += _copy_flags(w, int(scheme["flag_copy_min_chars"]))
    flags += _relapse_flags(w, int(scheme["flag_relapse_days"]))
    return flags


def _jump_flags(w: Window, jump: int) -> list[FlagRow]:
    """The lead unit reported 100 % on the task's due day after a report at least ``jump`` points lower."""
    from django.db.models import OuterRef, Subquery

    earlier = ProgressReport.objects.filter(
        task_id=OuterRef("task_id"), progress__isnull=False, reporting_org_id=OuterRef("reporting_org_id")
    ).filter(
        Q(reported_on__lt=OuterRef("reported_on"))
        | Q(reported_on=OuterRef("reported_on"), pk__lt=OuterRef("pk"))
    )
    candidates = (
        ProgressReport.objects.filter(
            progress=100,
            reported_on__gte=w.start,
            reported_on__lte=w.end,
            reporting_org_id=F("task__lead_org_id"),
        )
        .filter(Q(reported_on=F("task__due_on")) | Q(reported_on=F("task__original_due_on")))
        .annotate(before=Subquery(earlier.order_by("-reported_on", "-pk").values("progress")[:1]))
        .order_by("pk")
        .values("pk", "task_id", "reporting_org_id", "before", "reported_on")
    )
    return [
        FlagRow(
            kind=FlagKind.JUMP_ON_DUE_DAY,
            organization_id=r["reporting_org_id"],
            task_id=r["task_id"],
            report_id=r["pk"],
            other_report_id=None,
            detail=f"{r['before'] or 0}→100 @ {r['reported_on'].isoformat()}",
        )
        for r in candidates
        if 100 - (r["before"] or 0) >= jump
    ]


def _copy_flags(w: Window, min_chars: int) -> list[FlagRow]:
    """A report in the window whose normalized text equals an earlier report's (any task, any unit).

    One query: the reports up to the window's end that share a digest with a report in the window, ranked
    within their digest by date and id; every one after the first that falls in the window is a copy of
    the first.
    """
    ensure_fingerprints(w.end)
    fingerprint_table = connection.ops.quote_name(ReportFingerprint._meta.db_table)
    report_table = connection.ops.quote_name(ProgressReport._meta.db_table)
    # Digests are hexadecimal: compared bytewise they sort as in any collation, and much faster.
    bytewise = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    sql = f"""
        SELECT digest, report_id, task_id, reporting_org_id, original_id, original_org_id FROM (
            SELECT f.digest, f.report_id, r.reported_on, r.task_id, r.reporting_org_id,
                row_number() OVER same AS position,
                first_value(f.report_id) OVER same AS original_id,
                first_value(r.reporting_org_id) OVER same AS original_org_id
            FROM {fingerprint_table} f JOIN {report_table} r ON r.id = f.report_id
            WHERE r.reported_on <= %s AND f.digest IN (
                SELECT wf.digest FROM {fingerprint_table} wf JOIN {report_table} wr ON wr.id = wf.report_id
                WHERE wr.reported_on >= %s AND wr.reported_on <= %s AND wf.length >= %s
            )
            WINDOW same AS (PARTITION BY f.digest{bytewise} ORDER BY r.reported_on, f.report_id)
        ) ranked
        WHERE position > 1 AND reported_on >= %s
        ORDER BY digest{bytewise}, reported_on, report_id
    """  # noqa: S608 -- table names from the models, quoted; values are bound parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [w.end, w.start, w.end, min_chars, w.start])
        rows = cursor.fetchall()
    return [
        FlagRow(
            kind=FlagKind.COPIED_REPORT,
            organization_id=org_id,
            task_id=task_id,
            report_id=report_id,
            other_report_id=original,
            detail="other-unit" if original_org != org_id else "same-unit",
        )
        for _digest, report_id, task_id, org_id, original, original_org in rows
    ]


def _relapse_flags(w: Window, days: int) -> list[FlagRow]:
    """A relapse task opened in the window within ``days`` of the closure of the work it reopens."""
    rows: list[dict[str, Any]] = list(
        Task.objects.filter(
            relapse_of__isnull=False,
            start_on__gte=w.start,
            start_on__lte=w.end,
            relapse_of__closed_on__isnull=False,
        )
        .order_by("pk")
        .values("pk", "start_on", "relapse_of_id", "relapse_of__closed_on", "relapse_of__lead_org_id")  # type: ignore[arg-type]
    )
    return [
        FlagRow(
            kind=FlagKind.QUICK_RELAPSE,
            organization_id=r["relapse_of__lead_org_id"],
            task_id=r["relapse_of_id"],
            report_id=None,
            other_report_id=None,
            detail=f"{r['relapse_of__closed_on'].isoformat()}→{r['start_on'].isoformat()} #{r['pk']}",
        )
        for r in rows
        if (r["start_on"] - r["relapse_of__closed_on"]).days <= days
    ]


# --- the drill-down -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loss:
    """Points of the total score lost to one task, report deadline, urging, relapse or indicator."""

    component: str
    points: Decimal
    task_id: int | None = None
    task_title: str = ""
    lead_org: str = ""
    report_id: int | None = None
    urging_id: int | None = None
    due: date | None = None
    detail: str = ""


def points_lost(
    window: Window,
    scheme: dict[str, Any],
    *,
    kind: str,
    subject: Organization | Any,
    components: dict[str, Any],
) -> list[Loss]:
    """Every point the subject lost, item by item; they add up to 100 minus the score (up to rounding)."""
    share = {c: Decimal(v["weight"]) / HUNDRED for c, v in components.items()}
    losses: list[Loss] = []

    def scope(qs: QuerySet[Any], path_field: str, person_field: str) -> QuerySet[Any]:
        if kind == UNIT:
            return qs.filter(trees.subtree_q(path_field, subject.path))
        return qs.filter(**{person_field: subject.pk})

    def rate_losses(component: str, items: list[dict[str, Any]], total: int) -> None:
        if not share.get(component) or not total:
            return
        each = share[component] * HUNDRED / total
        for item in items:
            losses.append(Loss(component=component, points=each, **item))

    if share.get(Component.ON_TIME):
        base = scope(on_time_base(window), "lead_org_path", "handler_id")
        total = base.count()
        late = base.exclude(ON_TIME).select_related("lead_org").order_by("original_due_on", "pk")
        rate_losses(
            Component.ON_TIME,
            [
                {
                    "task_id": t.pk,
                    "task_title": t.title,
                    "lead_org": t.lead_org.display_name,
                    "due": t.original_due_on,
                    "detail": t.accepted_on.isoformat() if t.accepted_on else "",
                }
                for t in late
            ],
            total,
        )
    if share.get(Component.VERIFICATION):
        base = scope(verification_base(window), "task__lead_org_path", "task__handler_id")
        total = base.count()
        denied = (
            base.filter(status=RequestStatus.DENIED)
            .select_related("task__lead_org")
            .order_by("decided_at", "pk")
        )
        rate_losses(
            Component.VERIFICATION,
            [
                {
                    "task_id": r.task_id,
                    "task_title": r.task.title,
                    "lead_org": r.task.lead_org.display_name,
                    "due": r.decided_at.date() if r.decided_at else None,
                    "detail": r.decision_note,
                }
                for r in denied
            ],
            total,
        )
    if share.get(Component.REPORTS):
        facts = _report_facts(window, scope(reporting_base(window), "lead_org_path", "handler_id"))
        total = sum(len(d) for _, d in facts)
        tasks = {
            pk: (title, short or name)
            for pk, title, short, name in Task.objects.filter(
                pk__in=[row["pk"] for row, _ in facts]
            ).values_list("pk", "title", "lead_org__short_name", "lead_org__name")
        }
        rate_losses(
            Component.REPORTS,
            [
                {
                    "task_id": d.task_id,
                    "task_title": tasks[d.task_id][0],
                    "lead_org": tasks[d.task_id][1],
                    "due": d.due,
                }
                for _, deadlines in facts
                for d in deadlines
                if d.met_on is None
            ],
            total,
        )
    if share.get(Component.URGINGS):
        urgings = urging_base(window)
        if urgings is not None:
            urged = (
                scope(urgings, "to_org__path", "to_person_id")
                .select_related("task", "to_org")
                .order_by("issued_on", "pk")
            )
            level_points = {k: int(v) for k, v in scheme["urging_points"].items()}
            items = [(u, level_points.get(u.level, 0)) for u in urged]
            taken = sum(p for _, p in items)
            scale = min(Decimal(1), HUNDRED / taken) if taken else Decimal(1)
            for urging, p in items:
                if p:
                    losses.append(
                        Loss(
                            component=Component.URGINGS,
                            points=share[Component.URGINGS] * p * scale,
                            task_id=urging.task_id,
                            task_title=urging.task.title,
                            lead_org=urging.to_org.display_name,
                            urging_id=urging.pk,
                            due=urging.issued_on,
                            detail=urging.get_level_display(),
                        )
                    )
    if share.get(Component.RELAPSES) and kind == UNIT:
        count = int(components[Component.RELAPSES]["count"])
        per = Decimal(int(scheme["relapse_points"]))
        scale = min(Decimal(1), HUNDRED / (per * count)) if count else Decimal(1)
        each = share[Component.RELAPSES] * per * scale
        found = _relapse_items(window, subject)[:count]
        for item in found:
            losses.append(Loss(component=Component.RELAPSES, points=each, **item))
        # Counted by the look-back app but not found here (e.g. its rows moved on): still shown, unnamed.
        for _ in range(count - len(found)):
            losses.append(Loss(component=Component.RELAPSES, points=each))
    if share.get(Component.INDICATORS):
        score = components[Component.INDICATORS]["score"]
        if score is not None and Decimal(score) < HUNDRED:
            losses.append(
                Loss(
                    component=Component.INDICATORS,
                    points=share[Component.INDICATORS] * (HUNDRED - Decimal(score)),
                    detail=score,
                )
            )
    return losses


def _relapse_items(window: Window, org: Organization) -> list[dict[str, Any]]:
    """The look-backs recorded in the window that found relapses in work led under ``org``."""
    try:
        from luoshi.lookbacks.models import LookBack, LookBackOutcome
    except ModuleNotFoundError:
        return []
    rows = (
        LookBack.objects.filter(
            outcome=LookBackOutcome.RELAPSED, recorded_on__gte=window.start, recorded_on__lte=window.end
        )
        .filter(trees.subtree_q("task__lead_org_path", org.path))
        .select_related("task__lead_org")
        .order_by("recorded_on", "pk")
    )
    return [
        {
            "task_id": lb.task_id,
            "task_title": lb.task.title,
            "lead_org": lb.task.lead_org.display_name,
            "due": lb.recorded_on,
            "detail": lb.findings[:100],
        }
        for lb in rows
    ]


def formula(scheme: dict[str, Any], unavailable: Iterable[str] = ()) -> list[tuple[str, int, bool]]:
    """The published formula: (component, weight, has a source) in table order."""
    missing = set(unavailable)
    return [(c, int(scheme["weights"].get(c, 0)), c not in missing) for c in map(str, Component)]
