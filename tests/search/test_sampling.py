"""PostgreSQL answers a query common in the table (though not among its newest entries) from a sample
of the table's pages: the hits are still exactly those that contain the query, and a sample that holds
too few hands over to the GIN index."""

from __future__ import annotations

import pytest
from django.db import connection

from luoshi.search import fulltext, selectors
from luoshi.search.models import EntryKind, SearchEntry
from luoshi.search.text import audience_term

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's sampled lookup")


@pytest.fixture
def always_sampled(monkeypatch):
    """Every query counts as common in the table and rare among the newest entries."""
    monkeypatch.setattr(fulltext, "COMMON_SHARE", 2.0)
    monkeypatch.setattr(fulltext, "SAMPLE_MIN_ENTRIES", 0)
    monkeypatch.setattr(fulltext, "SCAN_COST", 0.0)


def _analyze() -> None:
    # The probe sizes itself by the table's statistics.
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {SearchEntry._meta.db_table}")


def test_a_sample_with_too_few_hits_hands_over_to_the_index(city, work, always_sampled):
    work.task("推进老旧小区改造", description="Energy report")
    work.task("推进能耗双控", lead=city.tiedong)
    work.task("河长制", lead=city.ecology_bureau)
    _analyze()
    assert fulltext.plan("推进", None, wanted=1001) == fulltext.Lookup(sample=100.0)
    for query, expected in [("推进", 2), ("能耗双控", 1), ("REPORT", 1), ("河", 1)]:
        assert selectors.search(city.zhao, query).total == expected, query
        assert selectors.search(city.sun, query).total == (query in {"推进", "能耗双控"}), query


def test_past_the_cap_the_hits_come_from_the_sample(city, always_sampled, monkeypatch):
    seen_by = audience_term(city.government.pk)
    SearchEntry.objects.bulk_create(
        SearchEntry(
            kind=EntryKind.TASK,
            object_id=10_000 + n,
            task_id=10_000 + n,
            org_path=city.government.path,
            text=f"第{n}项 推进养老服务" if n % 2 else f"第{n}项 养老其他工作",
            tokens="养 老",
            audience=seen_by,
        )
        for n in range(2_400)
    )
    _analyze()
    read: list[tuple] = []
    sampled, found = fulltext.sampled, fulltext.found

    def spy(qs, percent):
        rows = sampled(qs, percent)
        read.extend(rows)
        return rows

    def spy_found(*args, **kwargs):
        rows = found(*args, **kwargs)
        if kwargs.get("sample") is not None:
            read.extend(rows)
        return rows

    # Zhao sees every unit, so his search is the written-out statement (``found``); others sample
    # through ``sampled``.
    monkeypatch.setattr(fulltext, "sampled", spy)
    monkeypatch.setattr(fulltext, "found", spy_found)
    results = selectors.search(city.zhao, "养老服务")
    assert (results.total, results.total_is_exact) == (selectors.MAX_RESULTS, False)
    # The sample answered, with entries that contain the query and nothing else.
    assert len(read) == selectors.MAX_RESULTS + 1
    texts = SearchEntry.objects.filter(pk__in=[row[0] for row in read]).values_list("text", flat=True)
    assert all("养老服务" in text for text in texts)
    # Only the entries the person may see: none of these for a district's handler.
    assert selectors.search(city.sun, "养老服务").total == 0


def test_no_sampling_on_small_tables(db):
    _analyze()
    assert fulltext.plan("推进", None, wanted=1001) == fulltext.Lookup()
