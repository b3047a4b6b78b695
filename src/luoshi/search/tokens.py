"""An entry's text and index terms from the fields of its object: the one computation both the services
(an object at a time) and the bulk rebuild (in worker processes, ``luoshi.search.bulk``) run.

It imports no models and needs no settings, so a worker process can run it however it was started.
"""

from __future__ import annotations

from collections.abc import Sequence

from luoshi.search import segment
from luoshi.search.text import index_terms, searchable_text


def tokens(text: str) -> str:
    """The index terms of normalized ``text``, as the entry stores them."""
    # Sorted, so that indexing the same text twice writes the same row.
    return " ".join(sorted(index_terms(text, segment.index_words(text))))


def text_and_tokens(fields: Sequence[str | None]) -> tuple[str, str]:
    """The searchable text of an object's fields (in ``services.FIELDS`` order) and its terms."""
    text = searchable_text(f or "" for f in fields)
    return text, tokens(text)


def many(objects: Sequence[Sequence[str | None]]) -> list[tuple[str, str]]:
    """``text_and_tokens`` of each object's fields, in order: one job of a worker process."""
    return [text_and_tokens(fields) for fields in objects]


def warm() -> None:
    """Build the segmenter now (a worker process does it once, before its first job)."""
    segment.tokenizer()
