"""Load a folder of .md, .txt and .html articles as Documents with their front matter."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .html_text import html_to_markdown

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html"}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.S)


class CorpusError(Exception):
    """The corpus folder is missing, empty or unreadable."""


@dataclass(frozen=True)
class Document:
    doc_id: str  # path relative to the corpus folder, with forward slashes
    title: str
    text: str  # the file's text (HTML: reduced to Markdown); spans index into it
    format: str  # "markdown" or "text" (HTML is parsed as the Markdown it was reduced to)
    body_start: int = 0  # where the text starts after front matter
    meta: dict = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def corpus_files(folder: Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusError(f"corpus folder not found: {folder} (set RAG_CORPUS_DIR or pass --corpus)")
    files = sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    return files


def load_corpus(folder: Path) -> list[Document]:
    """Every article of `folder` (recursively) as one Document; raises CorpusError if there are none."""
    files = corpus_files(folder)
    if not files:
        raise CorpusError(f"no .md, .txt or .html articles in {folder}")
    return [load_document(path, Path(folder)) for path in files]


def load_document(path: Path, root: Path) -> Document:
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raw = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc}") from exc
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    doc_id = path.relative_to(root).as_posix()
    kind = SUFFIXES[path.suffix.lower()]
    meta: dict = {}
    if kind == "html":
        raw, meta = html_to_markdown(raw)
        kind = "markdown"
    body_start = 0
    match = _FRONT_MATTER.match(raw)
    if match:
        meta.update(_parse_front_matter(match.group(1)))
        body_start = match.end()
    title = str(meta.get("title") or _first_heading(raw[body_start:], kind) or path.stem.replace("-", " ").replace("_", " "))
    return Document(doc_id=doc_id, title=title.strip(), text=raw, format=kind, body_start=body_start, meta=meta)


def _parse_front_matter(block: str) -> dict:
    import yaml  # only ingest reads front matter; keep it off the query path

    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        return {}
    return {str(k): v for k, v in data.items()} if isinstance(data, dict) else {}


def _first_heading(text: str, kind: str) -> str | None:
    if kind != "markdown":
        return None
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.M)
    return match.group(1) if match else None
