"""The index held in memory for answering: passages, their vectors and unit vectors, read once.

Chroma stays the durable store; reading three collections per question cost ~18 ms of a 31 ms
ask. A local index is read from the files an ingest writes beside it (rag/index_files.py,
memory-mapped), else from Chroma. Exact search in memory is faster than Chroma's HNSW until the
matrices get large; past `brute_force_rows` vectors, candidates come from Chroma's HNSW and
are rescored from memory. The cache reloads itself when an ingest changed the index (checked
at most every few seconds, in the background, so a Chroma server that hangs never holds up a
question).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from . import index_files
from .index_files import IndexArrays, sentence_starts
from .passages import Passage
from .stamp import read_stamp
from .store import BEING_BUILT, Hit, PassageStore, StoreError, passages_of, sentence_index
from .units import heading_id

BRUTE_FORCE_ROWS = 50_000  # above this many vectors, candidates come from Chroma's HNSW index
RECHECK_SECONDS = 5.0  # how often to ask whether an ingest changed the index
CHECK_WAIT = 1.0  # how long the question that starts a check waits for it; past this it answers from memory

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One complete reading of the index; a reload builds a new one and swaps the reference."""
    version: tuple  # what the index was when read: its folder and its metadata (digest, model, chunking)
    files: str | None  # the index files folder it was read from; None: read from Chroma
    arrays: IndexArrays
    row: dict[str, int]  # passage id -> its row
    starts: np.ndarray  # passage row -> its first sentence unit (row + 1: one past its last)
    owner: np.ndarray  # sentence unit -> its passage row
    single: np.ndarray  # rows of passages of one sentence: their own vector is their sentence unit
    under: list[np.ndarray]  # heading row -> the passage rows under it, in document order

    @classmethod
    def of(cls, version: tuple, arrays: IndexArrays, files: str | None = None) -> "Snapshot":
        order = np.argsort(arrays.heading_row, kind="stable")
        bounds = np.searchsorted(arrays.heading_row[order], np.arange(len(arrays.heading_texts) + 1))
        return cls(version, files, arrays, {p.id: r for r, p in enumerate(arrays.passages)},
                   sentence_starts(arrays.sentence_counts),
                   np.repeat(np.arange(len(arrays.passages), dtype=np.int32), arrays.sentence_counts),
                   np.flatnonzero(arrays.sentence_counts == 0),
                   [order[bounds[h]:bounds[h + 1]] for h in range(len(arrays.heading_texts))])

    @property
    def passages(self) -> list[Passage]:
        return self.arrays.passages

    @property
    def units(self) -> int:
        return len(self.arrays.sentences) + len(self.single) + len(self.arrays.headings)


def index_version(store: PassageStore, info: dict) -> tuple | None:
    """What identifies a finished index; None while it is being built (its digest is written last)."""
    if not info.get("corpus_digest"):
        return None
    return (str(store.folder), tuple(sorted((k, str(v)) for k, v in info.items())))


class VectorCache:
    """Answers the retriever's reads (query, query_units, get, vectors, passages) from memory."""

    def __init__(self, store: PassageStore, brute_force_rows: int = BRUTE_FORCE_ROWS, *,
                 snapshot: Snapshot | None = None) -> None:
        self.store = store
        self.brute_force_rows = brute_force_rows
        self._snapshot = snapshot or self._from_files() or self._read()
        self._checking = threading.Lock()  # held by the one check under way; questions never wait on it
        self._checked = time.monotonic()
        self._reloads = self._reported = 0
        self._unreachable = False
        self._last: tuple[bytes, np.ndarray] | None = None  # the last question's passage scores

    @classmethod
    def from_files(cls, store: PassageStore, brute_force_rows: int = BRUTE_FORCE_ROWS) -> "VectorCache | None":
        """The cache over the index files the stamp vouches for, without opening Chroma; None when there are none."""
        snapshot = cls._files_of(store)
        return cls(store, brute_force_rows, snapshot=snapshot) if snapshot is not None else None

    @property
    def complete(self) -> bool:
        return True  # only a finished index is ever read (a reading of an unfinished one raises BEING_BUILT)

    @property
    def source(self) -> str:
        """"files" or "chroma": where the index in memory was read from."""
        return "chroma" if self._snapshot.files is None else "files"

    @staticmethod
    def _files_of(store: PassageStore) -> Snapshot | None:
        stamp = read_stamp(store.settings)
        if stamp is None or not stamp.get("index_files"):
            return None
        try:
            arrays = index_files.read(store.settings.data_dir, stamp["index_files"], stamp.get("info"))
        except index_files.Unreadable as exc:
            logger.warning("reading the index from Chroma: %s", exc)
            return None
        return Snapshot.of(index_version(store, arrays.info), arrays, stamp["index_files"])

    def _from_files(self) -> Snapshot | None:
        return self._files_of(self.store)

    def _read(self) -> Snapshot:
        """The whole index read from Chroma."""
        col, units = self.store.collection(), self.store.units()
        if col is None:
            raise StoreError("the index is empty: run `rag ingest` first")
        try:
            info = self.store.info
            version = index_version(self.store, info)
            if version is None:
                raise StoreError(BEING_BUILT)
            # Past the brute-force size the matrices only serve rescoring: half precision halves their memory.
            dtype = np.float16 if col.count() > self.brute_force_rows else np.float32
            got = _get_all(col, ["documents", "metadatas", "embeddings"], dtype)
            unit_got = _get_all(units, ["documents", "metadatas", "embeddings"], dtype) if units is not None else None
        except StoreError:
            raise
        except Exception as exc:
            raise self.store.failed(exc) from exc
        passages = passages_of(got)
        vectors = dict(zip(got["ids"], got["embeddings"]))
        counts: dict[str, int] = {}
        for uid, text, meta, vector in zip(*(unit_got[k] for k in ("ids", "documents", "metadatas", "embeddings"))
                                           ) if unit_got else ():
            if meta.get("kind") == "heading":
                vectors[heading_id(text)] = vector  # also reads an index whose heading units were per passage
            else:
                vectors[uid] = vector
                owner = meta.get("passage_id", "")
                counts[owner] = max(counts.get(owner, 0), sentence_index(uid) + 1)
        zero = np.zeros(index_files.DIM, dtype=dtype)
        arrays = index_files.assemble(info, passages, counts, lambda ids: [vectors.get(i, zero) for i in ids], dtype)
        return Snapshot.of(version, arrays)

    def _load(self) -> Snapshot:
        return self._from_files() or self._read()

    def refresh_if_changed(self) -> bool:
        """True once after a newer index was swapped in (another process ingested).

        At most every RECHECK_SECONDS a background check asks whether the index changed (the stamp
        of a local index, else Chroma) and, if so, reads it whole and swaps it in. The question that
        starts the check waits for it at most CHECK_WAIT seconds; every other question answers from
        memory at once.
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

    def _changed(self) -> bool:
        snap = self._snapshot
        stamp = read_stamp(self.store.settings)
        if stamp is not None and stamp.get("index_files"):
            return stamp["index_files"] != snap.files
        if snap.files is not None:
            return False  # no stamp: an ingest is under way (it writes the stamp last); answer from what we have
        version = index_version(self.store, self.store.fresh_info())
        return version is not None and version != snap.version

    def _check(self, done: threading.Event) -> None:
        try:
            if self._changed():
                self.store.reconnect()
                self._snapshot = self._load()
                self._last = None
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

    def _scores(self, snap: Snapshot, embedding) -> np.ndarray:
        """Cosines of every passage to `embedding` (kept for the unit search of the same question)."""
        vector = np.asarray(embedding, dtype=np.float32)
        key = vector.tobytes()
        if self._last is not None and self._last[0] == key and len(self._last[1]) == len(snap.passages):
            return self._last[1]
        scores = (snap.arrays.matrix @ vector).astype(np.float32)
        self._last = (key, scores)
        return scores

    def query(self, embedding, k: int) -> list[Hit]:
        snap = self._snapshot
        if len(snap.passages) > self.brute_force_rows:
            return self.store.query(embedding, k)
        scores = self._scores(snap, embedding)
        return [Hit(snap.passages[r], float(scores[r])) for r in _top(scores, k)]

    def query_units(self, embedding, k: int) -> list[tuple[str, str, float]]:
        """(passage id, kind, cosine) of the k nearest units; a heading fills one place per passage under it."""
        snap = self._snapshot
        if snap.units > self.brute_force_rows or len(snap.passages) > self.brute_force_rows:
            return self.store.query_units(embedding, k)
        vector = np.asarray(embedding, dtype=np.float32)
        arrays, passages = snap.arrays, snap.passages
        found = []  # (cosine, kind, passage row or heading row)
        if len(arrays.sentences):
            scores = arrays.sentences @ vector
            found += [(float(scores[u]), "sentence", int(snap.owner[u])) for u in _top(scores, k)]
        if len(snap.single):
            scores = self._scores(snap, embedding)[snap.single]
            found += [(float(scores[i]), "sentence", int(snap.single[i])) for i in _top(scores, k)]
        if len(arrays.headings):
            scores = arrays.headings @ vector
            found += [(float(scores[h]), "heading", int(h)) for h in _top(scores, k)]
        out: list[tuple[str, str, float]] = []
        for cos, kind, row in sorted(found, key=lambda f: -f[0]):
            rows = snap.under[row][:k - len(out)] if kind == "heading" else (row,)
            out += [(passages[r].id, kind, cos) for r in rows]
            if len(out) >= k:
                break
        return out[:k]

    def vectors(self, passage_ids: list[str]):
        """The same shape as PassageStore.vectors, from memory."""
        snap = self._snapshot
        arrays = snap.arrays
        passages, units = {}, []
        for pid in passage_ids:
            r = snap.row.get(pid)
            if r is None:
                continue
            passages[pid] = own = _wide(arrays.matrix[r])
            start, end = int(snap.starts[r]), int(snap.starts[r + 1])
            units += [(pid, "sentence", i, _wide(arrays.sentences[start + i])) for i in range(end - start)]
            if end == start:
                units.append((pid, "sentence", 0, own))
            units.append((pid, "heading", -1, _wide(arrays.headings[arrays.heading_row[r]])))
        return passages, units


def _wide(row: np.ndarray) -> np.ndarray:
    """A row as float32 (a half-precision one is widened; a memory-mapped one is copied out of the map)."""
    return np.array(row, dtype=np.float32)


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
