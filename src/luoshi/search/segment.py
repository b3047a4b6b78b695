"""Chinese word segmentation: jieba with the government terms of ``userdict.txt``.

Loading jieba's dictionary takes about a second and writes progress to standard error, so jieba is
imported and the segmenter built on first use, once per process, with jieba's logging turned down;
every later call (and every test after the first) reuses it. It is a private ``jieba.Tokenizer``, so
code that uses the global ``jieba`` module is not affected by our dictionary.
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

USER_DICTIONARY = Path(__file__).with_name("userdict.txt")

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
