"""The labelled set: at least twelve texts in Chinese and English, and the thresholds the issue sets."""

from __future__ import annotations

from luoshi.drafting.corpus import CORPUS
from luoshi.drafting.quality import evaluate


def test_the_labelled_set_covers_both_languages_and_the_kinds_of_text():
    assert len(CORPUS) >= 12
    names = {item.name for item in CORPUS}
    assert sum(name.startswith("zh-") for name in names) >= 5
    assert sum(name.startswith("en-") for name in names) >= 5
    assert {
        "zh-inspection-feedback",
        "en-inspection-feedback",
        "zh-meeting-report",
        "en-meeting-report",
    } <= names


def test_clause_extraction_meets_the_thresholds():
    result = evaluate()
    assert result["recall"] >= 0.9, result["details"]
    assert result["precision"] >= 0.85, result["details"]
    assert result["focus_accuracy"] >= 0.8
    assert set(result) >= {"precision", "recall", "focus_accuracy"}
