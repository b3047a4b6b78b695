"""A progress report's search entry, written on the report's path with the fewest statements: the same
entry a reindex writes, found by search right after the report, whether or not its task was indexed."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.search import selectors
from luoshi.search import services as search
from luoshi.search.models import EntryKind, SearchEntry
from luoshi.tasks import reporting

ENTRY_FIELDS = ("kind", "object_id", "task_id", "directive_id", "org_path", "text", "tokens", "audience")


def _entry(report_id: int) -> tuple:
    return (
        SearchEntry.objects.filter(kind=EntryKind.REPORT, object_id=report_id)
        .values_list(*ENTRY_FIELDS)
        .get()
    )


def _report(desk, task, by, narrative="推进排水管网改造第二阶段，drainage phase 2"):
    task.refresh_from_db()
    return reporting.report_progress(actor=by, task=task, version=task.version, narrative=narrative)


def test_a_report_is_indexed_as_a_reindex_indexes_it_and_found_at_once(desk):
    task = desk.acknowledged_city_task(cooperating_orgs=(desk.city.tiedong,))
    report = _report(desk, task, desk.city.wang)
    written = _entry(report.pk)

    search.index_objects(EntryKind.REPORT, [report.pk])

    assert _entry(report.pk) == written
    for person in (desk.city.wang, desk.city.sun, desk.city.zhao):
        hits = selectors.search(person, "排水管网", kinds=[EntryKind.REPORT]).hits
        assert [(h.kind, h.object_id) for h in hits] == [(EntryKind.REPORT, report.pk)]
    assert selectors.search(desk.city.chen, "排水管网", kinds=[EntryKind.REPORT]).hits == []


def test_a_report_on_a_task_not_yet_indexed_takes_the_task_units(desk):
    task = desk.acknowledged_city_task(cooperating_orgs=(desk.city.tiedong,))
    SearchEntry.objects.filter(kind=EntryKind.TASK, object_id=task.pk).delete()
    report = _report(desk, task, desk.city.sun, narrative="配合完成管网排查")
    written = _entry(report.pk)

    search.index_objects(EntryKind.REPORT, [report.pk])

    assert _entry(report.pk) == written
    hits = selectors.search(desk.city.sun, "管网排查", kinds=[EntryKind.REPORT]).hits
    assert [h.object_id for h in hits] == [report.pk]


def test_indexing_a_report_costs_one_statement(desk):
    task = desk.acknowledged_city_task()
    task.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        reporting.report_progress(actor=desk.city.wang, task=task, version=task.version, narrative="已完成")
    # One upsert that copies the task entry's unit and audience as it writes the report's entry.
    touching = [q["sql"] for q in queries if SearchEntry._meta.db_table in q["sql"]]
    assert len(touching) == 1, touching
