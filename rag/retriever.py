"""Find the passages nearest a question in the index."""
from __future__ import annotations

from .embedder import Embedder
from .store import Hit, PassageStore


class Retriever:
    def __init__(self, store: PassageStore, embedder: Embedder, top_k: int = 6) -> None:
        self.store = store
        self.embedder = embedder
        self.top_k = top_k

    def retrieve(self, question: str) -> list[Hit]:
        vector = self.embedder.encode_one(question)
        return sorted(self.store.query(vector, self.top_k), key=lambda h: -h.score)
