"""Keeping the index: what the services write, the full reindex (idempotent, repairing), removal, the
full-text structures of each database, and ``luoshi search reindex``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from luoshi.search import fulltext, selectors
from luoshi.search import services as search
from luoshi.search.models import EntryKind, SearchEntry
from luoshi.search.text import audience_term
from luoshi.tasks.models import ProgressReport, Task


@pytest.fixture
def indexed(city, work):
    """A little of everything, indexed by the per-object services."""
    task = work.started(work.task("开展回头看", cooperating=(city.tiedong,)), city.wang)
    work.report(task, city.wang, "回头看发现问题三处", problems="整改中")
    work.task("能耗双控", lead=city.ecology_bureau)
    work.directive(
        "督查督办工作方案", by=city.zhao, org=city.government, clauses=("开展回头看。", "按序时进度推进。")
    )
    return task


def snapshot() -> dict[tuple[str, int], tuple]:
    """Every entry by object, with its id, facts, text and terms (as sets: PostgreSQL reorders them)."""
    rows = SearchEntry.objects.values_list(
        "kind", "object_id", "pk", "task_id", "directive_id", "org_path", "text", "tokens", "audience"
    )
    return {
        (kind, object_id): (*facts, fulltext.read_terms(tokens), fulltext.read_terms(audience))
        for kind, object_id, *facts, tokens, audience in rows
    }


def test_entries_hold_normalized_text_terms_and_audience(city, indexed):
    entry = SearchEntry.objects.get(kind=EntryKind.TASK, object_id=indexed.pk)
    assert entry.text == "开展回头看"
    assert entry.org_path == city.tiexi.path
    tokens = fulltext.read_terms(entry.tokens)
    assert {"开", "展", "开展", "头看", "回头看"} <= tokens  # 回头看 comes from the user dictionary
    audience = fulltext.read_terms(entry.audience)
    assert audience == {audience_term(u.pk) for u in (city.government, city.tiexi, city.tiedong)}
    report = SearchEntry.objects.get(kind=EntryKind.REPORT)
    assert report.text == "回头看发现问题三处\n整改中"
    assert fulltext.read_terms(report.audience) == audience


def test_reindex_is_idempotent_and_agrees_with_the_services(indexed):
    before = snapshot()
    counts = search.reindex_all()
    assert counts == {"directive": 1, "clause": 2, "task": 2, "report": 1}
    assert snapshot() == before
    search.reindex_all(batch=1)
    assert snapshot() == before


def test_reindex_repairs_a_damaged_index(city, indexed):
    before = {key: value[1:] for key, value in snapshot().items()}
    SearchEntry.objects.filter(kind=EntryKind.REPORT).delete()
    SearchEntry.objects.filter(kind=EntryKind.TASK).update(text="走样", org_path=city.tiedong.path)
    SearchEntry.objects.create(
        kind=EntryKind.TASK, object_id=999_999, org_path="", text="孤儿", tokens="孤", audience=""
    )
    progress: list[tuple[str, int]] = []
    search.reindex_all(batch=1, progress=lambda kind, done: progress.append((kind, done)))
    assert {key: value[1:] for key, value in snapshot().items()} == before
    assert ("task", 2) in progress
    assert selectors.search(city.zhao, "孤").total == 0


def test_objects_that_are_gone_leave_the_index(city, indexed):
    report = ProgressReport.objects.get()
    search.remove(EntryKind.REPORT, report.pk)
    assert not SearchEntry.objects.filter(kind=EntryKind.REPORT).exists()
    assert selectors.search(city.zhao, "回头看", kinds=[EntryKind.REPORT]).total == 0
    missing = Task.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    SearchEntry.objects.create(
        kind=EntryKind.TASK, object_id=missing, org_path="", text="x", tokens="x", audience=""
    )
    search.index_objects(EntryKind.TASK, [missing])
    assert not SearchEntry.objects.filter(kind=EntryKind.TASK, object_id=missing).exists()


def test_an_edited_text_is_found_by_its_new_words_only(city, indexed):
    Task.objects.filter(pk=indexed.pk).update(title="开展专项整治")
    search.index_objects(EntryKind.TASK, [indexed.pk])
    assert selectors.search(city.wang, "专项整治").total == 1
    assert selectors.search(city.wang, "回头看", kinds=[EntryKind.TASK]).total == 0


def test_the_full_text_structures_are_in_place(db):
    assert fulltext.missing() == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps its FTS5 table in step by triggers")
def test_reindex_restores_dropped_triggers_and_the_fts_table(city, indexed):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER search_entry_fts_insert")
    assert fulltext.missing() == {"search_entry_fts_insert"}
    search.index_task(Task.objects.get(pk=indexed.pk))  # an update still reaches FTS5...
    SearchEntry.objects.filter(kind=EntryKind.REPORT).delete()
    search.index_report(ProgressReport.objects.get())  # ...an insert does not
    assert selectors.search(city.zhao, "三处").total == 0
    call_command("search", "reindex", stdout=StringIO(), stderr=StringIO())
    assert fulltext.missing() == set()
    assert selectors.search(city.zhao, "三处").total == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN index")
def test_reindex_restores_a_dropped_gin_index(city, indexed):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {fulltext.POSTGRES_INDEX}")
    assert fulltext.missing() == {fulltext.POSTGRES_INDEX}
    search.reindex_all()
    assert fulltext.missing() == set()
    assert selectors.search(city.zhao, "三处").total == 1


def test_the_reindex_command_reports_what_it_indexed(indexed):
    out = StringIO()
    call_command("search", "reindex", "--batch", "50", verbosity=2, stdout=out)
    assert "Search index rebuilt: directive 1, clause 2, task 2, report 1." in out.getvalue()
    assert "task: 2 indexed" in out.getvalue()
