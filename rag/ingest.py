"""Bring the index in line with the corpus: embed new passages, update moved ones, delete removed ones.

The new passages are embedded in chunks, each chunk's distinct texts (passages, sentence and
heading units, none embedded twice in one ingest) sorted by length so that a batch pads little,
and written to Chroma chunk by chunk: a killed ingest keeps every finished chunk, and the next
one embeds only the rest. Once the index is current, its passages and vectors are written as
files beside it (rag/index_files.py) and the stamp vouches for both (rag/stamp.py).
"""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import secrets
import shutil
import sys
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from . import index_files
from .corpus import CorpusError, Document, load_corpus
from .document_cache import DocumentCache
from .embedder import Embedder
from .passages import CHUNKING_VERSION, Passage
from .settings import Settings
from .stamp import corpus_fingerprint, current_stamp, read_stamp, remove_stamp, write_stamp
from .store import REBUILD_FOLDER, PassageStore, StoreError, first_line, index_folder, switch_index
from .units import UNITS_VERSION, Unit, heading_id, heading_text, sentence_units
from .writer_lock import writer_lock

CHUNK = 128  # passages embedded and written together: what a killed ingest loses at most
REBUILDING = "index-rebuilding.json"  # names a rebuild under way, so that a killed one resumes
PLACE = ("doc_id", "source", "section", "start", "end", "kind", "url")  # what may change while a passage's id stays
PROGRESS_SLICE = 32  # texts embedded between two moves of the progress bar

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestReport:
    documents: int
    passages: int
    embedded: int
    moved: int
    deleted: int
    rebuilt: bool
    seconds: float
    skipped: int = 0  # corpus files not read (links out of the corpus, too large, binary, bad front matter)

    def summary(self) -> str:
        docs = f"{self.passages} passages from {self.documents} document{'s' if self.documents != 1 else ''}"
        if self.skipped:
            docs += f" ({self.skipped} file{'s' if self.skipped != 1 else ''} skipped, see the warnings)"
        if not (self.embedded or self.moved or self.deleted):
            return f"Index up to date: {docs}; 0 passages embedded ({self.seconds:.2f} s)."
        verb = "Rebuilt index" if self.rebuilt else "Built index" if self.embedded == self.passages else "Updated index"
        return (f"{verb}: {docs}; "
                f"{self.embedded} embedded, {self.moved} moved, {self.deleted} deleted ({self.seconds:.2f} s).")


def index_info(embedder_model: str) -> dict:
    """What the index was made with; a change of any of these rebuilds it."""
    return {"model": embedder_model, "chunking": CHUNKING_VERSION, "units": UNITS_VERSION}


def corpus_digest(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: d.doc_id):
        h.update(f"{doc.doc_id}\0{doc.digest}\0".encode())
    return h.hexdigest()


def current_by_stamp(settings: Settings, model_id: str) -> int | None:
    """The passage count when the local index is known current without reading the corpus or opening Chroma.

    `rag ingest --rebuild` ignores the stamp.
    """
    stamp = current_stamp(settings, index_info(model_id))
    return stamp["info"].get("passages") if stamp is not None else None


def restamp(settings: Settings, store: PassageStore, embedder: Embedder) -> None:
    """Write the index files and stamp of a current local index that lacks them (after an upgrade of rag, say).

    Skipped while another ingest holds the writer lock (it stamps the index when done): a reader
    starting beside a long rebuild never waits for it.
    """
    from dataclasses import replace

    from filelock import FileLock, Timeout

    from .writer_lock import LOCK, IndexBusy

    if settings.chroma_url or not settings.data_dir.is_dir():
        return
    probe = FileLock(settings.data_dir / LOCK)
    try:
        probe.acquire(timeout=0)
        probe.release()
    except Timeout:
        return
    try:
        ingest(replace(settings, ingest_wait=0), store=store, embedder=embedder, progress=False)
    except IndexBusy:
        pass  # another ingest started meanwhile
    except StoreError as exc:
        logger.warning("could not write the index files for a faster start: %s", exc)


def is_stale(store: PassageStore, docs: list[Document], model_id: str) -> bool:
    info = store.info
    expected = index_info(model_id)
    return (not info or any(info.get(k) != v for k, v in expected.items())
            or info.get("corpus_digest") != corpus_digest(docs))


def ingest(settings: Settings, *, store: PassageStore | None = None, embedder: Embedder | None = None,
           rebuild: bool = False, progress: bool | None = None) -> IngestReport:
    """Bring the index in line with the corpus, holding the data folder's writer lock while writing.

    A rebuild (asked for, or a changed model, chunking or units) writes a new index beside the old
    one and swaps it in once complete, so a failed rebuild leaves the old index answering.
    """
    started = time.perf_counter()
    embedder = embedder or Embedder(settings.torch_threads, settings.data_dir if settings.onnx else None)
    if not rebuild and store is None:
        stamp = current_stamp(settings, index_info(embedder.model_id))
        if stamp is not None and (not settings.onnx or embedder.has_onnx()):
            return IngestReport(stamp.get("documents", 0), stamp["info"].get("passages", 0), 0, 0, 0, False,
                                time.perf_counter() - started, len(stamp.get("skipped", [])))
    files = None if settings.chroma_url else corpus_fingerprint(settings)  # before reading: a later edit voids it
    cache = DocumentCache(settings)
    docs = load_corpus(settings.corpus_dir, max_file_bytes=settings.max_file_bytes, max_files=settings.max_files,
                       cached=cache.document)
    passages = cache.passages(docs)
    if not passages:
        raise CorpusError(f"the articles in {settings.corpus_dir} contain no text")
    with writer_lock(settings) as waited:
        if waited and store is not None:
            store.reconnect()  # another process wrote the index meanwhile
        try:
            # Before embedding: the export is made on a first ingest anyway, and the ingest then embeds through it.
            embedder.ensure_onnx()  # no-op once written, or without a data folder for it
            counts, rebuilt, arrays = _write(settings, store, docs, passages, embedder, rebuild, progress)
            _publish(settings, arrays, docs, files)
        except CorpusError:
            raise
        except Exception as exc:
            error = write_failed(settings, exc)
            if error is exc:
                raise
            raise error from exc
    cache.save(docs, passages)
    return IngestReport(len(docs), len(passages), *counts, rebuilt, time.perf_counter() - started, len(docs.skipped))


def _publish(settings: Settings, arrays: index_files.IndexArrays | None, docs, files: str | None) -> None:
    """Write the index files and the stamp that vouches for them and the index (a local index only)."""
    if settings.chroma_url or arrays is None:
        return
    name = index_files.write(settings.data_dir, arrays)
    skipped = [[str(s.path), s.reason] for s in docs.skipped]
    write_stamp(settings, info=arrays.info, files=files, index_files=name, documents=len(docs), skipped=skipped,
                **{k: arrays.info.get(k) for k in ("model", "chunking", "units")})
    index_files.remove_others(settings.data_dir, keep=name)


def _write(settings: Settings, store: PassageStore | None, docs: list[Document], passages: list[Passage],
           embedder: Embedder, rebuild: bool, progress: bool | None):
    """((embedded, moved, deleted), whether the index was rebuilt, its arrays for the index files)."""
    old = _old_files(settings)  # read before the stamp goes: it vouches for them
    remove_stamp(settings)  # written back only once the index is current
    made = index_info(embedder.model_id)
    expected = {**made, "corpus_digest": corpus_digest(docs), "passages": len(passages)}
    if not rebuild:  # an explicit rebuild never opens the old index: it may be the damaged thing
        store = store or PassageStore(settings)
        info = store.info
        if old is not None and old.info != info:
            old = None  # the index changed since its files were written: read it from Chroma
        # Only a finished index records its model; an interrupted first build is completed in place.
        rebuild = bool(info.get("corpus_digest")) and any(info.get(k) != v for k, v in made.items())
        if not rebuild:
            _remove_abandoned_rebuilds(settings, None)
            counts, arrays = _sync(store, passages, embedder, expected, progress, old, settings.ingest_workers)
            return counts, False, arrays
    counts, arrays = _rebuild_beside(settings, store, passages, embedder, expected, progress)
    return counts, True, arrays


def _old_files(settings: Settings) -> index_files.IndexArrays | None:
    """The index files the stamp vouches for: what is stored, without reading Chroma."""
    stamp = read_stamp(settings)
    if settings.chroma_url or stamp is None or not stamp.get("index_files"):
        return None
    try:
        return index_files.read(settings.data_dir, stamp["index_files"], stamp.get("info"))
    except index_files.Unreadable:
        return None


class _Vectors:
    """Vectors by record id: this run's, then the old index files', then Chroma's."""

    def __init__(self, store: PassageStore, old: index_files.IndexArrays | None) -> None:
        self.store = store
        self.new: dict[str, np.ndarray] = {}
        self.old: dict[str, np.ndarray] = {}  # id -> a row of the old files' memory-mapped matrices
        if old is not None:
            starts = index_files.sentence_starts(old.sentence_counts)
            for r, p in enumerate(old.passages):
                self.old[p.id] = old.matrix[r]
                for i in range(int(old.sentence_counts[r])):
                    self.old[f"{p.id}:s{i}"] = old.sentences[starts[r] + i]
            for h, text in enumerate(old.heading_texts):
                self.old[heading_id(text)] = old.headings[h]

    def put(self, ids: list[str], vectors: np.ndarray) -> None:
        self.new.update(zip(ids, vectors))

    def __call__(self, ids: list[str]) -> np.ndarray:
        out = np.zeros((len(ids), index_files.DIM), dtype=np.float32)
        missing: dict[str, int] = {}
        for i, rid in enumerate(ids):
            vector = self.new.get(rid)
            if vector is None:
                vector = self.old.get(rid)
            if vector is None:
                missing[rid] = i
            else:
                out[i] = vector
        for rid, vector in self._from_chroma(list(missing)).items():
            out[missing.pop(rid)] = vector
        if missing:
            raise StoreError(f"the index lacks the vectors of {len(missing)} records (e.g. {next(iter(missing))}); "
                             "run `rag ingest --rebuild`")
        return out

    def _from_chroma(self, ids: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for col, wanted in ((self.store.collection(), [i for i in ids if ":" not in i]),
                            (self.store.units(), [i for i in ids if ":" in i])):
            for start in range(0, len(wanted) if col is not None else 0, 5000):
                got = col.get(ids=wanted[start:start + 5000], include=["embeddings"])
                found.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32).reshape(-1, index_files.DIM)))
        return found


def _stored(store: PassageStore, old: index_files.IndexArrays | None) -> tuple[dict[str, dict], set[str]]:
    """(passage id -> metadata, heading unit ids) of the index: from its files when the stamp vouched for them."""
    if old is None:
        units, headings = store.unit_summary()
        # A passage stored without all its sentence units (written by hand, or by an older rag) is embedded again.
        stored = {pid: meta for pid, meta in store.stored().items() if units.get(pid, 0) == meta.get("sentences", -1)}
        return stored, headings
    stored = {p.id: {**passage_metadata_place(p), "sentences": int(n)}
              for p, n in zip(old.passages, old.sentence_counts)}
    return stored, {heading_id(t) for t in old.heading_texts}


def passage_metadata_place(p: Passage) -> dict:
    return {k: getattr(p, k) for k in PLACE}


def _sync(store: PassageStore, passages: list[Passage], embedder: Embedder, info: dict, progress: bool | None,
          old: index_files.IndexArrays | None = None, workers: int = 1) -> tuple[tuple[int, int, int], index_files.IndexArrays]:
    """Embed new passages, update moved ones, delete removed ones; then write `info` (with the digest) last."""
    stored, headings = _stored(store, old)
    wanted = {p.id: p for p in passages}
    new = [p for p in passages if p.id not in stored]
    moved = [p for p in passages
             if p.id in stored and {k: stored[p.id].get(k, "") for k in PLACE} != passage_metadata_place(p)]
    removed = [pid for pid in stored if pid not in wanted]
    counts = {pid: int(meta.get("sentences", 0)) for pid, meta in stored.items() if pid in wanted}
    vectors = _Vectors(store, old)
    lacking: dict[str, Unit] = {}  # heading units no stored passage brought along (written first)
    for p in passages:
        text = heading_text(p)
        if heading_id(text) not in headings:
            lacking.setdefault(heading_id(text), Unit(heading_id(text), p.id, "heading", text))
    if new or lacking:
        counts.update(_embed(store, new, embedder, list(lacking.values()), vectors, progress, workers))
    store.update_metadata(moved)
    # Deleting after adding keeps a complete index answering if this run is killed midway.
    store.delete(removed)
    store.delete_units(sorted(headings - {heading_id(heading_text(p)) for p in passages}))
    # Written last: a digest that matches the corpus means the index is complete; readers refuse
    # an index without one (its first build is under way).
    store.set_info(info)
    arrays = index_files.assemble(info, passages, counts, vectors)
    return (len(new), len(moved), len(removed)), arrays


def _embed(store: PassageStore, new: list[Passage], embedder: Embedder, headings: list[Unit], vectors: _Vectors,
           progress: bool | None, workers: int = 1) -> dict[str, int]:
    """Embed and store `new` chunk by chunk, the missing `headings` with the first; each passage's sentence units.

    With several workers (and enough to embed), worker processes embed the next chunks while
    this process writes the current one to Chroma; chunks are written in order either way.
    """
    counts: dict[str, int] = {}
    known: dict[str, np.ndarray] = {}  # text -> vector: a text is embedded once per ingest
    asked: set[str] = set()
    chunks = []
    for start in range(0, max(len(new), 1), CHUNK):
        chunk = new[start:start + CHUNK]
        units: list[Unit] = [] if start else list(headings)  # headings before the passages that share them
        for p in chunk:
            sentences = sentence_units(p)
            counts[p.id] = len(sentences)
            units += sentences
        fresh = [t for t in dict.fromkeys([u.text for u in units] + [p.embedding_text() for p in chunk]) if t not in asked]
        asked.update(fresh)
        chunks.append((chunk, units, fresh))
    pool = embedder.workers(workers) if workers > 1 and len(chunks) > 1 else None
    bar = _progress(sum(len(fresh) for _, _, fresh in chunks), progress)
    try:
        getattr(embedder, "model", None)  # loaded first (seconds on a first start) while the bar says so
        bar.set_description_str("Embedding passages and sentences")
        futures: deque = deque()
        ahead = 0  # chunks handed to the workers so far
        for chunk, units, fresh in chunks:
            if pool is not None:
                while ahead < len(chunks) and len(futures) <= workers:  # keep every worker busy, one chunk queued
                    futures.append(pool.submit(chunks[ahead][2]))
                    ahead += 1
                known.update(zip(fresh, futures.popleft().result()))
                bar.update(len(fresh))
            else:
                known.update(_encode(embedder, fresh, bar))
            unit_vectors = np.array([known[u.text] for u in units], dtype=np.float32).reshape(-1, index_files.DIM)
            passage_vectors = np.array([known[p.embedding_text()] for p in chunk], dtype=np.float32)
            # Units before passages: a passage present in the index always has its units.
            store.upsert_units(units, unit_vectors)
            store.upsert(chunk, passage_vectors)
            vectors.put([u.id for u in units], unit_vectors)
            vectors.put([p.id for p in chunk], passage_vectors)
    finally:
        bar.close()
        if pool is not None:
            pool.close()
    return counts


def _rebuild_beside(settings: Settings, store: PassageStore | None, passages: list[Passage], embedder: Embedder,
                    info: dict, progress: bool | None) -> tuple[tuple[int, int, int], index_files.IndexArrays]:
    """Build a whole new index beside the live one and swap it in once complete.

    An interrupted or killed rebuild is kept and resumed by the next one; a rebuild that fails
    (a full disk, say) is removed, since the room it takes may be what the disk lacks.
    """
    made = {k: info[k] for k in ("model", "chunking", "units")}
    target_name = _resumable_rebuild(settings, made)
    _remove_abandoned_rebuilds(settings, target_name)
    if settings.chroma_url:
        target = PassageStore(settings, name=f"{settings.collection}-rebuild")
        if target_name is None:
            target.reset()  # an earlier rebuild's leftovers, made by another model or chunking
    else:
        folder = settings.data_dir / (target_name or f"chroma-{secrets.token_hex(4)}")  # REBUILD_FOLDER
        target = PassageStore(settings, folder=folder)
    _record_rebuild(settings, made, target.name if settings.chroma_url else folder.name)
    try:
        counts, arrays = _sync(target, passages, embedder, info, progress, None, settings.ingest_workers)
    except Exception:
        (settings.data_dir / REBUILDING).unlink(missing_ok=True)
        if settings.chroma_url:
            _quietly(target.reset)
        else:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    if settings.chroma_url:
        # A server has no atomic swap: between these two steps the index is missing for a moment.
        (store or PassageStore(settings)).reset()
        target.rename(settings.collection)
    else:
        old = index_folder(settings)
        try:
            switch_index(settings, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
    (settings.data_dir / REBUILDING).unlink(missing_ok=True)
    if store is not None:
        store.reconnect()  # the caller's store now reads the new index
    return (counts[0], 0, 0), arrays


def _resumable_rebuild(settings: Settings, made: dict) -> str | None:
    """The folder (or server collection) of a killed rebuild by the same model, chunking and units, if any."""
    try:
        record = json.loads((settings.data_dir / REBUILDING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("info") != made:
        return None
    target = record.get("target", "")
    if settings.chroma_url:
        return target if target == f"{settings.collection}-rebuild" else None
    return target if REBUILD_FOLDER.fullmatch(target) and (settings.data_dir / target).is_dir() else None


def _record_rebuild(settings: Settings, made: dict, target: str) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / REBUILDING).write_text(json.dumps({"info": made, "target": target}), encoding="utf-8")


def _remove_abandoned_rebuilds(settings: Settings, keep: str | None) -> None:
    """Folders of rebuilds killed before their swap, but `keep` (only the writer, holding the lock, calls this)."""
    if keep is None:
        (settings.data_dir / REBUILDING).unlink(missing_ok=True)
    if settings.chroma_url or not settings.data_dir.is_dir():
        return
    live = index_folder(settings)
    for folder in settings.data_dir.glob("chroma-*"):
        if folder.is_dir() and folder != live and folder.name != keep and REBUILD_FOLDER.fullmatch(folder.name):
            shutil.rmtree(folder, ignore_errors=True)


def _quietly(action) -> None:
    try:
        action()
    except Exception:
        pass  # cleaning up after a failure that is already being reported


_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
# How a full disk (or a file-size limit) surfaces through Chroma's Rust and SQLite layers.
_DISK_FULL_WORDS = ("disk is full", "disk i/o error", "no space left", "file too large", "quota exceeded")


def write_failed(settings: Settings, exc: BaseException) -> StoreError:
    """One line for a failed ingest, with a hint that never deletes the index (`exc` itself for other StoreErrors)."""
    first = first_line(exc)
    again = "nothing indexed before this run is lost"
    if _disk_full(exc) or (not settings.chroma_url and _cannot_write(settings.data_dir)):
        where = settings.chroma_url or settings.data_dir
        return StoreError(f"cannot write the index at {where}: the disk is full or refuses writes ({first}); "
                          f"free some space and run `rag ingest` again ({again})")
    if settings.chroma_url and _is_transport_error(exc):
        return StoreError(f"the Chroma server at {settings.chroma_url} stopped answering during the ingest ({first}); "
                          f"run `rag ingest` again once it is back ({again})")
    if isinstance(exc, StoreError):
        return exc
    return StoreError(f"the ingest failed: {first} ({again}; run `rag ingest` again)")


def _disk_full(exc: BaseException) -> bool:
    for e in _chain(exc):
        if isinstance(e, OSError) and e.errno in _DISK_FULL_ERRNOS:
            return True
        if any(word in str(e).lower() for word in _DISK_FULL_WORDS):
            return True
    return False


def _cannot_write(folder, probe_bytes: int = 1 << 20) -> bool:
    """Whether writing a probe file into `folder` fails for want of room: Chroma's compaction errors hide why
    ("Failed to apply logs to the metadata segment"), so a failed write is asked again, plainly."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"\0" * probe_bytes)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as e:
        return e.errno in _DISK_FULL_ERRNOS
    return False


def _is_transport_error(exc: BaseException) -> bool:
    import httpx

    return any(isinstance(e, (httpx.TransportError, ConnectionError)) for e in _chain(exc))


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _encode(embedder: Embedder, texts: list[str], bar):
    """(text, vector) pairs of `texts`, embedded a slice at a time so that the progress bar moves.

    The texts are sorted by length first, so that a slice (and each batch in it) pads little.
    """
    ordered = sorted(texts, key=len)
    for i in range(0, len(ordered), PROGRESS_SLICE):
        part = ordered[i:i + PROGRESS_SLICE]
        yield from zip(part, embedder.encode(part, batch_size=PROGRESS_SLICE))
        bar.update(len(part))


def _progress(total: int, enabled: bool | None):
    """A bar on a terminal, with the time left: how many passages and sentences are embedded so far."""
    from tqdm import tqdm

    return tqdm(total=total, desc="Loading the embedding model", unit=" texts", file=sys.stderr,
                disable=(not enabled) if enabled is not None else None, dynamic_ncols=True, smoothing=0.1,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                           "[{elapsed} elapsed, about {remaining} left, {rate_fmt}]")
