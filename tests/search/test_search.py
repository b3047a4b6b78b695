"""The search selector: refused queries, kinds, titles and escaped snippets, paging and the cap, and a
number of queries that does not grow with the number of hits."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Value
from django.db.models.functions import StrIndex
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext

from luoshi.core.errors import ValidationFailed
from luoshi.directives.models import Clause, Directive
from luoshi.search import fulltext, selectors
from luoshi.search.models import EntryKind, SearchEntry


@pytest.mark.parametrize("query", [None, "", "   ", "\u3000\n", "，。！", "!!!---", "、", "推" * 101])
def test_empty_punctuation_only_and_long_queries_are_refused(city, query):
    with pytest.raises(ValidationFailed) as refused:
        selectors.search(city.zhao, query)
    assert list(refused.value.fields) == ["q"]


def test_a_hundred_characters_are_accepted(city, work):
    work.task("推" * 100)
    assert selectors.search(city.zhao, "推" * 100).total == 1


def test_unknown_kinds_are_refused(city):
    with pytest.raises(ValidationFailed) as refused:
        selectors.search(city.zhao, "推进", kinds=["task", "meeting"])
    assert list(refused.value.fields) == ["kind"]


def test_hits_have_titles_and_escaped_snippets(city, work):
    task = work.started(work.task("<b>推进</b>老旧小区改造", description="Report on PROGRESS"), city.wang)
    report = work.report(task, city.wang, "本月推进顺利")
    directive = work.directive(
        "推进城市更新方案", by=city.zhao, org=city.government, clauses=("加快推进城市更新。",)
    )
    hits = {(hit.kind, hit.object_id): hit for hit in selectors.search(city.zhao, "推进").hits}
    task_hit = hits[(EntryKind.TASK, task.pk)]
    assert task_hit.title == "<b>推进</b>老旧小区改造"
    assert task_hit.snippet == "&lt;b&gt;<mark>推进</mark>&lt;/b&gt;老旧小区改造"
    assert task_hit.task_id == task.pk
    report_hit = hits[(EntryKind.REPORT, report.pk)]
    assert report_hit.title == f"<b>推进</b>老旧小区改造: report of {report.reported_on.isoformat()}"
    assert report_hit.task_id == task.pk
    assert hits[(EntryKind.DIRECTIVE, directive.pk)].title == "推进城市更新方案"
    clause_hit = next(hit for hit in hits.values() if hit.kind == EntryKind.CLAUSE)
    assert clause_hit.title == "推进城市更新方案, clause 1"
    assert clause_hit.directive_id == directive.pk
    # English is matched in any case; the snippet shows the text as written.
    [english] = selectors.search(city.zhao, "progress").hits
    assert english.snippet == "Report on <mark>PROGRESS</mark>"


def test_kinds_narrow_the_search(city, work):
    task = work.started(work.task("推进老旧小区改造"), city.wang)
    work.report(task, city.wang, "推进顺利")
    only_reports = selectors.search(city.zhao, "推进", kinds=[EntryKind.REPORT])
    assert [hit.kind for hit in only_reports.hits] == [EntryKind.REPORT]


def test_pages_come_newest_first_and_the_count_stops_at_the_cap(city, work, monkeypatch):
    tasks = [work.task(f"推进第{n}项") for n in range(5)]
    first = selectors.search(city.zhao, "推进", limit=2)
    assert [hit.object_id for hit in first.hits] == [tasks[4].pk, tasks[3].pk]
    assert (first.total, first.total_is_exact, first.has_more) == (5, True, True)
    last = selectors.search(city.zhao, "推进", limit=2, offset=4)
    assert [hit.object_id for hit in last.hits] == [tasks[0].pk]
    assert not last.has_more
    monkeypatch.setattr(selectors, "MAX_RESULTS", 3)
    capped = selectors.search(city.zhao, "推进", limit=10)
    assert (capped.total, capped.total_is_exact, len(capped.hits)) == (3, False, 3)


def test_the_number_of_queries_does_not_grow_with_the_hits(city, work):
    task = work.started(work.task("推进一项"), city.wang)
    work.report(task, city.wang, "推进一次")
    work.directive("推进方案", by=city.zhao, org=city.government, clauses=("推进。",))
    selectors.search(city.zhao, "推进")  # the person's scopes are read once per request
    with CaptureQueriesContext(connection) as few:
        assert len(selectors.search(city.zhao, "推进").hits) == 4
    for n in range(6):
        task = work.started(work.task(f"推进第{n}项"), city.wang)
        work.report(task, city.wang, f"推进第{n}次")
    work.directive("推进方案二", by=city.zhao, org=city.government, clauses=("推进一。", "推进二。"))
    with CaptureQueriesContext(connection) as many:
        assert len(selectors.search(city.zhao, "推进").hits) == 19
    assert len(many) == len(few)
    # One statement finds the hits, one per kind reads their titles, and one reads the top-level units
    # (Zhao works at the top, and seeing all of them spares the visibility rules); PostgreSQL also
    # turns JIT off and asks whether the query is common.
    assert len(many) <= 1 + len(EntryKind) + 1 + 2 * (connection.vendor == "postgresql")
    assert not any("EXISTS" in q["sql"] for q in many.captured_queries)


@pytest.mark.parametrize("share", [0.0, 2.0])
def test_common_and_rare_lookups_find_the_same_hits(city, work, monkeypatch, share):
    """PostgreSQL answers a common query without the text terms and a rare one with them (SQLite
    always uses them); either way the hits are the same."""
    work.task("推进老旧小区改造", description="Energy report")
    work.task("推进能耗双控", lead=city.tiedong)
    work.task("河长制", lead=city.ecology_bureau)
    monkeypatch.setattr(fulltext, "COMMON_SHARE", share)
    for query, expected in [("推进", 2), ("能耗双控", 1), ("REPORT", 1), ("河", 1), ("zz", 0)]:
        assert selectors.search(city.zhao, query).total == expected, query
        assert selectors.search(city.sun, query).total == (query in {"推进", "能耗双控"}), query


def _matching_rows(needle, audience, *, kinds, common=False, sample=None):
    """What ``fulltext.matching`` reads through the ORM for a searcher no visibility rule narrows."""
    entries = SearchEntry.objects.all()
    if kinds is not None:
        entries = entries.filter(kind__in=kinds)
    entries = entries.alias(position=StrIndex("text", Value(needle))).filter(position__gt=0)
    _needle, terms = selectors.parse_query(needle)
    matched = fulltext.matching(entries, terms, audience, common=common).values_list(*fulltext.FOUND_COLUMNS)
    if sample is not None:
        return fulltext.sampled(matched[:100], sample)
    if common and audience is None:
        # A common query with nothing else to narrow by is read newest first (``fulltext.found``).
        matched = matched.order_by("-pk")
    return list(matched[:100])


@pytest.mark.parametrize("common", [False, True])
def test_the_written_out_lookup_reads_what_matching_reads(city, work, common):
    """``fulltext.found`` (the statement of a searcher who sees every entry) reads the rows, in their order,
    that ``matching`` over the same entries reads: every kind or some, narrowed by units or not."""
    task = work.started(work.task("推进老旧小区改造", description="Energy REPORT"), city.wang)
    work.report(task, city.wang, "推进顺利", problems="资金不足")
    work.task("推进能耗双控", lead=city.tiedong)
    work.directive("推进城市更新方案", by=city.zhao, org=city.government, clauses=("加快推进城市更新。",))
    if common and connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL reads common queries without their terms")
    tiexi, top = selectors._audience(city.wang), selectors._audience(city.zhao)
    for needle in ("推进", "能耗双控", "report", "r", "资金", "zz"):
        _needle, terms = selectors.parse_query(needle)
        for audience in (None, tiexi, top, []):
            for kinds in (None, [EntryKind.TASK], [EntryKind.CLAUSE, EntryKind.REPORT]):
                expected = _matching_rows(needle, audience, kinds=kinds, common=common)
                found = fulltext.found(needle, terms, audience, kinds=kinds, limit=100, common=common)
                assert found == expected, (needle, audience, kinds)
                if connection.vendor == "postgresql":
                    sampled = _matching_rows(needle, audience, kinds=kinds, common=True, sample=100.0)
                    kw = {"kinds": kinds, "limit": 100, "common": True, "sample": 100.0}
                    assert fulltext.found(needle, terms, audience, **kw) == sampled


def test_searchers_who_see_everything_and_those_the_rules_narrow_get_their_hits(city, work):
    """Zhao (every top-level unit) and a superuser are answered by the written-out statement, Wang by the
    rules: each gets exactly the hits the visibility rules allow, newest first."""
    mine = work.started(work.task("推进老旧小区改造"), city.wang)
    work.report(mine, city.wang, "推进顺利")
    theirs = work.task("推进能耗双控", lead=city.tiedong)
    root = type(city.admin).objects.create_superuser("root", password="Luoshi-root-2026")
    everything = [(hit.kind, hit.object_id) for hit in selectors.search(city.zhao, "推进").hits]
    assert [(hit.kind, hit.object_id) for hit in selectors.search(root, "推进").hits] == everything
    assert (EntryKind.TASK, theirs.pk) in everything
    wangs = [(hit.kind, hit.object_id) for hit in selectors.search(city.wang, "推进").hits]
    assert wangs == [key for key in everything if key != (EntryKind.TASK, theirs.pk)]
    with CaptureQueriesContext(connection) as queries:
        selectors.search(city.zhao, "推进")
    # No visibility subquery, and no unit's audience narrows the lookup (every entry names a top unit).
    assert not any("EXISTS" in q["sql"] for q in queries.captured_queries)
    assert not any("§" in q["sql"] for q in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        selectors.search(city.wang, "推进")
    assert any("§" in q["sql"] and "EXISTS" in q["sql"] for q in queries.captured_queries)


def test_records_read_as_the_orm_reads_them(city, work):
    """Titles and searched fields of every kind, written out, are what the models' values are, empty
    fields included, in any language."""
    task = work.started(work.task("<b>推进</b>老旧小区改造", description="说明"), city.wang)
    report = work.report(task, city.wang, "本月推进顺利", problems="资金不足")
    clause_texts = ("推进一。", "推进二。")
    directive = work.directive("推进方案", by=city.zhao, org=city.government, clauses=clause_texts)
    Directive.objects.filter(pk=directive.pk).update(doc_number="鞍政办发〔2024〕3号", issuing_body="")
    directive.refresh_from_db()
    clauses = list(Clause.objects.filter(directive=directive).order_by("ordinal"))
    expected = {
        EntryKind.TASK: {task.pk: ("<b>推进</b>老旧小区改造", ["<b>推进</b>老旧小区改造", "说明", ""])},
        EntryKind.REPORT: {
            report.pk: (
                f"<b>推进</b>老旧小区改造: report of {report.reported_on.isoformat()}",
                ["本月推进顺利", "资金不足", ""],
            )
        },
        EntryKind.CLAUSE: {c.pk: (f"推进方案, clause {c.ordinal}", [c.heading, c.text]) for c in clauses},
        EntryKind.DIRECTIVE: {directive.pk: (str(directive), ["推进方案", "鞍政办发〔2024〕3号", ""])},
    }
    for kind, records in expected.items():
        read = selectors._records(kind, [*records, 10**9])
        assert {pk: (r.title, r.fields) for pk, r in read.items()} == records, kind
    with translation.override("zh-hans"):
        [title] = [r.title for r in selectors._records(EntryKind.REPORT, [report.pk]).values()]
        pattern = gettext("%(task)s: report of %(date)s")
    assert title == pattern % {"task": task.title, "date": report.reported_on.isoformat()}
    assert "report of" not in title
