"""The text rules without a database: normalization, index and query terms (including the property that
makes recall complete), snippets, and the quoting of lookups."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from luoshi.search import fulltext, segment, text
from luoshi.search.text import (
    Term,
    highlight,
    index_terms,
    normalize,
    query_terms,
    searchable_text,
)
from tests.search import corpus


def test_normalization_folds_width_case_and_spaces():
    assert normalize("  ＡＢＣ\u3000１２３\n\tReport ") == "abc 123 report"
    assert normalize("Ⅻ ﬁ ㍿") == "xii fi 株式会社"
    assert searchable_text(["标题", "", "  描述  "]) == "标题\n描述"


def _nfkc_normalize(value: str) -> str:
    """``normalize`` as its docstring states it, without the short cut for full-width forms."""
    return " ".join(unicodedata.normalize("NFKC", value).lower().split())


def test_every_character_normalizes_as_nfkc_has_it_alone_and_beside_full_width_and_combining_ones():
    for code in range(0x20, 0x30000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        for neighbour in ("", "a", "Ａ", "\u0301", "Ｅ\u0301", "ｶ"):
            for value in (char + neighbour, neighbour + char):
                assert normalize(value) == _nfkc_normalize(value), value


# Full-width forms, the letters and marks they may combine with, Chinese punctuation, spaces.
_MIXED = st.text(
    st.sampled_from([chr(c) for c in range(0xFF00, 0xFF70)] + list("aEz \u0301\u0308\u3000\t。、养老ﬁ"))
)


@settings(max_examples=500, deadline=None)
@given(value=_MIXED)
def test_full_width_forms_mapped_first_normalize_as_nfkc_does(value):
    assert normalize(value) == _nfkc_normalize(value)


def test_chinese_is_indexed_by_characters_and_pairs_and_words_by_trigrams():
    terms = index_terms("能耗双控 report")
    assert {"能", "耗", "双", "控", "能耗", "耗双", "双控"} <= terms
    assert {"rep", "epo", "por", "ort", "rt", "t", "report"} <= terms
    assert "能耗双控" not in terms  # only segmenter words longer than a pair are added, and none was given


def test_query_terms():
    assert query_terms("进") == [Term("进")]
    assert set(query_terms("能耗双控")) == {Term("能耗"), Term("耗双"), Term("双控")}
    assert query_terms("pm") == [Term("pm", prefix=True)]
    assert set(query_terms(normalize("〔2022〕12号"))) == {
        Term("202"),
        Term("022"),
        Term("12", prefix=True),
        Term("号"),
    }
    assert query_terms("，。！") == []


def test_the_user_dictionary_keeps_government_terms_whole():
    words = segment.words("开展回头看，落实能耗双控，推动三篇大文章")
    assert {"回头看", "能耗双控", "三篇大文章"} <= set(words)
    assert "回头看" in index_terms("开展回头看", words)
    assert "督查督办" in segment.user_terms()


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6), data=st.data())
def test_every_piece_of_a_text_finds_all_its_lookups_among_the_texts_terms(seed, data):
    """The reason search never misses a hit: the lookups of any substring of a (normalized) text are
    all satisfied by that text's terms, and every term is itself a substring of the text."""
    text = normalize(corpus.texts(seed, 1)[0])
    terms = index_terms(text, segment.words(text))
    assert all(term in text for term in terms)
    start = data.draw(st.integers(0, max(0, len(text) - 1)))
    piece = text[start : start + data.draw(st.integers(1, 8))].strip()
    for term in query_terms(piece):
        if term.prefix:
            assert any(t.startswith(term.text) for t in terms), (text, piece, term)
        else:
            assert term.text in terms, (text, piece, term)


def test_highlight_escapes_and_marks_every_occurrence():
    snippet = highlight("<b>推进</b> 再推进", "推进")
    assert snippet == "&lt;b&gt;<mark>推进</mark>&lt;/b&gt; 再<mark>推进</mark>"
    assert highlight("没有", "推进") is None


def test_highlight_marks_the_original_characters_behind_normalized_ones():
    assert highlight("ＲＥＰＯＲＴ due", "report") == "<mark>ＲＥＰＯＲＴ</mark> due"
    assert highlight("东京㍿", "会社") == "东京<mark>㍿</mark>"
    long = "前" * 100 + "推进" + "后" * 100
    snippet = highlight(long, "推进")
    assert snippet is not None
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert "<mark>推进</mark>" in snippet


def _one_to_one_characters() -> list[str]:
    ranges = re.findall(r"(.)(?:-(.))?", text._ONE_TO_ONE)
    return [chr(c) for first, last in ranges for c in range(ord(first), ord(last or first) + 1)]


def test_the_characters_mapped_position_for_position_become_one_character_each():
    for char in _one_to_one_characters():
        piece = unicodedata.normalize("NFKC", char).lower()
        assert len(piece) == 1, char
        assert not piece.isspace(), char
        assert unicodedata.combining(char) == unicodedata.combining(piece) == 0, char


_PLAIN = st.text(st.sampled_from([*_one_to_one_characters()[::97], "Ａ", "ｚ", "，", "。", "A", " "]))


@settings(max_examples=300, deadline=None)
@given(value=_PLAIN)
def test_texts_of_those_characters_map_as_character_by_character(value):
    normalized = normalize(value)
    fast = text._offsets(value, normalized)
    # The same text with a character outside the class at its end takes the long way.
    slow = text._offsets(value + "ﬁ", normalize(value + "ﬁ"))
    if text._ONE_TO_ONE_TEXT.fullmatch(value):
        assert slow is not None
        assert fast == slow[: len(normalized)]
        assert "".join(value[i] for i in fast) == value


def test_lookups_are_quoted():
    assert fulltext.fts5_query([Term('a"b'), Term("cd", prefix=True)]) == '"a""b" AND "cd"*'
    assert fulltext.fts5_query([Term("推进")], ["§1", "§7"]) == '("推进") AND ("§1" OR "§7")'
    assert fulltext.tsquery([Term("it's"), Term("a\\b", prefix=True)]) == "'it''s' & 'a\\\\b':*"


def _terms_by_the_rules(value: str, words: list[str]) -> set[str]:
    """``index_terms`` as the module docstring states it, run by run, with nothing remembered."""
    terms: set[str] = set()
    for cjk, run in text.runs(value):
        if cjk:
            terms.update(run)
            terms.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            terms.update(run[i : i + 3] for i in range(len(run)))
            if 3 < len(run) <= text.MAX_WORD:
                terms.add(run)
    terms.update(w for w in words if len(w) > 2 and re.fullmatch(f"[{text._CJK}]+", w))
    return terms


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_index_terms_are_the_rules_terms_whether_or_not_a_run_was_met_before(seed):
    long_runs = "推进排水管网改造" * 4 + " " + "abcdefghij" * 5 + " 第" + "三" * 40
    for value in (*(normalize(t) for t in corpus.texts(seed, 3)), normalize(long_runs)):
        words = segment.words(value)
        assert index_terms(value, words) == _terms_by_the_rules(value, words)
        assert index_terms(value, words) == _terms_by_the_rules(value, words)  # from remembered runs
