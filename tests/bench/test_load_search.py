"""``luoshi bench load`` builds the search index in bulk (``luoshi.search.bulk``): the entries are those
``reindex_all`` would write, so searches over a loaded dataset find what they would on a grown index."""

from __future__ import annotations

from pathlib import Path

import pytest

from luoshi.bench import load as bench_load
from luoshi.search import fulltext
from luoshi.search import services as search
from luoshi.search.models import SearchEntry
from luoshi.tasks.models import ProgressReport, Task
from tests.search.test_bulk import entries

pytestmark = pytest.mark.django_db


def test_the_loaded_index_is_the_one_reindex_all_writes(tiny_dataset: Path) -> None:
    bench_load.load(tiny_dataset)
    loaded = entries()
    assert len(loaded) >= Task.objects.count() + ProgressReport.objects.count()
    assert fulltext.missing() == set()
    SearchEntry.objects.all().delete()
    search.reindex_all()
    assert entries() == loaded
