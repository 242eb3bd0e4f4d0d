"""Bring the index in line with the corpus: embed new passages, update moved ones, delete removed ones."""
from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import sys
import time
from dataclasses import dataclass

from .corpus import CorpusError, Document, load_corpus
from .embedder import Embedder
from .passages import CHUNKING_VERSION, Passage, split_corpus
from .settings import Settings
from .store import (REBUILD_FOLDER, PassageStore, StoreError, first_line, index_folder, passage_metadata,
                    switch_index)
from .units import passage_units
from .writer_lock import writer_lock

BATCH = 64
PROGRESS_SLICE = 32  # texts embedded between two moves of the progress bar


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
    return {"model": embedder_model, "chunking": CHUNKING_VERSION}


def corpus_digest(docs: list[Document]) -> str:
    h = hashlib.sha256()
    for doc in sorted(docs, key=lambda d: d.doc_id):
        h.update(f"{doc.doc_id}\0{doc.digest}\0".encode())
    return h.hexdigest()


STAMP = "index-stamp.json"


def _chroma_fingerprint(settings: Settings) -> list | None:
    """The local Chroma database's path and size; None for a Chroma server or a missing database.

    Its size changes when anything but a reader touched it (a truncated file, another writer);
    its modification time cannot serve, since Chroma rewrites the file even when only reading.
    """
    database = index_folder(settings) / "chroma.sqlite3"
    if settings.chroma_url or not database.is_file():
        return None
    return [str(database.resolve()), database.stat().st_size]


def _stamp(settings: Settings, docs: list[Document], model_id: str) -> dict | None:
    fingerprint = _chroma_fingerprint(settings)
    if fingerprint is None:
        return None
    return {**index_info(model_id), "corpus_digest": corpus_digest(docs), "chroma": fingerprint}


def current_by_stamp(settings: Settings, docs: list[Document], model_id: str) -> int | None:
    """The passage count when the local index is known current without opening Chroma, else None.

    Every ingest removes the stamp before it writes to the index and writes it back once the
    index is current, so a killed ingest, another model or chunking, a changed corpus or a
    missing database all send the caller the slow way (importing chromadb alone costs ~0.7 s).
    `rag ingest --rebuild` ignores the stamp.
    """
    import json

    expected = _stamp(settings, docs, model_id)
    try:
        stamp = json.loads((settings.data_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if expected is None or {k: stamp.get(k) for k in expected} != expected:
        return None
    return stamp.get("passages")


def write_stamp(settings: Settings, docs: list[Document], model_id: str, passages: int) -> None:
    import json
    import os

    stamp = _stamp(settings, docs, model_id)
    path = settings.data_dir / STAMP
    if stamp is None:
        path.unlink(missing_ok=True)
        return
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({**stamp, "passages": passages}), encoding="utf-8")
    os.replace(partial, path)


def is_stale(store: PassageStore, docs: list[Document], model_id: str) -> bool:
    info = store.info
    expected = index_info(model_id)
    return (not info or any(info.get(k) != v for k, v in expected.items())
            or info.get("corpus_digest") != corpus_digest(docs))


def ingest(settings: Settings, *, store: PassageStore | None = None, embedder: Embedder | None = None,
           rebuild: bool = False, progress: bool | None = None) -> IngestReport:
    """Bring the index in line with the corpus, holding the data folder's writer lock while writing.

    A rebuild (asked for, or a changed model or chunking) writes a new index beside the old one
    and swaps it in once complete, so a failed rebuild leaves the old index answering.
    """
    started = time.perf_counter()
    docs = load_corpus(settings.corpus_dir, max_file_bytes=settings.max_file_bytes, max_files=settings.max_files)
    embedder = embedder or Embedder(settings.torch_threads, settings.data_dir if settings.onnx else None)
    known = None if rebuild or store is not None else current_by_stamp(settings, docs, embedder.model_id)
    if known is not None and (not settings.onnx or embedder.has_onnx()):
        return IngestReport(len(docs), known, 0, 0, 0, False, time.perf_counter() - started, len(docs.skipped))
    passages = split_corpus(docs)
    if not passages:
        raise CorpusError(f"the articles in {settings.corpus_dir} contain no text")
    with writer_lock(settings) as waited:
        if waited and store is not None:
            store.reconnect()  # another process wrote the index meanwhile
        try:
            counts, rebuilt = _write(settings, store, docs, passages, embedder, rebuild, progress)
            embedder.ensure_onnx()  # no-op once written, or without a data folder for it
            write_stamp(settings, docs, embedder.model_id, len(passages))
        except CorpusError:
            raise
        except Exception as exc:
            error = write_failed(settings, exc)
            if error is exc:
                raise
            raise error from exc
    return IngestReport(len(docs), len(passages), *counts, rebuilt, time.perf_counter() - started, len(docs.skipped))


def _write(settings: Settings, store: PassageStore | None, docs: list[Document], passages: list[Passage],
           embedder: Embedder, rebuild: bool, progress: bool | None) -> tuple[tuple[int, int, int], bool]:
    """(embedded, moved, deleted) and whether the index was rebuilt."""
    (settings.data_dir / STAMP).unlink(missing_ok=True)  # written back only once the index is current
    _remove_abandoned_rebuilds(settings)
    expected = {**index_info(embedder.model_id), "corpus_digest": corpus_digest(docs), "passages": len(passages)}
    if not rebuild:  # an explicit rebuild never opens the old index: it may be the damaged thing
        store = store or PassageStore(settings)
        info = store.info
        # Only a finished index records its model; an interrupted first build is completed in place.
        rebuild = bool(info.get("corpus_digest")) and any(
            info.get(k) != v for k, v in index_info(embedder.model_id).items())
        if not rebuild:
            return _sync(store, passages, embedder, expected, progress), False
    return _rebuild_beside(settings, store, passages, embedder, expected, progress), True


def _sync(store: PassageStore, passages: list[Passage], embedder: Embedder, info: dict,
          progress: bool | None) -> tuple[int, int, int]:
    """Embed new passages, update moved ones, delete removed ones; then write `info` (with the digest) last."""
    stored = store.stored()
    wanted = {p.id: p for p in passages}
    new = [p for p in passages if p.id not in stored]
    moved = [p for p in passages if p.id in stored and stored[p.id] != passage_metadata(p)]
    removed = [pid for pid in stored if pid not in wanted]

    if new:
        units_of = {p.id: passage_units(p) for p in new}
        bar = _progress(len(new) + sum(len(u) for u in units_of.values()), progress)
        getattr(embedder, "model", None)  # loaded first (seconds on a first start) while the bar says so
        bar.set_description_str("Embedding passages and sentences")
        for i in range(0, len(new), BATCH):
            batch = new[i:i + BATCH]
            units = [u for p in batch for u in units_of[p.id]]
            # Units before passages: a passage present in the index always has its units.
            store.upsert_units(units, _encode_unique(embedder, [u.text for u in units], bar))
            store.upsert(batch, _encode(embedder, [p.embedding_text() for p in batch], bar))
        bar.close()
    store.update_metadata(moved)
    # Deleting after adding keeps a complete index answering if this run is killed midway.
    store.delete(removed)
    # Written last: a digest that matches the corpus means the index is complete; readers refuse
    # an index without one (its first build is under way).
    store.set_info(info)
    return len(new), len(moved), len(removed)


def _rebuild_beside(settings: Settings, store: PassageStore | None, passages: list[Passage], embedder: Embedder,
                    info: dict, progress: bool | None) -> tuple[int, int, int]:
    """Build a whole new index beside the live one and swap it in once complete; on failure remove it."""
    if settings.chroma_url:
        target = PassageStore(settings, name=f"{settings.collection}-rebuild")
        target.reset()  # an earlier rebuild's leftovers
    else:
        folder = settings.data_dir / f"chroma-{secrets.token_hex(4)}"  # REBUILD_FOLDER
        target = PassageStore(settings, folder=folder)
    try:
        counts = _sync(target, passages, embedder, info, progress)
    except BaseException:
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
    if store is not None:
        store.reconnect()  # the caller's store now reads the new index
    return counts[0], 0, 0


def _remove_abandoned_rebuilds(settings: Settings) -> None:
    """Folders of rebuilds that were killed before their swap (only the writer, holding the lock, calls this)."""
    if settings.chroma_url or not settings.data_dir.is_dir():
        return
    live = index_folder(settings)
    for folder in settings.data_dir.glob("chroma-*"):
        if folder.is_dir() and folder != live and REBUILD_FOLDER.fullmatch(folder.name):
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
    """Encode `texts` a slice at a time, so the progress bar moves (and its time estimate means something)."""
    import numpy as np

    if not texts:
        return embedder.encode(texts)
    parts = []
    for i in range(0, len(texts), PROGRESS_SLICE):
        parts.append(embedder.encode(texts[i:i + PROGRESS_SLICE]))
        bar.update(len(parts[-1]))
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _encode_unique(embedder: Embedder, texts: list[str], bar):
    """Encode each distinct text once: heading units repeat across a section's passages."""
    distinct = list(dict.fromkeys(texts))
    vectors = _encode(embedder, distinct, bar)
    bar.update(len(texts) - len(distinct))
    row = {t: i for i, t in enumerate(distinct)}
    return vectors[[row[t] for t in texts]]


def _progress(total: int, enabled: bool | None):
    """A bar on a terminal, with the time left: how many passages and sentences are embedded so far."""
    from tqdm import tqdm

    return tqdm(total=total, desc="Loading the embedding model", unit=" texts", file=sys.stderr,
                disable=(not enabled) if enabled is not None else None, dynamic_ncols=True,
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed} elapsed, about {remaining} left]")
