"""Registering, decomposing and editing tasks. Each function is one use case, atomic, audited last; every
one that touches a task refreshes the roll-up through ``rollup.refresh``.

Transitions live in ``luoshi.tasks.workflow``, extension requests in ``luoshi.tasks.requests``, progress
reports, milestones and manual lights in ``luoshi.tasks.reporting``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import attrgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field, Max, Value
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from luoshi import access
from luoshi.audit import services as audit
from luoshi.core import bulk, trees, workdays
from luoshi.core.errors import Conflict, LuoshiError, NotAllowed, ValidationFailed
from luoshi.directives.models import Clause, Directive, DirectiveKind, FocusArea
from luoshi.organizations.models import Membership, Organization, User
from luoshi.search import services as search
from luoshi.tasks import lights, rollup, rules
from luoshi.tasks.models import (
    OPEN_STATUSES,
    Priority,
    ReportCadence,
    Tag,
    Task,
    TaskStatus,
)
from luoshi.tasks.writes import load_for_write, save_task

MAX_DEPTH = 250 // trees.SEGMENT
# Rows per INSERT or UPDATE statement of a bulk registration.
BULK_BATCH = 500
DECOMPOSABLE = (TaskStatus.IN_PROGRESS, TaskStatus.RETURNED)
SNAPSHOT_FIELDS = (
    "title",
    "description",
    "expected_outcome",
    "focus_area_id",
    "lead_org_id",
    "start_on",
    "due_on",
    "report_cadence",
    "weight",
    "priority",
    "requires_public_notice",
)


def _invalid(fields: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(_("Please correct the marked fields."), fields=fields)


UNCHECKED_FIELDS = ("path", "lead_org_path", "depth", "original_due_on")


@cache
def _related_fields() -> tuple[str, ...]:
    """The task's foreign keys. Their values are rows the service loaded (and checked access to) itself,
    so the per-key existence query of ``full_clean`` would only repeat that, once per key per write."""
    return tuple(f.name for f in Task._meta.concrete_fields if f.is_relation)


# What a row of a bulk registration sets; the service sets the other fields to values it has checked or
# computed, so validating those field by field for every row would only repeat that.
ROW_FIELDS = frozenset({"title", "description", "expected_outcome", "start_on", "due_on", "report_cadence"})


@cache
def _row_fields() -> tuple[Field[Any, Any], ...]:
    """The ``ROW_FIELDS``, in the order ``full_clean`` checks them."""
    return tuple(f for f in Task._meta.fields if f.name in ROW_FIELDS and not f.generated)


def _validate(
    task: Task, *, row_fields_only: bool = False, passed: dict[tuple[str, type, Any], Any] | None = None
) -> None:
    """Check a task before it is written; with ``row_fields_only``, only what a row of a bulk
    registration sets (``_clean_row_fields``, which ``passed`` is for)."""
    # Checked first, so that it is reported on the field rather than as the table's constraint.
    if task.start_on and task.due_on and task.start_on > task.due_on:
        raise _invalid({"due_on": [_("The due date cannot be before the start date.")]})
    try:
        # The table's check constraints are not run here: each costs a query, and the ones a person can
        # break (due after start, weight at least 1) are checked above and by the fields' validators;
        # the others guard values the services compute. The database still enforces them all.
        if row_fields_only:
            _clean_row_fields(task, passed)
        else:
            exclude = (*UNCHECKED_FIELDS, *_related_fields())
            task.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise _invalid(exc.message_dict) from exc


def _clean_row_fields(task: Task, passed: dict[tuple[str, type, Any], Any] | None = None) -> None:
    """``task.full_clean(validate_unique=False, validate_constraints=False)`` with every field but the
    ``ROW_FIELDS`` excluded: the same checks (``Model.clean_fields`` on those fields, then the model's
    ``clean``), in the same order, with the same errors. Written out for the rows of a bulk registration,
    as ``clean_fields`` goes over all fifty fields of a task to skip the forty-four excluded ones.

    ``passed`` (one per registration) keeps each value that passed its field's checks, with what they
    made of it: those checks read nothing but the value (``to_python``, the choices, the length), and the
    rows of a list share a few dates and cadences. A value that failed is checked again, for its error.
    """
    errors: dict[str, Any] = {}
    for field in _row_fields():
        value = getattr(task, field.attname)
        if (field.blank and value in field.empty_values) or isinstance(value, DatabaseDefault):
            continue  # as ``clean_fields`` skips them
        # By type too: a choices member equals its text, but is not what checking the text makes.
        key = (field.attname, type(value), value)
        if passed is not None and key in passed:
            setattr(task, field.attname, passed[key])
            continue
        try:
            cleaned = field.clean(value, task)
        except ValidationError as exc:
            errors[field.name] = exc.error_list
            continue
        setattr(task, field.attname, cleaned)
        if passed is not None:
            passed[key] = cleaned
    try:
        task.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _check_handler(handler: User | None, lead_org_id: int) -> None:
    if (
        handler is not None
        and not Membership.objects.filter(user=handler, organization_id=lead_org_id).exists()
    ):
        raise _invalid({"handler": [_("The handler must work in the lead unit.")]})


def _check_cooperating(orgs: Iterable[Organization], lead_org_id: int) -> list[Organization]:
    result = list({o.pk: o for o in orgs}.values())
    if any(o.pk == lead_org_id for o in result):
        raise _invalid({"cooperating_orgs": [_("The lead unit cannot also be a cooperating unit.")]})
    return result


def _tags(names: Iterable[str]) -> list[Tag]:
    clean = sorted({n.strip() for n in names if n and n.strip()})
    return [Tag.objects.get_or_create(name=name)[0] for name in clean]


def _snapshot(task: Task) -> dict[str, Any]:
    return {f: getattr(task, f) for f in SNAPSHOT_FIELDS}


# --- creating -------------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    actor: User,
    assigning_org: Organization,
    lead_org: Organization,
    title: str,
    due_on: date,
    start_on: date | None = None,
    clause: Clause | None = None,
    directive: Directive | None = None,
    description: str = "",
    expected_outcome: str = "",
    focus_area: FocusArea | None = None,
    cooperating_orgs: Iterable[Organization] = (),
    responsible_leader: User | None = None,
    handler: User | None = None,
    report_cadence: str = ReportCadence.MONTHLY,
    weight: int = 1,
    priority: int = Priority.NORMAL,
    tags: Iterable[str] = (),
    requires_public_notice: bool | None = None,
) -> Task:
    """Register a task (立项) in draft: from a clause of a directive, or on its own.

    ``assigning_org`` assigns and verifies it; ``lead_org`` is that unit itself (kept: start it) or a unit
    below it (assign it, and that unit acknowledges it).
    """
    if not rules.may_assign_from(actor, assigning_org):
        raise NotAllowed(
            _("Only the people of %(unit)s or its supervisors may register tasks for it.")
            % {"unit": assigning_org.name}
        )
    if clause is not None:
        access.require(actor, "view", clause)
        if directive is not None and directive.pk != clause.directive_id:
            raise _invalid({"clause": [_("This clause belongs to another directive.")]})
        directive = clause.directive
        focus_area = focus_area or clause.focus_area
    elif directive is not None:
        access.require(actor, "view", directive)
    if not lead_org.is_in_subtree_of(assigning_org):
        raise _invalid(
            {"lead_org": [_("Choose %(unit)s itself or a unit below it.") % {"unit": assigning_org.name}]}
        )
    if requires_public_notice is None:
        requires_public_notice = directive is not None and directive.kind == DirectiveKind.INSPECTION
    return _create(
        actor=actor,
        chain=[],
        parent=None,
        assigning_org=assigning_org,
        lead_org=lead_org,
        title=title,
        due_on=due_on,
        start_on=start_on,
        clause=clause,
        directive=directive,
        description=description,
        expected_outcome=expected_outcome,
        focus_area=focus_area,
        cooperating_orgs=cooperating_orgs,
        responsible_leader=responsible_leader,
        handler=handler,
        report_cadence=report_cadence,
        weight=weight,
        priority=priority,
        tags=tags,
        requires_public_notice=requires_public_notice,
    )


@transaction.atomic
def task_decompose(
    *,
    actor: User,
    parent: Task,
    version: int,
    lead_org: Organization,
    title: str,
    due_on: date,
    start_on: date | None = None,
    description: str = "",
    expected_outcome: str = "",
    focus_area: FocusArea | None = None,
    cooperating_orgs: Iterable[Organization] = (),
    responsible_leader: User | None = None,
    handler: User | None = None,
    report_cadence: str | None = None,
    weight: int = 1,
    priority: int | None = None,
    tags: Iterable[str] = (),
) -> Task:
    """Split a task (分解): a subtask in draft for the lead unit itself or a unit below it, assigned by the
    parent's lead unit, due no later than the parent."""
    chain = load_for_write(actor=actor, task=parent, version=version, action="decompose")
    locked = chain[-1]
    if locked.status not in DECOMPOSABLE:
        raise Conflict(
            _(
                "A task can be decomposed while it is in progress or returned for rework; "
                "this one is “%(state)s”."
            )
            % {"state": TaskStatus(locked.status).label}
        )
    if locked.depth >= MAX_DEPTH:
        raise Conflict(_("Tasks can be decomposed at most %(depth)s levels deep.") % {"depth": MAX_DEPTH})
    if due_on > locked.due_on:
        raise _invalid(
            {
                "due_on": [
                    _("A subtask cannot be due after its parent task (%(date)s).")
                    % {"date": locked.due_on.isoformat()}
                ]
            }
        )
    if not lead_org.is_in_subtree_of(locked.lead_org):
        raise _invalid(
            {"lead_org": [_("Choose %(unit)s itself or a unit below it.") % {"unit": locked.lead_org.name}]}
        )
    return _create(
        actor=actor,
        chain=chain,
        parent=locked,
        assigning_org=locked.lead_org,
        lead_org=lead_org,
        title=title,
        due_on=due_on,
        start_on=start_on,
        clause=locked.clause,
        directive=locked.directive,
        description=description,
        expected_outcome=expected_outcome,
        focus_area=focus_area or locked.focus_area,
        cooperating_orgs=cooperating_orgs,
        responsible_leader=responsible_leader,
        handler=handler,
        report_cadence=report_cadence or locked.report_cadence,
        weight=weight,
        priority=priority or locked.priority,
        tags=tags,
        requires_public_notice=False,
    )


def _new_task(
    *,
    actor: User,
    parent: Task | None,
    assigning_org: Organization,
    clause: Clause | None,
    directive: Directive | None,
    weight: int,
    priority: int,
    requires_public_notice: bool,
    today: date,
    **own: Any,
) -> Task:
    """A new draft task, not saved, with a temporary unique path (the real one is made of ids): the
    ``_draft`` every task starts from, with ``own`` (``_fill``'s fields) set on it."""
    task = _draft(
        actor=actor,
        parent=parent,
        assigning_org=assigning_org,
        clause=clause,
        directive=directive,
        weight=weight,
        priority=priority,
        requires_public_notice=requires_public_notice,
    )
    task.path = f"~{uuid.uuid4().hex}"
    return _fill(task, today=today, **own)


def _draft(
    *,
    actor: User,
    parent: Task | None,
    assigning_org: Organization,
    clause: Clause | None,
    directive: Directive | None,
    weight: int,
    priority: int,
    requires_public_notice: bool,
) -> Task:
    """The part of a new draft task that the rows of a bulk registration share."""
    return Task(
        parent=parent,
        clause=clause,
        directive=directive,
        assigning_org=assigning_org,
        weight=weight,
        priority=priority,
        requires_public_notice=requires_public_notice,
        created_by=actor,
    )


def _clone(draft: Task) -> Task:
    """A copy of ``draft``, as ``copy.copy`` makes one: the same field values and its own state (with its
    own cache of the related rows). Made directly: ``copy.copy`` goes through pickling's protocol
    (``__reduce_ex__``, ``__getstate__``, ``__setstate__``), which cost as much as the rest of a row."""
    task = Task.__new__(Task)
    state = ModelState()
    state.__dict__.update(draft._state.__dict__)
    state.fields_cache = draft._state.fields_cache.copy()
    task.__dict__.update(draft.__dict__)
    task._state = state
    return task


def _fill(
    task: Task,
    *,
    lead_org: Organization,
    title: str,
    due_on: date,
    start_on: date | None,
    description: str,
    expected_outcome: str,
    focus_area: FocusArea | None,
    responsible_leader: User | None,
    handler: User | None,
    report_cadence: str,
    today: date,
) -> Task:
    """Set on a draft (``_draft``'s, or a ``_clone`` of one) what one task has of its own."""
    task.title = title.strip()
    task.description = description.strip()
    task.expected_outcome = expected_outcome.strip()
    task.lead_org = lead_org
    task.lead_org_path = lead_org.path
    # Set through the relations' descriptors only where that changes something: a draft has no focus
    # area, leader or handler, and most tasks of a list name none of them.
    if focus_area is not None or task.focus_area_id is not None:
        task.focus_area = focus_area
    if responsible_leader is not None or task.responsible_leader_id is not None:
        task.responsible_leader = responsible_leader
    if handler is not None or task.handler_id is not None:
        task.handler = handler
    task.start_on = start_on or min(today, due_on)
    task.due_on = due_on
    task.original_due_on = due_on
    task.report_cadence = report_cadence
    return task


def _create(
    *,
    actor: User,
    chain: list[Task],
    parent: Task | None,
    cooperating_orgs: Iterable[Organization],
    tags: Iterable[str],
    **fields: Any,
) -> Task:
    """Save one new task: ``fields`` are ``_new_task``'s; then its tree path, roll-up, index and audit."""
    today = workdays.today()
    task = _new_task(actor=actor, parent=parent, today=today, **fields)
    _validate(task)
    _check_handler(task.handler, task.lead_org_id)
    coop = _check_cooperating(cooperating_orgs, task.lead_org_id)
    task.save()
    task.path = trees.child_path(parent.path if parent else "", task.pk)
    task.depth = trees.depth_of(task.path)
    Task.objects.filter(pk=task.pk).update(path=task.path, depth=task.depth)
    if coop:
        task.cooperating_orgs.set(coop)
    tag_rows = _tags(tags)
    if tag_rows:
        task.tags.set(tag_rows)
    rollup.refresh([*chain, task], today=today)
    search.index_task(task)
    audit.record(actor=actor, action="task.create", obj=task, changes=_created(task, coop))
    return task


def _created(task: Task, cooperating: Iterable[Organization], source: str = "") -> dict[str, Any]:
    """What the audit trail records of a new task."""
    return {
        "after": _snapshot(task),
        "parent": task.parent_id,
        "clause": task.clause_id,
        "assigning_org": task.assigning_org_id,
        "cooperating_orgs": sorted({o.pk for o in cooperating}),
        **({"source": source} if source else {}),
    }


# Every field of a task that ``rollup.derive`` reads (tests/tasks/test_services.py checks the list against
# what it reads): with no children and no milestones, on one day, tasks equal in these fields have equal
# derived values.
DERIVE_READS = (
    "status",
    "start_on",
    "due_on",
    "report_cadence",
    "last_reported_on",
    "reported_progress",
    "rejection_count",
    "open_overdue_urgings",
    "override_light",
    "override_until",
)
derive_inputs = attrgetter(*DERIVE_READS)


@dataclass(frozen=True)
class NewTask:
    """One task of a bulk registration (``task_create_many``): the fields of ``task_create`` that a task
    list in a spreadsheet carries."""

    lead_org: Organization
    title: str
    due_on: date
    description: str = ""
    expected_outcome: str = ""
    focus_area: FocusArea | None = None
    cooperating_orgs: tuple[Organization, ...] = ()
    responsible_leader: User | None = None
    handler: User | None = None
    report_cadence: str = ReportCadence.MONTHLY


class RowRefused(Exception):
    """``task_create_many`` refused the row at ``index``; ``error`` says why, field by field."""

    def __init__(self, index: int, error: LuoshiError) -> None:
        super().__init__(str(error.message))
        self.index = index
        self.error = error


@transaction.atomic
def task_create_many(
    *,
    actor: User,
    assigning_org: Organization,
    directive: Directive,
    rows: Sequence[NewTask],
    source: str = "",
) -> list[Task]:
    """Register many top-level tasks of ``directive`` in draft at once, with the rules of
    ``task_create`` applied to every row, all or nothing (``RowRefused`` names the first bad row).

    Set-based: the rows are checked in memory against what two queries load, inserted in bulk with
    their lights already derived (a new task has no children and no reports), indexed for search in
    one call, and audited one event per task in one append to the chain.
    """
    if not rules.may_assign_from(actor, assigning_org):
        raise NotAllowed(
            _("Only the people of %(unit)s or its supervisors may register tasks for it.")
            % {"unit": assigning_org.name}
        )
    access.require(actor, "view", directive)
    today = workdays.today()
    notice = directive.kind == DirectiveKind.INSPECTION
    handlers = {row.handler.pk for row in rows if row.handler is not None}
    works_in = set(Membership.objects.filter(user_id__in=handlers).values_list("user_id", "organization_id"))
    draft = _draft(
        actor=actor,
        parent=None,
        assigning_org=assigning_org,
        clause=None,
        directive=directive,
        weight=1,
        priority=Priority.NORMAL,
        requires_public_notice=notice,
    )
    tasks: list[Task] = []
    passed: dict[tuple[str, type, Any], Any] = {}  # the values found valid (``_clean_row_fields``)
    derived_by_inputs: dict[tuple[Any, ...], dict[str, Any]] = {}
    for index, row in enumerate(rows):
        try:
            if not row.lead_org.is_in_subtree_of(assigning_org):
                raise _invalid(
                    {
                        "lead_org": [
                            _("Choose %(unit)s itself or a unit below it.") % {"unit": assigning_org.name}
                        ]
                    }
                )
            # A copy of one draft costs a fraction of building a task (a model instance of fifty fields
            # and nine keys) anew; the path is set once the key is taken.
            task = _fill(
                _clone(draft),
                lead_org=row.lead_org,
                title=row.title,
                due_on=row.due_on,
                start_on=None,
                description=row.description,
                expected_outcome=row.expected_outcome,
                focus_area=row.focus_area,
                responsible_leader=row.responsible_leader,
                handler=row.handler,
                report_cadence=row.report_cadence,
                today=today,
            )
            _validate(task, row_fields_only=True, passed=passed)
            if row.handler is not None and (row.handler.pk, row.lead_org.pk) not in works_in:
                raise _invalid({"handler": [_("The handler must work in the lead unit.")]})
            if row.cooperating_orgs:  # (none, nothing to check)
                _check_cooperating(row.cooperating_orgs, row.lead_org.pk)
        except LuoshiError as exc:
            raise RowRefused(index, exc) from exc
        # A new task has no children and no milestones, so its derived values follow from what
        # ``rollup.derive`` reads of it (``DERIVE_READS``) on this one day: the rows of a list share a
        # few deadlines and cadences, and the values are worked out once for each.
        inputs = derive_inputs(task)
        derived = derived_by_inputs.get(inputs)
        if derived is None:
            derived = derived_by_inputs[inputs] = rollup.derive(task, lights.ChildTotals(), (), today)
        for field, value in derived.items():
            setattr(task, field, value)
        tasks.append(task)

    def top_level(task: Task) -> None:
        # A top-level task's path is its own id, known once the key is taken.
        task.path = trees.child_path("", task.pk)
        task.depth = 1

    bulk.insert_new(tasks, before_write=top_level)
    through = Task.cooperating_orgs.through
    through.objects.bulk_create(
        [
            through(task_id=task.pk, organization_id=org.pk)
            for task, row in zip(tasks, rows, strict=True)
            for org in {o.pk: o for o in row.cooperating_orgs}.values()
        ],
        batch_size=BULK_BATCH,
    )
    search.index_new_tasks(
        tasks, {task.pk: row.cooperating_orgs for task, row in zip(tasks, rows, strict=True)}
    )
    audit.record_many(
        actor=actor,
        action="task.create",
        items=[
            (task, _created(task, row.cooperating_orgs, source))
            for task, row in zip(tasks, rows, strict=True)
        ],
    )
    return tasks


# --- editing -------------------------------------------------------------------------------------

EDITABLE = {
    "title",
    "description",
    "expected_outcome",
    "focus_area",
    "start_on",
    "due_on",
    "lead_org",
    "report_cadence",
    "weight",
    "priority",
    "requires_public_notice",
}
# Once assigned, the deadline moves only by an approved extension and the unit changes only by transfer.
DRAFT_ONLY = {"due_on", "lead_org"}


@transaction.atomic
def task_update(
    *,
    actor: User,
    task: Task,
    version: int,
    cooperating_orgs: Iterable[Organization] | None = None,
    tags: Iterable[str] | None = None,
    **changes: Any,
) -> Task:
    """Edit what was assigned (by the assigning unit) while the task is open."""
    chain = load_for_write(actor=actor, task=task, version=version, action="change")
    locked = chain[-1]
    if locked.status not in OPEN_STATUSES:
        raise Conflict(
            _("A task that is “%(state)s” cannot be edited; reopen it first.")
            % {"state": TaskStatus(locked.status).label}
        )
    before = _snapshot(locked)
    for field, value in changes.items():
        if field not in EDITABLE:
            raise ValueError(f"task_update cannot change {field}")
        if field in DRAFT_ONLY and locked.status != TaskStatus.DRAFT and value != getattr(locked, field):
            message = (
                _("Once assigned, the deadline moves only by an approved extension request.")
                if field == "due_on"
                else _("Once assigned, the task moves to another unit only by a transfer.")
            )
            raise Conflict(message)
        setattr(locked, field, value.strip() if isinstance(value, str) else value)
    if "lead_org" in changes:
        if not locked.lead_org.is_in_subtree_of(locked.assigning_org):
            raise _invalid(
                {
                    "lead_org": [
                        _("Choose %(unit)s itself or a unit below it.") % {"unit": locked.assigning_org.name}
                    ]
                }
            )
        locked.lead_org_path = locked.lead_org.path
        locked.cooperating_orgs.remove(locked.lead_org)
    if "due_on" in changes and locked.status == TaskStatus.DRAFT:
        # Nothing was promised before the task was assigned, so a draft's deadline is still the original.
        locked.original_due_on = locked.due_on
    _validate(locked)
    _check_due_within_tree(locked)
    after = _snapshot(locked)
    changed = audit.diff(before, after)
    if cooperating_orgs is not None:
        coop = _check_cooperating(cooperating_orgs, locked.lead_org_id)
        old = sorted(locked.cooperating_orgs.values_list("pk", flat=True))
        if old != sorted(o.pk for o in coop):
            locked.cooperating_orgs.set(coop)
            changed["cooperating_orgs"] = [old, sorted(o.pk for o in coop)]
    if tags is not None:
        tag_rows = _tags(tags)
        old_tags = sorted(locked.tags.values_list("name", flat=True))
        if old_tags != [t.name for t in tag_rows]:
            locked.tags.set(tag_rows)
            changed["tags"] = [old_tags, [t.name for t in tag_rows]]
    if not changed:
        return locked
    fields = [f for f in changes if f != "lead_org"] + (
        ["lead_org", "lead_org_path"] if "lead_org" in changes else []
    )
    if "due_on" in changes:
        fields.append("original_due_on")
    save_task(locked, fields)
    rollup.refresh(chain)
    search.index_task(locked)
    audit.record(actor=actor, action="task.update", obj=locked, changes=changed)
    return locked


def _check_due_within_tree(task: Task) -> None:
    if task.parent_id is not None:
        parent_due = Task.objects.values_list("due_on", flat=True).get(pk=task.parent_id)
        if task.due_on > parent_due:
            raise _invalid(
                {
                    "due_on": [
                        _("A subtask cannot be due after its parent task (%(date)s).")
                        % {"date": parent_due.isoformat()}
                    ]
                }
            )
    latest_child = (
        Task.objects.filter(parent=task)
        .exclude(status=TaskStatus.CANCELLED)
        .aggregate(latest=Max("due_on"))["latest"]
    )
    if latest_child is not None and task.due_on < latest_child:
        raise _invalid(
            {
                "due_on": [
                    _("A subtask is due on %(date)s; the task cannot be due before it.")
                    % {"date": latest_child.isoformat()}
                ]
            }
        )


@transaction.atomic
def task_set_people(
    *, actor: User, task: Task, version: int, handler: User | None, responsible_leader: User | None
) -> Task:
    """Name the handler (who must work in the lead unit) and the responsible leader."""
    chain = load_for_write(actor=actor, task=task, version=version, action="plan")
    locked = chain[-1]
    _check_handler(handler, locked.lead_org_id)
    changed = audit.diff(
        {"handler": locked.handler_id, "responsible_leader": locked.responsible_leader_id},
        {
            "handler": handler.pk if handler else None,
            "responsible_leader": responsible_leader.pk if responsible_leader else None,
        },
    )
    if not changed:
        return locked
    locked.handler = handler
    locked.responsible_leader = responsible_leader
    save_task(locked, ["handler", "responsible_leader"])
    audit.record(actor=actor, action="task.set_people", obj=locked, changes=changed)
    return locked


# --- organisation moves ---------------------------------------------------------------------------


def on_organization_moved(*, old_prefix: str, new_prefix: str) -> int:
    """Rewrite ``lead_org_path`` of every task led by a unit in a moved subtree, in one statement.

    Called by ``organizations.services.organization_move`` inside its transaction, after the units' own
    paths changed. Returns the number of tasks updated.
    """
    return Task.objects.filter(trees.subtree_q("lead_org_path", old_prefix)).update(
        lead_org_path=Concat(Value(new_prefix), Substr("lead_org_path", len(old_prefix) + 1))
    )
