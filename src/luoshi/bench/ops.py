"""The operations of issue 6 (O1–O8), each measured through the app and as hand-written SQL (the floor).

The floor is the least work the database must do for the same answer, written by hand against the same
tables and indexes: it leaves out what only the app does (authorization, serialization, audit hashing,
word segmentation), so app ÷ floor measures what the code path costs on top of the data access.
Operations whose feature is not in this build raise ``NotAvailable`` and are reported as such.
"""

# The floor is hand-written SQL by design; table names come from the models and every value is a bound
# parameter, so the rule against SQL built from strings does not apply here.
# ruff: noqa: S608

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Max, Q
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from luoshi.audit.models import AuditEvent
from luoshi.bench.run import Case, NotAvailable, Samples
from luoshi.core import trees
from luoshi.directives.models import Clause, Directive
from luoshi.notifications.models import Notification
from luoshi.organizations.models import Membership, Organization, User
from luoshi.search import segment
from luoshi.search.fulltext import FTS_TABLE, fts5_query, tsquery
from luoshi.search.models import SearchEntry
from luoshi.search.selectors import MAX_RESULTS, parse_query
from luoshi.search.selectors import search as app_search
from luoshi.search.text import index_terms, searchable_text
from luoshi.tasks import lights
from luoshi.tasks import selectors as task_selectors
from luoshi.tasks.models import REPORTING_STATUSES, ProgressReport, Task

TASK = Task._meta.db_table
REPORT = ProgressReport._meta.db_table
ENTRY = SearchEntry._meta.db_table
ORG = Organization._meta.db_table
USER = User._meta.db_table
WRITERS = 8
# Queries of O8: two and four Chinese characters and an English word, all in the generated vocabulary.
QUERIES = (("two characters", "养老"), ("four characters", "营商环境"), ("English word", "drainage"))
NARRATIVE = "本周完成排水管网改造第二阶段，推进顺利。Drainage works: phase 2 done."
IMPORT_ROWS = 10_000


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _sql(query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def _pick(ids: list[int], count: int) -> list[int]:
    """``count`` ids spread evenly over ``ids`` (deterministic, so two runs measure the same rows)."""
    if len(ids) <= count:
        return ids
    step = len(ids) / count
    return [ids[int(i * step)] for i in range(count)]


def _member(org: Organization, roles: Sequence[str] = ("supervisor", "leader", "head", "handler")) -> User:
    for role in roles:
        membership = Membership.objects.filter(organization=org, role=role).select_related("user").first()
        if membership is not None:
            return membership.user
    raise NotAvailable(f"nobody works in {org.name} to measure as")


@dataclass
class Context:
    today: date
    repeat: int
    root: Organization
    levels: list[tuple[str, Organization]]
    district: Organization
    overseer: User
    district_user: User

    @classmethod
    def build(cls, *, today: date, repeat: int) -> Context:
        # The dataset loaded last has the newest root unit.
        root = Organization.objects.filter(parent__isnull=True).order_by("-pk").first()
        if root is None:
            raise NotAvailable("no units are loaded")
        under = Organization.objects.in_subtree(root).order_by("path")
        levels: list[tuple[str, Organization]] = [(f"{root.kind} (root)", root)]
        for label, query in (
            ("city", under.filter(kind="government", depth=2)),
            ("district", under.filter(kind="district")),
            ("township", under.filter(kind="township")),
        ):
            found = query.first()
            if found is not None:
                levels.append((label, found))
        district = next((org for label, org in levels if label == "district"), levels[-1][1])
        return cls(
            today=today,
            repeat=max(1, repeat),
            root=root,
            levels=levels,
            district=district,
            overseer=_member(root),
            district_user=_member(district),
        )

    def describe(self) -> dict[str, Any]:
        tasks = Task.objects.led_under(self.root)
        return {
            "root": self.root.name,
            "units": Organization.objects.in_subtree(self.root).count(),
            "tasks": tasks.count(),
            "task_levels": tasks.aggregate(deepest=Max("depth"))["deepest"],
            "reports": ProgressReport.objects.filter(task__in=tasks).count(),
            "search_entries": SearchEntry.objects.count(),
        }

    def client(self, user: User) -> Client:
        client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        return client


def _get(client: Client, url: str, case: Case) -> Any:
    response = client.get(url, secure=True)
    if response.status_code != 200:
        case.app.failures += 1
        case.facts.setdefault("error", f"{url} answered {response.status_code}")
    return response


def _routed(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


# Wall seconds a case may take before it stops repeating (it keeps at least one timed run): a path that
# takes a minute per request is measured, and reported, without holding the run for an hour.
CASE_BUDGET = 60.0


def _repeat(case: Case, repeat: int, app: Callable[[], Any], floor: Callable[[], Any]) -> None:
    """One untimed warm-up of each side, then ``repeat`` timed runs, alternating app and floor (fewer when
    the case passes ``CASE_BUDGET``, which the case's facts then say)."""
    started = time.perf_counter()
    app()
    floor()
    if time.perf_counter() - started > CASE_BUDGET / 2:
        # So slow that warm-up hardly matters: one timed run of each side is the measurement.
        repeat = 1
    for done in range(repeat):
        if done and time.perf_counter() - started > CASE_BUDGET:
            case.facts["runs"] = f"{done} of {repeat} (time budget {CASE_BUDGET:.0f} s)"
            break
        case.app.timed(app)
        case.floor.timed(floor)


# --- O1: a progress report on a leaf, with the roll-up -------------------------------------------


def _reportable_leaves(root: Organization) -> list[int]:
    return list(
        Task.objects.led_under(root)
        .leaves()
        .filter(status__in=REPORTING_STATUSES, handler__isnull=False, reported_progress__lt=100)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _app_report(task_id: int, handlers: dict[int, User]) -> None:
    from luoshi.tasks.reporting import report_progress

    task = Task.objects.select_related("lead_org", "assigning_org").get(pk=task_id)
    report_progress(
        actor=handlers[task.handler_id or 0],
        task=task,
        version=task.version,
        narrative=NARRATIVE,
        progress=min(100, task.reported_progress + 1),
    )


class _FloorReport:
    """The same write in hand-written SQL: lock the chain, insert the report, update the leaf, recompute
    each ancestor's progress from its children, add the report's search entry."""

    def __init__(self) -> None:
        text = searchable_text([NARRATIVE])
        self.text = text
        self.tokens = " ".join(sorted(index_terms(text, segment.words(text))))
        self.lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
        self.cast = "CAST(%s AS tsvector)" if connection.vendor == "postgresql" else "%s"

    def __call__(self, task_id: int, today: date) -> None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT path, handler_id, lead_org_id, reported_progress FROM {TASK} WHERE id = %s",
                [task_id],
            )
            path, handler, lead, progress = cursor.fetchone()
            chain = trees.ids_in_path(path)
            cursor.execute(
                f"SELECT id, version FROM {TASK} WHERE id IN ({_in(chain)}) ORDER BY path{self.lock}", chain
            )
            cursor.fetchall()
            new = min(100, progress + 1)
            cursor.execute(
                f"INSERT INTO {REPORT} (task_id, reporter_id, reporting_org_id, reported_on, progress,"
                " narrative, problems, next_steps, is_phase_completion, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, '', '', %s, %s) RETURNING id",
                [task_id, handler, lead, today.isoformat(), new, NARRATIVE, False, now],
            )
            (report_id,) = cursor.fetchone()
            cursor.execute(
                f"UPDATE {TASK} SET reported_progress = %s, progress = %s, last_reported_on = %s,"
                " version = version + 1, updated_at = %s WHERE id = %s",
                [new, new, today.isoformat(), now, task_id],
            )
            for ancestor in reversed(chain[:-1]):
                cursor.execute(
                    f"UPDATE {TASK} SET progress = (SELECT (2 * SUM(c.weight * c.progress) + SUM(c.weight))"
                    f" / (2 * SUM(c.weight)) FROM {TASK} c"
                    " WHERE c.parent_id = %s AND c.status <> 'cancelled')"
                    " WHERE id = %s AND status NOT IN ('closed', 'cancelled')",
                    [ancestor, ancestor],
                )
            cursor.execute(
                f"SELECT org_path, audience FROM {ENTRY} WHERE kind = 'task' AND object_id = %s", [task_id]
            )
            org_path, audience = cursor.fetchone() or ("", "")
            cursor.execute(
                f"INSERT INTO {ENTRY} (kind, object_id, task_id, org_path, text, tokens, audience,"
                " updated_at)"
                f" VALUES ('report', %s, %s, %s, %s, {self.cast}, {self.cast}, %s)",
                [report_id, task_id, org_path, self.text, self.tokens, audience, now],
            )


def _write_concurrently(
    samples: Samples, ids: list[int], write: Callable[[int], None], writers: int, case: Case
) -> None:
    """``writers`` threads (each with its own database connection) share ``ids``; the wall time of the
    whole batch gives the throughput."""
    chunks = [ids[i::writers] for i in range(writers)]
    lock = threading.Lock()

    def worker(chunk: list[int]) -> None:
        try:
            for task_id in chunk:
                try:
                    samples.timed(partial(write, task_id))
                except Exception as exc:
                    with lock:
                        samples.failures += 1
                        case.facts.setdefault("error", f"{type(exc).__name__}: {exc}"[:160])
        finally:
            connection.close()

    started = timezone.now()
    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(worker, chunks))
    samples.wall = (timezone.now() - started).total_seconds()


def o1_report(ctx: Context) -> list[Case]:
    """Submit a progress report on a leaf (with the roll-up), at 1 and at 8 concurrent writers."""
    leaves = _reportable_leaves(ctx.root)
    per_case = ctx.repeat * 2
    needed = per_case * 4
    if len(leaves) < 4:
        raise NotAvailable("the dataset has no leaf in progress to report on")
    chosen = _pick(leaves, needed)
    handlers = {
        u.pk: u for u in User.objects.filter(pk__in=Task.objects.filter(pk__in=chosen).values("handler_id"))
    }
    floor = _FloorReport()
    cases = []
    quarter = max(1, len(chosen) // 4)
    for index, writers in enumerate((1, WRITERS)):
        case = Case(
            op="O1",
            name=f"report on a leaf, {writers} writer{'s' if writers > 1 else ''}",
            target="p95 ≤ 20 ms",
        )
        app_ids = chosen[2 * index * quarter : (2 * index + 1) * quarter]
        floor_ids = chosen[(2 * index + 1) * quarter : (2 * index + 2) * quarter]
        if writers == 1:
            for task_id in app_ids:
                case.app.timed(partial(_app_report, task_id, handlers))
            for task_id in floor_ids:
                case.floor.timed(partial(floor, task_id, ctx.today))
        else:
            _write_concurrently(case.app, app_ids, lambda t: _app_report(t, handlers), writers, case)
            _write_concurrently(case.floor, floor_ids, lambda t: floor(t, ctx.today), writers, case)
        cases.append(case)
    return cases


# --- O2: roll-up check and repair ------------------------------------------------------------------


def _rank_sql(column: str) -> str:
    ranks = lights.order()
    whens = " ".join(f"WHEN '{light}' THEN {i}" for i, light in enumerate(ranks))
    return f"(CASE {column} {whens} ELSE {len(ranks)} END)"


def _light_of_rank(expression: str) -> str:
    ranks = lights.order()
    whens = " ".join(f"WHEN {i} THEN '{light}'" for i, light in enumerate(ranks))
    return f"(CASE {expression} {whens} ELSE 'none' END)"


def _children_sql(depth_condition: str) -> str:
    return (
        f"SELECT parent_id, (2 * SUM(weight * progress) + SUM(weight)) / (2 * SUM(weight)) AS mean,"
        f" MIN({_rank_sql('light')}) AS worst FROM {TASK}"
        f" WHERE parent_id IS NOT NULL AND status <> 'cancelled' {depth_condition} GROUP BY parent_id"
    )


def _expected_light(table: str) -> str:
    own = _rank_sql(f"{table}.own_light")
    return f"(CASE WHEN {own} <= agg.worst THEN {table}.own_light ELSE {_light_of_rank('agg.worst')} END)"


def _floor_check() -> int:
    (row,) = _sql(
        f"SELECT COUNT(*) FROM {TASK} t JOIN ({_children_sql('')}) agg ON agg.parent_id = t.id"
        " WHERE t.status NOT IN ('closed', 'cancelled') AND NOT t.light_overridden"
        f" AND (t.progress <> agg.mean OR t.light <> {_expected_light('t')})"
    )
    return int(row[0])


def _floor_repair() -> None:
    deepest = Task.objects.aggregate(deepest=Max("depth"))["deepest"] or 0
    with transaction.atomic(), connection.cursor() as cursor:
        for depth in range(deepest, 1, -1):
            cursor.execute(
                f"UPDATE {TASK} SET progress = agg.mean, light = {_expected_light(TASK)}"
                f" FROM ({_children_sql('AND depth = %s')}) AS agg WHERE {TASK}.id = agg.parent_id"
                f" AND {TASK}.status NOT IN ('closed', 'cancelled') AND NOT {TASK}.light_overridden"
                f" AND ({TASK}.progress <> agg.mean OR {TASK}.light <> {_expected_light(TASK)})",
                [depth],
            )


def o2_rollup(ctx: Context) -> list[Case]:
    """`rollup --check` over every task, and a repair."""
    from luoshi.tasks import rollup

    runs = max(1, min(3, ctx.repeat))
    check = Case(op="O2", name="roll-up check, all tasks")
    differences = check.app.timed(lambda: sum(1 for _ in rollup.check()))
    floor_differences = check.floor.timed(_floor_check)
    for _ in range(runs - 1):
        check.app.timed(lambda: sum(1 for _ in rollup.check()))
        check.floor.timed(_floor_check)
    check.facts = {"differences": differences, "floor differences": floor_differences}
    repair = Case(op="O2", name="roll-up repair, all tasks")
    for _ in range(runs):
        repair.app.timed(rollup.repair)
        repair.floor.timed(_floor_repair)
    repair.facts = {"differences after": sum(1 for _ in rollup.check())}
    return [check, repair]


# --- O3: the subtree dashboard ---------------------------------------------------------------------


def _floor_dashboard(org: Organization, today: date) -> None:
    low, high = org.path, trees.successor(org.path)
    width = len(org.path) + trees.SEGMENT
    _sql(
        f"SELECT light, status, COUNT(*), SUM(CASE WHEN due_on < %s AND status NOT IN ('closed', 'cancelled')"
        f" THEN 1 ELSE 0 END), AVG(progress) FROM {TASK} WHERE lead_org_path >= %s AND lead_org_path < %s"
        " GROUP BY light, status",
        [today.isoformat(), low, high],
    )
    _sql(
        f"SELECT SUBSTR(lead_org_path, 1, %s), COUNT(*), SUM(CASE WHEN light = 'red' THEN 1 ELSE 0 END),"
        f" AVG(progress) FROM {TASK} WHERE lead_org_path >= %s AND lead_org_path < %s GROUP BY 1",
        [width, low, high],
    )
    _sql(
        f"SELECT id, title, due_on, lead_org_id FROM {TASK} WHERE lead_org_path >= %s AND lead_org_path < %s"
        " AND light = 'red' ORDER BY due_on, id LIMIT 20",
        [low, high],
    )


def o3_dashboard(ctx: Context) -> list[Case]:
    """The subtree dashboard at province, city, district and township level."""
    if not _routed("/api/v1/dashboard"):
        raise NotAvailable("GET /api/v1/dashboard is not routed in this build")
    client = ctx.client(ctx.overseer)
    cases = []
    for label, org in ctx.levels:
        case = Case(op="O3", name=f"dashboard, {label}", target="p95 ≤ 50 ms")
        url = f"/api/v1/dashboard?org={org.pk}"
        _repeat(
            case,
            ctx.repeat,
            partial(_get, client, url, case),
            partial(_floor_dashboard, org, ctx.today),
        )
        case.facts["tasks"] = Task.objects.led_under(org).count()
        cases.append(case)
    if _routed("/cockpit/"):
        case = Case(op="O3", name="cockpit page, root", target="p95 ≤ 50 ms")
        url = f"/cockpit/?org={ctx.root.pk}"
        _repeat(
            case, ctx.repeat, lambda: _get(client, url, case), lambda: _floor_dashboard(ctx.root, ctx.today)
        )
        cases.append(case)
    return cases


# --- O4: the ranking of all units ------------------------------------------------------------------


def _floor_ranking() -> None:
    _sql(
        f"SELECT lead_org_id, COUNT(*) AS total,"
        " SUM(CASE WHEN status = 'closed' AND NOT closed_late THEN 1 ELSE 0 END) AS on_time,"
        " SUM(CASE WHEN light = 'red' THEN 1 ELSE 0 END) AS red, AVG(progress) AS progress"
        f" FROM {TASK} GROUP BY lead_org_id ORDER BY on_time DESC, red, progress DESC"
    )


def o4_ranking(ctx: Context) -> list[Case]:
    """The ranking (league table) of all units for the quarter of "today"."""
    client = ctx.client(ctx.overseer)
    period = f"{ctx.today.year}-Q{(ctx.today.month - 1) // 3 + 1}"
    url = f"/api/v1/rankings?period={period}"
    if client.get(url, secure=True).status_code == 404:
        try:
            importlib.import_module("luoshi.evaluation.selectors")
        except ModuleNotFoundError:
            raise NotAvailable("luoshi.evaluation is not in this build") from None
        raise NotAvailable("luoshi.evaluation is present but GET /api/v1/rankings is not routed yet")
    # The table is served as the nightly job stored it (``luoshi.evaluation.jobs.refresh``); computing
    # it is that job's work, timed once here and reported beside the case.
    from luoshi.evaluation.jobs import refresh

    started = time.perf_counter()
    refresh(ctx.today.isoformat())
    computed = time.perf_counter() - started
    case = Case(op="O4", name=f"ranking of all units, {period}", target="≤ 50 ms")
    _repeat(case, ctx.repeat, lambda: _get(client, url, case), _floor_ranking)
    case.facts["nightly job (month and quarter)"] = f"{computed:.1f} s"
    return [case]


# --- O5: the ledger of a district ------------------------------------------------------------------


def _floor_ledger(org: Organization, size: int, after: tuple[date, int] | None = None) -> None:
    """The count and one page of the unit's range in (due_on, id) order, after the key ``after`` (the
    last row of the page before) when given. ``due_on`` is NOT NULL, so the row comparison never meets
    a NULL, which SQLite and PostgreSQL would sort differently."""
    low, high = org.path, trees.successor(org.path)
    _sql(f"SELECT COUNT(*) FROM {TASK} WHERE lead_org_path >= %s AND lead_org_path < %s", [low, high])
    seek = " AND (t.due_on, t.id) > (%s, %s)" if after is not None else ""
    _sql(
        f"SELECT t.id, t.title, t.status, t.light, t.progress, t.due_on, o.name, u.display_name FROM {TASK} t"
        f" JOIN {ORG} o ON o.id = t.lead_org_id LEFT JOIN {USER} u ON u.id = t.handler_id"
        f" WHERE t.lead_org_path >= %s AND t.lead_org_path < %s{seek} ORDER BY t.due_on, t.id LIMIT %s",
        [low, high, *(after or ()), size],
    )


def o5_ledger(ctx: Context) -> list[Case]:
    """The ledger of a district: page 1, and the last page the way a client reaches it, after the
    cursor (``next``) of the page before."""
    org = ctx.district
    size = settings.LUOSHI_PAGE_SIZE
    total = Task.objects.led_under(org).count()
    last = max(1, math.ceil(total / size))
    client = ctx.client(ctx.district_user)
    cases = []
    url = f"/api/v1/tasks?org={org.pk}"
    case = Case(op="O5", name=f"ledger API, {org.kind} page 1", target="p95 ≤ 30 ms")
    _repeat(case, ctx.repeat, partial(_get, client, url, case), partial(_floor_ledger, org, size))
    case.facts["tasks"] = total
    cases.append(case)
    if last > 1:
        # The cursor the API gives at the end of the page before the last, read once before timing with
        # the ledger's own query and encoder; the floor seeks to the same row's key.
        before = task_selectors.ledger_page(
            task_selectors.ledger(user=ctx.district_user, org=org), size=size, page=last - 1
        )
        key = (before.items[-1].due_on, before.items[-1].pk)
        case = Case(
            op="O5", name=f"ledger API, {org.kind} last page {last} (after cursor)", target="p95 ≤ 30 ms"
        )
        deep = f"{url}&after={before.next}"
        _repeat(case, ctx.repeat, partial(_get, client, deep, case), partial(_floor_ledger, org, size, key))
        body = client.get(deep, secure=True).json()
        case.facts.update(tasks=total, rows=len(body.get("items", [])), page=body.get("page"))
        cases.append(case)
    case = Case(op="O5", name=f"ledger page (HTML), {org.kind} page 1", target="p95 ≤ 30 ms")
    url = f"/ledger/?org={org.pk}"
    _repeat(case, ctx.repeat, lambda: _get(client, url, case), lambda: _floor_ledger(org, size))
    cases.append(case)
    return cases


# --- O6: the sweep ---------------------------------------------------------------------------------


def _created(result: Any) -> int:
    """Everything a sweep result counts (zero when the sweep found nothing new)."""
    total = 0
    is_instance = dataclasses.is_dataclass(result) and not isinstance(result, type)
    values = dataclasses.asdict(result).values() if is_instance else [result]
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            total += value
        elif isinstance(value, dict):
            total += sum(v for v in value.values() if isinstance(v, int))
        elif isinstance(value, list | tuple | set):
            total += len(value)
    return total


def _after_a_big_night() -> None:
    """What the database does by itself between a night's sweep and the next day's after a night that
    wrote millions of rows (PostgreSQL's autovacuum; on SQLite, nothing unless asked): the written tables
    vacuumed and their statistics brought up to date."""
    written: list[type[models.Model]] = [Task, Notification, AuditEvent]
    written.extend(apps.get_app_config("supervision").get_models())
    tables = [model._meta.db_table for model in written]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM cannot run in a transaction (the benchmark's tests run in one): statistics alone then.
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            cursor.execute(f"{command} {', '.join(connection.ops.quote_name(t) for t in tables)}")
        else:
            cursor.execute("ANALYZE")


def o6_sweep(ctx: Context) -> list[Case]:
    """The full sweep on a day with many deadlines, and its second run (which must create nothing).

    A loaded dataset has never been swept, so its first sweep meets every fact of its past at once: every
    overdue task's urging, every light, every report missing since the data began. That catch-up is what
    a deployment's first night costs, once; it is timed and reported as its own case, and committed, as
    every night's sweep is: the day's sweep always follows the night before's. Later runs of the
    benchmark find it done (the sweep of a day already swept creates nothing). The day itself is then
    swept twice in a transaction that is rolled back, so every run sweeps the same day afresh.

    The floor (``bench.sweep_floor``) writes the day's rows too, by hand-written statements, twice, in
    a transaction of its own after the app's, also rolled back: a sweep's answer is what it writes, and
    a floor that only selected the candidates measured a different job.
    """
    try:
        services = importlib.import_module("luoshi.supervision.services")
    except ModuleNotFoundError:
        raise NotAvailable("luoshi.supervision is not in this build") from None
    sweep: Callable[..., Any] | None = getattr(services, "sweep", None)
    if sweep is None:
        raise NotAvailable("luoshi.supervision.services.sweep is not written yet")
    app_sweep: Callable[..., Any] = sweep
    yesterday = ctx.today - timedelta(days=1)
    catch_up = Case(op="O6", name="catch-up: first sweep of the loaded data (the day before)", target="once")
    first = Case(op="O6", name="sweep of the day, first run", target="≤ 30 s")
    second = Case(op="O6", name="sweep of the day, second run (creates nothing)", target="creates nothing")

    def swept(day: date, how: Callable[..., Any] = app_sweep) -> Any:
        result = how(today=day)
        # The rows' foreign keys are checked when a transaction commits (PostgreSQL's are deferred), and
        # the day's transaction never does: the checks are run here so that their time is counted.
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return result

    floor = importlib.import_module("luoshi.bench.sweep_floor").sweep_floor
    before = catch_up.app.timed(lambda: swept(yesterday))
    if _created(before):
        _after_a_big_night()
    with transaction.atomic():
        result = first.app.timed(lambda: swept(ctx.today))
        again = second.app.timed(lambda: swept(ctx.today))
        transaction.set_rollback(True)
    # The floor then sweeps the same data, the app's undone rows vacuumed away first, so that neither
    # steps over the other's dead rows.
    _after_a_big_night()
    with transaction.atomic():
        floor_first = first.floor.timed(lambda: swept(ctx.today, floor))
        floor_second = second.floor.timed(lambda: swept(ctx.today, floor))
        transaction.set_rollback(True)
    # And the floor's undone rows too: the operations measured after this one meet the tables as they
    # were (the dead rows of two undone sweeps made the cockpit's red list three times slower).
    _after_a_big_night()
    first.facts["floor rows written"] = floor_first
    second.facts["floor rows written"] = sum(floor_second.values())
    for case, outcome in ((catch_up, before), (first, result), (second, again)):
        case.facts["created"] = _created(outcome)
        if hasattr(outcome, "counts"):
            case.facts["acts"] = outcome.counts()
            case.facts["seconds per step"] = getattr(outcome, "seconds", {})
    return [catch_up, first, second]


# --- O7: Excel import of 10,000 task rows ----------------------------------------------------------


def _import_function() -> Callable[..., Any]:
    try:
        importer = importlib.import_module("luoshi.tasks.importer")
    except ModuleNotFoundError:
        raise NotAvailable("luoshi.tasks.importer is not in this build") from None
    function = getattr(importer, "task_import", None)
    if not callable(function) or not hasattr(importer, "COLUMNS"):
        raise NotAvailable("luoshi.tasks.importer has no task_import(*, actor, directive, file) yet")
    return function


def _import_units(ctx: Context) -> list[Organization]:
    """The lead units of the imported rows: units right below the root."""
    return list(Organization.objects.filter(parent=ctx.root).order_by("path")[:20]) or [ctx.root]


def _import_title(n: int) -> str:
    return f"导入任务第{n}项：推进排水管网改造 (imported task {n})"


def _import_due(ctx: Context, n: int) -> date:
    return ctx.today + timedelta(days=30 + n % 60)


def _import_workbook(ctx: Context, rows: int) -> bytes:
    """A task list as a unit would send it: number, task, lead unit, deadline (the importer's own
    Chinese headers), lead units among the units right below the root."""
    from openpyxl import Workbook

    importer = importlib.import_module("luoshi.tasks.importer")
    headers = {column.key: column.zh for column in importer.COLUMNS}
    units = _import_units(ctx)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([headers["number"], headers["title"], headers["lead"], headers["deadline"]])
    for n in range(1, rows + 1):
        sheet.append([n, _import_title(n), units[n % len(units)].name, _import_due(ctx, n)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class _ImportRows:
    """What an import of the workbook writes, worked out before the floor is timed: the tasks (the
    workbook's titles, lead units and deadlines, under the directive), their search entries (the app's
    own text, terms and audience) and their audit events (a constant hash)."""

    tasks: list[tuple[Any, ...]]
    entries: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]


def _import_rows(ctx: Context, directive: Directive, rows: int) -> _ImportRows:
    from luoshi.search.text import audience_term
    from luoshi.search.tokens import tokens

    base = (Task.objects.aggregate(top=Max("pk"))["top"] or 0) + 1_000_000
    seq = (AuditEvent.objects.aggregate(top=Max("seq"))["top"] or 0) + 1
    units, root = _import_units(ctx), ctx.root
    now = timezone.now()
    digest = "0" * 64
    audiences = {
        unit.pk: " ".join(
            sorted(audience_term(u) for u in {*trees.ids_in_path(unit.path), *trees.ids_in_path(root.path)})
        )
        for unit in units
    }
    made = _ImportRows([], [], [])
    for n in range(1, rows + 1):
        task_id, unit, title = base + n, units[n % len(units)], _import_title(n)
        due = _import_due(ctx, n).isoformat()
        task = (
            task_id, None, trees.segment(task_id), 1, directive.pk, None, title, root.pk, unit.pk, unit.path,
            None, "draft", ctx.today.isoformat(), due, due, 1, None, None, 0, None, None, False, 0, 0,
        )  # fmt: skip
        made.tasks.append(task)
        text = searchable_text([title])
        made.entries.append(
            ("task", task_id, task_id, unit.path, text, tokens(text), audiences[unit.pk], now)
        )
        changes = json.dumps({"title": title, "lead_org": unit.pk, "due_on": due}, ensure_ascii=False)
        event = (
            seq + n, now, ctx.overseer.pk, "", "task.create", "tasks.task", str(task_id), title, changes,
            "", "", "sha256", digest, digest,
        )  # fmt: skip
        made.events.append(event)
    return made


def _floor_import(made: _ImportRows) -> None:
    """The rows an import writes, by ``COPY``: the tasks, their search entries and their audit events,
    with the values the app computes (terms, audience, hashes) worked out beforehand."""
    from luoshi.bench.load import TASK_FIELDS, _Table
    from luoshi.core import bulk

    with transaction.atomic():
        _Table(Task, TASK_FIELDS, timezone.now()).insert(iter(made.tasks))
        bulk.copy_rows(
            SearchEntry,
            ["kind", "object_id", "task_id", "org_path", "text", "tokens", "audience", "updated_at"],
            iter(made.entries),
        )
        bulk.copy_rows(
            AuditEvent,
            ["seq", "occurred_at", "actor_id", "actor_name", "action", "object_type", "object_id",
             "object_repr", "changes", "request_id", "ip", "algorithm", "prev_hash", "hash"],
            iter(made.events),
        )  # fmt: skip
        transaction.set_rollback(True)


WARM_UP_ROWS = 100


def o7_import(ctx: Context) -> list[Case]:
    """Excel import of 10,000 task rows (rolled back afterwards)."""
    function = _import_function()
    directive = Directive.objects.filter(issuing_org=ctx.root).order_by("pk").first()
    if directive is None:
        raise NotAvailable("the dataset has no directive issued by its root unit to import under")
    data = _import_workbook(ctx, IMPORT_ROWS)
    case = Case(op="O7", name=f"Excel import, {IMPORT_ROWS:,} rows", target="≥ 2,000 rows/s")

    def imported(workbook: bytes) -> Any:
        with transaction.atomic():
            report = function(actor=ctx.overseer, directive=directive, file=io.BytesIO(workbook))
            transaction.set_rollback(True)
        return report

    # Untimed: a small import first, as a running server has done before (the word segmenter loads its
    # dictionary on first use, a second or two).
    imported(_import_workbook(ctx, WARM_UP_ROWS))
    report = case.app.timed(lambda: imported(data))
    made = _import_rows(ctx, directive, IMPORT_ROWS)
    case.floor.timed(lambda: _floor_import(made))
    seconds = case.app.seconds[-1]
    case.facts["rows/s"] = round(IMPORT_ROWS / seconds)
    errors = getattr(report, "errors", None)
    if errors:
        case.facts["import errors"] = f"{len(errors)} (first: {errors[0]})"
    return [case]


# --- O8: search ------------------------------------------------------------------------------------


# The columns of the records a page of hits shows (title and searched fields), one statement per kind.
_HIT_RECORDS = {
    "task": f"SELECT id, title, description, expected_outcome FROM {TASK} WHERE id IN (%s)",
    "report": f"SELECT r.id, t.title, r.reported_on, r.narrative, r.problems, r.next_steps FROM {REPORT} r"
    f" JOIN {TASK} t ON t.id = r.task_id WHERE r.id IN (%s)",
    "clause": f"SELECT c.id, d.title, c.ordinal, c.heading, c.text FROM {Clause._meta.db_table} c"
    f" JOIN {Directive._meta.db_table} d ON d.id = c.directive_id WHERE c.id IN (%s)",
    "directive": f"SELECT id, title, doc_number, issuing_body FROM {Directive._meta.db_table}"
    " WHERE id IN (%s)",
}


def _floor_search(needle: str) -> list[tuple[Any, ...]]:
    """The hits (up to the cap, which the count needs), then the records of the first page's hits, whose
    titles and snippets the answer shows."""
    _, terms = parse_query(needle)
    if connection.vendor == "postgresql":
        rows = _sql(
            f"SELECT id, kind, object_id, task_id, directive_id FROM {ENTRY}"
            " WHERE tokens @@ CAST(%s AS tsquery) AND strpos(text, %s) > 0 LIMIT %s",
            [tsquery(terms), needle, MAX_RESULTS + 1],
        )
        # The page is the newest hits, as the app lists them.
        rows.sort(reverse=True)
    else:
        rows = _sql(
            f"SELECT e.id, e.kind, e.object_id, e.task_id, e.directive_id FROM {FTS_TABLE}"
            f" JOIN {ENTRY} e ON e.id = {FTS_TABLE}.rowid"
            f" WHERE {FTS_TABLE} MATCH %s AND instr(e.text, %s) > 0 ORDER BY {FTS_TABLE}.rowid DESC LIMIT %s",
            [fts5_query(terms), needle, MAX_RESULTS + 1],
        )
    page: dict[str, list[int]] = {}
    for _id, kind, object_id, _task, _directive in rows[: settings.LUOSHI_PAGE_SIZE]:
        page.setdefault(kind, []).append(object_id)
    for kind, ids in page.items():
        _sql(_HIT_RECORDS[kind] % _in(ids), ids)
    return rows


def _substring_truth(needle: str) -> set[tuple[str, int]]:
    """What a plain substring search over the records finds (the ground truth for recall)."""

    def having(model: type[Any], fields: Sequence[str]) -> list[int]:
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__icontains": needle})
        return list(model.objects.filter(condition).values_list("pk", flat=True))

    found = {("task", pk) for pk in having(Task, ("title", "description", "expected_outcome"))}
    found |= {("report", pk) for pk in having(ProgressReport, ("narrative", "problems", "next_steps"))}
    found |= {("clause", pk) for pk in having(Clause, ("heading", "text"))}
    found |= {("directive", pk) for pk in having(Directive, ("title", "doc_number", "issuing_body"))}
    return found


def o8_search(ctx: Context) -> list[Case]:
    """Search: two and four Chinese characters and an English word, with recall against a substring scan."""
    client = ctx.client(ctx.overseer)
    cases = []
    for label, needle in QUERIES:
        case = Case(op="O8", name=f"search, {label} ({needle})", target="p95 ≤ 100 ms, recall 100 %")
        url = f"/api/v1/search?q={needle}"
        _repeat(
            case,
            ctx.repeat,
            partial(_get, client, url, case),
            partial(_floor_search, needle),
        )
        truth = _substring_truth(needle)
        results = app_search(ctx.overseer, needle, limit=MAX_RESULTS)
        hits = {(str(hit.kind), hit.object_id) for hit in results.hits}
        expected = min(len(truth), MAX_RESULTS)
        case.facts["matches"] = len(truth)
        case.facts["recall"] = f"{100 * len(hits & truth) / expected:.1f} %" if expected else "n/a (no match)"
        if hits - truth:
            case.facts["false hits"] = len(hits - truth)
        cases.append(case)
    return cases


OPERATIONS: dict[str, Callable[[Context], list[Case]]] = {
    "O1": o1_report,
    "O2": o2_rollup,
    "O3": o3_dashboard,
    "O4": o4_ranking,
    "O5": o5_ledger,
    "O6": o6_sweep,
    "O7": o7_import,
    "O8": o8_search,
}


def counts_by_light(org: Organization) -> dict[str, int]:
    """Tasks under ``org`` by light (used by the tests to check the load)."""
    return dict(Task.objects.led_under(org).values_list("light").annotate(n=Count("pk")).order_by())
