"""`rag status`: what the index holds and whether the corpus changed since it was built, without loading the model."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from .corpus import CorpusError, load_corpus
from .embedder import Embedder
from .ingest import corpus_digest, index_info
from .stamp import STAMP
from .passages import split_corpus
from .settings import Settings
from .store import PassageStore, index_folder, passage_metadata

CURRENT, STALE, INCOMPLETE, MISSING = "current", "stale", "incomplete", "missing"


def index_status(settings: Settings) -> dict:
    """The index of `settings.data_dir` (or its Chroma server) compared with `settings.corpus_dir`.

    `state` is current, stale (the corpus, the model or the chunking changed since the last ingest),
    incomplete (an ingest is under way or was interrupted) or missing (no index yet). Reads Chroma
    and the corpus files; never loads the embedding model.
    """
    status: dict = {"state": MISSING, "data_dir": str(settings.data_dir), "corpus_dir": str(settings.corpus_dir)}
    if not settings.chroma_url:
        if not (index_folder(settings) / "chroma.sqlite3").is_file():
            return status  # opening Chroma here would create an empty index folder
        status["index_dir"] = str(index_folder(settings))
    store = PassageStore(settings)
    if store.collection() is None:
        return status
    info = store.info
    stored = store.stored()
    units = store.units()
    status.update(
        model=info.get("model"),
        dimension=_dimension(store),
        documents=len({meta.get("doc_id") for meta in stored.values()}),
        passages=len(stored),
        units=store._read(units.count) if units is not None else 0,
        chunking=info.get("chunking"),
        index_bytes=None if settings.chroma_url else folder_bytes(index_folder(settings)),
        data_bytes=folder_bytes(settings.data_dir),
        last_ingest=_last_ingest(settings),
    )
    if not info.get("corpus_digest"):
        status["state"] = INCOMPLETE
        return status
    status.update(_compare_with_corpus(settings, info, stored))
    return status


def _compare_with_corpus(settings: Settings, info: dict, stored: dict[str, dict]) -> dict:
    """state, and what differs: the model or chunking, and the files added, changed or removed since the last ingest."""
    try:
        docs = load_corpus(settings.corpus_dir, max_file_bytes=settings.max_file_bytes, max_files=settings.max_files)
    except CorpusError as exc:
        return {"state": STALE, "corpus_error": str(exc), "added": [], "changed": [], "removed": []}
    expected = index_info(Embedder.model_id)
    reasons = [f"{key} {info.get(key)!r} in the index, {value!r} now" for key, value in expected.items()
               if info.get(key) != value]
    indexed: dict[str, set] = {}
    for pid, meta in stored.items():
        indexed.setdefault(meta.get("doc_id", ""), set()).add((pid, _frozen(meta)))
    found: dict[str, set] = {doc.doc_id: set() for doc in docs}
    for p in split_corpus(docs):
        found[p.doc_id].add((p.id, _frozen(passage_metadata(p))))
    added = sorted(set(found) - set(indexed))
    removed = sorted(set(indexed) - set(found))
    changed = sorted(d for d in set(found) & set(indexed) if found[d] != indexed[d])
    stale = bool(reasons) or info.get("corpus_digest") != corpus_digest(docs) or bool(added or removed or changed)
    out = {"state": STALE if stale else CURRENT, "added": added, "changed": changed, "removed": removed}
    if reasons:
        out["reasons"] = reasons
    return out


def _frozen(meta: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in (meta or {}).items()))


def _dimension(store: PassageStore) -> int | None:
    """The length of a stored passage vector (that of the model that embedded the index)."""
    got = store._read(lambda: store.collection().get(limit=1, include=["embeddings"]))
    vectors = got.get("embeddings")
    return len(vectors[0]) if vectors is not None and len(vectors) else None


def _last_ingest(settings: Settings) -> str | None:
    """When the last ingest finished writing, as ISO 8601 UTC: its stamp is written last (local indexes only)."""
    try:
        written = (settings.data_dir / STAMP).stat().st_mtime
    except OSError:
        return None
    return datetime.fromtimestamp(written, timezone.utc).isoformat(timespec="seconds")


def folder_bytes(folder: Path) -> int:
    """Bytes of the regular files under `folder` (links not followed)."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
    return total


def status_text(status: dict) -> str:
    """`status` for people: one line when there is no index, else one fact per line."""
    if status["state"] == MISSING:
        return f"No index yet in {status['data_dir']}: `rag ingest` builds it from {status['corpus_dir']}."
    lines = [
        f"index       {status.get('index_dir') or status['data_dir']}",
        f"model       {status['model']} ({status['dimension']} dimensions)",
        f"contents    {status['documents']} documents, {status['passages']} passages, {status['units']} units",
        f"on disk     {_size(status['index_bytes'])} index, {_size(status['data_bytes'])} data folder",
        f"last ingest {status['last_ingest'] or 'unknown'}",
    ]
    if status["state"] == INCOMPLETE:
        lines.append("state       incomplete: an ingest is under way or was interrupted (`rag ingest` finishes it)")
    elif status["state"] == CURRENT:
        lines.append(f"state       current: {status['corpus_dir']} has not changed since the last ingest")
    else:
        lines.append(f"state       stale: `rag ingest` brings the index in line with {status['corpus_dir']}")
        lines.extend(f"  {reason}" for reason in status.get("reasons", []))
        if status.get("corpus_error"):
            lines.append(f"  the corpus cannot be read: {status['corpus_error']}")
        for word in ("added", "changed", "removed"):
            lines.extend(f"  {word:8}{doc_id}" for doc_id in status[word])
    return "\n".join(lines)


def _size(count: int | None) -> str:
    if count is None:
        return "unknown"
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return ""
