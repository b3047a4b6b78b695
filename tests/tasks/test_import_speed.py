"""The import's shortcuts leave the record a one-at-a-time registration would: the search entries of
imported tasks are those a reindex writes, and the cheaper segmentation adds the same index terms."""

from __future__ import annotations

import random

import pytest

from luoshi.search import segment
from luoshi.search import services as search
from luoshi.search.models import EntryKind, SearchEntry
from luoshi.search.text import audience_term, index_terms, normalize
from luoshi.tasks.models import Task
from tests.search.corpus import texts
from tests.tasks.test_import import run, workbook

ENTRY_FIELDS = ("kind", "object_id", "task_id", "directive_id", "org_path", "text", "tokens", "audience")


def _entries(kind: str, ids: list[int]) -> dict[int, tuple]:
    rows = SearchEntry.objects.filter(kind=kind, object_id__in=ids).values_list(*ENTRY_FIELDS)
    return {row[1]: row for row in rows}


def test_imported_tasks_are_indexed_as_a_reindex_indexes_them(desk):
    rows = [
        [1, "推进老旧小区改造 (phase 1)", "铁西区", "铁东区、生态环境局", "", "年底前", ""],
        [2, "Drainage works：排水管网改造第二阶段", "铁东区", "", "", "6月底前", ""],
        [3, "空气质量优良天数比例达到85%", "生态环境局", "铁西区", "", "年底前", ""],
    ]
    assert run(desk, workbook(rows)).created == 3
    ids = list(Task.objects.filter(directive=desk.directive, depth=1).values_list("pk", flat=True))
    imported = _entries(EntryKind.TASK, ids)
    assert len(imported) == 3

    search.index_objects(EntryKind.TASK, ids)

    assert _entries(EntryKind.TASK, ids) == imported


def test_the_directive_is_seen_from_every_unit_an_imported_task_names(desk):
    city = desk.city
    rows = [[1, "开展河长制回头看", "铁西区兴盛街道", "铁东区站前街道", "", "年底前", ""]]
    assert run(desk, workbook(rows)).created == 1
    audience = set(
        SearchEntry.objects.filter(kind=EntryKind.DIRECTIVE, object_id=desk.directive.pk)
        .values_list("audience", flat=True)
        .get()
        .replace("'", "")
        .split()
    )
    for unit in (city.tiexi_street, city.tiexi, city.tiedong_street, city.tiedong, city.government):
        assert audience_term(unit.pk) in audience


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_index_words_add_the_same_terms_as_every_word(seed):
    samples = [normalize(t) for t in texts(seed, 200)]
    samples += [
        "本周完成排水管网改造第二阶段，推进顺利。drainage works: phase 2 done.",
        "导入任务第12项：推进排水管网改造 (imported task 12)",
        "单位gdp能耗下降3.5%，碳达峰行动方案",
        "",
    ]
    rng = random.Random(seed)
    samples += ["".join(rng.sample(s, len(s))) for s in samples[:50]]
    for text in samples:
        assert index_terms(text, segment.index_words(text)) == index_terms(text, segment.words(text)), text
