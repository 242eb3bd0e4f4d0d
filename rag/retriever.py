"""Find the passages for a question: dense and keyword rankings fused by reciprocal rank."""
from __future__ import annotations

from .embedder import Embedder
from .keyword import KeywordIndex
from .store import Hit, PassageStore

RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of rank 1 over rank 2
CANDIDATES = 20  # depth of each ranking that enters the fusion


class Retriever:
    def __init__(self, store: PassageStore, embedder: Embedder, top_k: int = 6, keyword_weight: float = 0.5) -> None:
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.keyword_weight = keyword_weight
        self._keyword: KeywordIndex | None = None

    @property
    def keyword(self) -> KeywordIndex:
        if self._keyword is None:
            self._keyword = KeywordIndex(self.store.passages())
        return self._keyword

    def retrieve(self, question: str) -> list[Hit]:
        """Top passages by fused rank; each Hit.score stays the dense cosine (what refusal and display use)."""
        vector = self.embedder.encode_one(question)
        dense = sorted(self.store.query(vector, max(CANDIDATES, self.top_k)), key=lambda h: -h.score)
        if self.keyword_weight <= 0:
            return dense[: self.top_k]
        # Hand-written fusion: llama-index's QueryFusionRetriever would put its import
        # (seconds) and async machinery on the query path for these few lines.
        fused: dict[str, float] = {}
        by_id = {h.passage.id: h for h in dense}
        for rank, hit in enumerate(dense):
            fused[hit.passage.id] = 1 / (RRF_K + rank)
        floor = dense[-1].score if dense else 0.0
        for rank, (passage, _) in enumerate(self.keyword.search(question, CANDIDATES)):
            fused[passage.id] = fused.get(passage.id, 0.0) + self.keyword_weight / (RRF_K + rank)
            # A keyword-only passage was below the dense cut-off: its cosine is at most the floor.
            by_id.setdefault(passage.id, Hit(passage, floor))
        order = sorted(fused, key=lambda pid: -fused[pid])
        return [by_id[pid] for pid in order[: self.top_k]]
