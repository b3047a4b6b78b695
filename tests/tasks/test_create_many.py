"""The shortcuts of a bulk registration (``services.task_create_many``) leave the record ``task_create``
leaves for each row: the same derived values, the same audit content and the same search entry, and the
same errors for a bad row."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from luoshi.audit.models import AuditEvent
from luoshi.directives.models import FocusArea
from luoshi.search.models import EntryKind, SearchEntry
from luoshi.tasks import lights, rollup, services
from luoshi.tasks.models import ReportCadence, Task
from tests.tasks.conftest import TODAY

DERIVED = (*rollup.DERIVED_FIELDS, "own_light")
ENTRY_FIELDS = ("org_path", "text", "tokens", "audience")


class _Reads:
    """A task that notes every attribute read of it."""

    def __init__(self, task: Task) -> None:
        self.__dict__.update(task=task, seen=set())

    def __getattr__(self, name: str) -> object:
        self.seen.add(name)
        return getattr(self.task, name)


def test_the_inputs_compared_before_reusing_derived_values_are_all_that_derive_reads():
    task = Task(start_on=TODAY, due_on=date(2024, 6, 28), report_cadence=ReportCadence.MONTHLY)
    read = _Reads(task)
    rollup.derive(read, lights.ChildTotals(), (), TODAY)
    assert read.seen == set(services.DERIVE_READS)


def test_a_clone_of_a_draft_is_the_copy_copy_makes(desk):
    city = desk.city
    draft = services._draft(
        actor=city.zhao,
        parent=None,
        assigning_org=city.government,
        clause=None,
        directive=desk.directive,
        weight=1,
        priority=2,
        requires_public_notice=False,
    )
    clone, copied = services._clone(draft), copy.copy(draft)
    own = {k: v for k, v in clone.__dict__.items() if k != "_state"}
    assert own == {k: v for k, v in copied.__dict__.items() if k not in ("_state", "_django_version")}
    assert vars(clone._state) == vars(copied._state)
    assert clone._state is not draft._state
    assert clone._state.fields_cache is not draft._state.fields_cache
    clone.assigning_org = city.tiexi
    assert draft.assigning_org == city.government


def _full_clean_errors(task: Task) -> dict[str, list[str]] | None:
    """What ``full_clean`` of the row fields alone says, as the bulk registration asked it before."""
    exclude = [f.name for f in Task._meta.concrete_fields if f.name not in services.ROW_FIELDS]
    try:
        task.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return None


def _row_check_errors(task: Task) -> dict[str, list[str]] | None:
    try:
        services._clean_row_fields(task)
    except ValidationError as exc:
        return exc.message_dict
    return None


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"title": ""},
        {"title": "长" * 201},
        {"title": "a\x00b", "description": "c\x00d"},
        {"report_cadence": "sometimes"},
        {"title": "", "report_cadence": "sometimes", "due_on": None},
        {"start_on": "2024-02-30"},
        {"expected_outcome": "", "description": ""},
    ],
)
def test_the_row_checks_are_those_of_full_clean(desk, changes):
    def task() -> Task:
        made = Task(
            title="推进老旧小区改造",
            start_on=TODAY,
            due_on=date(2024, 6, 28),
            report_cadence=ReportCadence.MONTHLY,
            lead_org=desk.city.tiexi,
        )
        for field, value in changes.items():
            setattr(made, field, value)
        return made

    assert _row_check_errors(task()) == _full_clean_errors(task())


def test_a_bulk_registration_leaves_what_task_create_leaves_for_each_row(desk):
    city = desk.city
    focus = FocusArea.objects.create(name="绿色发展", code="green")
    rows = [
        services.NewTask(lead_org=city.tiexi, title="任务一", due_on=date(2024, 6, 28)),
        services.NewTask(lead_org=city.tiedong, title="任务二", due_on=date(2024, 6, 28)),
        services.NewTask(
            lead_org=city.tiexi,
            title="  任务三：排水管网改造  ",
            due_on=date(2024, 3, 8),
            description="说明",
            expected_outcome="完成",
            focus_area=focus,
            cooperating_orgs=(city.tiedong, city.tiedong),
            responsible_leader=city.zhao,
            handler=city.wang,
            report_cadence=ReportCadence.WEEKLY,
        ),
        services.NewTask(lead_org=city.tiexi, title="任务四", due_on=date(2024, 3, 8)),
        services.NewTask(
            lead_org=city.tiexi,
            title="任务五",
            due_on=date(2024, 3, 8),
            report_cadence=ReportCadence.WEEKLY,
        ),
        services.NewTask(
            lead_org=city.tiexi_street,
            title="任务六",
            due_on=date(2023, 12, 29),
            report_cadence=ReportCadence.QUARTERLY,
        ),
        services.NewTask(lead_org=city.tiexi, title="任务七", due_on=date(2024, 6, 28), focus_area=focus),
    ]
    bulk = services.task_create_many(
        actor=city.zhao,
        assigning_org=city.government,
        directive=desk.directive,
        rows=rows,
        source="清单.xlsx",
    )
    one_by_one = [
        services.task_create(
            actor=city.zhao,
            assigning_org=city.government,
            lead_org=row.lead_org,
            title=row.title,
            due_on=row.due_on,
            directive=desk.directive,
            description=row.description,
            expected_outcome=row.expected_outcome,
            focus_area=row.focus_area,
            cooperating_orgs=row.cooperating_orgs,
            responsible_leader=row.responsible_leader,
            handler=row.handler,
            report_cadence=row.report_cadence,
        )
        for row in rows
    ]
    for made, single in zip(bulk, one_by_one, strict=True):
        made, single = Task.objects.get(pk=made.pk), Task.objects.get(pk=single.pk)
        for field in (*DERIVED, *services.SNAPSHOT_FIELDS, "handler_id", "responsible_leader_id"):
            assert getattr(made, field) == getattr(single, field), field
        assert not rollup.recompute([made])
        changes = AuditEvent.objects.get(action="task.create", object_id=str(made.pk)).changes
        assert changes.pop("source") == "清单.xlsx"
        assert changes == AuditEvent.objects.get(action="task.create", object_id=str(single.pk)).changes
        entries = SearchEntry.objects.filter(kind=EntryKind.TASK).values_list(*ENTRY_FIELDS)
        assert entries.get(object_id=made.pk) == entries.get(object_id=single.pk)


def test_fill_clears_a_relation_the_task_had(desk):
    city = desk.city
    task = Task(focus_area=FocusArea.objects.create(name="民生", code="people"), handler=city.wang)
    services._fill(
        task,
        lead_org=city.tiexi,
        title="任务",
        due_on=date(2024, 6, 28),
        start_on=None,
        description="",
        expected_outcome="",
        focus_area=None,
        responsible_leader=None,
        handler=None,
        report_cadence=ReportCadence.MONTHLY,
        today=TODAY,
    )
    assert (task.focus_area, task.focus_area_id, task.handler, task.handler_id) == (None, None, None, None)
