"""The bulk rebuild (``luoshi.search.bulk``): the very entries ``reindex_all`` writes, in the same order,
the same hits, the full-text structures in place afterwards, and a damaged index replaced."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from luoshi.search import bulk, fulltext, selectors
from luoshi.search import services as search
from luoshi.search.models import EntryKind, SearchEntry

QUERIES = ("回头看", "整改", "能耗双控", "看", "drainage", "dr", "方案", "周")


@pytest.fixture
def indexed(city, work):
    """Everything an audience can come from: cooperating units, a task under a directive's clause (which
    widens the directive's audience), reports, a second directive without tasks, English words."""
    directive = work.directive(
        "督查督办工作方案", by=city.zhao, org=city.government, clauses=("开展回头看。", "按序时进度推进。")
    )
    clause = directive.clauses.order_by("ordinal").first()
    task = work.started(
        work.task("开展回头看", cooperating=(city.tiedong,), clause=clause, description="Drainage works"),
        city.wang,
    )
    work.report(task, city.wang, "回头看发现问题三处", problems="整改中")
    work.report(task, city.wang, "本周完成排水管网改造。Drainage phase 2 done.")
    street = work.started(work.task("背街小巷整治", lead=city.tiexi_street), city.chen)
    work.report(street, city.chen, "整改完成一半")
    work.task("能耗双控", lead=city.ecology_bureau)
    work.directive("优化营商环境实施方案", by=city.li, org=city.ecology_bureau)
    return task


def entries() -> dict[tuple[str, int], tuple]:
    """Every entry by object, without its id: facts, text, and terms as sets (PostgreSQL reorders them)."""
    rows = SearchEntry.objects.values_list(
        "kind", "object_id", "task_id", "directive_id", "org_path", "text", "tokens", "audience"
    )
    return {
        (kind, object_id): (*facts, fulltext.read_terms(tokens), fulltext.read_terms(audience))
        for kind, object_id, *facts, tokens, audience in rows
    }


def creation_order() -> list[tuple[str, int]]:
    return list(SearchEntry.objects.order_by("pk").values_list("kind", "object_id"))


def hits(city) -> dict[tuple[str, str], list[tuple[str, int]]]:
    """Each person's hits of each query, in the order listed."""
    people = {"zhao": city.zhao, "wang": city.wang, "sun": city.sun, "chen": city.chen, "li": city.li}
    return {
        (name, query): [(h.kind, h.object_id) for h in selectors.search(person, query, limit=1000).hits]
        for name, person in people.items()
        for query in QUERIES
    }


def as_sets(
    found: dict[tuple[str, str], list[tuple[str, int]]],
) -> dict[tuple[str, str], set[tuple[str, int]]]:
    return {key: set(value) for key, value in found.items()}


@pytest.fixture
def from_scratch(indexed) -> dict[tuple[str, int], tuple]:
    """What ``reindex_all`` writes into an empty index."""
    SearchEntry.objects.all().delete()
    search.reindex_all()
    return entries()


@pytest.mark.parametrize("workers", [0, 2])
def test_the_rebuild_writes_what_reindex_all_writes(city, from_scratch, workers):
    found = hits(city)
    counts = bulk.rebuild(workers=workers)
    assert counts == {"directive": 2, "clause": 2, "task": 3, "report": 3}
    assert entries() == from_scratch
    # Created kind by kind as ``reindex_all`` goes, and each kind in the order its records were made, so
    # that hits list newest first as in an index the services grew.
    order = creation_order()
    assert order == sorted(order, key=lambda key: (search.REINDEX_ORDER.index(key[0]), key[1]))
    after = hits(city)
    assert as_sets(after) == as_sets(found)
    assert sum(len(listed) for listed in after.values()) > 20
    # ``reindex_all`` creates the entries of a batch in the model's order (reports newest first); here
    # the newest record of a kind is the newest entry, listed first.
    for query, kind in (("整改", "report"), ("方案", "directive")):
        listed = after[("zhao", query)]
        assert len(listed) == 2
        assert listed == sorted(((kind, object_id) for _, object_id in listed), reverse=True)
    assert fulltext.missing() == set()


def test_the_audiences_are_those_of_the_visibility_rules(city, from_scratch):
    bulk.rebuild(workers=0)
    # Sun's district cooperates on the task, so he finds it, its reports and its directive's clause.
    kinds = {h.kind for h in selectors.search(city.sun, "回头看").hits}
    assert kinds == {EntryKind.TASK, EntryKind.REPORT, EntryKind.CLAUSE}
    # The street's handler sees the street's task, not the district's.
    assert [h.kind for h in selectors.search(city.chen, "整改").hits] == [EntryKind.REPORT]


def test_the_rebuild_replaces_a_damaged_index(city, from_scratch):
    SearchEntry.objects.filter(kind=EntryKind.REPORT).delete()
    SearchEntry.objects.filter(kind=EntryKind.TASK).update(text="走样", org_path=city.tiedong.path)
    SearchEntry.objects.create(
        kind=EntryKind.TASK, object_id=999_999, org_path="", text="孤儿", tokens="孤", audience=""
    )
    done: list[tuple[str, int]] = []
    bulk.rebuild(workers=1, progress=lambda kind, count: done.append((kind, count)))
    assert entries() == from_scratch
    assert selectors.search(city.zhao, "孤").total == 0
    assert ("report", 3) in done


def test_the_rebuild_restores_what_it_dropped_as_the_migrations_made_it(indexed):
    before = _structures()
    bulk.rebuild(workers=0)
    assert _structures() == before
    assert fulltext.missing() == set()


def _structures() -> set[tuple[str, ...]]:
    """The entry table's indexes, constraints and triggers, as the database describes them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_searchentry'"
                " UNION SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = 'search_searchentry'::regclass"
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE tbl_name IN ('search_searchentry', 'search_fts') AND name NOT LIKE 'search_fts_%'"
            )
        return {tuple(row) for row in cursor.fetchall()}


def test_a_change_made_after_a_rebuild_is_indexed_as_usual(city, work, indexed):
    bulk.rebuild(workers=0)
    task = work.task("垃圾分类 drainage survey", lead=city.tiedong)
    assert [h.object_id for h in selectors.search(city.sun, "垃圾分类").hits] == [task.pk]
    assert selectors.search(city.sun, "survey").total == 1


def test_the_reindex_command_rebuilds_in_bulk(indexed):
    out = StringIO()
    call_command("search", "reindex", "--bulk", "--workers", "0", verbosity=2, stdout=out)
    assert "Search index rebuilt: directive 2, clause 2, task 3, report 3." in out.getvalue()
    assert "report: 3 indexed" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL reads on a connection of its own")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_records_are_read_on_their_own_connection(city, from_scratch):
    """No transaction around it: the records are read in autocommit beside the writing transaction,
    which must still see every one of them."""
    assert not connection.in_atomic_block
    bulk.rebuild(workers=2)
    assert entries() == from_scratch
