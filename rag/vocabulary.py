"""The corpus vocabulary: which question words the articles know, and typo correction against them."""
from __future__ import annotations

import functools
import re
from collections import Counter

from .terms import STOPWORDS

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
MIN_TYPO_LENGTH = 5  # shorter words are left alone: one edit turns them into too many other words
ONE_EDIT_UP_TO = 6  # words this long or shorter may be one edit off; longer ones two


@functools.lru_cache(maxsize=1)
def _english():
    """pyspellchecker's English word-frequency list: real words are never "corrected"."""
    from spellchecker import SpellChecker

    return SpellChecker(distance=1).word_frequency


@functools.lru_cache(maxsize=1)
def _english_by_start() -> dict[tuple[str, int], list[str]]:
    """The English words by first letter and length, the buckets corrections are looked up in."""
    buckets: dict[tuple[str, int], list[str]] = {}
    for word in _english().keys():
        if len(word) >= 3 and word.isalpha():
            buckets.setdefault((word[0], len(word)), []).append(word)
    return buckets


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def _nearest(word: str, buckets: dict[tuple[str, int], list[str]], frequency, keep=None) -> str | None:
    """The word of `buckets` (that `keep` accepts) nearest `word` by Damerau-Levenshtein distance
    (a swap of two neighbouring letters is one edit), the most frequent on a tie; None when none is near.

    At most one edit for words of up to six letters and two for longer ones; only words with
    the same first letter are tried, since typos rarely change it.
    """
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    limit = 1 if len(word) <= ONE_EDIT_UP_TO else 2
    pool = [w for n in range(len(word) - limit, len(word) + limit + 1) for w in buckets.get((word[0], n), ())]
    found = process.extract(word, pool, scorer=OSA.distance, score_cutoff=limit, limit=None)
    if keep is not None:
        found = [match for match in found if keep(match[0])]
    return min(found, key=lambda match: (match[1], -frequency(match[0])))[0] if found else None


def _same_case(word: str, like: str) -> str:
    if len(like) > 1 and like.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if like[:1].isupper() else word


class Vocabulary:
    def __init__(self, texts: list[str]) -> None:
        self.counts = Counter(w.lower() for t in texts for w in _WORD.findall(t.replace("’", "'")))
        # Candidates by first letter and length: typos rarely change the first letter, and an edit
        # changes the length by at most one, so each lookup scores only a small slice of the words.
        self._by_start: dict[tuple[str, int], list[str]] = {}
        for word in self.counts:
            if len(word) >= 3:
                self._by_start.setdefault((word[0], len(word)), []).append(word)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.counts

    @functools.cached_property
    def _stems(self) -> frozenset[str]:
        return frozenset(_stemmer().stemWords(list(self.counts)))

    def correct(self, word: str) -> str | None:
        """The word `word` is most likely a misspelling of, or None.

        The nearest corpus word ("chnage" -> "change", "listner" -> "listen"); when no corpus
        word is near, the nearest English word whose stem the corpus has ("intrested" ->
        "interested" for a corpus that says "interest"). Words the corpus has, short words and
        real English words are kept as written.
        """
        lower = word.lower()
        if lower in self.counts or len(lower) < MIN_TYPO_LENGTH or lower in STOPWORDS or lower in _english():
            return None
        found = _nearest(lower, self._by_start, self.counts.__getitem__)
        if found is None:
            english, stem = _english(), _stemmer().stemWord
            found = _nearest(lower, _english_by_start(), english.__getitem__, lambda w: stem(w) in self._stems)
        return found

    def correct_text(self, text: str) -> str:
        """`text` with words unknown to the corpus replaced by their likely corpus spelling."""
        def fix(m: re.Match) -> str:
            corrected = self.correct(m.group(0))
            return _same_case(corrected, m.group(0)) if corrected else m.group(0)
        return _WORD.sub(fix, text)

    def coverage(self, terms: list[str]) -> float:
        """Share of the question's content words the corpus contains (1.0 when there are none)."""
        if not terms:
            return 1.0
        return sum(1 for t in terms if t.lower() in self.counts) / len(terms)
