"""``luoshi bench load`` fingerprints every report it loads, as the reporting service would have."""

from __future__ import annotations

from pathlib import Path

import pytest

from luoshi.bench import load as bench_load
from luoshi.evaluation import engine
from luoshi.evaluation.models import ReportFingerprint
from luoshi.tasks.models import ProgressReport

pytestmark = pytest.mark.django_db


def test_a_loaded_dataset_leaves_every_report_fingerprinted(tiny_dataset: Path) -> None:
    result = bench_load.load(tiny_dataset, index=False)
    reports = ProgressReport.objects.values_list("pk", "narrative", "problems", "next_steps")
    assert result.counts["reports.csv"] == len(reports) > 0
    stored = dict(ReportFingerprint.objects.values_list("report_id", "digest"))
    assert stored == {
        pk: engine.fingerprint({"narrative": n, "problems": p, "next_steps": s})[0] for pk, n, p, s in reports
    }
