"""One writer per data folder: every ingest holds a lock file there while it writes the index."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from .settings import Settings
from .store import StoreError

LOCK = "ingest.lock"

logger = logging.getLogger(__name__)


class IndexBusy(StoreError):
    """Another ingest kept the index for longer than this one would wait."""


@contextmanager
def writer_lock(settings: Settings) -> Iterator[bool]:
    """Hold the data folder's writer lock; yields True when another ingest held it first (this one waited).

    With a Chroma server the lock still lives in the local data folder: it serializes the
    writers of one machine, not those of several machines sharing the server.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.data_dir / LOCK)
    waited = False
    try:
        lock.acquire(timeout=0)
    except Timeout:
        waited = True
        logger.warning("waiting for another ingest of %s to finish (up to %g s)", settings.data_dir, settings.ingest_wait)
        try:
            lock.acquire(timeout=max(settings.ingest_wait, 0))
        except Timeout:
            raise IndexBusy(f"another ingest of {settings.data_dir} is still writing after {settings.ingest_wait:g} s; "
                            "try again once it has finished (RAG_INGEST_WAIT sets the wait)") from None
    try:
        yield waited
    finally:
        lock.release()
