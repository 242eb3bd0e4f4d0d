"""Load a folder of .md, .txt and .html articles (or their .gz copies) as Documents, reading only bounded text files
inside it."""
from __future__ import annotations

import gzip
import io
import logging
import os
import re
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

from .decoding import BinaryFile, decode_text, strip_controls
from .front_matter import TITLE_CHARS, FrontMatterError, plain_value, split_front_matter
from .html_text import html_to_markdown
from .settings import Settings
from .types import Document

logger = logging.getLogger(__name__)

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html"}
COMPRESSED = ".gz"


def article_kind(path: Path) -> str | None:
    """markdown, text or html for an article file (also "name.txt.gz"), None for any other file."""
    suffixes = [s.lower() for s in Path(path).suffixes[-2:]]
    if suffixes[-1:] == [COMPRESSED]:
        suffixes = suffixes[:-1]
    return SUFFIXES.get(suffixes[-1]) if suffixes else None


def _is_compressed(path: Path) -> bool:
    return path.suffix.lower() == COMPRESSED


class CorpusError(Exception):
    """The corpus folder is missing, empty or unreadable."""


class UnreadableFile(CorpusError):
    """One file of the corpus cannot be read safely; `reason` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Skipped:
    path: Path  # as found in the corpus folder (a link's own path, not its target)
    reason: str


class Corpus(list):
    """The Documents of a corpus folder (a plain list to existing callers) and the files skipped reading it."""

    def __init__(self, documents=(), skipped=()) -> None:
        super().__init__(documents)
        self.skipped: list[Skipped] = list(skipped)


def load_corpus(folder: Path, *, max_file_bytes: int = Settings.max_file_bytes,
                max_files: int = Settings.max_files, cached=None) -> Corpus:
    """Every article of `folder` (recursively) as one Document, in path order.

    `cached(path)` may give the Document of a file read before and unchanged since (or None).

    Files that cannot be read safely (links out of the folder, FIFOs, too large, binary, bad front
    matter) are skipped with a logged warning and listed in the result's `skipped`. Raises
    CorpusError when the folder is missing, holds more than `max_files` articles, or none readable.
    """
    skipped: list[Skipped] = []
    documents = []
    for path in corpus_files(folder, max_files, skipped):
        try:
            documents.append((cached and cached(path)) or load_document(path, Path(folder), max_file_bytes))
        except UnreadableFile as exc:
            _skip(skipped, path, exc.reason)
    if not documents:
        count = len(skipped)
        detail = f" ({count} file{'s' if count != 1 else ''} skipped, see the warnings)" if count else ""
        raise CorpusError(f"no .md, .txt or .html articles (or .gz copies of them) in {folder}{detail}")
    return Corpus(documents, skipped)


def corpus_files(folder: Path, max_files: int = Settings.max_files, skipped: list[Skipped] | None = None) -> list[Path]:
    """The article files of `folder` and its sub-folders, hidden ones left out, in path order.

    Symbolic links are never followed out of the folder: a link to a file is kept only when its
    target is a regular file inside the folder, and links to folders are not followed at all (one
    inside is read under its own path already, and following could loop). FIFOs and devices are
    skipped: opening a FIFO blocks until someone writes to it.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder} (set RAG_CORPUS_DIR or pass --corpus)")
    skipped = [] if skipped is None else skipped
    root = folder.resolve()
    found: list[Path] = []
    pending = [folder]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:
            _skip(skipped, directory, f"cannot list this folder ({exc.strerror or exc})")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            is_article = article_kind(path) is not None
            try:
                if entry.is_symlink():
                    reason = _link_problem(path, root, is_article)
                    if reason is None:
                        found.append(path)
                    elif reason:
                        _skip(skipped, path, reason)
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                elif is_article:
                    if entry.is_file(follow_symlinks=False):
                        found.append(path)
                    else:
                        _skip(skipped, path, "not a regular file")
            except OSError as exc:
                _skip(skipped, path, f"cannot read it ({exc.strerror or exc})")
            if len(found) > max_files:
                raise CorpusError(f"more than {max_files:,} article files in {folder}: raise RAG_MAX_FILES "
                                  "or point RAG_CORPUS_DIR at a smaller folder")
    if any(not _is_compressed(p) for p in found):
        # Debian's doc folders keep a compressed text copy of the HTML they ship (book.en.txt.gz beside ch*.html):
        # read the .gz copies only when they are all the folder has, so nothing is indexed twice
        for path in (p for p in found if _is_compressed(p)):
            _skip(skipped, path, "a compressed copy; this folder has uncompressed articles, which are read instead")
        found = [p for p in found if not _is_compressed(p)]
    return sorted(found)


def _link_problem(path: Path, root: Path, is_article: bool) -> str | None:
    """None: read the link; "": ignore it quietly; else why it is skipped."""
    target = Path(os.path.realpath(path))
    is_dir = target.is_dir()
    if not (is_dir or is_article):
        return ""  # a link to an image or the like: not an article either way
    if not target.is_relative_to(root):
        return f"a link to {target}, outside the corpus folder"
    if is_dir:
        return ""
    if not target.exists():
        return "a broken link"
    return None if target.is_file() else "not a regular file"


def load_document(path: Path, root: Path, max_bytes: int = Settings.max_file_bytes) -> Document:
    """The article at `path` (inside the corpus folder `root`); raises UnreadableFile when it must be skipped."""
    path, root = Path(path), Path(root)
    data = _read_bytes(path, root.resolve(), max_bytes)
    if _is_compressed(path):
        data = _gunzip(path, data, max_bytes)
    kind = article_kind(path)
    try:
        raw = decode_text(data, html=kind == "html")
    except BinaryFile as exc:
        raise UnreadableFile(path, str(exc)) from None
    meta: dict[str, str] = {}
    if kind == "html":
        raw, page_meta = html_to_markdown(raw)
        raw = strip_controls(raw)  # character references such as &#27; are decoded after the bytes were
        meta = {key: text for key, value in page_meta.items() if (text := plain_value(value))}
        kind = "markdown"
    try:
        fields, body_start = split_front_matter(raw)
    except FrontMatterError as exc:
        raise UnreadableFile(path, str(exc)) from None
    meta.update(fields)
    stem = Path(path.stem).stem if _is_compressed(path) else path.stem
    title = (meta.get("title") or _first_heading(raw[body_start:], kind)
             or stem.replace("-", " ").replace("_", " "))
    return Document(doc_id=path.relative_to(root).as_posix(), title=plain_value(title, TITLE_CHARS), text=raw,
                    format=kind, body_start=body_start, meta=meta)


def _read_bytes(path: Path, root: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file inside `root`, at most `max_bytes` of them.

    The target is resolved and checked again here, then opened without following a link in its
    last part and without blocking, and checked as a regular file on the open descriptor: the
    folder may have changed since it was listed.
    """
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(root):
        raise UnreadableFile(path, f"a link to {real}, outside the corpus folder")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise UnreadableFile(path, f"cannot read it ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path, "not a regular file")
        if info.st_size > max_bytes:
            raise UnreadableFile(path, _too_large(info.st_size, max_bytes))
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnreadableFile(path, _too_large(len(data), max_bytes))
    return data


def _gunzip(path: Path, data: bytes, max_bytes: int) -> bytes:
    """The decompressed bytes, at most `max_bytes` of them (a small .gz can expand without bound)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
            text = unpacked.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableFile(path, f"not a readable gzip file ({exc})") from None
    if len(text) > max_bytes:
        raise UnreadableFile(path, f"expands to over {max_bytes:,} bytes, the limit (RAG_MAX_FILE_BYTES)")
    return text


def _too_large(size: int, limit: int) -> str:
    return f"{size:,} bytes, over the limit of {limit:,} (RAG_MAX_FILE_BYTES)"


_warned: set[tuple[str, str]] = set()


def _skip(skipped: list[Skipped], path: Path, reason: str) -> None:
    """Record a skipped file; warn once per process (the assistant and ingest both load the corpus)."""
    skipped.append(Skipped(path, reason))
    if (str(path), reason) not in _warned:
        _warned.add((str(path), reason))
        logger.warning("skipped %s: %s", path, reason)


def _first_heading(text: str, kind: str) -> str | None:
    if kind != "markdown":
        return None
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.M)
    return match.group(1) if match else None
