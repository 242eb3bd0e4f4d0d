"""The corpus vocabulary: which question words the articles know, and typo correction against them."""
from __future__ import annotations

import difflib
import functools
import re
from collections import Counter

from .terms import STOPWORDS

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")


@functools.lru_cache(maxsize=1)
def _english():
    """pyspellchecker's English word-frequency list: real words are never "corrected"."""
    from spellchecker import SpellChecker

    return SpellChecker(distance=1).word_frequency


class Vocabulary:
    def __init__(self, texts: list[str]) -> None:
        self.counts = Counter(w.lower() for t in texts for w in _WORD.findall(t.replace("’", "'")))
        self._by_first: dict[str, list[str]] = {}
        for word in self.counts:
            self._by_first.setdefault(word[0], []).append(word)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.counts

    def correct(self, word: str) -> str | None:
        """The corpus word `word` is most likely a misspelling of, or None."""
        lower = word.lower()
        if lower in self.counts or len(lower) < 5 or lower in STOPWORDS or lower in _english():
            return None
        # Same first letter and similar length: typos rarely change either, and it keeps this fast.
        pool = [w for w in self._by_first.get(lower[0], ()) if abs(len(w) - len(lower)) <= 2 and len(w) >= 4]
        match = difflib.get_close_matches(lower, pool, n=1, cutoff=0.8)
        return match[0] if match else None

    def correct_text(self, text: str) -> str:
        """`text` with words unknown to the corpus replaced by their likely corpus spelling."""
        def fix(m: re.Match) -> str:
            return self.correct(m.group(0)) or m.group(0)
        return _WORD.sub(fix, text)

    def coverage(self, terms: list[str]) -> float:
        """Share of the question's content words the corpus contains (1.0 when there are none)."""
        if not terms:
            return 1.0
        return sum(1 for t in terms if t.lower() in self.counts) / len(terms)
