"""Synthetic corpora for the scaling curve: passages recombined from the article's sentences under its headings.

Generated in order from one seed, so a smaller corpus is a prefix of a larger one. Embedding
100k passages for real would take about an hour on one core (~30 passages/s), so a passage's
vector is the normalised mean of its sentences' vectors: only the article's few hundred
sentences and headings are embedded, and cached in the data folder. The vectors are spread
like real ones, which is what the latency and memory of search depend on; the real embedding
rate is measured on the article itself (`ingest_s`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from rag.passages import Passage
from rag.sentences import split_sentences
from rag.units import Unit, heading_id, heading_of

SEED = 7
PASSAGES_PER_DOC = 250


def pools(passages: list[Passage]) -> tuple[list[str], list[str]]:
    """The article's distinct sentences (of prose and list passages) and headings."""
    sentences = list(dict.fromkeys(s for p in passages if p.kind != "row" for s in split_sentences(p.text)
                                   if len(s.split()) >= 4))
    headings = list(dict.fromkeys(heading_of(p) for p in passages if heading_of(p)))
    return sentences, headings


def synthetic(n: int, sentences: list[str], headings: list[str]) -> tuple[list[Passage], list[list[int]], list[int]]:
    """n passages, and for each the indexes of its sentences and of its heading in the pools."""
    rng = np.random.default_rng(SEED)
    passages, picks, heads = [], [], []
    for i in range(n):
        k = 2 + int(rng.integers(0, 2))
        chosen = [int(x) for x in rng.choice(len(sentences), size=k, replace=False)]
        head = int(rng.integers(0, len(headings)))
        text = " ".join(sentences[j] for j in chosen)
        pid = hashlib.sha256(f"{i}\0{text}".encode()).hexdigest()[:24]
        doc = i // PASSAGES_PER_DOC
        passages.append(Passage(pid, f"syn-{doc}", f"Synthetic article {doc}", f"Synthetic article {doc} > {headings[head]}",
                                text, i * 1000, i * 1000 + len(text), "paragraph"))
        picks.append(chosen)
        heads.append(head)
    return passages, picks, heads


def units_of(passages, picks, heads, sentences, headings) -> list[Unit]:
    """Each passage's sentence units, and each heading's unit once (its passages share it)."""
    units, seen = [], set()
    for p, chosen, head in zip(passages, picks, heads):
        units += [Unit(f"{p.id}:s{i}", p.id, "sentence", sentences[j]) for i, j in enumerate(chosen)]
        if head not in seen:
            seen.add(head)
            units.append(Unit(heading_id(headings[head]), p.id, "heading", headings[head]))
    return units


def pool_vectors(texts: list[str], embedder, cache_dir: Path) -> np.ndarray:
    """Embeddings of the pool texts, cached by their content."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256("\0".join([embedder.model_id] + texts).encode()).hexdigest()[:16]
    path = cache_dir / f"pool-{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = embedder.encode(texts, batch_size=8)
    np.save(path, vectors)
    return vectors


def passage_vectors(picks: list[list[int]], sentence_vectors: np.ndarray) -> np.ndarray:
    """Each synthetic passage's vector: the normalised mean of its sentences' vectors."""
    out = np.zeros((len(picks), sentence_vectors.shape[1]), dtype=np.float32)
    for i, chosen in enumerate(picks):
        out[i] = sentence_vectors[chosen].mean(axis=0)
    return out / np.linalg.norm(out, axis=1, keepdims=True)
