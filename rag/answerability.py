"""Decide whether the articles answer a question: best passage score and how much of the question the corpus knows."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .store import Hit
from .terms import STOPWORDS

_WORD = re.compile(r"[a-z][a-z'-]*")


@dataclass(frozen=True)
class Evidence:
    top: float  # best dense score among the retrieved passages
    coverage: float  # share of the question's content words whose stem occurs in the corpus
    unknown: tuple[str, ...]  # the content words the corpus has never seen


class Answerability:
    """A logistic decision over (top, coverage), calibrated by eval/calibrate.py with cross-validation.

    One cosine cannot tell a near-topic question the articles don't answer from a real
    one: both score alike. Words the corpus has never seen (a researcher's name, a term
    of art) are what give the first away, so coverage enters beside the score.
    """

    def __init__(self, corpus_words, bias: float, top_weight: float, coverage_weight: float) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english").stemWord
        self.stems = {self._stem(w.replace("'s", "")) for w in corpus_words}
        self.bias, self.top_weight, self.coverage_weight = bias, top_weight, coverage_weight

    def _known(self, word: str) -> bool:
        return self._stem(word) in self.stems or all(self._stem(p) in self.stems for p in word.split("-") if p)

    def evidence(self, query: str, hits: list[Hit]) -> Evidence:
        words = [w.replace("'s", "").strip("'-") for w in _WORD.findall(query.lower().replace("’", "'"))]
        content = [w for w in words if len(w) > 2 and w not in STOPWORDS]
        unknown = tuple(w for w in content if not self._known(w))
        coverage = 1.0 - len(unknown) / len(content) if content else 1.0
        return Evidence(max((h.score for h in hits), default=0.0), coverage, unknown)

    def probability(self, evidence: Evidence) -> float:
        z = self.bias + self.top_weight * evidence.top + self.coverage_weight * evidence.coverage
        return 1.0 / (1.0 + math.exp(-z))

    def answerable(self, evidence: Evidence) -> bool:
        return self.probability(evidence) >= 0.5
