"""The index stamp: proof, from file listings alone, that the local index matches the corpus (no parsing, no Chroma).

An ingest removes the stamp before it writes to the index and writes it back once the index
and its files (rag/index_files.py) are current. The stamp records the Chroma database's size,
so another writer voids it, and the status (size, times, inode) of every corpus file, so an
edited, added or removed article voids it, like `make` and `git status` tell a changed file.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from pathlib import Path

from .settings import Settings

STAMP = "index-stamp.json"
SQLITE_HEADER = b"SQLite format 3\x00"  # the first bytes of every SQLite database file
# The modules that turn files into passages and units: a change to any of them may change the passages.
TEXT_MODULES = ("corpus", "decoding", "front_matter", "html_furniture", "html_text", "html_tree", "passages", "sentences",
                "units")

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of the source of the modules that make passages."""
    h = hashlib.sha256()
    for name in TEXT_MODULES:
        h.update((Path(__file__).parent / f"{name}.py").read_bytes())
    return h.hexdigest()


def file_status(path: Path) -> list[int]:
    """What changes when a file is written, replaced or touched (ctime cannot be set back by hand)."""
    info = os.stat(path)
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def corpus_fingerprint(settings: Settings, skipped: list | None = None) -> str | None:
    """A digest of the corpus files' paths and status (and of the code reading them); None if one vanished."""
    from .corpus import corpus_files

    h = hashlib.sha256(f"{code_digest()}\0{settings.max_file_bytes}\0".encode())
    root = Path(settings.corpus_dir)
    for path in corpus_files(root, settings.max_files, skipped):
        try:
            status = file_status(path)
        except OSError:
            return None
        h.update(f"{path.relative_to(root).as_posix()}\0{status}\0".encode())
    return h.hexdigest()


def chroma_fingerprint(settings: Settings) -> list | None:
    """The local Chroma database's path and size; None for a Chroma server, a missing or an overwritten database.

    Its size changes when anything but a reader touched it (a truncated file, another writer);
    its modification time cannot serve, since Chroma rewrites the file even when only reading.
    A file that no longer starts as SQLite's do was overwritten: the index must be read (and fail) the slow way.
    """
    from .store import index_folder

    database = index_folder(settings) / "chroma.sqlite3"
    if settings.chroma_url or not database.is_file():
        return None
    try:
        with database.open("rb") as f:
            if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None
    except OSError:
        return None
    return [str(database.resolve()), database.stat().st_size]


def read_stamp(settings: Settings) -> dict | None:
    """The stamp, when it vouches for the local index as it is on disk now; else None."""
    fingerprint = chroma_fingerprint(settings)
    if fingerprint is None:
        return None
    try:
        stamp = json.loads((Path(settings.data_dir) / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) and stamp.get("chroma") == fingerprint else None


def current_stamp(settings: Settings, info: dict) -> dict | None:
    """The stamp when the index is current for the corpus as it is now and for `info` (model, chunking, units).

    Costs a listing of the corpus folder: no file is read and Chroma is not opened (importing
    chromadb alone costs ~0.7 s). Files skipped when the index was built are warned about again.
    """
    stamp = read_stamp(settings)
    if stamp is None or any(stamp.get(k) != v for k, v in info.items()):
        return None
    listed: list = []
    if corpus_fingerprint(settings, listed) != stamp.get("files"):
        return None
    seen = {str(s.path) for s in listed}
    for path, reason in stamp.get("skipped", []):
        if path not in seen:  # the listing warned about its own skips already
            logger.warning("skipped %s: %s", path, reason)
    return stamp


def write_stamp(settings: Settings, **fields) -> None:
    """Vouch for the index as it is now (call once it is complete, its files written)."""
    fingerprint = chroma_fingerprint(settings)
    path = Path(settings.data_dir) / STAMP
    if fingerprint is None:
        path.unlink(missing_ok=True)
        return
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps({**fields, "chroma": fingerprint}), encoding="utf-8")
    os.replace(partial, path)


def remove_stamp(settings: Settings) -> None:
    (Path(settings.data_dir) / STAMP).unlink(missing_ok=True)
