"""BM25 keyword index over the stored passages (bm25s with a Snowball stemmer), built in memory at load."""
from __future__ import annotations

import re
from collections import Counter

from .types import Passage

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's own token pattern


class KeywordIndex:
    """Exact-word evidence the dense model can miss: rare terms, names, typo-free keywords.

    Words are indexed by their Snowball stem. A question word whose stem no passage has
    backs off to its word family: the stem stemmed again until it stops changing, which
    joins derivations Snowball keeps apart ("lonely" -> "lone", "loneliness" -> "loneli"
    -> "lone"). Stemming that far everywhere would merge words that mean different things
    ("willing" and "will"), so the family is asked only when the ordinary stem finds nothing.
    """

    def __init__(self, passages: list[Passage]) -> None:
        import bm25s
        import Stemmer

        self._stemmer = Stemmer.Stemmer("english")
        self._stopwords = frozenset(bm25s.stopwords.STOPWORDS_EN)
        self.passages = passages
        self._index = bm25s.BM25()
        self._family: dict[str, str] = {}  # family key -> the stem of that family most passages have
        if passages:
            documents = [self._stems(p.embedding_text()) for p in passages]
            self._index.index(documents, show_progress=False)
            spread = Counter(stem for stems in documents for stem in set(stems))
            for stem in sorted(spread, key=lambda s: (-spread[s], s)):
                self._family.setdefault(self._family_key(stem), stem)

    def _stems(self, text: str) -> list[str]:
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self._stopwords]
        return self._stemmer.stemWords(words)

    def _family_key(self, stem: str) -> str:
        for _ in range(4):  # Snowball reaches its fixed point in two or three rounds
            again = self._stemmer.stemWord(stem)
            if again == stem:
                break
            stem = again
        return stem

    def query_terms(self, query: str) -> list[str]:
        """The indexed stems the query's words match, in order: their own, else their family's."""
        known = self._index.vocab_dict if self.passages else {}
        terms = []
        for stem in self._stems(query):
            if stem not in known:
                stem = self._family.get(self._family_key(stem), stem)
            if stem in known:
                terms.append(stem)
        return terms

    def search(self, query: str, k: int) -> list[tuple[Passage, float]]:
        """Up to k passages with a positive BM25 score, best first."""
        terms = self.query_terms(query)
        if not terms:
            return []
        results, scores = self._index.retrieve([terms], k=min(k, len(self.passages)), show_progress=False)
        return [(self.passages[int(i)], float(s)) for i, s in zip(results[0], scores[0]) if s > 0]
