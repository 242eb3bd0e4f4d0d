"""The index held in memory for answering: passages, their vectors and unit vectors, read once from Chroma.

Chroma stays the durable store; reading three collections per question cost ~18 ms of a 31 ms
ask. Exact search in memory is faster than Chroma's HNSW until the matrices get large; past
`brute_force_rows` vectors, candidates come from Chroma's HNSW and are rescored from memory.
The cache reloads itself when an ingest changed the index (checked at most every few seconds,
in the background, so a Chroma server that hangs never holds up a question).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from .passages import Passage
from .store import BEING_BUILT, Hit, PassageStore, StoreError, passages_of, sentence_index

BRUTE_FORCE_ROWS = 50_000  # above this many vectors, candidates come from Chroma's HNSW index
RECHECK_SECONDS = 5.0  # how often to ask Chroma whether an ingest changed the index
CHECK_WAIT = 1.0  # how long the question that starts a check waits for it; past this it answers from memory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One complete reading of the index; a reload builds a new one and swaps the reference."""
    version: tuple  # what the index was when read: its folder and its metadata (digest, model, chunking)
    passages: list[Passage]  # in document order
    row: dict[str, int]  # passage id -> its row in `matrix`
    matrix: np.ndarray
    unit_owner: list[str]  # per unit: its passage id, kind and sentence index (-1 for a heading)
    unit_kind: list[str]
    unit_index: list[int]
    unit_matrix: np.ndarray
    units_of: dict[str, list[int]]  # passage id -> its units' rows in `unit_matrix`
    dtype: type


def index_version(store: PassageStore, info: dict) -> tuple | None:
    """What identifies a finished index; None while it is being built (its digest is written last)."""
    if not info.get("corpus_digest"):
        return None
    return (str(store.folder), tuple(sorted((k, str(v)) for k, v in info.items())))


class VectorCache:
    """Answers the retriever's reads (query, query_units, get, vectors, passages) from memory."""

    def __init__(self, store: PassageStore, brute_force_rows: int = BRUTE_FORCE_ROWS) -> None:
        self.store = store
        self.brute_force_rows = brute_force_rows
        self._snapshot = self._read()
        self._checking = threading.Lock()  # held by the one check under way; questions never wait on it
        self._checked = time.monotonic()
        self._reloads = self._reported = 0
        self._unreachable = False

    def _read(self) -> Snapshot:
        col, units = self.store.collection(), self.store.units()
        if col is None:
            raise StoreError("the index is empty: run `rag ingest` first")
        try:
            version = index_version(self.store, self.store.info)
            if version is None:
                raise StoreError(BEING_BUILT)
            half = col.count() > self.brute_force_rows
            # Past the brute-force size the matrices only serve rescoring: half precision halves their memory.
            dtype = np.float16 if half else np.float32
            got = _get_all(col, ["documents", "metadatas", "embeddings"], dtype)
            unit_got = _get_all(units, ["metadatas", "embeddings"], dtype) if units is not None else None
        except StoreError:
            raise
        except Exception as exc:
            raise self.store.failed(exc) from exc
        passages = passages_of(got)
        order = sorted(range(len(passages)), key=lambda i: (passages[i].doc_id, passages[i].start))
        passages = [passages[i] for i in order]
        row = {p.id: r for r, p in enumerate(passages)}
        owners, kinds, indexes, keep = [], [], [], []
        for u, (uid, meta) in enumerate(zip(unit_got["ids"], unit_got["metadatas"]) if unit_got else ()):
            if meta["passage_id"] in row:  # units of a passage deleted mid-ingest are ignored
                owners.append(meta["passage_id"])
                kinds.append(meta["kind"])
                indexes.append(sentence_index(uid))
                keep.append(u)
        units_of: dict[str, list[int]] = {}
        for u, pid in enumerate(owners):
            units_of.setdefault(pid, []).append(u)
        return Snapshot(
            version=version, passages=passages, row=row,
            matrix=got["embeddings"][order] if order else np.zeros((0, 384), dtype=dtype),
            unit_owner=owners, unit_kind=kinds, unit_index=indexes,
            unit_matrix=unit_got["embeddings"][keep] if keep else np.zeros((0, 384), dtype=dtype),
            units_of=units_of, dtype=dtype)

    def refresh_if_changed(self) -> bool:
        """True once after a newer index was swapped in (another process ingested).

        At most every RECHECK_SECONDS a background check asks Chroma whether the index changed
        and, if so, reads it whole and swaps it in. The question that starts the check waits for
        it at most CHECK_WAIT seconds; every other question answers from memory at once.
        """
        if time.monotonic() - self._checked >= RECHECK_SECONDS and self._checking.acquire(blocking=False):
            done = threading.Event()
            threading.Thread(target=self._check, args=(done,), name="rag-index-check", daemon=True).start()
            done.wait(CHECK_WAIT)
        reloads = self._reloads
        if reloads != self._reported:
            self._reported = reloads
            return True
        return False

    def _check(self, done: threading.Event) -> None:
        try:
            version = index_version(self.store, self.store.fresh_info())
            if version is not None and version != self._snapshot.version:
                self.store.reconnect()
                self._snapshot = self._read()
                self._reloads += 1
            if self._unreachable:
                logger.warning("the index answers again")
            self._unreachable = False
        except Exception as exc:  # the store is unreachable or mid-change: keep answering from memory
            if not self._unreachable:
                logger.warning("answering from memory: could not check the index for changes: %s", exc)
            self._unreachable = True
        finally:
            self._checked = time.monotonic()  # the next check comes a full interval after this one ended
            self._checking.release()
            done.set()

    def count(self) -> int:
        return len(self._snapshot.passages)

    def passages(self) -> list[Passage]:
        return list(self._snapshot.passages)

    def get(self, ids: list[str]) -> list[Passage]:
        snap = self._snapshot
        return [snap.passages[snap.row[i]] for i in ids if i in snap.row]

    def query(self, embedding, k: int) -> list[Hit]:
        snap = self._snapshot
        if len(snap.passages) > self.brute_force_rows:
            return self.store.query(embedding, k)
        scores = snap.matrix @ np.asarray(embedding, dtype=np.float32)
        top = _top(scores, k)
        return [Hit(snap.passages[r], float(scores[r])) for r in top]

    def query_units(self, embedding, k: int) -> list[tuple[str, str, float]]:
        snap = self._snapshot
        if len(snap.unit_owner) > self.brute_force_rows:
            return self.store.query_units(embedding, k)
        if not snap.unit_owner:
            return []
        scores = snap.unit_matrix @ np.asarray(embedding, dtype=np.float32)
        return [(snap.unit_owner[u], snap.unit_kind[u], float(scores[u])) for u in _top(scores, k)]

    def vectors(self, passage_ids: list[str]):
        """The same shape as PassageStore.vectors, from memory."""
        snap = self._snapshot
        wide = snap.dtype == np.float32  # rows are used as they are; half precision is widened per row
        passages = {pid: snap.matrix[snap.row[pid]] if wide else snap.matrix[snap.row[pid]].astype(np.float32)
                    for pid in passage_ids if pid in snap.row}
        units = [(pid, snap.unit_kind[u], snap.unit_index[u],
                  snap.unit_matrix[u] if wide else snap.unit_matrix[u].astype(np.float32))
                 for pid in passage_ids for u in snap.units_of.get(pid, ())]
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
