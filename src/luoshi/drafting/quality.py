"""How well the drafting help proposes clauses, measured on the labelled set (``luoshi.drafting.corpus``).

``evaluate()`` runs the analyser on every text with the default taxonomy and reports precision and recall
of clause extraction and the accuracy of focus areas; ``luoshi bench drafting`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from luoshi.drafting.analysis import ClauseProposal, analyze
from luoshi.drafting.corpus import CORPUS, Labelled
from luoshi.drafting.taxonomy import DEFAULT_AREAS

REFERENCE = date(2024, 3, 1)


@dataclass
class TextScore:
    name: str
    expected: int
    proposed: int
    matched: int
    focus_right: int
    missed: list[str]
    extra: list[str]


QUALITY_TIME_LIMIT = 300.0


def score_text(item: Labelled) -> TextScore:
    # Quality is measured, not served: a busy machine must not cut the analysis short (the time limit
    # protects the server from hostile input; these texts are ours).
    proposed = analyze(
        item.text, reference=REFERENCE, areas=DEFAULT_AREAS, time_limit=QUALITY_TIME_LIMIT
    ).clauses
    free: list[ClauseProposal | None] = list(proposed)
    matched = focus_right = 0
    missed = []
    for phrase, focus in item.clauses:
        index = next(
            (i for i, clause in enumerate(free) if clause is not None and phrase in clause.text), None
        )
        if index is None:
            missed.append(phrase)
            continue
        clause = free[index]
        free[index] = None
        matched += 1
        focus_right += clause is not None and clause.focus_code == focus
    return TextScore(
        name=item.name,
        expected=len(item.clauses),
        proposed=len(proposed),
        matched=matched,
        focus_right=focus_right,
        missed=missed,
        extra=[clause.text for clause in free if clause is not None],
    )


def evaluate() -> dict[str, Any]:
    """``precision``, ``recall`` and ``focus_accuracy`` over the labelled set, with per-text details."""
    scores = [score_text(item) for item in CORPUS]
    expected = sum(s.expected for s in scores)
    proposed = sum(s.proposed for s in scores)
    matched = sum(s.matched for s in scores)
    focus_right = sum(s.focus_right for s in scores)
    return {
        "texts": len(scores),
        "expected": expected,
        "proposed": proposed,
        "matched": matched,
        "precision": matched / proposed if proposed else 0.0,
        "recall": matched / expected if expected else 0.0,
        "focus_accuracy": focus_right / matched if matched else 0.0,
        "details": [s.__dict__ for s in scores],
    }
