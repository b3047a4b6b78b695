"""Text rules of search: normalization, index terms, query terms and highlighted snippets.

The contract (DESIGN §10) is that a search finds exactly what a substring search over normalized text
finds. Normalization is NFKC (full-width letters, digits and punctuation become their ordinary forms),
lower case, and every run of whitespace as one space. An object's searchable text is its fields, each
normalized, joined by newlines: a query never contains a newline, so it never matches across two fields.

The index only narrows the candidates; a real substring test on the normalized text decides. That test
cannot invent hits, so the index must never lose one, and it does not, because every query term is
a piece of the query that every text containing the query also yields as a term:

- Text is cut into runs of "letters" (``str.isalnum``); everything else (spaces, punctuation, symbols)
  separates runs and is not indexed. A run is either CJK (Han, kana, Hangul, Bopomofo) or a word of
  other letters and digits (Latin, Cyrillic, …). Runs are decided character by character, so each run
  of a query lies inside a run of any text that contains the query.
- CJK runs yield every character and every two-character sequence. A one-character query looks up
  the character; a longer one looks up all of its two-character sequences.
- Word runs yield, at every position, the next three characters (fewer at the end of the run). A query
  word of three characters or more looks up all of its three-character sequences; a word of one or two
  characters is a prefix lookup (``ab*``), since every occurrence of "ab" starts some indexed term.
- Whole words (up to ``MAX_WORD``) and jieba's words from the government user dictionary are added for
  ranking and for the drafting help. They are substrings of the text, so a term lookup that happens
  to meet one still only finds texts that contain the query.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from operator import add

from django.utils.safestring import SafeString, mark_safe

# Queries longer than this (after normalization) are refused: nobody types more, and the index lookups
# of a query grow with its length.
MAX_QUERY = 100
# Only the start of a very long text is searchable (the PostgreSQL tsvector of one row must stay under
# 1 MB); a report or description this long does not occur in practice.
MAX_TEXT = 100_000
# Whole words longer than this are not added as terms (a pasted hash or URL); their trigrams still are.
MAX_WORD = 32
# Characters of context kept on each side of the first hit in a snippet.
SNIPPET_CONTEXT = 40
SNIPPET_LENGTH = 2 * SNIPPET_CONTEXT + 40
# Runs up to this long have their terms remembered (``_run_terms``), at most ``RUN_CACHE`` of them.
CACHED_RUN = 24
RUN_CACHE = 20_000

# Scripts written without spaces between words, indexed by characters and character pairs. Only
# letters: the kana middle dot and double hyphen (U+30FB, U+30A0) are punctuation.
_CJK = (
    "\u3005\u3007\u3021-\u3029\u3038-\u303b"  # iteration marks, Hangzhou numerals
    "\u3041-\u3096\u309d-\u309f"  # hiragana
    "\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"  # katakana
    "\u3105-\u312f\u31a0-\u31bf"  # bopomofo
    "\u1100-\u11ff\u3131-\u318e\uac00-\ud7a3"  # hangul
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs, extension A, compatibility
    "\U00020000-\U000323af"  # CJK ideographs, extensions B to H and the compatibility supplement
)
# [^\W_] is "alphanumeric" (str.isalnum); the word class takes the CJK characters out of it.
_RUN = re.compile(rf"(?P<cjk>[{_CJK}]+)|(?P<word>[^\W_{_CJK}]+)")
_CJK_ONLY = re.compile(rf"[{_CJK}]+")


# The full-width forms of ASCII (U+FF01–U+FF5E) as NFKC maps them, each to one ASCII character. Chinese
# text is full of them (，：（）), and a text holding one is no longer normalized as it stands: NFKC then
# composes the whole text again, ten times the cost of checking it. Mapping them first gives the same
# result (NFKC decomposes each of them to that one character and composes nothing with it), and most
# texts are then found normalized at once. A text holds few of them: replacing those found is quicker
# than translating every character.
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")
_HALF_WIDTH = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}


def _half_width(match: re.Match[str]) -> str:
    return _HALF_WIDTH[match.group()]


def normalize(value: str) -> str:
    """NFKC, lower case, whitespace runs as one space, trimmed: the form both texts and queries take."""
    value = _FULL_WIDTH.sub(_half_width, value)
    if not unicodedata.is_normalized("NFKC", value):
        value = unicodedata.normalize("NFKC", value)
    return " ".join(value.lower().split())


def searchable_text(fields: Iterable[str]) -> str:
    """The text an object is searched by: its non-empty fields, normalized, one per line."""
    text = "\n".join(n for n in (normalize(f) for f in fields if f) if n)
    return text[:MAX_TEXT]


def runs(text: str) -> Iterable[tuple[bool, str]]:
    """The indexable runs of normalized ``text`` as ``(is_cjk, run)``."""
    for match in _RUN.finditer(text):
        yield match.lastgroup == "cjk", match.group()


def index_terms(text: str, words: Iterable[str] = ()) -> set[str]:
    """The index terms of normalized ``text``; ``words`` are its segmenter words (see module docstring)."""
    terms: set[str] = set()
    for run in _ANY_RUN.findall(text):
        terms.update(_run_terms(run) if len(run) <= CACHED_RUN else _terms_of_run(run))
    # Only whole-CJK words longer than a pair add anything; shorter ones are already terms.
    terms.update(w for w in words if len(w) > 2 and _CJK_ONLY.fullmatch(w))
    return terms


# The runs of ``runs`` without saying which kind each is: a run is all CJK or has no CJK at all.
_ANY_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")


def _terms_of_run(run: str) -> tuple[str, ...]:
    """The index terms of one run: of a CJK run every character and every two-character sequence, of a
    word the next three characters at every position and (up to ``MAX_WORD``) the word itself."""
    if _CJK_ONLY.match(run):
        return (*run, *map(add, run, run[1:]))
    terms = [run[i : i + 3] for i in range(len(run))]
    if 3 < len(run) <= MAX_WORD:
        terms.append(run)
    return tuple(terms)


# Remembered for short runs: the same ones recur from text to text (phrases, unit names, numbers), and
# cutting them up was most of the cost of a text's terms. Long runs are rarely met twice.
_run_terms = functools.lru_cache(maxsize=RUN_CACHE)(_terms_of_run)


def audience_term(org_id: int) -> str:
    """The term naming a unit in an entry's audience. "§" is not a letter, so no text term equals it."""
    return f"§{org_id}"


@dataclass(frozen=True, order=True)
class Term:
    """One lookup of a query: an exact index term, or (``prefix``) any term that starts with ``text``."""

    text: str
    prefix: bool = False


def query_terms(needle: str) -> list[Term]:
    """The lookups every text containing normalized ``needle`` satisfies (all of them must match)."""
    terms: set[Term] = set()
    for cjk, run in runs(needle):
        if cjk:
            if len(run) == 1:
                terms.add(Term(run))
            else:
                terms.update(Term(run[i : i + 2]) for i in range(len(run) - 1))
        elif len(run) >= 3:
            terms.update(Term(run[i : i + 3]) for i in range(len(run) - 2))
        else:
            terms.add(Term(run, prefix=True))
    return sorted(terms)


# --- snippets -------------------------------------------------------------------------------------


# What each character becomes on its own (NFKC, lower case, whitespace as one space), remembered for the
# snippets of every search; bounded, since any text may bring characters not seen before.
_PIECES: dict[str, str] = {}
_PIECES_LIMIT = 20_000


def _pieces(char: str) -> str:
    pieces = _PIECES.get(char)
    if pieces is None:
        pieces = "".join(" " if p.isspace() else p for p in unicodedata.normalize("NFKC", char).lower())
        if len(_PIECES) < _PIECES_LIMIT:
            _PIECES[char] = pieces
    return pieces


# Characters that normalization turns into exactly one other character (or leaves alone), which is never
# a space and never combines with its neighbours: printable ASCII, CJK ideographs, the full-width forms
# of ASCII, the ideographic comma, full stop and brackets, and curly quotes (tests/search/test_text.py
# checks each one). A text of such runs with single spaces between them maps position for position.
_ONE_TO_ONE = "\x21-\x7e\u2018\u2019\u201c\u201d\u3001\u3002\u3008-\u3011\u4e00-\u9fff\uff01-\uff5e"
_ONE_TO_ONE_TEXT = re.compile(f"[{_ONE_TO_ONE}]+(?: [{_ONE_TO_ONE}]+)*")


def _offsets(value: str, normalized: str) -> list[int] | None:
    """For each character of ``normalized`` (``normalize(value)``), the index in ``value`` of the
    character it came from.

    Built character by character; in the rare texts where that differs from normalizing the whole
    string (a combining accent after its letter, a Greek final sigma) there is no mapping: ``None``.
    Most texts need no building: ``_ONE_TO_ONE_TEXT``.
    """
    if _ONE_TO_ONE_TEXT.fullmatch(value):
        return list(range(len(value)))
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(value):
        for piece in _pieces(char):
            if piece == " " and (not out or out[-1] == " "):
                continue
            out.append(piece)
            origin.append(index)
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    return origin if "".join(out) == normalized else None


def highlight(value: str, needle: str) -> SafeString | None:
    """An HTML excerpt of ``value`` around the first occurrence of normalized ``needle``, every
    occurrence inside it in ``<mark>``; everything escaped. ``None`` when ``value`` does not contain it.
    """
    normalized = normalize(value)
    if not needle or needle not in normalized:
        # Most fields of a hit do not hold the query: no need to map their characters.
        return None
    origin = _offsets(value, normalized)
    if origin is None:
        # No way back to the original characters: show the normalized text, which is what matched.
        value = normalized
        origin = list(range(len(value)))
    first = normalized.find(needle)
    spans: list[tuple[int, int]] = []
    position = first
    while position >= 0:
        spans.append((origin[position], origin[position + len(needle) - 1] + 1))
        position = normalized.find(needle, position + len(needle))
    start = max(0, spans[0][0] - SNIPPET_CONTEXT)
    end = min(len(value), max(spans[0][1] + SNIPPET_CONTEXT, start + SNIPPET_LENGTH))
    parts = ["…" if start > 0 else ""]
    cursor = start
    for span_start, span_end in spans:
        if span_start >= end:
            break
        if span_start < cursor:
            continue
        parts.append(escape(value[cursor:span_start]))
        parts.append(f"<mark>{escape(value[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(escape(value[cursor : max(end, cursor)]))
    if max(end, cursor) < len(value):
        parts.append("…")
    return mark_safe("".join(parts))  # noqa: S308 -- every piece of text above is escaped


def excerpt(value: str) -> SafeString:
    """The start of ``value``, escaped: the snippet of a hit whose text no longer contains the query."""
    text = " ".join(value.split())
    cut = text[:SNIPPET_LENGTH]
    return mark_safe(escape(cut) + ("…" if len(text) > len(cut) else ""))  # noqa: S308 -- escaped
