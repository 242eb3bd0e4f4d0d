"""Documents and passages already made, kept by file status: a re-ingest reads and splits only the files that changed.

Converting 40 pages of Sphinx HTML took ~2 s of a re-ingest; a file whose size, times and
inode are unchanged (and read by the same code, with the same size limit) gives the same
Document, so it is taken from here. The cache is only ever a shortcut: a missing or
unreadable cache means every file is read.
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from .corpus import Document
from .passages import Passage, split_document
from .settings import Settings
from .stamp import code_digest, file_status

FILE = "documents-cache.json"
DOCUMENT_FIELDS = ("doc_id", "title", "text", "format", "body_start", "meta")
PASSAGE_FIELDS = ("id", "doc_id", "source", "section", "text", "start", "end", "kind", "url")

logger = logging.getLogger(__name__)


class DocumentCache:
    def __init__(self, settings: Settings) -> None:
        self.path = Path(settings.data_dir) / FILE
        self.root = Path(settings.corpus_dir)
        self.key = f"{code_digest()}:{settings.max_file_bytes}:{self.root.resolve()}"
        self._entries: dict[str, dict] = {}
        self._status: dict[str, list[int]] = {}  # what each file's status was when this run read it
        self._hits: dict[int, list[Passage]] = {}  # id() of a Document taken from the cache -> its passages
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("key") == self.key:
                self._entries = data["files"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass  # no cache (yet): every file is read

    def document(self, path: Path) -> Document | None:
        """The cached Document of `path` when the file is unchanged since it was cached; None to read it."""
        rel = path.relative_to(self.root).as_posix()
        try:
            status = file_status(path)
        except OSError:
            return None
        self._status[rel] = status
        entry = self._entries.get(rel)
        if not entry or entry.get("status") != status:
            return None
        try:
            doc = Document(**{f: entry["doc"][f] for f in DOCUMENT_FIELDS})
            self._hits[id(doc)] = [Passage(*row) for row in zip(*(entry["passages"][f] for f in PASSAGE_FIELDS))]
        except (KeyError, TypeError):
            return None
        return doc

    def passages(self, docs: list[Document]) -> list[Passage]:
        """The passages of `docs` in order: cached for cached documents, split for the others."""
        return [p for doc in docs for p in (self._hits.get(id(doc)) or split_document(doc))]

    @property
    def hits(self) -> int:
        return len(self._hits)

    def save(self, docs: list[Document], passages: list[Passage]) -> None:
        """Keep `docs` (read this run) and their passages for the next run; quietly skipped when it cannot be written."""
        if len(self._hits) == len(docs) and len(self._entries) == len(docs):
            return  # nothing was read from disk: the cache holds exactly these already
        by_doc: dict[str, list[Passage]] = {}
        for p in passages:
            by_doc.setdefault(p.doc_id, []).append(p)
        files = {}
        for doc in docs:
            status = self._status.get(doc.doc_id)
            if status is None:
                continue  # not looked up through this cache: its status when read is unknown
            rows = by_doc.get(doc.doc_id, [])
            files[doc.doc_id] = {"status": status, "doc": {f: getattr(doc, f) for f in DOCUMENT_FIELDS},
                                 "passages": {f: [getattr(p, f) for p in rows] for f in PASSAGE_FIELDS}}
        partial = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps({"key": self.key, "files": files}, ensure_ascii=False), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            logger.warning("could not keep the documents read for the next ingest (%s): it will read them again", exc)
