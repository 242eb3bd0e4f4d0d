"""The index as plain files beside Chroma: passages and vectors written at ingest, memory-mapped at start.

Reading 8k passages with their vectors out of Chroma took ~2 s and imported chromadb (~0.7 s,
~100 MB); numpy maps these files in milliseconds and pages in only the rows a question
touches. Chroma stays the durable store: the stamp (rag/stamp.py) names the folder of files
that matches it, and without a valid stamp the index is read from Chroma as before.

A folder holds:
    manifest.json     format, the index metadata it was written from, the row counts
    passages.json     one list per passage field, plus each passage's sentence count and heading row
    passages.npy      one vector per passage, in document order
    sentences.npy     the sentence units of passages with more than one sentence, grouped by passage
    headings.npy      one vector per distinct heading text (headings.json names them)
"""
from __future__ import annotations

import json
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .passages import Passage

FORMAT = 2  # 2: passages carry their url
PREFIX = "index-files-"
DIM = 384
FIELDS = ("id", "doc_id", "source", "section", "text", "start", "end", "kind", "url")


@dataclass(frozen=True)
class IndexArrays:
    """One complete reading of the index, from its files or from Chroma."""
    info: dict  # the collection metadata: model, chunking, units, corpus digest
    passages: list[Passage]  # in document order
    matrix: np.ndarray  # passage vectors, one row per passage
    sentence_counts: np.ndarray  # per passage: its sentence units (0: its own vector is its one sentence)
    sentences: np.ndarray  # sentence-unit vectors, grouped by passage, in passage and sentence order
    heading_row: np.ndarray  # per passage: the row of its heading in `headings`
    heading_texts: list[str]
    headings: np.ndarray


def write(data_dir: Path, arrays: IndexArrays) -> str:
    """Write the arrays into a new folder of the data folder; its name (for the stamp)."""
    name = f"{PREFIX}{secrets.token_hex(4)}"
    folder = Path(data_dir) / name
    folder.mkdir(parents=True)
    try:
        columns = {f: [getattr(p, f) for p in arrays.passages] for f in FIELDS}
        columns["sentences"] = [int(n) for n in arrays.sentence_counts]
        columns["heading"] = [int(r) for r in arrays.heading_row]
        (folder / "passages.json").write_text(json.dumps(columns, ensure_ascii=False), encoding="utf-8")
        (folder / "headings.json").write_text(json.dumps(arrays.heading_texts, ensure_ascii=False), encoding="utf-8")
        for file, matrix in (("passages", arrays.matrix), ("sentences", arrays.sentences), ("headings", arrays.headings)):
            np.save(folder / f"{file}.npy", np.ascontiguousarray(matrix, dtype=np.float32))
        manifest = {"format": FORMAT, "info": arrays.info, "passages": len(arrays.passages),
                    "sentences": len(arrays.sentences), "headings": len(arrays.heading_texts)}
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")  # last: marks the folder whole
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return name


class Unreadable(Exception):
    """The folder is missing, incomplete or does not match what the stamp says."""


def read(data_dir: Path, name: str, info: dict | None = None) -> IndexArrays:
    """The arrays of folder `name`, vectors memory-mapped; Unreadable unless whole and (if given) made from `info`."""
    folder = Path(data_dir) / name
    if not name.startswith(PREFIX) or "/" in name or name in {".", ".."}:
        raise Unreadable(f"not an index files folder: {name!r}")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or (info is not None and manifest.get("info") != info):
            raise Unreadable(f"{folder} was written from another index")
        columns = json.loads((folder / "passages.json").read_text(encoding="utf-8"))
        heading_texts = json.loads((folder / "headings.json").read_text(encoding="utf-8"))
        matrix = _matrix(folder / "passages.npy", manifest["passages"])
        sentences = _matrix(folder / "sentences.npy", manifest["sentences"])
        headings = _matrix(folder / "headings.npy", manifest["headings"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Unreadable(f"cannot read {folder}: {exc}") from exc
    n = manifest["passages"]
    counts = np.asarray(columns["sentences"], dtype=np.int32)
    heading_row = np.asarray(columns["heading"], dtype=np.int32)
    if (any(len(columns[f]) != n for f in FIELDS) or len(counts) != n or len(heading_row) != n
            or int(counts.sum()) != len(sentences) or len(heading_texts) != len(headings)
            or (n and (heading_row.min() < 0 or heading_row.max() >= len(headings)))):
        raise Unreadable(f"{folder}: its files disagree on the number of rows")
    passages = [Passage(*values) for values in zip(*(columns[f] for f in FIELDS))]
    return IndexArrays(manifest["info"], passages, matrix, counts, sentences, heading_row, heading_texts, headings)


def _matrix(path: Path, rows: int) -> np.ndarray:
    if rows == 0:
        return np.zeros((0, DIM), dtype=np.float32)
    matrix = np.load(path, mmap_mode="r")
    if matrix.dtype != np.float32 or matrix.ndim != 2 or matrix.shape[0] != rows:
        raise Unreadable(f"{path}: {matrix.shape} {matrix.dtype}, expected {rows} float32 rows")
    return matrix


def remove_others(data_dir: Path, keep: str | None) -> None:
    """Remove every index files folder but `keep` (a reader that mapped one keeps its pages until it lets go)."""
    for folder in Path(data_dir).glob(f"{PREFIX}*"):
        if folder.name != keep and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)


def assemble(info: dict, passages: list[Passage], counts: dict[str, int], lookup, dtype=np.float32) -> IndexArrays:
    """The arrays of `passages` (put in document order), their vectors from lookup(ids) -> matrix.

    `counts` gives each passage's number of sentence units (ids "<passage id>:s<n>");
    heading units have ids rag.units.heading_id(text).
    """
    from .units import heading_id, heading_text

    order = sorted(passages, key=lambda p: (p.doc_id, p.start))
    rows: dict[str, int] = {}
    heading_row = np.array([rows.setdefault(heading_text(p), len(rows)) for p in order], dtype=np.int32)
    texts = list(rows)
    sentence_counts = np.array([counts.get(p.id, 0) for p in order], dtype=np.int32)
    sentence_ids = [f"{p.id}:s{i}" for p, n in zip(order, sentence_counts) for i in range(n)]
    return IndexArrays(info, order, _stack(lookup([p.id for p in order]), dtype), sentence_counts,
                       _stack(lookup(sentence_ids), dtype), heading_row, texts,
                       _stack(lookup([heading_id(t) for t in texts]), dtype))


def _stack(matrix, dtype) -> np.ndarray:
    return np.asarray(matrix, dtype=dtype).reshape(-1, DIM)


def sentence_starts(counts: np.ndarray) -> np.ndarray:
    """Where each passage's sentence units start in the sentences matrix (one more entry: the end)."""
    return np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(counts, dtype=np.int64)])

