"""The index held in memory for answering: passages, their vectors and unit vectors, read once from Chroma.

Chroma stays the durable store; reading three collections per question cost ~18 ms of a 31 ms
ask. Exact search in memory is faster than Chroma's HNSW until the matrices get large; past
`brute_force_rows` vectors, candidates come from Chroma's HNSW and are rescored from memory.
The cache reloads itself when an ingest changed the index (checked at most every few seconds).
"""
from __future__ import annotations

import threading
import time

import numpy as np

from .passages import Passage
from .store import Hit, PassageStore, StoreError, passages_of, sentence_index

BRUTE_FORCE_ROWS = 50_000  # above this many vectors, candidates come from Chroma's HNSW index
RECHECK_SECONDS = 5.0  # how often to ask Chroma whether an ingest changed the index


class VectorCache:
    """Answers the retriever's reads (query, query_units, get, vectors, passages) from memory."""

    def __init__(self, store: PassageStore, brute_force_rows: int = BRUTE_FORCE_ROWS) -> None:
        self.store = store
        self.brute_force_rows = brute_force_rows
        self._lock = threading.Lock()
        self._loaded_digest: object = None
        self._checked = 0.0
        self._load()

    def _load(self) -> None:
        col, units = self.store.collection(), self.store.units()
        if col is None:
            raise StoreError("the index is empty: run `rag ingest` first")
        try:
            digest = (self.store.info or {}).get("corpus_digest")
            half = col.count() > self.brute_force_rows
            # Past the brute-force size the matrices only serve rescoring: half precision halves their memory.
            self._dtype = np.float16 if half else np.float32
            got = _get_all(col, ["documents", "metadatas", "embeddings"], self._dtype)
            unit_got = _get_all(units, ["metadatas", "embeddings"], self._dtype) if units is not None else None
        except Exception as exc:
            raise self.store.failed(exc) from exc
        passages = passages_of(got)
        order = sorted(range(len(passages)), key=lambda i: (passages[i].doc_id, passages[i].start))
        self._passages = [passages[i] for i in order]
        self._row = {p.id: r for r, p in enumerate(self._passages)}
        self._matrix = got["embeddings"][order] if order else np.zeros((0, 384), dtype=self._dtype)
        owners, kinds, indexes, keep = [], [], [], []
        for u, (uid, meta) in enumerate(zip(unit_got["ids"], unit_got["metadatas"]) if unit_got else ()):
            if meta["passage_id"] in self._row:  # units of a passage deleted mid-ingest are ignored
                owners.append(meta["passage_id"])
                kinds.append(meta["kind"])
                indexes.append(sentence_index(uid))
                keep.append(u)
        self._unit_owner, self._unit_kind, self._unit_index = owners, kinds, indexes
        self._unit_matrix = unit_got["embeddings"][keep] if keep else np.zeros((0, 384), dtype=self._dtype)
        self._units_of: dict[str, list[int]] = {}
        for u, pid in enumerate(owners):
            self._units_of.setdefault(pid, []).append(u)
        self._loaded_digest = digest
        self._checked = time.monotonic()

    def refresh_if_changed(self) -> bool:
        """Reload when the index's corpus digest moved (another process ingested); True when it reloaded."""
        now = time.monotonic()
        if now - self._checked < RECHECK_SECONDS:
            return False
        with self._lock:
            if now - self._checked < RECHECK_SECONDS:
                return False
            self._checked = now
            try:
                digest = self.store.fresh_info().get("corpus_digest")
            except StoreError:
                return False  # the store is unreachable: keep answering from memory
            if digest == self._loaded_digest or digest is None:
                return False  # None: an ingest is under way; its digest is written last
            self.store.reconnect()
            self._load()
            return True

    def count(self) -> int:
        return len(self._passages)

    def passages(self) -> list[Passage]:
        return list(self._passages)

    def get(self, ids: list[str]) -> list[Passage]:
        return [self._passages[self._row[i]] for i in ids if i in self._row]

    def query(self, embedding, k: int) -> list[Hit]:
        if len(self._passages) > self.brute_force_rows:
            return self.store.query(embedding, k)
        scores = self._matrix @ np.asarray(embedding, dtype=np.float32)
        top = _top(scores, k)
        return [Hit(self._passages[r], float(scores[r])) for r in top]

    def query_units(self, embedding, k: int) -> list[tuple[str, str, float]]:
        if len(self._unit_owner) > self.brute_force_rows:
            return self.store.query_units(embedding, k)
        if not self._unit_owner:
            return []
        scores = self._unit_matrix @ np.asarray(embedding, dtype=np.float32)
        return [(self._unit_owner[u], self._unit_kind[u], float(scores[u])) for u in _top(scores, k)]

    def vectors(self, passage_ids: list[str]):
        """The same shape as PassageStore.vectors, from memory."""
        wide = self._dtype == np.float32  # rows are used as they are; half precision is widened per row
        passages = {pid: self._matrix[self._row[pid]] if wide else self._matrix[self._row[pid]].astype(np.float32)
                    for pid in passage_ids if pid in self._row}
        units = [(pid, self._unit_kind[u], self._unit_index[u],
                  self._unit_matrix[u] if wide else self._unit_matrix[u].astype(np.float32))
                 for pid in passage_ids for u in self._units_of.get(pid, ())]
        return passages, units


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=int)
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top])]


PAGE = 5000  # Chroma turns one get into one SQL statement; too many rows overflow its variables


def _get_all(collection, include: list[str], dtype=np.float32) -> dict:
    """Every record of a collection, read page by page; embeddings as one matrix of `dtype`."""
    out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
    offset = 0
    while True:
        got = collection.get(include=include, limit=PAGE, offset=offset)
        for key in out:
            if key == "embeddings":  # one page at a time, so the rows never all exist as Python floats
                if len(got["ids"]):
                    out[key].append(np.asarray(got[key], dtype=dtype).reshape(len(got["ids"]), -1))
            else:
                out[key].extend(got[key] if got[key] is not None else [])
        if len(got["ids"]) < PAGE:
            break
        offset += PAGE
    if "embeddings" in out:
        out["embeddings"] = np.vstack(out["embeddings"]) if out["embeddings"] else np.zeros((0, 384), dtype=dtype)
    return out
