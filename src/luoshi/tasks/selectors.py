"""Reads about tasks for pages, the API and sweeps; every one is narrowed by the access policy."""

from __future__ import annotations

import base64
import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial, reduce
from typing import Any, cast

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, router
from django.db.models import BooleanField, Exists, Field, OuterRef, Q, QuerySet
from django.db.models.expressions import Col
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import selectors as audit_selectors
from luoshi.core import sql, trees, workdays
from luoshi.core.errors import NotFound, ValidationFailed
from luoshi.organizations.models import Organization, Role, User
from luoshi.summaries import selectors as summaries
from luoshi.tasks import lights, rules, workflow
from luoshi.tasks.models import (
    OPEN_STATUSES,
    REPORTING_STATUSES,
    CompletionRequest,
    ExtensionRequest,
    Milestone,
    ProgressReport,
    RequestStatus,
    SendBack,
    Task,
    TaskAction,
    TaskQuerySet,
    TaskStatus,
    TaskTransfer,
)
from luoshi.tasks.rules import ASSIGNER_ROLES, DECIDER_ROLES, LEAD_ROLES, Party

LEDGER_RELATED = ("lead_org", "assigning_org", "handler")


def visible_tasks(user: Any) -> TaskQuerySet:
    # The policy narrows a queryset without changing its class, so the task query methods remain.
    return cast(TaskQuerySet, access.visible(user, Task.objects.select_related(*LEDGER_RELATED)))


def get_task(*, user: Any, pk: int) -> Task:
    """One task the user may see, or ``NotFound``."""
    task = (
        visible_tasks(user)
        .select_related("directive", "clause", "focus_area", "parent")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise NotFound(_("Not found."))
    return task


def tasks_led_under(*, user: Any, org: Organization) -> QuerySet[Task]:
    """Tasks led by ``org`` or any unit below it, as far as ``user`` may see them (one range scan)."""
    return visible_tasks(user).led_under(org)


def subtree(*, user: Any, task: Task) -> QuerySet[Task]:
    """The task and all its subtasks in tree order (path), as far as ``user`` may see them."""
    return visible_tasks(user).subtree_of(task).order_by("path")


def _unit_ids(user: Any, roles: frozenset[str]) -> list[int]:
    return [s.organization_id for s in access.scopes_of(user) if s.role in roles]


def _assigned_by(user: Any, roles: frozenset[str]) -> Q:
    """Tasks assigned by one of the user's units where they hold ``roles``, or by a unit in the
    jurisdiction of a supervisor: the assigner and decider parties of ``rules.is_party``."""
    q = Q(assigning_org_id__in=_unit_ids(user, roles))
    for scope in access.scopes_of(user):
        if scope.role == Role.SUPERVISOR:
            q |= trees.subtree_q("assigning_org__path", scope.path)
    return q


def to_acknowledge(*, user: Any) -> QuerySet[Task]:
    """Tasks assigned to the user's units that wait for acknowledgement, oldest deadline first."""
    return (
        visible_tasks(user)
        .filter(status=TaskStatus.ASSIGNED, lead_org_id__in=_unit_ids(user, LEAD_ROLES))
        .order_by("acknowledge_due_on", "due_on")
    )


def to_verify(*, user: Any) -> QuerySet[Task]:
    """Tasks the user's units assigned that wait for verification (or a decision after public notice)."""
    return (
        visible_tasks(user)
        .filter(
            _assigned_by(user, DECIDER_ROLES),
            status__in=[TaskStatus.UNDER_REVIEW, TaskStatus.PUBLIC_NOTICE],
        )
        .order_by("due_on")
    )


def sent_back(*, user: Any) -> QuerySet[Task]:
    """Drafts of the user's units that their receiving unit sent back, waiting to be re-routed."""
    return (
        visible_tasks(user)
        .filter(
            _assigned_by(user, ASSIGNER_ROLES),
            status=TaskStatus.DRAFT,
            send_backs__isnull=False,
        )
        .distinct()
    )


def pending_extensions(*, user: Any) -> QuerySet[ExtensionRequest]:
    """Extension requests waiting for a decision by one of the user's units."""
    tasks = visible_tasks(user).filter(_assigned_by(user, DECIDER_ROLES))
    return ExtensionRequest.objects.filter(status=RequestStatus.PENDING, task__in=tasks).select_related(
        "task"
    )


def reports_missing(*, user: Any, today: date | None = None) -> QuerySet[Task]:
    """Leaves whose report for the current period is late ("report missing")."""
    return visible_tasks(user).report_missing(today or workdays.today()).order_by("next_report_due")


def overdue(*, user: Any, today: date | None = None) -> QuerySet[Task]:
    return visible_tasks(user).overdue(today or workdays.today()).order_by("due_on")


def red_list(*, user: Any, org: Organization | None = None) -> QuerySet[Task]:
    """Open tasks showing red, optionally under one unit, worst-first by deadline."""
    qs = visible_tasks(user).open().filter(light="red")
    return (qs.led_under(org) if org is not None else qs).order_by("due_on")


def reports_of(*, user: Any, task: Task) -> QuerySet[ProgressReport]:
    """Reports on a task the user may see, newest first."""
    return ProgressReport.objects.filter(task__in=visible_tasks(user).filter(pk=task.pk)).select_related(
        "reporter", "reporting_org"
    )


def explain_light(task: Task, *, today: date | None = None) -> lights.Verdict:
    """Why the task's own light is what it is (reason codes), as of ``today``: for the task page."""
    is_leaf = not Task.objects.filter(parent=task).exclude(status=TaskStatus.CANCELLED).exists()
    milestones = list(Milestone.objects.filter(task=task).values_list("due_on", "planned_progress"))
    return lights.own_light(
        lights.LightFacts.of(task, milestones), today=today or workdays.today(), is_leaf=is_leaf
    )


# --- the ledger -----------------------------------------------------------------------------------


class LedgerSort(StrEnum):
    """The orders the ledger offers; ``light`` puts the worst light first."""

    DUE = "due_on"
    DUE_DESC = "-due_on"
    PROGRESS = "progress"
    PROGRESS_DESC = "-progress"
    LIGHT = "light"
    UPDATED = "updated_at"
    UPDATED_DESC = "-updated_at"


def with_overlays(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Annotate ``has_subtasks`` (a non-cancelled subtask exists), which "report missing" needs; a
    correlated subquery in the same statement, so lists cost no more per row."""
    active_children = Task.objects.filter(parent=OuterRef("pk")).exclude(status=TaskStatus.CANCELLED)
    return qs.annotate(has_subtasks=Exists(active_children))


def milestone_plans(task_ids: Sequence[int]) -> dict[int, list[tuple[date, int]]]:
    """The milestones of ``task_ids`` as (due date, planned progress), per task, in one statement: what
    ``lights.expected_progress`` reads of a page of tasks (tasks without milestones are left out).
    Written out: the ledger page asks on every request, and building it through the ORM cost more than
    running it."""
    plans: dict[int, list[tuple[date, int]]] = {}
    if not task_ids:
        return plans
    statement = (
        f"SELECT task_id, due_on, planned_progress FROM {Milestone._meta.db_table}"  # noqa: S608 -- the model's table
        f" WHERE task_id IN ({', '.join(['%s'] * len(task_ids))})"
    )
    for task_id, due_on, planned in sql.read_rows(Milestone, statement, task_ids):
        plans.setdefault(task_id, []).append((sql.as_date(due_on), planned))
    return plans


def report_late(status: str, next_report_due: date | None, today: date) -> bool:
    """Whether a task in ``status`` whose next report was due on ``next_report_due`` is late with it; on a
    leaf that is "report missing" (``report_missing``)."""
    return status in REPORTING_STATUSES and next_report_due is not None and next_report_due < today


def report_missing(task: Task, today: date) -> bool:
    """Whether the task is a leaf being worked on whose report for this period is late (DESIGN §1).

    Reads ``has_subtasks`` from ``with_overlays`` when the row has it, otherwise asks the database.
    """
    if not report_late(task.status, task.next_report_due, today):
        return False
    has_subtasks = getattr(task, "has_subtasks", None)
    if has_subtasks is None:
        has_subtasks = Task.objects.filter(parent=task).exclude(status=TaskStatus.CANCELLED).exists()
    return not has_subtasks


def ledger(
    *,
    user: Any,
    org: Organization | None = None,
    focus_area_id: int | None = None,
    light_in: list[str] | None = None,
    status_in: list[str] | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    q: str = "",
    directive_id: int | None = None,
    clause_id: int | None = None,
    sort: str = LedgerSort.DUE,
) -> QuerySet[Task]:
    """The task ledger (台账): every task ``user`` may see, filtered and sorted, in one statement.

    ``org`` narrows to the tasks led by that unit or any unit below it (a range scan on
    ``lead_org_path``); ``q`` to titles containing it. Rows carry ``has_subtasks`` (``with_overlays``)
    and their units and handler, so rendering a page asks nothing more per row.
    """
    # A user whose scope holds the unit's subtree sees every task led in it: no visibility filter.
    covered = org is not None and access.covers(user, org)
    qs = cast(TaskQuerySet, Task.objects.select_related(*LEDGER_RELATED)) if covered else visible_tasks(user)
    if org is not None:
        qs = qs.led_under(org)
    if focus_area_id is not None:
        qs = qs.filter(focus_area_id=focus_area_id)
    if light_in:
        qs = qs.filter(light__in=light_in)
    if status_in:
        qs = qs.filter(status__in=status_in)
    if due_from is not None:
        qs = qs.filter(due_on__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_on__lte=due_to)
    if q.strip():
        qs = qs.filter(title__icontains=q.strip())
    if directive_id is not None:
        qs = qs.filter(directive_id=directive_id)
    if clause_id is not None:
        qs = qs.filter(clause_id=clause_id)
    # The primary key breaks ties, so that pages neither repeat nor skip rows with equal keys. The order
    # names columns (the light's rank as an annotation), which is what ``ledger_page`` seeks by.
    if sort == LedgerSort.LIGHT:
        qs = qs.annotate(light_rank=lights.rank_expression("light"))
        order = ["light_rank", "due_on", "pk"]
    else:
        order = [LedgerSort(sort).value, "pk"]
    ordered = with_overlays(qs).order_by(*order)
    # Narrowed only by the tally's dimensions, the subtree's count is one read of the summaries.
    if covered and org is not None and not any([due_from, due_to, q.strip(), directive_id, clause_id]):
        known = summaries.task_count(org.path, focus_area=focus_area_id, lights=light_in, statuses=status_in)
        return cast(TaskQuerySet, ordered).with_known_count(known)
    return ordered


# --- ledger pages: by number, or after a cursor ---------------------------------------------------

# A cursor names the last row of a page by its values of the order's keys, the order they belong to, and
# how many rows came up to that row (for the page number). It is opaque to clients, not secret: changing
# one can only move where a page starts among the rows the caller may see anyway, so it is checked for
# shape, never signed.
# Cursors are a few dozen characters; the bound keeps a pasted page of text from reaching the decoder.
_MAX_CURSOR_LENGTH = 2000
_INT64 = 2**63
_STRING_KEY_LENGTH = 250


@dataclass(frozen=True)
class LedgerPage:
    """One page of the ledger; ``next`` is the cursor of its last row, None on the last page. The items
    are tasks, or dicts of the columns asked for (``ledger_page(columns=…)``)."""

    items: list[Any]
    count: int
    page: int
    page_size: int
    next: str | None


def ledger_page(
    qs: QuerySet[Task],
    *,
    size: int,
    page: int | None = None,
    after: str | None = None,
    columns: Sequence[str] = (),
    related: Mapping[str, Any] | None = None,
) -> LedgerPage:
    """The ``page``-th page of an ordered ledger query (the first when neither is given), or the page that
    follows the row the cursor ``after`` names (the ``next`` of an earlier page).

    A page after a cursor seeks to its first row through the order's index, however deep it lies, where a
    page by number reads and drops every row before it. ``qs`` must be ordered by column or annotation
    names whose values are never NULL, ending with a unique one (``pk`` or ``path``), as ``ledger`` and
    the ledger page order it. Two queries: the count and the page.

    A page by number finds its rows' keys first (a subquery) and reads only those rows whole: sorting
    every row of a district with all its columns (and those of the rows joined to it) took twice as
    long as finding the page. So ``related`` (annotations naming columns of related rows,
    ``F("lead_org__name")``) is joined to the page's rows only, never to the rows sorted.

    With ``columns`` (names as ``QuerySet.values`` takes them), the items are dicts of those columns and
    the order's keys instead of tasks: no model instances are built, for callers that only read values.
    """
    if page is not None and after is not None:
        raise ValidationFailed(
            _("Ask for a page by its number or after a cursor, not both."),
            fields={"after": [_("Leave out either page or after.")]},
        )
    keys = _order_keys(qs)
    # The count is asked of ``qs`` itself: a narrowed or reshaped copy would count its rows again
    # instead of answering from the summaries (``TaskQuerySet.with_known_count``).
    rows_of: QuerySet[Any] = qs.annotate(**related) if related else qs
    if columns:
        rows_of = rows_of.values(*dict.fromkeys([*columns, *(name for name, _descending in keys)]))
    if after is not None:
        values, before = _decode_cursor(qs, keys, after)
        # The order's index leads straight to the page's rows, which are read at once (finding their
        # keys first made the planner sort the range instead).
        rows = list(rows_of.filter(_after(keys, values))[: size + 1])
    else:
        before = ((page or 1) - 1) * size
        # Every row of the range is sorted to find the page: by its keys alone, and only the page's rows
        # are read whole, in the order of ``qs``.
        rows = list(rows_of.filter(pk__in=qs.values("pk")[before : before + size + 1]))
    items = rows[:size]
    more = len(rows) > size
    return LedgerPage(
        items=items,
        count=qs.count(),
        page=before // size + 1,
        page_size=size,
        next=_encode_cursor(keys, items[-1], before + size) if more else None,
    )


def _order_keys(qs: QuerySet[Task]) -> list[tuple[str, bool]]:
    """The order of ``qs`` as (name, descending) pairs."""
    keys = []
    for term in qs.query.order_by:
        if not isinstance(term, str):
            raise TypeError("ledger_page seeks by names: annotate an expression and order by its name")
        keys.append((term.removeprefix("-"), term.startswith("-")))
    if not keys:
        raise TypeError("ledger_page needs an ordered query")
    return keys


def _key_field(qs: QuerySet[Task], name: str) -> Any:
    if name == "pk":
        return qs.model._meta.pk
    if name in qs.query.annotations:
        return qs.query.annotations[name].output_field
    return qs.model._meta.get_field(name)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _encode_cursor(keys: list[tuple[str, bool]], row: Task | dict[str, Any], position: int) -> str:
    get = row.__getitem__ if isinstance(row, dict) else partial(getattr, row)
    data = {
        "o": [("-" if descending else "") + name for name, descending in keys],
        "k": [_plain(get(name)) for name, _descending in keys],
        "n": position,
    }
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(qs: QuerySet[Task], keys: list[tuple[str, bool]], token: str) -> tuple[list[Any], int]:
    """The key values and the position a cursor of ``qs``'s order carries, or ``ValidationFailed``."""
    try:
        if len(token) > _MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        order, raw_values, position = data["o"], data["k"], data["n"]
        names = [("-" if descending else "") + name for name, descending in keys]
        if order != names or not isinstance(raw_values, list) or len(raw_values) != len(keys):
            raise ValueError("another order")
        if not _is_int(position) or not 0 <= position < _INT64:
            raise ValueError("bad position")
        pairs = zip(keys, raw_values, strict=True)
        values = [_key_value(_key_field(qs, name), raw) for (name, _descending), raw in pairs]
    except (ValueError, TypeError, KeyError, DjangoValidationError):
        # Bad base64, JSON, shape or values alike (binascii and Unicode errors are ValueErrors).
        raise ValidationFailed(
            _("This page link is not valid. Start again from the first page."),
            fields={"after": [_("Not a cursor this list gave.")]},
        ) from None
    return values, position


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _key_value(field: Any, raw: Any) -> Any:
    """``raw`` as a value of ``field``, refusing what the database could not compare (NULL, integers
    beyond 64 bits, NUL characters, naive times)."""
    if _is_int(raw):
        if not -_INT64 <= raw < _INT64:
            raise ValueError("integer out of range")
    elif not isinstance(raw, str) or "\x00" in raw or len(raw) > _STRING_KEY_LENGTH:
        raise ValueError("not a key value")
    value = field.to_python(raw)
    if value is None or (isinstance(value, datetime) and value.tzinfo is None):
        raise ValueError("not a key value")
    return value


def _after(keys: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows that come after ``values`` in the order ``keys``: past the first key, or tied on the first
    keys and past the next. The first key's bound is repeated on its own, so that the database seeks to
    it in an index instead of testing the alternatives on every row."""
    (first, first_descending), first_value = keys[0], values[0]
    bound = Q(**{f"{first}__{'lte' if first_descending else 'gte'}": first_value})
    alternatives = []
    tied = Q()
    for (name, descending), value in zip(keys, values, strict=True):
        alternatives.append(tied & Q(**{f"{name}__{'lt' if descending else 'gt'}": value}))
        tied &= Q(**{name: value})
    return bound & reduce(operator.or_, alternatives)


# --- the ledger of a unit, written out ------------------------------------------------------------

# The common ledger request (a unit's whole range in the default order, page 1 or after a cursor, by a
# reader whose scope holds the unit's subtree) is answered by one written-out statement: compiling the
# ``ledger`` query and its page through the ORM cost more than running them. ``subtree_ledger_page``
# answers exactly what ``ledger_page(ledger(user=…, org=…), …)`` would, and
# ``tests/tasks/test_subtree_ledger_page.py`` holds the two together.

_LEDGER_ORDER = [(LedgerSort.DUE.value, False), ("pk", False)]
# The related rows a ledger column may name (``lead_org__name``): their alias and join. The units are
# never NULL, so their inner joins drop no task, as the ORM's do not; a task may have no handler.
_LEDGER_JOINS = {
    "assigning_org": ("a", f'JOIN "{Organization._meta.db_table}" a ON a."id" = t."assigning_org_id"'),
    "lead_org": ("l", f'JOIN "{Organization._meta.db_table}" l ON l."id" = t."lead_org_id"'),
    "handler": (
        "h",
        f'LEFT JOIN "{User._meta.db_table}" h ON h."id" = t."handler_id"',
    ),
}
# ``with_overlays``'s ``has_subtasks``, written out.
_HAS_SUBTASKS = (
    f'EXISTS(SELECT 1 FROM "{Task._meta.db_table}" c'  # noqa: S608 -- the model's names
    ' WHERE c."parent_id" = t."id" AND NOT (c."status" = %s))'
)


@dataclass(frozen=True)
class _LedgerStatement:
    """The SELECT list of some ledger columns and how to read their values back as ``values()`` does."""

    names: list[str]
    select: str
    # The columns' values as the ORM reads them.
    values: sql.ColumnValues


_LEDGER_STATEMENTS: dict[tuple[str, ...], _LedgerStatement | None] = {}


def _ledger_statement(columns: Sequence[str]) -> _LedgerStatement | None:
    """The written-out SELECT list of ``columns`` (as ``ledger_page`` names them), or None when one of
    them is not a column of the task or of a row in ``_LEDGER_JOINS``. Built once per list of columns."""
    key = tuple(columns)
    if key in _LEDGER_STATEMENTS:
        return _LEDGER_STATEMENTS[key]
    names = list(dict.fromkeys([*columns, *(name for name, _descending in _LEDGER_ORDER)]))
    terms: list[str] = []
    cols: list[Col] = []
    statement: _LedgerStatement | None = None
    try:
        for name in names:
            if name == "has_subtasks":
                terms.append(_HAS_SUBTASKS)
                cols.append(Col("t", BooleanField()))
                continue
            relation, _sep, attr = name.rpartition("__")
            if relation:
                alias, _join = _LEDGER_JOINS[relation]
                model = Task._meta.get_field(relation).related_model
                field = model._meta.get_field(attr)  # type: ignore[union-attr]
            else:
                alias, field = "t", Task._meta.pk if name == "pk" else Task._meta.get_field(name)
            # Only a column of the row: not a relation to many rows (a reverse key, many-to-many).
            if not isinstance(field, Field) or not field.concrete or field.many_to_many:
                raise LookupError(name)
            terms.append(f'{alias}."{field.column}"')
            cols.append(field.get_col(alias))
        statement = _LedgerStatement(names=names, select=", ".join(terms), values=sql.ColumnValues(cols))
    except (LookupError, FieldDoesNotExist):
        statement = None
    _LEDGER_STATEMENTS[key] = statement
    return statement


def _ledger_rows(
    statement: _LedgerStatement, where: str, params: list[Any], org_path: str
) -> tuple[list[dict[str, Any]], int]:
    """The rows of the written-out ledger statement narrowed by ``where``, as ``values()`` dicts, and the
    count of the unit's tasks from the summaries (as ``ledger`` has it), the two sent together."""
    using = router.db_for_read(Task)
    joins = " ".join(join for _alias, join in _LEDGER_JOINS.values())
    text = f'SELECT {statement.select} FROM "{Task._meta.db_table}" t {joins} WHERE {where}'  # noqa: S608 -- names from the models
    found, [(count,)] = sql.read_many(
        Task, [(text, [TaskStatus.CANCELLED.value, *params]), summaries.subtree_count_statement(org_path)]
    )
    rows = [
        dict(zip(statement.names, statement.values.convert(raw, using=using), strict=True)) for raw in found
    ]
    return rows, int(count)


def subtree_ledger_page(
    *, user: Any, org: Organization, size: int, after: str | None = None, columns: Sequence[str]
) -> LedgerPage | None:
    """Page 1 of the ledger of ``org``'s whole subtree in the default order, or the page after the cursor
    ``after``: what ``ledger_page(ledger(user=user, org=org), size=size, after=after, columns=columns)``
    answers, read by one written-out statement (and the count from the summaries, as ``ledger`` has it).

    None when that is not this page: ``user``'s scopes do not hold the subtree (the visibility filter
    then applies), or a column is not one this statement can read. The caller asks ``ledger`` then.
    """
    statement = _ledger_statement(columns)
    if statement is None or not access.covers(user, org):
        return None
    db = connections[router.db_for_read(Task)]
    low, high = org.path, trees.successor(org.path)
    if after is not None:
        # The same cursor checks and the same seek as ``ledger_page`` (``_after``): the first key's bound
        # on its own, so that the order's index leads to the page.
        (due_on, pk), before = _decode_cursor(Task.objects.all(), _LEDGER_ORDER, after)
        due = Task._meta.get_field("due_on").get_db_prep_value(due_on, db)
        pk = Task._meta.pk.get_db_prep_value(pk, db)
        rows, count = _ledger_rows(
            statement,
            't."lead_org_path" >= %s AND t."lead_org_path" < %s AND t."due_on" >= %s AND (t."due_on" > %s'
            ' OR (t."due_on" = %s AND t."id" > %s)) ORDER BY t."due_on", t."id" LIMIT %s',
            [low, high, due, due, due, pk, size + 1],
            org.path,
        )
    else:
        before = 0
        # As ``ledger_page`` reads a page by number: the page's keys sorted by the order's keys alone,
        # then only those rows read whole.
        rows, count = _ledger_rows(
            statement,
            't."lead_org_path" >= %s AND t."lead_org_path" < %s AND t."id" IN (SELECT v."id"'  # noqa: S608 -- the model's names
            f' FROM "{Task._meta.db_table}" v WHERE v."lead_org_path" >= %s AND v."lead_org_path" < %s'
            ' ORDER BY v."due_on", v."id" LIMIT %s) ORDER BY t."due_on", t."id"',
            [low, high, low, high, size + 1],
            org.path,
        )
    items = rows[:size]
    return LedgerPage(
        items=items,
        count=count,
        page=before // size + 1,
        page_size=size,
        next=_encode_cursor(_LEDGER_ORDER, items[-1], before + size) if len(rows) > size else None,
    )


def reports_due(*, user: Any, within_days: int = 7, today: date | None = None) -> QuerySet[Task]:
    """Leaves led by the user's units (where they are head or handler) whose next report falls due within
    ``within_days`` and is not late yet; the late ones are ``reports_missing``."""
    today = today or workdays.today()
    return (
        visible_tasks(user)
        .leaves()
        .filter(
            status__in=REPORTING_STATUSES,
            lead_org_id__in=_unit_ids(user, LEAD_ROLES),
            next_report_due__gte=today,
            next_report_due__lte=today + timedelta(days=within_days),
        )
        .order_by("next_report_due", "pk")
    )


# --- what the caller may do -----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionChoice:
    """A transition the user's part in the task allows from its state; ``blocked_by`` says why it would
    still be refused now (e.g. open subtasks), or is None when it would go through."""

    action: TaskAction
    reason_required: bool
    blocked_by: str | None


def transition_choices(*, user: Any, task: Task, today: date | None = None) -> list[ActionChoice]:
    """The transitions of the table from the task's state that belong to the user's party (DESIGN §4).

    ``task`` must be one the user may see (from ``get_task``). Guards are asked too, so a page can show
    an action as unavailable with the reason instead of offering it and then refusing it.
    """
    today = today or workdays.today()
    state = TaskStatus(task.status)
    parties: dict[Party, bool] = {}
    choices = []
    for action in workflow.allowed_actions(task):
        transition = workflow.TRANSITIONS[(state, action)]
        if transition.party not in parties:
            parties[transition.party] = rules.is_party(user, transition.party, task)
        if not parties[transition.party]:
            continue
        blocked = transition.guard(task, today) if transition.guard is not None else None
        choices.append(ActionChoice(action, transition.reason_required, blocked))
    return choices


def abilities(
    *, user: Any, task: Task, pending_extension: ExtensionRequest | None, today: date | None = None
) -> dict[str, bool]:
    """The other things the user may do with the task now (not transitions), each as its service would
    decide it: edit, plan, decompose, report, request or decide an extension, set the light by hand."""
    from luoshi.tasks.requests import EXTENDABLE
    from luoshi.tasks.services import DECOMPOSABLE

    today = today or workdays.today()
    is_open = task.status in OPEN_STATUSES

    def party(p: Party) -> bool:
        return rules.is_party(user, p, task)

    return {
        "edit": is_open and party(Party.ASSIGNER),
        "plan": is_open and party(Party.PLANNER),
        "decompose": task.status in DECOMPOSABLE and party(Party.LEAD),
        "report": task.status in REPORTING_STATUSES and party(Party.REPORTER),
        "request_extension": task.status in EXTENDABLE
        and today <= task.due_on
        and pending_extension is None
        and party(Party.LEAD),
        "decide_extension": pending_extension is not None and party(Party.DECIDER),
        "override_light": is_open and party(Party.DECIDER),
    }


# --- records of a task ----------------------------------------------------------------------------


def report_get(*, user: Any, pk: int) -> ProgressReport:
    """One progress report whose task the user may see, or ``NotFound``."""
    report = (
        ProgressReport.objects.filter(pk=pk, task__in=visible_tasks(user).values("pk"))
        .select_related("task", "reporter", "reporting_org")
        .first()
    )
    if report is None:
        raise NotFound(_("Not found."))
    return report


def extension_request_get(*, user: Any, pk: int) -> ExtensionRequest:
    """One extension request whose task the user may see, or ``NotFound``."""
    request = (
        ExtensionRequest.objects.filter(pk=pk, task__in=visible_tasks(user).values("pk"))
        .select_related("task", "requested_by", "decided_by")
        .first()
    )
    if request is None:
        raise NotFound(_("Not found."))
    return request


def pending_requests(task: Task) -> tuple[ExtensionRequest | None, CompletionRequest | None]:
    """The extension and completion requests of ``task`` waiting for a decision (at most one each)."""
    extension = (
        ExtensionRequest.objects.filter(task=task, status=RequestStatus.PENDING)
        .select_related("requested_by", "decided_by")
        .first()
    )
    completion = (
        CompletionRequest.objects.filter(task=task, status=RequestStatus.PENDING)
        .select_related("requested_by", "decided_by")
        .first()
    )
    return extension, completion


@dataclass(frozen=True)
class TimelineEntry:
    """One moment in a task's history: an audit event, or a record (report, request, transfer,
    send-back) with its own facts in ``details``."""

    at: datetime
    kind: str
    id: int
    actor_id: int | None
    actor_name: str
    action: str
    details: dict[str, Any]


# Events whose record says more than the event (its text, its decision): the record stands for them.
_EVENTS_SHOWN_BY_RECORDS = frozenset(
    {"task.report", "task.transfer", "task.send_back", "task.extension_request", "task.request_completion"}
)
_EVIDENCE_EVENT = "evidence.attach"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: Any) -> str:
    return str(user) if user is not None else ""


def timeline(*, task: Task) -> list[TimelineEntry]:
    """The history of ``task``, newest first: its audit events (transitions, edits, decisions) merged
    with its progress reports, extension and completion requests, transfers and send-backs.

    ``task`` must be one the caller may see (from ``get_task``): whoever sees a task reads its history.
    Six queries, one per source, however long the history.
    """
    entries: list[TimelineEntry] = []
    # Evidence attached to a report or a completion request is listed with that record.
    files_of: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for event in audit_selectors.events_for_object(Task._meta.label_lower, task.pk):
        if event.action == _EVIDENCE_EVENT:
            owner = next(
                (
                    (key, event.changes[key])
                    for key in ("report", "completion_request")
                    if event.changes.get(key)
                ),
                None,
            )
            if owner is not None:
                files_of.setdefault(owner, []).extend(
                    {"id": f.get("id"), "name": f.get("name")} for f in event.changes.get("files", [])
                )
                continue
        if event.action in _EVENTS_SHOWN_BY_RECORDS:
            continue
        entries.append(
            TimelineEntry(
                at=event.occurred_at,
                kind="event",
                id=event.pk,
                actor_id=event.actor_id,
                actor_name=event.actor_name,
                action=event.action,
                details=dict(event.changes),
            )
        )
    for report in ProgressReport.objects.filter(task=task).select_related("reporter", "reporting_org"):
        entries.append(
            TimelineEntry(
                at=report.created_at,
                kind="report",
                id=report.pk,
                actor_id=report.reporter_id,
                actor_name=_person(report.reporter),
                action="task.report",
                details={
                    "progress": report.progress,
                    "reported_on": _day(report.reported_on),
                    "narrative": report.narrative,
                    "problems": report.problems,
                    "next_steps": report.next_steps,
                    "is_phase_completion": report.is_phase_completion,
                    "reporting_org": report.reporting_org_id,
                    "reporting_org_name": report.reporting_org.name,
                    "evidence": files_of.get(("report", report.pk), []),
                },
            )
        )
    for extension in ExtensionRequest.objects.filter(task=task).select_related("requested_by", "decided_by"):
        entries.append(
            TimelineEntry(
                at=extension.created_at,
                kind="extension_request",
                id=extension.pk,
                actor_id=extension.requested_by_id,
                actor_name=_person(extension.requested_by),
                action="task.extension_request",
                details={
                    "current_due_on": _day(extension.current_due_on),
                    "requested_due_on": _day(extension.requested_due_on),
                    "reason": extension.reason,
                    "status": extension.status,
                    "decided_by": extension.decided_by_id,
                    "decided_by_name": _person(extension.decided_by),
                    "decided_at": extension.decided_at.isoformat() if extension.decided_at else None,
                    "decision_note": extension.decision_note,
                },
            )
        )
    for completion in CompletionRequest.objects.filter(task=task).select_related(
        "requested_by", "decided_by"
    ):
        entries.append(
            TimelineEntry(
                at=completion.created_at,
                kind="completion_request",
                id=completion.pk,
                actor_id=completion.requested_by_id,
                actor_name=_person(completion.requested_by),
                action="task.request_completion",
                details={
                    "note": completion.note,
                    "status": completion.status,
                    "decided_by": completion.decided_by_id,
                    "decided_by_name": _person(completion.decided_by),
                    "decided_at": completion.decided_at.isoformat() if completion.decided_at else None,
                    "decision_note": completion.decision_note,
                    "evidence": files_of.get(("completion_request", completion.pk), []),
                },
            )
        )
    for transfer in TaskTransfer.objects.filter(task=task).select_related(
        "transferred_by", "from_org", "to_org"
    ):
        entries.append(
            TimelineEntry(
                at=transfer.created_at,
                kind="transfer",
                id=transfer.pk,
                actor_id=transfer.transferred_by_id,
                actor_name=_person(transfer.transferred_by),
                action="task.transfer",
                details={
                    "from_org": transfer.from_org_id,
                    "from_org_name": transfer.from_org.name,
                    "to_org": transfer.to_org_id,
                    "to_org_name": transfer.to_org.name,
                    "reason": transfer.reason,
                },
            )
        )
    for send_back in SendBack.objects.filter(task=task).select_related("sent_by", "org"):
        entries.append(
            TimelineEntry(
                at=send_back.created_at,
                kind="send_back",
                id=send_back.pk,
                actor_id=send_back.sent_by_id,
                actor_name=_person(send_back.sent_by),
                action="task.send_back",
                details={"org": send_back.org_id, "org_name": send_back.org.name, "reason": send_back.reason},
            )
        )
    # Records are written before their transaction's audit event, so at equal times the record is older.
    kind_order = {"event": 1}
    entries.sort(key=lambda e: (e.at, kind_order.get(e.kind, 0), e.id), reverse=True)
    return entries
