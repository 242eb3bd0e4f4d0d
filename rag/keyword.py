"""BM25 keyword index over the stored passages (bm25s with a Snowball stemmer), built in memory at load."""
from __future__ import annotations

from .passages import Passage


class KeywordIndex:
    """Exact-word evidence the dense model can miss: rare terms, names, typo-free keywords."""

    def __init__(self, passages: list[Passage]) -> None:
        import bm25s
        import Stemmer

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self.passages = passages
        self._index = bm25s.BM25()
        if passages:
            self._index.index(self._tokens([p.embedding_text() for p in passages]), show_progress=False)

    def _tokens(self, texts: list[str]):
        return self._bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)

    def search(self, query: str, k: int) -> list[tuple[Passage, float]]:
        """Up to k passages with a positive BM25 score, best first."""
        if not self.passages:
            return []
        tokens = self._tokens([query])
        if not tokens.vocab:
            return []
        results, scores = self._index.retrieve(tokens, k=min(k, len(self.passages)), show_progress=False)
        return [(self.passages[int(i)], float(s)) for i, s in zip(results[0], scores[0]) if s > 0]
