"""Bring the index in line with the corpus: embed new passages, update moved ones, delete removed ones."""
from __future__ import annotations

import hashlib
import shutil
import sys
import time
from dataclasses import dataclass

from .corpus import CorpusError, Document, load_corpus
from .embedder import Embedder
from .passages import CHUNKING_VERSION, split_corpus
from .settings import Settings
from .store import PassageStore, passage_metadata
from .units import passage_units

BATCH = 64


@dataclass(frozen=True)
class IngestReport:
    documents: int
    passages: int
    embedded: int
    moved: int
    deleted: int
    rebuilt: bool
    seconds: float

    def summary(self) -> str:
        docs = f"{self.passages} passages from {self.documents} document{'s' if self.documents != 1 else ''}"
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
    database = settings.data_dir / "chroma" / "chroma.sqlite3"
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
    started = time.perf_counter()
    docs = load_corpus(settings.corpus_dir, max_file_bytes=settings.max_file_bytes, max_files=settings.max_files)
    embedder = embedder or Embedder(settings.torch_threads, settings.data_dir if settings.onnx else None)
    known = None if rebuild or store is not None else current_by_stamp(settings, docs, embedder.model_id)
    if known is not None and (not settings.onnx or embedder.has_onnx()):
        return IngestReport(len(docs), known, 0, 0, 0, False, time.perf_counter() - started)
    passages = split_corpus(docs)
    if not passages:
        raise CorpusError(f"the articles in {settings.corpus_dir} contain no text")
    (settings.data_dir / STAMP).unlink(missing_ok=True)  # written back only once the index is current
    if rebuild and store is None and not settings.chroma_url:
        # Starting over from an empty folder also repairs a database Chroma can no longer open.
        shutil.rmtree(settings.data_dir / "chroma", ignore_errors=True)
    store = store or PassageStore(settings)
    expected = index_info(embedder.model_id)
    info = store.info
    rebuilt = rebuild or (bool(info) and any(info.get(k) != v for k, v in expected.items()))
    if rebuilt:
        store.reset()
    stored = store.stored()
    wanted = {p.id: p for p in passages}
    new = [p for p in passages if p.id not in stored]
    moved = [p for p in passages if p.id in stored and stored[p.id] != passage_metadata(p)]
    removed = [pid for pid in stored if pid not in wanted]

    if new:
        bar = _progress(len(new), progress)
        for i in range(0, len(new), BATCH):
            batch = new[i:i + BATCH]
            units = [u for p in batch for u in passage_units(p)]
            # Units before passages: a passage present in the index always has its units.
            store.upsert_units(units, _encode_unique(embedder, [u.text for u in units]))
            store.upsert(batch, embedder.encode([p.embedding_text() for p in batch]))
            bar.update(len(batch))
        bar.close()
    store.update_metadata(moved)
    # Deleting after adding keeps a complete index answering if this run is killed midway.
    store.delete(removed)
    # Written last: a digest that matches the corpus means the index is complete.
    store.set_info({**expected, "corpus_digest": corpus_digest(docs), "passages": len(passages)})
    embedder.ensure_onnx()  # no-op once written, or without a data folder for it
    write_stamp(settings, docs, embedder.model_id, len(passages))
    return IngestReport(len(docs), len(passages), len(new), len(moved), len(removed), rebuilt,
                        time.perf_counter() - started)


def _encode_unique(embedder: Embedder, texts: list[str]):
    """Encode each distinct text once: heading units repeat across a section's passages."""
    distinct = list(dict.fromkeys(texts))
    vectors = embedder.encode(distinct)
    row = {t: i for i, t in enumerate(distinct)}
    return vectors[[row[t] for t in texts]]


def _progress(total: int, enabled: bool | None):
    from tqdm import tqdm

    return tqdm(total=total, desc="Embedding passages", unit="passage", file=sys.stderr,
                disable=(not enabled) if enabled is not None else None)
