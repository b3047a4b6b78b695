"""Chinese word segmentation: jieba with the government terms of ``userdict.txt``.

Loading jieba's dictionary takes about a second and writes progress to standard error, so jieba is
imported and the segmenter built on first use, once per process, with jieba's logging turned down;
every later call (and every test after the first) reuses it. The words of each block of text are
remembered (``BLOCK_CACHE``), as the same blocks recur across texts. It is a private ``jieba.Tokenizer``, so
code that uses the global ``jieba`` module is not affected by our dictionary.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

USER_DICTIONARY = Path(__file__).with_name("userdict.txt")

# jieba cuts a text into blocks of these characters and segments each block on its own, so a block can be
# segmented alone with the same result (jieba's ``re_han_default``).
_JIEBA_BLOCK = re.compile("[\u4e00-\u9fd5a-zA-Z0-9+#&._%\\-]+")
# Only a block holding this many Chinese characters in a row can yield a word the index keeps.
_LONG_HAN_RUN = re.compile("[\u4e00-\u9fd5]{3,}")
# Blocks whose kept words are remembered (a few megabytes): a text is cut once per block it has not met.
BLOCK_CACHE = 50_000

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def user_terms() -> list[str]:
    """The words of the user dictionary (comments and blank lines skipped)."""
    lines = USER_DICTIONARY.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def tokenizer() -> jieba.Tokenizer:
    """The process's segmenter, built on first use."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                with warnings.catch_warnings():
                    # jieba 0.42's sources have invalid escape sequences, reported when first compiled.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.simplefilter("ignore", SyntaxWarning)
                    import jieba

                jieba.setLogLevel(logging.WARNING)
                built = jieba.Tokenizer()
                built.initialize()
                for term in user_terms():
                    built.add_word(term)
                _tokenizer = built
    return _tokenizer


def words(text: str) -> list[str]:
    """jieba's words of ``text`` (dictionary words only: the HMM guesser is slow and adds nothing a
    substring search needs)."""
    return list(tokenizer().cut(text, HMM=False))


def index_words(text: str) -> list[str]:
    """The words of ``words(text)`` that the search index keeps: three or more Chinese characters.

    Same words, at a fraction of the cost on texts with Latin words, numbers or short phrases: only the
    blocks that can hold such a word are segmented (the index adds no word of two characters or of other
    letters, so the rest of the text is jieba's work for nothing).
    """
    return [
        word for block in _JIEBA_BLOCK.findall(text) if _LONG_HAN_RUN.search(block) for word in _kept(block)
    ]


@functools.lru_cache(maxsize=BLOCK_CACHE)
def _kept(block: str) -> tuple[str, ...]:
    """The words of one block that the index keeps. Remembered: the same blocks recur across texts
    (unit names, phrases of the plan), and cutting is the costly part of indexing a text."""
    return tuple(
        word for word in tokenizer().cut(block, HMM=False) if len(word) > 2 and _LONG_HAN_RUN.fullmatch(word)
    )
