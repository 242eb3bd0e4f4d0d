"""Find the passages for a question: dense (passage, sentence, heading vectors) fused with BM25 by rank."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .embedder import Embedder
from .keyword import KeywordIndex
from .sentences import split_sentences
from .store import Hit, PassageStore
from .vocabulary import Vocabulary

RRF_K = 60  # the usual reciprocal-rank-fusion constant: damps the weight of rank 1 over rank 2
CANDIDATES = 20  # depth of each ranking that enters the fusion


@dataclass(frozen=True)
class DenseWeights:
    passage: float = 0.4  # cosine to the passage (with its headings)
    sentence: float = 0.4  # best cosine to one of its sentences
    heading: float = 0.2  # cosine to its nearest heading


@dataclass(frozen=True)
class Retrieval:
    """What retrieval found: ranked hits, the question as searched, and vectors the answer composer reuses."""
    hits: list[Hit]
    query: str  # the question as searched (typos corrected); answerability reads it
    vector: np.ndarray | None = None  # the embedding of `query`
    # passage id -> {sentence index: vector} for the hits, so sentences can be ranked without re-embedding
    sentence_vectors: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)


LONG_QUESTION_CHARS = 400  # past this a question is a story with a question in it


def focus_sentences(question: str, limit: int = 3) -> list[str]:
    """The asking sentences of a long question, searched on their own beside the whole.

    The embedding model reads only its first 256 word pieces, and a long story dilutes the
    one sentence that asks; short questions are searched as they are.
    """
    if len(question) <= LONG_QUESTION_CHARS:
        return []
    sentences = split_sentences(question)
    asking = [s for s in sentences if s.rstrip().endswith("?")]
    return (asking or sentences[-1:])[-limit:]


def _fuse_rankings(rankings: list[list[Hit]]) -> list[Hit]:
    """Reciprocal-rank fusion of several rankings; each passage keeps its best dense score."""
    fused: dict[str, float] = {}
    best: dict[str, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking):
            pid = hit.passage.id
            fused[pid] = fused.get(pid, 0.0) + 1 / (RRF_K + rank)
            if pid not in best or hit.score > best[pid].score:
                best[pid] = hit
    return [best[pid] for pid in sorted(fused, key=lambda pid: -fused[pid])]


class Retriever:
    def __init__(self, store: PassageStore, embedder: Embedder, top_k: int = 6, keyword_weight: float = 0.5,
                 weights: DenseWeights = DenseWeights(), correct_typos: bool = True, long_question_focus: bool = True) -> None:
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.keyword_weight = keyword_weight
        self.weights = weights
        self.correct_typos = correct_typos
        self.long_question_focus = long_question_focus
        self._keyword: KeywordIndex | None = None
        self._vocabulary: Vocabulary | None = None
        self._following: dict[str, list] | None = None
        self.generation = 0  # counts reloads of the index, so holders of derived data can rebuild

    def _load_corpus_indexes(self) -> None:
        passages = self.store.passages()
        self._keyword = KeywordIndex(passages)
        self._vocabulary = Vocabulary([f"{p.source} {p.section} {p.text}" for p in passages])

    @property
    def keyword(self) -> KeywordIndex:
        if self._keyword is None:
            self._load_corpus_indexes()
        return self._keyword

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._load_corpus_indexes()
        return self._vocabulary

    def list_after(self, passage) -> list:
        """The list items that directly follow `passage` in its document, in order."""
        if self._following is None:
            self._following = {}
            ordered = sorted(self.keyword.passages, key=lambda p: (p.doc_id, p.start))
            for i, p in enumerate(ordered):
                items = []
                for q in ordered[i + 1:]:
                    if q.doc_id != p.doc_id or q.kind != "item" or q.section != p.section:
                        break
                    items.append(q)
                self._following[p.id] = items
        return self._following.get(passage.id, [])

    def retrieve(self, question: str) -> list[Hit]:
        return self.search(question).hits

    def search(self, question: str) -> Retrieval:
        refresh = getattr(self.store, "refresh_if_changed", None)
        if refresh is not None and refresh():  # another process ingested: rebuild what was derived
            self._keyword = self._vocabulary = self._following = None
            self.generation += 1
        query = self.vocabulary.correct_text(question) if self.correct_typos else question
        focus = focus_sentences(query) if self.long_question_focus else []
        vectors = self.embedder.encode([query] + focus)
        sentence_vectors: dict[str, dict[int, np.ndarray]] = {}
        hits = self._rank(query, vectors[0], sentence_vectors)
        if focus:
            rankings = [hits] + [self._rank(text, vector, sentence_vectors) for text, vector in zip(focus, vectors[1:])]
            hits = _fuse_rankings(rankings)
        hits = hits[: self.top_k]
        kept = {h.passage.id for h in hits}
        return Retrieval(hits, query, vectors[0], {pid: v for pid, v in sentence_vectors.items() if pid in kept})

    def _rank(self, text: str, vector: np.ndarray, sentence_vectors: dict[str, dict[int, np.ndarray]]) -> list[Hit]:
        dense = self.store.query(vector, CANDIDATES)
        by_id = {h.passage.id: h for h in dense}
        use_units = self.weights.sentence > 0 or self.weights.heading > 0
        if use_units:
            for pid, _, _ in self.store.query_units(vector, 2 * CANDIDATES):
                by_id.setdefault(pid, None)
        keyword = self.keyword.search(text, CANDIDATES) if self.keyword_weight > 0 else []
        for passage, _ in keyword:
            by_id.setdefault(passage.id, Hit(passage, 0.0))
        missing = [pid for pid, hit in by_id.items() if hit is None]
        if missing:
            by_id.update({p.id: Hit(p, 0.0) for p in self.store.get(missing)})
        if use_units:
            scores = self._dense_scores(vector, list(by_id), sentence_vectors)
        else:
            # The dense score is the passage cosine; a keyword-only passage fell below the
            # dense cut-off, so the weakest dense score bounds its own.
            cosines = {h.passage.id: h.score for h in dense}
            floor = min(cosines.values(), default=0.0)
            scores = {pid: cosines.get(pid, floor) for pid in by_id}
        ranked = sorted(by_id, key=lambda pid: -scores[pid])[:CANDIDATES]
        # Hand-written fusion: llama-index's QueryFusionRetriever would put its import
        # (seconds) and async machinery on the query path for these few lines.
        fused = {pid: 1 / (RRF_K + rank) for rank, pid in enumerate(ranked)}
        for rank, (passage, _) in enumerate(keyword):
            fused[passage.id] = fused.get(passage.id, 0.0) + self.keyword_weight / (RRF_K + rank)
        order = sorted(fused, key=lambda pid: -fused[pid])
        return [replace(by_id[pid], score=scores[pid]) for pid in order]

    def _dense_scores(self, vector: np.ndarray, passage_ids: list[str],
                      sentence_vectors: dict[str, dict[int, np.ndarray]]) -> dict[str, float]:
        """Weighted passage, best-sentence and heading cosines, computed exactly for every candidate.

        Fills `sentence_vectors` with each candidate's sentence vectors on the way.
        """
        passages, units = self.store.vectors(passage_ids)
        best_sentence: dict[str, float] = {}
        heading: dict[str, float] = {}
        cosines = np.stack([u[3] for u in units]) @ vector if units else []  # one product for all units
        for (pid, kind, index, unit), cos in zip(units, map(float, cosines)):
            if kind == "heading":
                heading[pid] = cos
            else:
                best_sentence[pid] = max(best_sentence.get(pid, -1.0), cos)
                sentence_vectors.setdefault(pid, {})[index] = unit
        w = self.weights
        scores = {}
        for pid in passage_ids:
            p = float(passages[pid] @ vector) if pid in passages else 0.0
            scores[pid] = (w.passage * p + w.sentence * best_sentence.get(pid, p)
                           + w.heading * heading.get(pid, p))
        return scores
