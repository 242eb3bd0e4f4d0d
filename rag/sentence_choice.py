"""Choose the sentences of the retrieved passages that answer a question (or each part of it) best."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .quote_groups import says_nothing, units_of
from .quote_kinds import is_yes_or_no, same_advice
from .types import Hit
from .terms import content_terms

OVERLAP_WEIGHT = 0.3  # weight of question-word overlap beside the cosines when ranking sentences
SENTENCE_MARGIN = 0.15  # past the first two, a sentence this far below the best one is left out
MIN_SENTENCES = 2
SENTENCES_PER_PART = 2


@dataclass(frozen=True)
class Sentence:
    """A quotable unit of a retrieved passage, with the vectors that stand for it."""
    hit: int  # index into the hits
    unit: int  # index into units_of(passage)
    start: int
    end: int
    text: str
    vectors: tuple[np.ndarray, ...]


def quotable_sentences(hits: list[Hit], indexes, sentence_vectors: dict) -> list[Sentence]:
    """The units of hits[i] for i in `indexes` worth quoting for their own sake, each with its stored vector(s)."""
    out, seen_texts = [], set()
    for i in indexes:
        passage = hits[i].passage
        if passage.text in seen_texts:
            continue  # the same passage on two pages: one citation is enough
        seen_texts.add(passage.text)
        units = units_of(passage)
        stored = sentence_vectors.get(passage.id, {})
        whole = len(units) == 1 and len(stored) > 1  # a row or whole item: all its sentence vectors stand for it
        for j, unit in enumerate(units):
            if says_nothing(passage, units, j) or is_yes_or_no(unit.text):
                continue  # a passage's "Yes." answers its own question: only a question that is the same gets it
            if whole:
                vectors = tuple(stored.values())
            else:
                vectors = (stored[j],) if j in stored and len(stored) == len(units) else ()
            out.append(Sentence(i, j, unit.start, unit.end, unit.text, vectors))
    return out


class Scorer:
    """Relevance of a sentence to one question (or part): its passage's score, its own cosine, shared words."""

    def __init__(self, hits: list[Hit], text: str, vector: np.ndarray | None) -> None:
        self.hits, self.vector, self.terms = hits, vector, set(content_terms(text))

    def __call__(self, s: Sentence) -> float:
        passage_score = self.hits[s.hit].score
        cosine = max((float(v @ self.vector) for v in s.vectors), default=passage_score) \
            if self.vector is not None else passage_score
        overlap = len(self.terms & set(content_terms(s.text))) / max(1, len(self.terms))
        return 0.5 * passage_score + 0.5 * cosine + OVERLAP_WEIGHT * overlap


def _is_duplicate(s: Sentence, chosen: list[Sentence]) -> bool:
    return any(same_advice(s.text, c.text) for c in chosen)


def pick_single(sentences: list[Sentence], scorer: Scorer, limit: int) -> list[Sentence]:
    ranked = sorted(sentences, key=scorer, reverse=True)
    chosen: list[Sentence] = []
    best = scorer(ranked[0]) if ranked else 0.0
    for s in ranked:
        if len(chosen) >= limit:
            break
        if scorer(s) < best - SENTENCE_MARGIN * (1 if len(chosen) >= MIN_SENTENCES else 2):
            break
        if not _is_duplicate(s, chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: (s.hit, s.start))  # passages in rank order, each read in text order


def pick_for_part(sentences: list[Sentence], scorer: Scorer, taken: list[Sentence], room: int) -> list[Sentence]:
    """Up to SENTENCES_PER_PART sentences for one part of a question, none repeating `taken`, in text order."""
    ranked = sorted(sentences, key=scorer, reverse=True)
    best = scorer(ranked[0]) if ranked else 0.0
    part: list[Sentence] = []
    for s in ranked:
        if len(part) >= min(SENTENCES_PER_PART, room):
            break
        if part and scorer(s) < best - SENTENCE_MARGIN:
            break
        if not _is_duplicate(s, taken + part):
            part.append(s)
    return sorted(part, key=lambda s: (s.hit, s.start))
